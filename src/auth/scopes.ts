import type { Interaction, Scope } from './ports.ts';
import { OAuthError } from './oauth-error.ts';

/** SMART v2 letters in their mandated order. */
const ORDER: readonly Interaction[] = ['c', 'r', 'u', 'd', 's'];

/** SMART v1 permission words and what they mean in v2 letters. */
const V1: Readonly<Record<string, readonly Interaction[]>> = {
  read: ['r', 's'],
  write: ['c', 'u', 'd'],
  '*': ['c', 'r', 'u', 'd', 's'],
};

const SCOPE = /^([a-z]+)\/([^.\s]+)\.([^\s]+)$/;
const RESOURCE_TYPE = /^(\*|[A-Z][A-Za-z]{0,63})$/;

/** A scope string that is not a SMART system scope this gateway understands. */
export class ScopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScopeError';
  }
}

/**
 * Parses one SMART system scope. v2 (`system/Patient.rs`, `system/*.cruds`) and v1
 * (`system/Patient.read` → rs, `.write` → cud, `.*` → cruds) are accepted.
 * `patient/` and `user/` scopes need a user context, which client credentials never have.
 * @see https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html
 */
export function parseScope(text: string): Scope {
  const shown = quote(text);
  if (text.includes('?')) throw new ScopeError(`scope ${shown}: scope query parameters are not supported`);
  const m = SCOPE.exec(text);
  if (!m) throw new ScopeError(`scope ${shown} is not a SMART scope (expected e.g. system/Patient.rs)`);
  const [, context = '', resourceType = '', perms = ''] = m;
  if (context === 'patient' || context === 'user') {
    throw new ScopeError(`scope ${shown}: ${context}/ scopes need a user context; client credentials grant system/ scopes only`);
  }
  if (context !== 'system') throw new ScopeError(`scope ${shown}: only system/ scopes are supported`);
  if (!RESOURCE_TYPE.test(resourceType)) throw new ScopeError(`scope ${shown}: the resource type must be a FHIR type name or *`);
  return { resourceType, interactions: new Set(parsePermissions(shown, perms)) };
}

/** Scope text comes from the caller: shown quoted and cut short in messages. */
const quote = (text: string): string => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);

function parsePermissions(shown: string, perms: string): readonly Interaction[] {
  const v1 = V1[perms];
  if (v1) return v1;
  let last = -1;
  const out: Interaction[] = [];
  for (const ch of perms) {
    const at = ORDER.indexOf(ch as Interaction);
    if (at < 0 || at <= last) {
      throw new ScopeError(`scope ${shown}: permissions must be letters of "cruds" in that order, or read, write, *`);
    }
    last = at;
    out.push(ch as Interaction);
  }
  return out;
}

/** Parses a space-separated scope string; empty or blank gives no scopes. */
export function parseScopes(text: string): Scope[] {
  return splitScopes(text).map(parseScope);
}

const splitScopes = (text: string): string[] => text.split(/\s+/).filter((s) => s !== '');

/** The v2 text form, letters in cruds order. */
export function formatScope(scope: Scope): string {
  return `system/${scope.resourceType}.${ORDER.filter((i) => scope.interactions.has(i)).join('')}`;
}

const intersect = (a: ReadonlySet<Interaction>, b: ReadonlySet<Interaction>): Set<Interaction> =>
  new Set([...a].filter((i) => b.has(i)));

/** What `requested` and `allowed` have in common, or undefined when nothing. */
function narrow(requested: Scope, allowed: Scope): Scope | undefined {
  let resourceType: string;
  if (requested.resourceType === '*') resourceType = allowed.resourceType;
  else if (allowed.resourceType === '*' || allowed.resourceType === requested.resourceType) resourceType = requested.resourceType;
  else return undefined;
  const interactions = intersect(requested.interactions, allowed.interactions);
  return interactions.size === 0 ? undefined : { resourceType, interactions };
}

/** Merges scopes per resource type and drops type scopes already covered by the `*` scope. */
function normalise(scopes: readonly Scope[]): Scope[] {
  const byType = new Map<string, Set<Interaction>>();
  for (const s of scopes) {
    const set = byType.get(s.resourceType) ?? new Set<Interaction>();
    for (const i of s.interactions) set.add(i);
    byType.set(s.resourceType, set);
  }
  const wildcard = byType.get('*') ?? new Set<Interaction>();
  const out: Scope[] = [];
  for (const [resourceType, interactions] of byType) {
    if (resourceType !== '*' && [...interactions].every((i) => wildcard.has(i))) continue;
    out.push({ resourceType, interactions });
  }
  return out;
}

/**
 * The scopes a client gets (RFC 6749 §3.3): nothing requested → everything it is allowed;
 * otherwise each requested scope narrowed to what `allowed` covers. Granted scopes are always
 * written in v2 form. A malformed request, or one that leaves nothing, is `invalid_scope`.
 */
export function grantScopes(requested: string | undefined, allowed: readonly string[]): { scopes: Scope[]; scope: string } {
  let allowedScopes: Scope[];
  let wanted: Scope[];
  try {
    allowedScopes = allowed.map(parseScope);
    wanted = requested === undefined || requested.trim() === '' ? allowedScopes : parseScopes(requested);
  } catch (err) {
    if (err instanceof ScopeError) throw new OAuthError('invalid_scope', err.message);
    throw err;
  }
  const granted = normalise(wanted.flatMap((w) => allowedScopes.flatMap((a) => narrow(w, a) ?? [])));
  if (granted.length === 0) {
    throw new OAuthError('invalid_scope', 'none of the requested scopes is allowed for this client');
  }
  return { scopes: granted, scope: granted.map(formatScope).join(' ') };
}

/** True when some scope grants `interaction` on `resourceType`. */
export function permits(scopes: readonly Scope[], resourceType: string, interaction: Interaction): boolean {
  return scopes.some((s) => (s.resourceType === '*' || s.resourceType === resourceType) && s.interactions.has(interaction));
}
