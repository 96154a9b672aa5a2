import { forbidden, SYSTEM } from '../shared/index.ts';
import type { AnyResource } from '../shared/index.ts';
import type { AccessFilter } from '../store/ports.ts';
import type { Interaction, Principal } from './ports.ts';
import { formatScope, permits } from './scopes.ts';

/**
 * Registry types: the directory of organisations and their endpoints. Every authenticated role
 * except relay reads them without per-row grants; only admin writes them.
 */
export const REGISTRY_TYPES: readonly string[] = Object.freeze(['Organization', 'Endpoint']);
const isRegistryType = (type: string): boolean => REGISTRY_TYPES.includes(type);

const AUDIT_TYPE = 'AuditEvent';

const VERB: Readonly<Record<Interaction, string>> = { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' };
const isReadish = (i: Interaction): boolean => i === 'r' || i === 's';

/**
 * Decides whether `principal` may perform `interaction` on `resourceType` through /fhir, by its
 * scopes and by its role; throws a 403 GatewayError saying which one refused. Row visibility
 * (grants) is a separate step: {@link accessFilterFor} and {@link mayRead}.
 *
 * Role policy at this stage (issue #3):
 * - admin: everything on every stored type, except that audit records are read-only;
 * - AuditEvent: admin only, read and search;
 * - relay: nothing (it submits messages through its own entry point and reads nothing);
 * - quality: read and search registry types only (aggregates and document metadata come later);
 * - hospital, municipality, gp: read and search every stored type, rows filtered by grants;
 *   a hospital may create a Bundle (POST /fhir/Bundle is where it submits discharge documents;
 *   ingest then checks that the document's sender is the hospital's own organisation);
 *   each manages its own Subscriptions (issue #6); otherwise no create/update/delete.
 */
export function mayInteract(principal: Principal, resourceType: string, interaction: Interaction): void {
  const verb = VERB[interaction];
  if (!permits(principal.scopes, resourceType, interaction)) {
    const needed = formatScope({ resourceType, interactions: new Set([interaction]) });
    throw forbidden(`The granted scopes do not permit ${verb} on ${resourceType} (needs ${needed})`);
  }
  const refusal = roleRefusal(principal, resourceType, interaction);
  if (refusal !== undefined) throw forbidden(refusal);
}

/** Why the role may not do it, or undefined when it may. */
function roleRefusal({ role }: Principal, resourceType: string, interaction: Interaction): string | undefined {
  const verb = VERB[interaction];
  if (resourceType === AUDIT_TYPE) {
    if (role !== 'admin') return 'Audit records are readable by admin clients only';
    return isReadish(interaction) ? undefined : 'Audit records are written by the gateway only';
  }
  switch (role) {
    case 'admin':
      return undefined;
    case 'relay':
      return 'Relay clients submit messages only; they may not read or write through /fhir';
    case 'quality':
      if (!isReadish(interaction)) return `Quality clients may not ${verb} resources`;
      return isRegistryType(resourceType)
        ? undefined
        : `Quality clients may not ${verb} patient data such as ${resourceType} through /fhir; they see aggregates and document metadata only`;
    case 'hospital':
    case 'municipality':
    case 'gp':
      if (isReadish(interaction)) return undefined;
      if (role === 'hospital' && resourceType === 'Bundle' && interaction === 'c') return undefined;
      if (resourceType === 'Subscription') return undefined; // their own: rows are the writer's alone
      return isRegistryType(resourceType)
        ? `Only admin clients may ${verb} registry resources (${resourceType})`
        : `The ${role} role may not ${verb} ${resourceType} through /fhir; documents and messages have their own entry points`;
  }
}

/**
 * `$process-message`: hospitals, municipalities, GPs (for their own messages: ingest checks the sender),
 * relays (for any sender they authenticated) and admin, with a scope to create Bundles. Quality staff send nothing.
 */
export function mayProcessMessage(principal: Principal): void {
  if (!permits(principal.scopes, 'Bundle', 'c')) {
    throw forbidden('The granted scopes do not permit submitting messages (needs system/Bundle.c)');
  }
  if (principal.role === 'quality') throw forbidden('Quality clients do not submit messages');
}

/**
 * `POST /api/responsibility/extension`: a hospital client with `system/EpisodeOfCare.u`. Whether its
 * SOR unit holds the window is the rule engine's question, asked in the same transaction.
 */
export function mayExtendResponsibility(principal: Principal): void {
  if (principal.role !== 'hospital') throw forbidden('Only the hospital department holding the window may extend it');
  if (!permits(principal.scopes, 'EpisodeOfCare', 'u')) {
    throw forbidden('The granted scopes do not permit extending a window of responsibility (needs system/EpisodeOfCare.u)');
  }
}

/** Which rows of `resourceType` the principal may see in searches and history. */
export function accessFilterFor(principal: Principal, resourceType: string): AccessFilter {
  if (principal.role === 'admin' || isRegistryType(resourceType)) return { kind: 'all' };
  return { kind: 'orgs', orgs: [principal.org.sor] };
}

/** Row check for a single read: admin and registry types see all; others need a grant to their SOR code. */
export function mayRead(principal: Principal, stored: { type: string; grants: readonly string[] }): boolean {
  if (principal.role === 'admin' || isRegistryType(stored.type)) return true;
  return stored.grants.includes(principal.org.sor);
}

/** Walking deeper than this is not needed by any FHIR resource we store; deeper parts are ignored. */
const MAX_WALK_DEPTH = 64;
const ORG_REFERENCE = /^Organization\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
const SOR_VALUE = /^\d+$/;

/**
 * SOR codes of every organisation `resource` points at, to grant them read. Found anywhere in
 * the resource (contained resources included): relative `Organization/<id>` references, resolved
 * through `resolveOrganizationSor`, and any Identifier (a Reference's `identifier`, an
 * Organization's own `identifier`) in the SOR system. This is how the GP named in
 * `Patient.generalPractitioner` gets to read that Patient. Deduplicated: direct SOR identifiers
 * first, then resolved references.
 */
export async function grantsForWrite(
  resource: AnyResource,
  resolveOrganizationSor: (ref: string) => Promise<string | undefined>,
): Promise<string[]> {
  const sors: string[] = [];
  const refs: string[] = [];
  const walk = (node: unknown, depth: number): void => {
    if (depth > MAX_WALK_DEPTH || typeof node !== 'object' || node === null) return;
    if (Array.isArray(node)) {
      for (const item of node) walk(item, depth + 1);
      return;
    }
    const obj = node as Record<string, unknown>;
    if (obj.system === SYSTEM.sor && typeof obj.value === 'string' && SOR_VALUE.test(obj.value.trim())) sors.push(obj.value.trim());
    if (typeof obj.reference === 'string') {
      const m = ORG_REFERENCE.exec(obj.reference.trim());
      if (m?.[1]) refs.push(`Organization/${m[1]}`);
    }
    for (const value of Object.values(obj)) walk(value, depth + 1);
  };
  walk(resource, 0);
  const resolved = await Promise.all([...new Set(refs)].map(resolveOrganizationSor));
  for (const sor of resolved) if (sor !== undefined) sors.push(sor);
  return [...new Set(sors)];
}
