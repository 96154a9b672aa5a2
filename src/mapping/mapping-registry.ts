import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseDocument } from 'yaml';
import { compileMappingSpec } from './mapping-spec.schema.ts';
import type { CompiledMapping } from './mapping-spec.ts';

/** The loaded, checked and frozen mapping specs of one source folder (house-style §2.4). */
export interface MappingRegistry {
  readonly mappings: readonly CompiledMapping[];
  /** The mapping for a letter, by upper-cased TypeCode and VersionCode. */
  find(typeCode: string, versionCode: string): CompiledMapping | undefined;
  /** Every mapping of a document family (same TypeCode), whatever its version. */
  family(typeCode: string): readonly CompiledMapping[];
}

export interface LoadMappingsOptions {
  /** Canonical URLs of all profiles the gateway has loaded; every profile a spec targets must be among them. */
  readonly knownProfiles: Iterable<string>;
}

/** Start-up failure listing every problem found, each as `<file>: <path>: <message>`. */
export class MappingLoadError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`mapping specs are invalid:\n${problems.join('\n')}`);
    this.name = 'MappingLoadError';
  }
}

/**
 * Loads every `*.yaml` in `dir` (e.g. `mappings/medcom-oioxml`), checks each against the spec format and
 * the known profiles and transforms, and returns a frozen registry. Throws MappingLoadError naming the file
 * and path of every problem, so a broken mapping stops start-up instead of failing on the first message.
 */
export function loadMappings(dir: string, options: LoadMappingsOptions): MappingRegistry {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  return createMappingRegistry(
    files.map((f) => ({ file: join(dir, f), text: readFileSync(join(dir, f), 'utf8') })),
    { ...options, source: basename(dir) },
  );
}

/** As `loadMappings`, from texts already read (tests, or specs shipped another way). */
export function createMappingRegistry(
  files: readonly { readonly file: string; readonly text: string }[],
  options: LoadMappingsOptions & { readonly source: string },
): MappingRegistry {
  const knownProfiles = new Set(options.knownProfiles);
  const problems: string[] = [];
  const mappings: CompiledMapping[] = [];
  for (const { file, text } of files) {
    const doc = parseDocument(text, { uniqueKeys: true, merge: true, prettyErrors: false });
    if (doc.errors.length > 0) {
      for (const e of doc.errors) problems.push(`${file}: YAML: ${e.message.split('\n')[0] ?? 'syntax error'}`);
      continue;
    }
    const expectedId = `${options.source}.${basename(file).replace(/\.yaml$/, '')}`;
    const result = compileMappingSpec(doc.toJS({ maxAliasCount: 1000 }), file, { knownProfiles, expectedId });
    problems.push(...result.problems);
    if (result.mapping !== undefined) mappings.push(result.mapping);
  }
  const byCode = new Map<string, CompiledMapping>();
  for (const m of mappings) {
    const key = `${m.match.typeCode}|${m.match.versionCode}`;
    const other = byCode.get(key);
    if (other !== undefined) problems.push(`${m.file}: match: ${key} is already mapped by ${other.file}`);
    byCode.set(key, m);
  }
  if (problems.length > 0) throw new MappingLoadError(problems);
  const frozen = Object.freeze([...mappings]);
  return {
    mappings: frozen,
    find: (typeCode, versionCode) => byCode.get(`${typeCode.toUpperCase()}|${versionCode.toUpperCase()}`),
    family: (typeCode) => frozen.filter((m) => m.match.typeCode === typeCode.toUpperCase()),
  };
}
