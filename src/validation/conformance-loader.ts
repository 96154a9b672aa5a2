import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isJsonObject } from './values.ts';
import type { JsonObject } from './values.ts';

/** A conformance resource and where it came from (for start-up errors). */
export interface Loaded<T> {
  readonly resource: T;
  /** File name, or `extraProfiles[i]`. */
  readonly source: string;
}

export interface ConformanceSet {
  readonly structureDefinitions: readonly Loaded<fhir4.StructureDefinition>[];
  readonly codeSystems: readonly Loaded<fhir4.CodeSystem>[];
  readonly valueSets: readonly Loaded<fhir4.ValueSet>[];
  /** Every loaded resource, in load order (StructureDefinitions, CodeSystems, ValueSets and other conformance resources). */
  readonly all: readonly fhir4.Resource[];
}

/** Definitional resources the HTTP layer may serve; loaded as they are, not interpreted. */
const OTHER_CONFORMANCE_TYPES: ReadonlySet<string> = new Set([
  'CapabilityStatement',
  'CompartmentDefinition',
  'ConceptMap',
  'ExampleScenario',
  'GraphDefinition',
  'ImplementationGuide',
  'MessageDefinition',
  'NamingSystem',
  'OperationDefinition',
  'SearchParameter',
  'StructureMap',
  'TerminologyCapabilities',
]);

/** Files in a FHIR package folder that are not resources. */
const NON_RESOURCE_FILES: ReadonlySet<string> = new Set(['package.json']);

/**
 * Reads every `*.json` directly in `profilesDir` (not its `examples/` or `fsh/` subfolders) plus
 * `extraProfiles`. A file that is not JSON, not a resource, not a conformance resource, or has no canonical
 * URL, or a URL given twice, stops start-up with an Error naming the file.
 */
export function loadConformance(profilesDir: string | undefined, extraProfiles: readonly unknown[] = []): ConformanceSet {
  const inputs: { value: unknown; source: string }[] = [];
  if (profilesDir !== undefined) {
    if (!existsSync(profilesDir) || !statSync(profilesDir).isDirectory()) {
      throw loadError(profilesDir, 'is not a folder');
    }
    for (const name of readdirSync(profilesDir).sort()) {
      const file = join(profilesDir, name);
      if (!name.endsWith('.json') || name.startsWith('.') || NON_RESOURCE_FILES.has(name) || !statSync(file).isFile()) {
        continue;
      }
      inputs.push({ value: parseJson(file, name), source: name });
    }
  }
  extraProfiles.forEach((value, i) => inputs.push({ value, source: `extraProfiles[${i}]` }));

  const structureDefinitions: Loaded<fhir4.StructureDefinition>[] = [];
  const codeSystems: Loaded<fhir4.CodeSystem>[] = [];
  const valueSets: Loaded<fhir4.ValueSet>[] = [];
  const others: fhir4.Resource[] = [];
  const urls = new Map<string, string>();
  for (const { value, source } of inputs) {
    if (!isJsonObject(value) || typeof value.resourceType !== 'string') {
      throw loadError(source, 'is not a FHIR resource');
    }
    const type = value.resourceType;
    if (type !== 'StructureDefinition' && type !== 'CodeSystem' && type !== 'ValueSet') {
      if (!OTHER_CONFORMANCE_TYPES.has(type)) {
        throw loadError(source, `holds a ${type}; only conformance resources belong here (examples go in examples/)`);
      }
      others.push(value as unknown as fhir4.Resource);
      continue;
    }
    const url = canonicalOf(value, source);
    const clash = urls.get(`${type}|${url}`);
    if (clash !== undefined) {
      throw loadError(source, `repeats the canonical URL ${url} of ${clash}`);
    }
    urls.set(`${type}|${url}`, source);
    if (type === 'StructureDefinition') {
      structureDefinitions.push({ resource: value as unknown as fhir4.StructureDefinition, source });
    } else if (type === 'CodeSystem') {
      codeSystems.push({ resource: value as unknown as fhir4.CodeSystem, source });
    } else {
      valueSets.push({ resource: value as unknown as fhir4.ValueSet, source });
    }
  }
  return {
    structureDefinitions,
    codeSystems,
    valueSets,
    all: [...structureDefinitions, ...codeSystems, ...valueSets].map((l) => l.resource as fhir4.Resource).concat(others),
  };
}

function parseJson(file: string, source: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw loadError(source, 'is not valid JSON', e);
  }
}

function canonicalOf(resource: JsonObject, source: string): string {
  const url = resource.url;
  if (typeof url !== 'string' || url === '') {
    throw loadError(source, 'has no canonical url');
  }
  return url;
}

/** A start-up error that names the offending file (the message is for operators, not clients). */
export function loadError(source: string, problem: string, cause?: unknown): Error {
  return new Error(`validation: profiles: ${source} ${problem}`, cause === undefined ? undefined : { cause });
}

/** Drops a `|version` suffix from a canonical reference. */
export function stripVersion(canonical: string): string {
  const bar = canonical.indexOf('|');
  return bar === -1 ? canonical : canonical.slice(0, bar);
}
