/**
 * Compiles Sektorbro's FSH sources (profiles/fsh/) into StructureDefinitions with snapshots, CodeSystems and
 * ValueSets (profiles/*.json), offline: SUSHI reads core R4 from a package cache built in a temp folder out of the
 * npm package `hl7.fhir.r4.examples` (stack-notes §3.17), because the FHIR package registry is not reachable.
 * Output is deterministic (one file per resource, SUSHI's key order, no timestamps), stale files are removed, and
 * `profiles/.fsh-hash` records which sources the output was built from so a forgotten rebuild fails the tests.
 *
 * Run: `npm run profiles:build`.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const PROFILES_DIR = join(ROOT, 'profiles');
export const FSH_DIR = join(PROFILES_DIR, 'fsh');
export const HASH_FILE = join(PROFILES_DIR, '.fsh-hash');

/** Resource types SUSHI output is kept for; everything else it writes (e.g. the ImplementationGuide) is dropped. */
const OUTPUT_TYPES = ['StructureDefinition', 'CodeSystem', 'ValueSet'] as const;
const OUTPUT_FILE = /^(StructureDefinition|CodeSystem|ValueSet)-[A-Za-z0-9.-]+\.json$/;
/** The core conformance resources SUSHI needs from R4: definitions and terminology. */
const CORE_TYPES: ReadonlySet<string> = new Set(['StructureDefinition', 'ValueSet', 'CodeSystem']);
/** The fields of an index entry (FHIR package cache, index version 2). */
const INDEX_FIELDS = ['id', 'url', 'version', 'kind', 'type', 'derivation', 'supplements', 'content'] as const;
const CORE_PACKAGE = 'hl7.fhir.r4.core#4.0.1';

/**
 * The sources the compiled profiles depend on: sushi-config.yaml and every .fsh file, in name order.
 * Line endings are normalised so a checkout on Windows gives the same hash.
 */
export function listProfileSources(fshDir: string = FSH_DIR): string[] {
  const fsh = readdirSync(fshDir)
    .filter((f) => f.endsWith('.fsh'))
    .sort();
  return ['sushi-config.yaml', ...fsh];
}

/** sha256 over the names and contents of the FSH sources; recorded in profiles/.fsh-hash by the build. */
export function hashProfileSources(fshDir: string = FSH_DIR): string {
  const hash = createHash('sha256');
  for (const name of listProfileSources(fshDir)) {
    const text = readFileSync(join(fshDir, name), 'utf8').replace(/\r\n/g, '\n');
    hash.update(`${name}\n${String(text.length)}\n${text}\n`);
  }
  return hash.digest('hex');
}

