import { parseSelector } from './selector.ts';
import type { Selector } from './selector.ts';
import { normaliseLookupKey, TRANSFORMS } from './transforms.ts';
import type { MappedValue, TransformParams } from './transforms.ts';
import type {
  ArrayItem,
  CompiledMapping,
  CompiledOutput,
  CompiledResource,
  CompiledValue,
  IdCandidate,
  IdRule,
  ObjectTemplate,
  Requirement,
  Template,
  TemplateIssue,
  TransformRef,
  ValueModifiers,
} from './mapping-spec.ts';

/** Sektorbro canonical base (docs/documents.md "Canonicals"): bare profile ids in specs resolve under it. */
export const SEKTORBRO_PROFILE_BASE = 'http://sektorbro.dk/fhir/StructureDefinition/';

export const resolveProfile = (profile: string): string => (profile.includes('://') ? profile : `${SEKTORBRO_PROFILE_BASE}${profile}`);

const VALUE_KINDS = ['const', 'from', 'concat', 'each', 'ref', 'uuid', 'fromContext'] as const;
type ValueKind = (typeof VALUE_KINDS)[number];
const MODIFIER_KEYS = ['transform', 'lookup', 'equals', 'required', 'prefix', 'suffix', 'default'] as const;
const KIND_KEYS: Readonly<Record<ValueKind, readonly string[]>> = {
  const: [],
  from: MODIFIER_KEYS,
  concat: ['separator', ...MODIFIER_KEYS],
  each: ['item', 'separator', ...MODIFIER_KEYS],
  ref: [],
  uuid: MODIFIER_KEYS,
  fromContext: MODIFIER_KEYS,
};
const CODE = /^[A-Za-z0-9_.-]{1,64}$/;
const FIELD = /^_?[A-Za-z][A-Za-z0-9_]*$/;
const RESOURCE_TYPE = /^[A-Z][A-Za-z]+$/;
const KEY = /^[a-z][A-Za-z0-9-]*$/;

type Raw = unknown;
type RawObject = Readonly<Record<string, unknown>>;

const isObject = (v: Raw): v is RawObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: Raw): v is MappedValue => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** Options the loader passes in: what the rest of the gateway can check a spec against. */
export interface SpecCheckOptions {
  /** Canonical URLs of every profile the gateway knows (our profiles/ plus vendored MedCom ones). */
  readonly knownProfiles: ReadonlySet<string>;
  /** The id the file must declare, `<source folder>.<file name>` (e.g. `medcom-oioxml.xdis18`). */
  readonly expectedId: string;
}

/**
 * Checks one parsed spec file against the spec format (mappings/README.md) and compiles it. Every problem
 * is reported as `<file>: <path>: <message>`, all at once, so a broken spec stops start-up with the full list.
 */
export function compileMappingSpec(raw: Raw, file: string, options: SpecCheckOptions): { mapping?: CompiledMapping; problems: string[] } {
  const checker = new SpecChecker(file, options);
  const mapping = checker.compile(raw);
  return checker.problems.length === 0 && mapping !== undefined ? { mapping, problems: [] } : { problems: checker.problems };
}

class SpecChecker {
  readonly problems: string[] = [];
  private readonly lookupNames = new Set<string>();
  private readonly refs: { key: string; path: string }[] = [];

  constructor(
    private readonly file: string,
    private readonly options: SpecCheckOptions,
  ) {}

  private problem(path: string, message: string): void {
    this.problems.push(`${this.file}: ${path === '' ? '(top)' : path}: ${message}`);
  }

