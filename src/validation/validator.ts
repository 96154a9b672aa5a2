import type { Issue } from '../shared/index.ts';
import { checkBaseDefinitions, loadBaseDefinitions } from './base-definitions.ts';
import { buildDateFieldIndex, checkCalendarDates } from './calendar-dates.ts';
import type { DateFieldIndex } from './calendar-dates.ts';
import { isWithin, toTokens } from './expression.ts';
import { loadSchemaStructure } from './schema-structure.ts';
import type { LocatedIssue, SchemaStructure } from './schema-structure.ts';

export interface ValidateOptions {
  /** The resource type the request addresses (the URL's type); the body must match it. */
  readonly resourceType?: string;
}

/** Base FHIR R4 validation, loaded once at start-up. */
export interface Validator {
  /** The 146 R4 resource types. */
  readonly knownResourceTypes: ReadonlySet<string>;
  /**
   * Validates `resource` against base R4. Never throws for bad input: returns the issues, and
   * `hasErrors(issues)` decides. Diagnostics carry element names and spec text, never payload values.
   */
  validate(resource: unknown, opts?: ValidateOptions): Issue[];
}

/** Caps the OperationOutcome a hostile or badly broken Bundle can produce. */
export const MAX_ISSUES = 100;

/**
 * Loads and compiles everything up front (R4 JSON schema for every resource type, Medplum's R4 definitions,
 * the date field index) so a broken install fails at start-up and the first request is not slow.
 * Synchronous: all inputs are files in node_modules. Medplum's type index is process-wide.
 */
export function createValidator(): Validator {
  const structure = loadSchemaStructure();
  const dateFields = buildDateFieldIndex(loadBaseDefinitions());
  return {
    knownResourceTypes: structure.resourceTypes,
    validate: (resource, opts) => validate(structure, dateFields, resource, opts),
  };
}

function validate(structure: SchemaStructure, dateFields: DateFieldIndex, input: unknown, opts?: ValidateOptions): Issue[] {
  const shape = checkShape(structure.resourceTypes, input, opts);
  if (!shape.ok) {
    return [shape.issue];
  }
  const { resource, resourceType } = shape;
  // Medplum runs even when the schema found errors: the schema misses required primitives and choice
  // elements, and a rejected message should name all its faults at once.
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
  const issues = [
    ...structural.map((s: LocatedIssue) => s.issue),
    ...deduplicate(checkBaseDefinitions(resource, structure.resourceTypes)).filter(isNew),
    ...checkCalendarDates(dateFields, resource, resourceType).filter(isNew),
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
