import type { Issue } from '../shared/index.ts';
import { checkBaseDefinitions, baseConstraintsOf, isBaseType, loadBaseDefinitions } from './base-definitions.ts';
import { checkBundleReferences } from './bundle-references.ts';
import { buildDateFieldIndex, checkCalendarDates } from './calendar-dates.ts';
import type { DateFieldIndex } from './calendar-dates.ts';
import { checkEmptyValues } from './empty-values.ts';
import { isWithin, toTokens } from './expression.ts';
import { loadProfileRegistry } from './profile-registry.ts';
import type { ProfileRegistry } from './profile-registry.ts';
import { checkProfiles } from './profile-validation.ts';
import type { UnresolvedReferenceSeverity } from './profile-validation.ts';
import { loadSchemaStructure } from './schema-structure.ts';
import type { LocatedIssue, SchemaStructure } from './schema-structure.ts';

export interface ValidateOptions {
  /** The resource type the request addresses (the URL's type); the body must match it. */
  readonly resourceType?: string;
  /**
   * Canonical URL of a profile the resource must conform to (`$validate?profile=`), in addition to the
   * profiles it declares in `meta.profile`. An unknown URL is an error.
   */
  readonly profile?: string;
  /**
   * False to leave `meta.profile` alone (base R4 only, plus `profile`): for callers that validate the declared
   * profiles themselves against other conformance packages (MedCom messages). Defaults to true.
   */
  readonly declaredProfiles?: boolean;
}

export interface ValidatorOptions {
  /** Folder of StructureDefinitions (with snapshots), CodeSystems and ValueSets; only its top level is read. */
  readonly profilesDir?: string;
  /** More conformance resources, as parsed JSON (tests, or packages loaded elsewhere). */
  readonly extraProfiles?: readonly unknown[];
  /**
   * Severity of a reference that does not resolve inside a document or message Bundle. Defaults: `error` in a
   * document (it must be self-contained), `warning` in a message (MedCom messages point at historic resources).
   */
  readonly unresolvedReferences?: Partial<UnresolvedReferenceSeverity>;
}

/** FHIR R4 validation, base and profiles, loaded once at start-up. */
export interface Validator {
  /** The 146 R4 resource types. */
  readonly knownResourceTypes: ReadonlySet<string>;
  /** Profiles held, by canonical URL. */
  readonly profiles: ReadonlyMap<string, fhir4.StructureDefinition>;
  /** Every loaded StructureDefinition, CodeSystem and ValueSet, for the HTTP layer to serve. */
  readonly conformanceResources: readonly fhir4.Resource[];
  /** Milliseconds `createValidator` took (schema compile, Medplum index, profiles). */
  readonly startupMs: number;
  /**
   * Validates `resource` against base R4, `opts.profile` and the profiles it declares (for a Bundle, also each
   * entry's declared profiles), and checks that references in a document or message Bundle resolve inside it.
   * Never throws for bad input: returns the issues, and `hasErrors(issues)` decides. Diagnostics carry element
   * names and spec text, never payload values.
   */
  validate(resource: unknown, opts?: ValidateOptions): Issue[];
}

/** Caps the OperationOutcome a hostile or badly broken Bundle can produce. */
export const MAX_ISSUES = 100;

const DEFAULT_UNRESOLVED: UnresolvedReferenceSeverity = { document: 'error', message: 'warning' };

/**
 * Loads and compiles everything up front (R4 JSON schema for every resource type, Medplum's R4 definitions,
 * the date field index, the profiles folder) so a broken install or profile fails at start-up and the first
 * request is not slow. Synchronous: all inputs are local files. Medplum's type index is process-wide.
 */
export function createValidator(opts: ValidatorOptions = {}): Validator {
  const started = performance.now();
  const baseSchemas = loadBaseDefinitions();
  // Profiles before the ~1 s schema compile, so a broken profile stops start-up at once.
  const registry = loadProfileRegistry(opts.profilesDir, opts.extraProfiles, { isBaseType, constraints: baseConstraintsOf(baseSchemas) });
  const structure = loadSchemaStructure();
  const dateFields = buildDateFieldIndex(baseSchemas);
  const unresolved: UnresolvedReferenceSeverity = { ...DEFAULT_UNRESOLVED, ...opts.unresolvedReferences };
  return {
    knownResourceTypes: structure.resourceTypes,
    profiles: registry.profiles,
    conformanceResources: registry.conformanceResources,
    startupMs: Math.round(performance.now() - started),
    validate: (resource, validateOpts) => validate({ structure, dateFields, registry, unresolved }, resource, validateOpts),
  };
}