  private allowOnly(obj: RawObject, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) this.problem(join(path, key), `unknown property (allowed: ${allowed.join(', ')})`);
    }
  }

  private string(obj: RawObject, key: string, path: string, pattern?: RegExp): string | undefined {
    const value = obj[key];
    if (typeof value !== 'string' || value === '') {
      this.problem(join(path, key), 'must be a non-empty string');
      return undefined;
    }
    if (pattern !== undefined && !pattern.test(value)) {
      this.problem(join(path, key), `must match ${String(pattern)}`);
      return undefined;
    }
    return value;
  }

  compile(raw: Raw): CompiledMapping | undefined {
    if (!isObject(raw)) {
      this.problem('', 'a mapping spec must be a YAML mapping');
      return undefined;
    }
    this.allowOnly(raw, '', ['id', 'version', 'description', 'match', 'output', 'documentKey', 'lookups', 'ignore', 'resources']);
    const id = this.string(raw, 'id', '');
    if (id !== undefined && id !== this.options.expectedId) this.problem('id', `must be '${this.options.expectedId}' (<source folder>.<file name>)`);
    const version = this.string(raw, 'version', '', /^\d+\.\d+\.\d+$/);
    if (raw.description !== undefined && typeof raw.description !== 'string') this.problem('description', 'must be a string');

    const lookups = this.compileLookups(raw.lookups);
    const match = this.compileMatch(raw.match);
    const resources = this.compileResources(raw.resources);
    const output = this.compileOutput(raw.output, resources);
    const documentKey = this.compilePair(raw.documentKey, 'documentKey');
    const ignore = this.compileIgnore(raw.ignore);

    const keys = new Set(resources.map((r) => r.key));
    for (const ref of this.refs) {
      if (!keys.has(ref.key)) this.problem(ref.path, `refers to resource '${ref.key}', which this spec does not define`);
    }
    if (id === undefined || version === undefined || match === undefined || output === undefined || documentKey === undefined) return undefined;
    return { id, version, file: this.file, match, output, documentKey, lookups, ignore, resources };
  }

  private compileLookups(raw: Raw): Map<string, Map<string, MappedValue>> {
    const tables = new Map<string, Map<string, MappedValue>>();
    if (raw === undefined) return tables;
    if (!isObject(raw)) {
      this.problem('lookups', 'must be a mapping of table name → { source code: value }');
      return tables;
    }
    for (const [name, table] of Object.entries(raw)) {
      const path = join('lookups', name);
      if (!isObject(table)) {
        this.problem(path, 'must be a mapping of source code → value');
        continue;
      }
      const compiled = new Map<string, MappedValue>();
      for (const [key, value] of Object.entries(table)) {
        const normalised = normaliseLookupKey(key);
        if (!isScalar(value)) this.problem(join(path, key), 'must be a string, number or boolean');
        else if (compiled.has(normalised)) this.problem(join(path, key), 'duplicates another key (keys compare case- and space-insensitively)');
        else compiled.set(normalised, value);
      }
      tables.set(name, compiled);
      this.lookupNames.add(name);
    }
    return tables;
  }

  private compileMatch(raw: Raw): CompiledMapping['match'] | undefined {
    if (!isObject(raw)) {
      this.problem('match', 'must be { root, typeCode, versionCode }');
      return undefined;
    }
    this.allowOnly(raw, 'match', ['root', 'typeCode', 'versionCode']);
    const root = this.string(raw, 'root', 'match', CODE);
    const typeCode = this.string(raw, 'typeCode', 'match', CODE);
    const versionCode = this.string(raw, 'versionCode', 'match', CODE);
    if (root === undefined || typeCode === undefined || versionCode === undefined) return undefined;
    return { root, typeCode: typeCode.toUpperCase(), versionCode: versionCode.toUpperCase() };
  }

  private compileProfile(raw: Raw, path: string): string | undefined {
    if (typeof raw !== 'string' || raw === '') {
      this.problem(path, 'must be a profile id (sektorbro-…) or a canonical URL');
      return undefined;
    }
    const url = resolveProfile(raw);
    if (!this.options.knownProfiles.has(url)) this.problem(path, `profile ${url} is not among the profiles the gateway knows`);
    return url;
  }

  private compileOutput(raw: Raw, resources: readonly CompiledResource[]): CompiledOutput | undefined {
    if (!isObject(raw)) {
      this.problem('output', 'must be { kind, profile, id, timestamp, identifier? }');
      return undefined;
    }
    this.allowOnly(raw, 'output', ['kind', 'profile', 'id', 'identifier', 'timestamp']);
    const kind = raw.kind;
    if (kind !== 'document' && kind !== 'message') {
      this.problem('output.kind', "must be 'document' or 'message'");
      return undefined;
    }
    const profile = this.compileProfile(raw.profile, 'output.profile');
    const id = this.compileIdRule(raw.id, 'output.id');
    const timestamp = this.compileValue(raw.timestamp, 'output.timestamp');
    const identifier = raw.identifier === undefined ? undefined : this.compilePair(raw.identifier, 'output.identifier');
    if (kind === 'document' && raw.identifier === undefined) this.problem('output.identifier', 'a document Bundle needs an identifier');
    const first = resources[0];
    const expectedFirst = kind === 'document' ? 'Composition' : 'MessageHeader';
    if (first !== undefined && first.type !== expectedFirst) this.problem('resources[0].type', `a ${kind} Bundle starts with a ${expectedFirst}`);
    if (profile === undefined || id === undefined || timestamp === undefined) return undefined;
    return { kind, profile, id, identifier, timestamp };
  }

  private compilePair(raw: Raw, path: string): { system: CompiledValue; value: CompiledValue } | undefined {
    if (!isObject(raw)) {
      this.problem(path, 'must be { system, value }');
      return undefined;
    }
    this.allowOnly(raw, path, ['system', 'value']);
    const system = this.compileValue(raw.system, join(path, 'system'));
    const value = this.compileValue(raw.value, join(path, 'value'));
    return system !== undefined && value !== undefined ? { system, value } : undefined;
  }

  private compileIgnore(raw: Raw): Selector[] {
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) {
      this.problem('ignore', 'must be a list of selectors');
      return [];
    }
    const out: Selector[] = [];
    raw.forEach((s, i) => {
      const selector = this.compileSelector(s, `ignore[${i}]`);
      if (selector?.relative === true) this.problem(`ignore[${i}]`, 'must be an absolute selector');
      else if (selector !== undefined) out.push(selector);
    });
    return out;
  }

  private compileSelector(raw: Raw, path: string): Selector | undefined {
    if (typeof raw !== 'string') {
      this.problem(path, 'must be a selector string');
      return undefined;
    }
    const parsed = parseSelector(raw);
    if (typeof parsed === 'string') {
      this.problem(path, parsed);
      return undefined;
    }
    return parsed;
  }

  private compileResources(raw: Raw): CompiledResource[] {
    if (!Array.isArray(raw) || raw.length === 0) {
      this.problem('resources', 'must be a non-empty list');
      return [];
    }
    const out: CompiledResource[] = [];
    const keys = new Set<string>();
    raw.forEach((r, i) => {
      const path = `resources[${i}]`;
      if (!isObject(r)) {
        this.problem(path, 'must be a mapping');
        return;
      }
      this.allowOnly(r, path, ['key', 'type', 'profile', 'context', 'each', 'when', 'id', 'set']);
      const key = this.string(r, 'key', path, KEY);
      if (key !== undefined && keys.has(key)) this.problem(join(path, 'key'), `duplicate resource key '${key}'`);
      if (key !== undefined) keys.add(key);
      const type = this.string(r, 'type', path, RESOURCE_TYPE);
      const profile = this.compileProfile(r.profile, join(path, 'profile'));
      if (r.context !== undefined && r.each !== undefined) this.problem(path, 'use either context or each, not both');
      const context = r.context === undefined ? undefined : this.compileSelector(r.context, join(path, 'context'));
      const each = r.each === undefined ? undefined : this.compileSelector(r.each, join(path, 'each'));
      const when = r.when === undefined ? undefined : this.compileCondition(r.when, join(path, 'when'));
      const id = this.compileIdRule(r.id ?? 'document', join(path, 'id'));
      const body = isObject(r.set) ? this.compileObject(r.set, join(path, 'set'), false) : undefined;
      if (!isObject(r.set)) this.problem(join(path, 'set'), 'must be a mapping of FHIR element → template');
      for (const owned of ['resourceType', 'id', 'meta']) {
        if (isObject(r.set) && r.set[owned] !== undefined) this.problem(join(path, `set.${owned}`), 'is set by the engine (type, deterministic id, profile)');
      }
      if (key !== undefined && type !== undefined && profile !== undefined && id !== undefined && body !== undefined) {
        out.push({ key, type, profile, context, each, when, id, body });
      }
    });
    return out;
  }

  private compileIdRule(raw: Raw, path: string): IdRule | undefined {
    if (raw === 'document' || raw === 'none') return { candidates: [], fallback: raw };
    if (!isObject(raw)) {
      this.problem(path, "must be 'document' or { first: [{ system, value, qualifier? }], fallback? }");
      return undefined;
    }
    this.allowOnly(raw, path, ['first', 'fallback']);
    const fallback = raw.fallback ?? 'document';
    if (fallback !== 'document' && fallback !== 'none') this.problem(join(path, 'fallback'), "must be 'document' or 'none'");
    if (!Array.isArray(raw.first) || raw.first.length === 0) {
      this.problem(join(path, 'first'), 'must be a non-empty list of { system, value, qualifier? }');
      return undefined;
    }
    const candidates: IdCandidate[] = [];
    raw.first.forEach((c, i) => {
      const cpath = `${join(path, 'first')}[${i}]`;
      if (!isObject(c)) {
        this.problem(cpath, 'must be { system, value, qualifier? }');
        return;
      }
      this.allowOnly(c, cpath, ['system', 'value', 'qualifier']);
      const system = this.compileValue(c.system, join(cpath, 'system'));
      const value = this.compileValue(c.value, join(cpath, 'value'));
      const qualifier = c.qualifier === undefined ? undefined : this.compileValue(c.qualifier, join(cpath, 'qualifier'));
      if (system !== undefined && value !== undefined) candidates.push({ system, value, qualifier });
    });
    return { candidates, fallback: fallback === 'none' ? 'none' : 'document' };
  }

  /** `$if`/`when` accept a selector string (present = true) or any value spec (non-empty = true). */
  private compileCondition(raw: Raw, path: string): CompiledValue | undefined {
    if (typeof raw === 'string') {
      const selector = this.compileSelector(raw, path);
      return selector === undefined ? undefined : { kind: 'from', selectors: [selector], mods: noModifiers };
    }
    return this.compileValue(raw, path);
  }

  private compileTemplate(raw: Raw, path: string, inArray: boolean): Template | undefined {
    if (Array.isArray(raw)) {
      const items: ArrayItem[] = [];
      raw.forEach((item, i) => {
        const ipath = `${path}[${i}]`;
        const template = this.compileTemplate(item, ipath, true);
        if (template === undefined) return;
        const each = isObject(item) && item.$each !== undefined ? this.compileSelector(item.$each, join(ipath, '$each')) : undefined;
        items.push({ template, each });
      });
      return { kind: 'array', items };
    }
    if (isScalar(raw) || (isObject(raw) && valueKindOf(raw) !== undefined)) {
      const value = this.compileValue(raw, path);
      return value === undefined ? undefined : { kind: 'value', value };
    }
    if (isObject(raw)) return this.compileObject(raw, path, inArray);
    this.problem(path, 'must be a value, a mapping or a list');
    return undefined;
  }

  private compileObject(raw: RawObject, path: string, inArray: boolean): ObjectTemplate | undefined {
    const fields: (readonly [string, Template])[] = [];
    let when: CompiledValue | undefined;
    let unless: CompiledValue | undefined;
    let require: string[] = [];
    let issue: TemplateIssue | undefined;
    for (const [key, value] of Object.entries(raw)) {
      const kpath = join(path, key);
      if (key.startsWith('$')) {
        switch (key) {
          case '$if':
            when = this.compileCondition(value, kpath);
            break;
          case '$ifNot':
            unless = this.compileCondition(value, kpath);
            break;
          case '$each':
            if (!inArray) this.problem(kpath, '$each is only allowed on list items');
            break;
          case '$require':
            if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && raw[v] !== undefined)) {
              this.problem(kpath, 'must list keys of this mapping');
            } else {
              require = value as string[];
            }
            break;
          case '$issue':
            issue = this.compileIssue(value, kpath);
            break;
          default:
            this.problem(kpath, 'unknown directive (allowed: $if, $ifNot, $each, $require, $issue)');
        }
        continue;
      }
      if (!FIELD.test(key)) {
        this.problem(kpath, 'is not a FHIR element name');
        continue;
      }
      const template = this.compileTemplate(value, kpath, false);
      if (template !== undefined) fields.push([key, template]);
    }
    return { kind: 'object', fields, when, unless, require, issue };
  }

  private compileIssue(raw: Raw, path: string): TemplateIssue | undefined {
    if (!isObject(raw)) {
      this.problem(path, 'must be { severity, diagnostics, expression? }');
      return undefined;
    }
    this.allowOnly(raw, path, ['severity', 'diagnostics', 'expression']);
    const severity = raw.severity;
    if (severity !== 'warning' && severity !== 'information') this.problem(join(path, 'severity'), "must be 'warning' or 'information'");
    const diagnostics = this.string(raw, 'diagnostics', path);
    if (raw.expression !== undefined && typeof raw.expression !== 'string') this.problem(join(path, 'expression'), 'must be a string');
    if ((severity !== 'warning' && severity !== 'information') || diagnostics === undefined) return undefined;
    return { severity, diagnostics, expression: typeof raw.expression === 'string' ? raw.expression : undefined };
  }

  private compileValue(raw: Raw, path: string): CompiledValue | undefined {
    if (isScalar(raw)) return { kind: 'const', value: raw };
    if (!isObject(raw)) {
      this.problem(path, 'must be a constant or a value spec ({ from | concat | each | ref | uuid | fromContext | const: … })');
      return undefined;
    }
    const kind = valueKindOf(raw);
    if (kind === undefined) {
      this.problem(path, `must have exactly one of ${VALUE_KINDS.join(', ')}`);
      return undefined;
    }
    this.allowOnly(raw, path, [kind, ...KIND_KEYS[kind]]);
    const firstInput = kind === 'from' ? 'any' : 'text';
    const mods = kind === 'const' || kind === 'ref' ? noModifiers : this.compileModifiers(raw, path, firstInput);
    switch (kind) {
      case 'const':
        if (!isScalar(raw.const)) {
          this.problem(join(path, 'const'), 'must be a string, number or boolean');
          return undefined;
        }
        return { kind, value: raw.const };
      case 'from': {
        const list = Array.isArray(raw.from) ? raw.from : [raw.from];
        if (list.length === 0) this.problem(join(path, 'from'), 'must name at least one selector');
        const selectors = list.map((s, i) => this.compileSelector(s, Array.isArray(raw.from) ? `${join(path, 'from')}[${i}]` : join(path, 'from')));
        if (selectors.some((s) => s === undefined)) return undefined;
        return { kind, selectors: selectors as Selector[], mods };
      }
      case 'concat': {
        if (!Array.isArray(raw.concat)) {
          this.problem(join(path, 'concat'), 'must be a list of values');
          return undefined;
        }
        const parts = raw.concat.map((p, i) => this.compileValue(p, `${join(path, 'concat')}[${i}]`));
        const separator = this.optionalString(raw, 'separator', path) ?? '';
        if (parts.some((p) => p === undefined)) return undefined;
        return { kind, parts: parts as CompiledValue[], separator, mods };
      }
      case 'each': {
        const selector = this.compileSelector(raw.each, join(path, 'each'));
        const item = this.compileValue(raw.item, join(path, 'item'));
        const separator = this.optionalString(raw, 'separator', path);
        if (selector === undefined || item === undefined) return undefined;
        return { kind, selector, item, separator, mods };
      }
      case 'ref':
        if (typeof raw.ref !== 'string') {
          this.problem(join(path, 'ref'), 'must be a resource key');
          return undefined;
        }
        this.refs.push({ key: raw.ref, path: join(path, 'ref') });
        return { kind, key: raw.ref };
      case 'uuid': {
        const of = this.compileValue(raw.uuid, join(path, 'uuid'));
        return of === undefined ? undefined : { kind, of, mods };
      }
      case 'fromContext':
        if (raw.fromContext !== 'receivedAt') {
          this.problem(join(path, 'fromContext'), "must be 'receivedAt'");
          return undefined;
        }
        return { kind, name: 'receivedAt', mods };
    }
  }

  private optionalString(raw: RawObject, key: string, path: string): string | undefined {
    const value = raw[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      this.problem(join(path, key), 'must be a string');
      return undefined;
    }
    return value;
  }

  private compileModifiers(raw: RawObject, path: string, firstInput: 'any' | 'text'): ValueModifiers {
    const transforms = this.compileTransforms(raw.transform, join(path, 'transform'), firstInput);
    let lookup: string | undefined;
    if (raw.lookup !== undefined) {
      if (typeof raw.lookup !== 'string' || !this.lookupNames.has(raw.lookup)) this.problem(join(path, 'lookup'), 'must name a table under lookups');
      else lookup = raw.lookup;
    }
    let required: Requirement;
    if (raw.required === true) required = 'error';
    else if (raw.required === 'warning') required = 'warning';
    else if (raw.required !== undefined && raw.required !== false) this.problem(join(path, 'required'), "must be true, false or 'warning'");
    let defaultValue: MappedValue | undefined;
    if (raw.default !== undefined) {
      if (isScalar(raw.default)) defaultValue = raw.default;
      else this.problem(join(path, 'default'), 'must be a string, number or boolean');
    }
    return {
      transforms,
      lookup,
      equals: this.optionalString(raw, 'equals', path),
      required,
      prefix: this.optionalString(raw, 'prefix', path),
      suffix: this.optionalString(raw, 'suffix', path),
      default: defaultValue,
    };
  }

  private compileTransforms(raw: Raw, path: string, firstInput: 'any' | 'text'): TransformRef[] {
    if (raw === undefined) return [];
    const list = Array.isArray(raw) ? raw : [raw];
    const out: TransformRef[] = [];
    list.forEach((entry, i) => {
      const tpath = Array.isArray(raw) ? `${path}[${i}]` : path;
      const name = typeof entry === 'string' ? entry : isObject(entry) ? entry.name : undefined;
      const rawParams = isObject(entry) ? entry.params : undefined;
      if (isObject(entry)) this.allowOnly(entry, tpath, ['name', 'params']);
      if (typeof name !== 'string') {
        this.problem(tpath, 'must be a transform name or { name, params }');
        return;
      }
      const definition = TRANSFORMS[name];
      if (definition === undefined) {
        this.problem(tpath, `unknown transform '${name}' (allowed: ${Object.keys(TRANSFORMS).join(', ')})`);
        return;
      }
      const position = out.length === 0 ? firstInput : 'text';
      if (definition.input === 'element' && position === 'text') {
        this.problem(tpath, `transform '${name}' reads XML elements, so it must come first in a chain on a 'from' value`);
      }
      const params = this.compileParams(name, definition.params ?? {}, rawParams, join(tpath, 'params'));
      out.push({ name, params, definition });
    });
    return out;
  }

  private compileParams(name: string, spec: Readonly<Record<string, { kind: string; required: boolean }>>, raw: Raw, path: string): TransformParams {
    const params: Record<string, MappedValue> = {};
    if (raw !== undefined && !isObject(raw)) {
      this.problem(path, 'must be a mapping');
      return params;
    }
    const given = raw ?? {};
    for (const key of Object.keys(given)) {
      if (spec[key] === undefined) this.problem(join(path, key), `transform '${name}' takes no parameter '${key}'`);
    }
    for (const [key, p] of Object.entries(spec)) {
      const value = given[key];
      if (value === undefined) {
        if (p.required) this.problem(join(path, key), `transform '${name}' needs this parameter`);
        continue;
      }
      if (p.kind === 'boolean' ? typeof value !== 'boolean' : typeof value !== 'string') {
        this.problem(join(path, key), `must be a ${p.kind === 'boolean' ? 'boolean' : 'string'}`);
        continue;
      }
      if (p.kind === 'lookup' && !this.lookupNames.has(value as string)) this.problem(join(path, key), 'must name a table under lookups');
      params[key] = value as MappedValue;
    }
    return params;
  }
}

const noModifiers: ValueModifiers = {
  transforms: [],
  lookup: undefined,
  equals: undefined,
  required: undefined,
  prefix: undefined,
  suffix: undefined,
  default: undefined,
};

function valueKindOf(raw: RawObject): ValueKind | undefined {
  const kinds = VALUE_KINDS.filter((k) => raw[k] !== undefined);
  return kinds.length === 1 ? kinds[0] : undefined;
}

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);
