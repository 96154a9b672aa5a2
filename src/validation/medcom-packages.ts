import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { list } from 'tar';
import type { ReadEntry } from 'tar';
import type { Loaded } from './conformance-loader.ts';
import { isJsonObject } from './values.ts';

/** A published FHIR package (`package.tgz`), as far as validation needs it. */
export interface FhirPackage {
  /** `name#version`, the key packages are referred to by. */
  readonly id: string;
  readonly name: string;
  readonly version: string;
  /** `dependencies` of its package.json, in the order given there. */
  readonly dependencies: readonly { readonly name: string; readonly version: string }[];
  /** The .tgz file name (for start-up errors). */
  readonly file: string;
  /** Its StructureDefinitions, CodeSystems and ValueSets; examples and other resources are not read. */
  readonly resources: readonly Loaded<fhir4.StructureDefinition | fhir4.CodeSystem | fhir4.ValueSet>[];
}

const CONFORMANCE_TYPES: ReadonlySet<string> = new Set(['StructureDefinition', 'CodeSystem', 'ValueSet']);

/** Resources sit directly in `package/`; `package/example/`, `package/other/` and `package/xml/` are not read. */
const RESOURCE_ENTRY = /^package\/[^/]+\.json$/;
const NON_RESOURCE_ENTRIES: ReadonlySet<string> = new Set(['package/package.json', 'package/.index.json']);

/** The name the FHIR package tooling gives a package file: `<name>-<version>.tgz`. */
const PACKAGE_FILE = /^(.+)-(\d+\.\d+\.\d+(?:-[A-Za-z0-9.-]+)?)\.tgz$/;

/**
 * Reads every `*.tgz` in `dir` as a FHIR package, in memory (nothing is unpacked to disk). A file that is not a
 * package, whose package.json is missing or unreadable, whose name and version differ from its file name, or a
 * package given twice, stops start-up with an Error naming the file.
 */
export function readFhirPackages(dir: string): Map<string, FhirPackage> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.tgz')).sort();
  } catch (e) {
    throw packageError(dir, 'is not a readable folder', e);
  }
  const packages = new Map<string, FhirPackage>();
  for (const name of names) {
    const pkg = readFhirPackage(join(dir, name));
    if (packages.has(pkg.id)) {
      throw packageError(name, `repeats package ${pkg.id}`);
    }
    packages.set(pkg.id, pkg);
  }
  return packages;
}

/** Reads one `package.tgz` (see `readFhirPackages`). */
export function readFhirPackage(path: string): FhirPackage {
  const file = basename(path);
  if (!statSync(path, { throwIfNoEntry: false })?.isFile()) {
    throw packageError(file, 'is not a file');
  }
  const entries = readEntries(path, file);
  const manifest = entries.get('package/package.json');
  if (manifest === undefined) {
    throw packageError(file, 'has no package/package.json');
  }
  const json = parseJson(manifest, `${file}!package/package.json`);
  const name = isJsonObject(json) && typeof json.name === 'string' ? json.name : undefined;
  const version = isJsonObject(json) && typeof json.version === 'string' ? json.version : undefined;
  if (name === undefined || version === undefined) {
    throw packageError(file, 'has a package.json without name and version');
  }
  const expected = PACKAGE_FILE.exec(file);
  if (expected?.[1] !== name || expected[2] !== version) {
    throw packageError(file, `holds ${name}#${version}, which does not match its file name`);
  }
  const declared = isJsonObject(json) && isJsonObject(json.dependencies) ? json.dependencies : {};
  const dependencies = Object.entries(declared).map(([depName, depVersion]) => {
    if (typeof depVersion !== 'string') {
      throw packageError(file, `names dependency ${depName} without a version`);
    }
    return { name: depName, version: depVersion };
  });
  const resources: Loaded<fhir4.StructureDefinition | fhir4.CodeSystem | fhir4.ValueSet>[] = [];
  for (const [entry, bytes] of entries) {
    if (!RESOURCE_ENTRY.test(entry) || NON_RESOURCE_ENTRIES.has(entry)) {
      continue;
    }
    const source = `${file}!${entry}`;
    const resource = parseJson(bytes, source);
    if (isJsonObject(resource) && typeof resource.resourceType === 'string' && CONFORMANCE_TYPES.has(resource.resourceType)) {
      if (typeof resource.url !== 'string' || resource.url === '') {
        throw packageError(source, 'has no canonical url');
      }
      resources.push({ resource: resource as unknown as fhir4.StructureDefinition | fhir4.CodeSystem | fhir4.ValueSet, source });
    }
  }
  return { id: `${name}#${version}`, name, version, dependencies, file, resources };
}

function readEntries(path: string, file: string): Map<string, Buffer> {
  const entries = new Map<string, Buffer>();
  try {
    // Synchronous: with `sync`, tar emits every entry's data before `list` returns.
    list({
      file: path,
      sync: true,
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        const chunks: Buffer[] = [];
        entry.on('data', (chunk: Buffer) => chunks.push(chunk));
        entry.on('end', () => entries.set(entry.path, Buffer.concat(chunks)));
      },
    });
  } catch (e) {
    throw packageError(file, 'is not a readable package.tgz', e);
  }
  return entries;
}

function parseJson(bytes: Buffer, source: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw packageError(source, 'is not valid JSON', e);
  }
}

/** A start-up error naming the package file (for operators). */
export function packageError(source: string, problem: string, cause?: unknown): Error {
  return new Error(`validation: medcom packages: ${source} ${problem}`, cause === undefined ? undefined : { cause });
}