interface Loaded {
  readonly structure: SchemaStructure;
  readonly dateFields: DateFieldIndex;
  readonly registry: ProfileRegistry;
  readonly unresolved: UnresolvedReferenceSeverity;
}

function validate(loaded: Loaded, input: unknown, opts?: ValidateOptions): Issue[] {
  const { structure, dateFields, registry } = loaded;
  const shape = checkShape(structure.resourceTypes, input, opts);
  if (!shape.ok) {
    return [shape.issue];
  }
  const { resource, resourceType } = shape;
  // Medplum and the profile checks run even when the schema found errors: the schema misses required
  // primitives and choice elements, and a rejected message should name all its faults at once.
  const structural = structure.check(resource, resourceType);
  const scopes = structural.map((s) => toTokens(s.scope));
  const isNew = (issue: Issue): boolean => {
    const expression = issue.expression?.[0];
    if (expression === undefined) {
      return structural.length === 0;
    }
    const tokens = toTokens(expression);
    return !scopes.some((scope) => isWithin(tokens, scope));
  };
  const profiled = checkProfiles(registry, resource, resourceType, structure.resourceTypes, opts?.profile, opts?.declaredProfiles ?? true);
  // A Medplum run against a profile of the root includes every base check, so the base run would repeat it.
  const base = profiled.rootCoveredByMedplum ? [] : checkBaseDefinitions(resource, structure.resourceTypes);
  const references =
    resourceType === 'Bundle' && (resource.type === 'document' || resource.type === 'message')
      ? checkBundleReferences(resource, profiled.bundleIndex, resource.type === 'document' ? loaded.unresolved.document : loaded.unresolved.message)
      : [];
  const issues = [
    ...structural.map((s: LocatedIssue) => s.issue),
    ...profiled.selection,
    ...deduplicate([...base, ...profiled.issues, ...references, ...checkCalendarDates(dateFields, resource, resourceType), ...checkEmptyValues(resource, resourceType)]).filter(isNew),
  ];
  return capped(issues);
}

type Shape =
  | { readonly ok: true; readonly resource: Readonly<Record<string, unknown>>; readonly resourceType: string }
  | { readonly ok: false; readonly issue: Issue };

/** The input must be a JSON object of a known R4 type, and of the type the request addresses. */
function checkShape(knownResourceTypes: ReadonlySet<string>, input: unknown, opts?: ValidateOptions): Shape {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return fail({ severity: 'error', code: 'structure', diagnostics: 'a FHIR resource must be a JSON object' });
  }
  const resource = input as Readonly<Record<string, unknown>>;
  const resourceType = resource.resourceType;
  if (typeof resourceType !== 'string') {
    return fail({
      severity: 'error',
      code: resourceType === undefined ? 'required' : 'structure',
      diagnostics: 'a FHIR resource must have a string resourceType',
      expression: ['resourceType'],
    });
  }
  if (opts?.resourceType !== undefined && opts.resourceType !== resourceType) {
    return fail({
      severity: 'error',
      code: 'invalid',
      diagnostics: `resourceType does not match the ${knownResourceTypes.has(opts.resourceType) ? opts.resourceType : 'requested'} type`,
      expression: ['resourceType'],
    });
  }
  if (!knownResourceTypes.has(resourceType)) {
    return fail({ severity: 'error', code: 'not-supported', diagnostics: 'resourceType is not an R4 resource type', expression: ['resourceType'] });
  }
  return { ok: true, resource, resourceType };
}

function fail(issue: Issue): Shape {
  return { ok: false, issue };
}

function deduplicate(issues: readonly Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.severity}\u0000${i.code}\u0000${i.expression?.join('|') ?? ''}\u0000${i.diagnostics}`;
    if (seen.has(key)) {
      return false;
    }
    seen.add(key);
    return true;
  });
}

function capped(issues: Issue[]): Issue[] {
  if (issues.length <= MAX_ISSUES) {
    return issues;
  }
  const omitted = issues.length - MAX_ISSUES;
  return [
    ...issues.slice(0, MAX_ISSUES),
    { severity: 'warning', code: 'too-long', diagnostics: `${omitted} further issues omitted` },
  ];
}