function asRecord(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function stringField(record: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Lays out `hl7.fhir.r4.core#4.0.1` as a FHIR package cache under `<home>/.fhir/packages`, with an index of
 * version 2 whose entries carry `derivation` (snapshot generation needs it).
 */
function buildCoreCache(home: string): void {
  const require = createRequire(import.meta.url);
  const examplesDir = dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
  const target = join(home, '.fhir', 'packages', CORE_PACKAGE, 'package');
  mkdirSync(target, { recursive: true });
  const files: Record<string, string>[] = [];
  for (const filename of readdirSync(examplesDir).sort()) {
    const prefix = filename.split('-')[0] ?? '';
    if (!filename.endsWith('.json') || !CORE_TYPES.has(prefix)) {
      continue;
    }
    const resource = asRecord(JSON.parse(readFileSync(join(examplesDir, filename), 'utf8')));
    const resourceType = resource === undefined ? undefined : stringField(resource, 'resourceType');
    if (resource === undefined || resourceType === undefined || !CORE_TYPES.has(resourceType)) {
      continue;
    }
    copyFileSync(join(examplesDir, filename), join(target, filename));
    const entry: Record<string, string> = { filename, resourceType };
    for (const key of INDEX_FIELDS) {
      const value = stringField(resource, key);
      if (value !== undefined) {
        entry[key] = value;
      }
    }
    files.push(entry);
  }
  const packageJson = {
    name: 'hl7.fhir.r4.core',
    version: '4.0.1',
    fhirVersions: ['4.0.1'],
    type: 'Core',
    canonical: 'http://hl7.org/fhir',
    url: 'http://hl7.org/fhir/R4',
    title: 'FHIR R4 core conformance resources, from the npm package hl7.fhir.r4.examples@4.0.1',
  };
  writeFileSync(join(target, 'package.json'), JSON.stringify(packageJson, null, 2));
  writeFileSync(join(target, '.index.json'), JSON.stringify({ 'index-version': 2, files }, null, 2));
}

/** Copies the FSH sources into a SUSHI project layout (`<project>/input/fsh/`). */
function stageProject(project: string): void {
  const fshTarget = join(project, 'input', 'fsh');
  mkdirSync(fshTarget, { recursive: true });
  for (const name of listProfileSources()) {
    copyFileSync(join(FSH_DIR, name), name.endsWith('.fsh') ? join(fshTarget, name) : join(project, name));
  }
}

function runSushi(project: string, home: string, verbose: boolean): void {
  const require = createRequire(import.meta.url);
  const sushi = join(dirname(require.resolve('fsh-sushi/package.json')), 'dist', 'app.js');
  const result = spawnSync(process.execPath, [sushi, 'build', project, '--snapshot'], {
    env: { ...process.env, HOME: home, USERPROFILE: home, FORCE_COLOR: '0' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const log = `${result.stdout}${result.stderr}`;
  // SUSHI exits with the number of errors; its warnings about unreachable automatic dependencies are expected offline.
  if (result.status !== 0) {
    process.stderr.write(log);
    throw new Error(`SUSHI failed (exit ${String(result.status)})`);
  }
  if (verbose) {
    process.stdout.write(log);
  }
  const warnings = log.split('\n').filter((line) => /^\s*warn/i.test(line) && !/automatic dependency|latest version|hl7\.(fhir\.uv|terminology)/i.test(line));
  for (const line of warnings) {
    process.stdout.write(`${line}\n`);
  }
}

/** Removes what varies between runs or machines but says nothing about the profile. */
function normalise(resource: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...resource };
  delete copy.date;
  return copy;
}

function collectOutput(project: string): Map<string, string> {
  const dir = join(project, 'fsh-generated', 'resources');
  const out = new Map<string, string>();
  for (const filename of readdirSync(dir).sort()) {
    const resource = asRecord(JSON.parse(readFileSync(join(dir, filename), 'utf8')));
    const resourceType = resource === undefined ? undefined : stringField(resource, 'resourceType');
    const id = resource === undefined ? undefined : stringField(resource, 'id');
    if (resource === undefined || id === undefined || !OUTPUT_TYPES.some((t) => t === resourceType)) {
      continue;
    }
    out.set(`${String(resourceType)}-${id}.json`, `${JSON.stringify(normalise({ ...resource }), null, 2)}\n`);
  }
  return out;
}

/** Writes the compiled resources into profiles/, leaving unchanged files untouched, and removes stale ones. */
function writeOutput(output: ReadonlyMap<string, string>): { written: number; removed: number } {
  let written = 0;
  let removed = 0;
  for (const [name, text] of output) {
    const file = join(PROFILES_DIR, name);
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) {
      writeFileSync(file, text);
      written += 1;
    }
  }
  for (const name of readdirSync(PROFILES_DIR)) {
    if (OUTPUT_FILE.test(name) && !output.has(name)) {
      rmSync(join(PROFILES_DIR, name));
      removed += 1;
    }
  }
  return { written, removed };
}

/** Builds the profiles; throws when SUSHI reports errors. `verbose` prints SUSHI's whole log. */
export function buildProfiles(options: { readonly verbose?: boolean } = {}): { files: number; written: number; removed: number; millis: number } {
  const started = Date.now();
  const temp = mkdtempSync(join(tmpdir(), 'sektorbro-profiles-'));
  try {
    buildCoreCache(temp);
    const project = join(temp, 'project');
    stageProject(project);
    runSushi(project, temp, options.verbose ?? false);
    const output = collectOutput(project);
    if (output.size === 0) {
      throw new Error('SUSHI produced no StructureDefinitions, CodeSystems or ValueSets');
    }
    const { written, removed } = writeOutput(output);
    writeFileSync(HASH_FILE, `${hashProfileSources()}\n`);
    return { files: output.size, written, removed, millis: Date.now() - started };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  const result = buildProfiles({ verbose: process.argv.includes('--verbose') });
  process.stdout.write(
    `profiles: ${String(result.files)} resources in ${basename(PROFILES_DIR)}/ (${String(result.written)} written, ${String(result.removed)} removed) in ${(result.millis / 1000).toFixed(1)} s\n`,
  );
}
