/**
 * A deterministic JSON mutator for the robustness runs (issue #9): one seed gives one sequence of
 * mutations, so a failing case is replayed from its seed and index alone. Mutations are structural
 * (a node deleted, retyped, swapped, a code or reference broken, ...) or, for a few cases, byte-level
 * on the serialised text (truncated, a bit flipped). Nothing here knows HTTP or the store.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** A seeded pseudo-random source (mulberry32: small, fast, and the same on every platform). */
export interface Rng {
  /** In [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    next,
    int,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(items.length)] as T;
    },
    chance: (p) => next() < p,
  };
}

/** The seed of case `index` in a run seeded `seed`: each case stands alone, so one can be replayed without the others. */
export function caseSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** What one mutation did, and where (a JSON path such as `entry[2].resource.birthDate`). */
export interface Mutation {
  kind: string;
  path: string;
}

type Path = (string | number)[];
interface Node {
  path: Path;
  value: Json;
  depth: number;
}

export const pathText = (path: Path): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${String(p)}]` : i === 0 ? p : `.${p}`)).join('') || '(root)';

const isObject = (v: Json): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function nodes(root: Json): Node[] {
  const out: Node[] = [];
  const walk = (value: Json, path: Path, depth: number): void => {
    out.push({ path, value, depth });
    if (Array.isArray(value)) value.forEach((v, i) => { walk(v, [...path, i], depth + 1); });
    else if (isObject(value)) for (const [k, v] of Object.entries(value)) walk(v, [...path, k], depth + 1);
  };
  walk(root, [], 0);
  return out;
}

function parentOf(root: Json, path: Path): Json {
  let cur = root;
  for (const p of path.slice(0, -1)) {
    if (Array.isArray(cur) && typeof p === 'number') cur = cur[p] ?? null;
    else if (isObject(cur) && typeof p === 'string') cur = cur[p] ?? null;
    else return null;
  }
  return cur;
}

function setAt(root: Json, path: Path, value: Json): Json {
  if (path.length === 0) return value;
  const parent = parentOf(root, path);
  const last = path[path.length - 1];
  if (Array.isArray(parent) && typeof last === 'number') parent[last] = value;
  else if (isObject(parent) && typeof last === 'string') parent[last] = value;
  return root;
}

function deleteAt(root: Json, path: Path): void {
  const parent = parentOf(root, path);
  const last = path[path.length - 1];
  if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
  else if (isObject(parent) && typeof last === 'string') Reflect.deleteProperty(parent, last);
}

const HEX = '0123456789abcdef';
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:|/';
const randomString = (rng: Rng, alphabet: string, length: number): string =>
  Array.from({ length }, () => alphabet.charAt(rng.int(alphabet.length))).join('');

/** Strings a parser, validator or database column may choke on. */
const ODDITIES: readonly string[] = [
  '',
  ' ',
  '\u0000',
  '\ud800', // a lone surrogate: JSON.stringify writes it as an escape, JSON.parse gives it back
  '\udfff\ud800',
  '\u200b\u200d\ufeff',
  '\u202eevil\u202c',
  'e\u0301\u0301\u0301\u0301',
  '😀🏳️‍🌈',
  'Ærø Østerbro Åbenrå',
  '\r\n\t',
  '<div xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></div>',
  "'; DROP TABLE resources; --",
  '%00%ff',
  '${jndi:ldap://x}',
  '\\',
  '"',
  'ﬀ\u1e9e',
];

const BUNDLE_TYPES: readonly string[] = ['document', 'message', 'transaction', 'transaction-response', 'batch', 'batch-response', 'history', 'searchset', 'collection', 'Document', ''];
const RESOURCE_TYPES: readonly string[] = ['Patient', 'Bundle', 'Composition', 'MessageHeader', 'OperationOutcome', 'Basic', 'NotAType', 'patient', ''];

const cprShaped = (rng: Rng): string => {
  const digits = randomString(rng, '0123456789', 10);
  return rng.pick([digits, `${digits.slice(0, 6)}-${digits.slice(6)}`, digits.slice(0, 9), `${digits}0`, '0000000000', '3113999999']);
};

const dateOddity = (rng: Rng, original: string): string => {
  const cut = original.slice(0, Math.max(0, rng.int(original.length)));
  return rng.pick([cut, '2026-02-30', '2026-13-01', '0000-01-01', '9999-12-31T23:59:59+14:00', '10000-01-01', '2026-11-27T25:61:00+01:00',
    '2026-11-27T14:05:00', '2026-11-27T14:05:00.123456789+01:00', '2026-11-27 14:05', '-2026-11-27', 'today']);
};

const referenceOddity = (rng: Rng): string =>
  rng.pick(['', '#', 'Patient/', 'Patient/does-not-exist', `urn:uuid:${randomString(rng, HEX, 8)}-0000-4000-8000-000000000000`, 'urn:uuid:not-a-uuid',
    'http://evil.example/fhir/Patient/1', '../../etc/passwd', 'Organization/1/_history/x', `Encounter?identifier=${randomString(rng, ALNUM, 6)}`]);

/** A random JSON value of another type than `old`, within `depthLeft` levels of nesting. */
function otherValue(rng: Rng, old: Json, depthLeft: number): Json {
  const options: (() => Json)[] = [
    () => randomString(rng, ALNUM, 1 + rng.int(20)),
    () => rng.pick([0, -1, 1.5, 1e308, -1e-308, 2 ** 53 + 1, 1.2345678901234567e19]),
    () => rng.chance(0.5),
    () => null,
    () => ({}),
    () => [],
    () => ({ [randomString(rng, ALNUM, 4)]: randomString(rng, ALNUM, 4) }),
    () => [old, old],
    // Big but well under the body limit: tests the columns and the validator, not the limit.
    () => 'x'.repeat(10_000 + rng.int(200_000)),
    () => {
      let v: Json = 'deep';
      for (let i = 0; i < Math.max(1, rng.int(Math.max(1, depthLeft))); i++) v = rng.chance(0.5) ? [v] : { a: v };
      return v;
    },
  ];
  return rng.pick(options)();
}

/** A non-root node, preferring those that satisfy `want` when there are any. */
function pickNode(rng: Rng, all: readonly Node[], want: (n: Node) => boolean): Node | undefined {
  const matching = all.filter((n) => n.path.length > 0 && want(n));
  return matching.length > 0 ? rng.pick(matching) : undefined;
}

const lastKey = (n: Node): string | number | undefined => n.path[n.path.length - 1];
const DATE_LIKE = /^\d{4}(-\d{2}(-\d{2}(T.*)?)?)?$/;

type Mutator = (root: Json, rng: Rng, all: readonly Node[], maxDepth: number) => { root: Json; mutation: Mutation } | undefined;

const MUTATORS: readonly Mutator[] = [
  function deleteNode(root, rng, all) {
    const n = pickNode(rng, all, () => true);
    if (!n) return undefined;
    deleteAt(root, n.path);
    return { root, mutation: { kind: 'delete', path: pathText(n.path) } };
  },
  function duplicateArrayElement(root, rng, all) {
    const n = pickNode(rng, all, (x) => Array.isArray(x.value) && x.value.length > 0);
    if (!n || !Array.isArray(n.value)) return undefined;
    const i = rng.int(n.value.length);
    n.value.splice(i, 0, structuredClone(n.value[i] ?? null));
    return { root, mutation: { kind: 'duplicate-element', path: pathText([...n.path, i]) } };
  },
  function retype(root, rng, all, maxDepth) {
    const n = pickNode(rng, all, () => true);
    if (!n) return undefined;
    return { root: setAt(root, n.path, otherValue(rng, n.value, maxDepth - n.depth - 2)), mutation: { kind: 'retype', path: pathText(n.path) } };
  },
  function randomCode(root, rng, all) {
    const n = pickNode(rng, all, (x) => typeof x.value === 'string' && ['code', 'system', 'url', 'profile', 'version', 'use', 'status'].includes(String(lastKey(x))));
    if (!n) return undefined;
    return { root: setAt(root, n.path, randomString(rng, ALNUM, rng.int(30))), mutation: { kind: 'random-code', path: pathText(n.path) } };
  },
  function swapSiblings(root, rng, all) {
    const n = pickNode(rng, all, (x) => (Array.isArray(x.value) ? x.value.length : isObject(x.value) ? Object.keys(x.value).length : 0) >= 2);
    if (!n) return undefined;
    if (Array.isArray(n.value)) {
      const [i, j] = [rng.int(n.value.length), rng.int(n.value.length)];
      const a = n.value[i] ?? null;
      n.value[i] = n.value[j] ?? null;
      n.value[j] = a;
      return { root, mutation: { kind: 'swap', path: `${pathText(n.path)}[${String(i)}<->${String(j)}]` } };
    }
    if (!isObject(n.value)) return undefined;
    const keys = Object.keys(n.value);
    const [ka, kb] = [rng.pick(keys), rng.pick(keys)];
    const a = n.value[ka] ?? null;
    n.value[ka] = n.value[kb] ?? null;
    n.value[kb] = a;
    return { root, mutation: { kind: 'swap', path: `${pathText(n.path)}.{${ka}<->${kb}}` } };
  },
  function breakDate(root, rng, all) {
    const n = pickNode(rng, all, (x) => typeof x.value === 'string' && DATE_LIKE.test(x.value));
    if (!n || typeof n.value !== 'string') return undefined;
    return { root: setAt(root, n.path, dateOddity(rng, n.value)), mutation: { kind: 'date', path: pathText(n.path) } };
  },
  function cpr(root, rng, all) {
    const n = pickNode(rng, all, (x) => typeof x.value === 'string' && (lastKey(x) === 'value' || rng.chance(0.1)));
    if (!n) return undefined;
    return { root: setAt(root, n.path, cprShaped(rng)), mutation: { kind: 'cpr', path: pathText(n.path) } };
  },
  function unicode(root, rng, all) {
    const n = pickNode(rng, all, (x) => typeof x.value === 'string');
    if (!n || typeof n.value !== 'string') return undefined;
    const odd = rng.pick(ODDITIES);
    const value = rng.chance(0.5) ? odd : `${n.value.slice(0, rng.int(n.value.length + 1))}${odd}${n.value.slice(rng.int(n.value.length + 1))}`;
    return { root: setAt(root, n.path, value), mutation: { kind: 'unicode', path: pathText(n.path) } };
  },
  function resourceType(root, rng, all) {
    const n = pickNode(rng, all, (x) => lastKey(x) === 'resourceType');
    if (!n && !(isObject(root) && 'resourceType' in root)) return undefined;
    const path = n && rng.chance(0.7) ? n.path : ['resourceType'];
    if (rng.chance(0.5)) deleteAt(root, path);
    else setAt(root, path, rng.pick(RESOURCE_TYPES));
    return { root, mutation: { kind: 'resourceType', path: pathText(path) } };
  },
  function bundleType(root, rng) {
    if (!isObject(root)) return undefined;
    root.type = rng.pick(BUNDLE_TYPES);
    return { root, mutation: { kind: 'bundle-type', path: 'type' } };
  },
  function breakReference(root, rng, all) {
    const n = pickNode(rng, all, (x) => typeof x.value === 'string' && ['reference', 'fullUrl', 'endpoint', 'identifier'].includes(String(lastKey(x))));
    if (!n) return undefined;
    return { root: setAt(root, n.path, referenceOddity(rng)), mutation: { kind: 'reference', path: pathText(n.path) } };
  },
  function unknownProperty(root, rng, all) {
    const n = pickNode(rng, all, (x) => isObject(x.value)) ?? { path: [], value: root, depth: 0 };
    if (!isObject(n.value)) return undefined;
    const key = rng.pick(['_foo', 'extension', 'modifierExtension', 'id', 'meta', '__proto__', 'constructor', randomString(rng, ALNUM, 6)]);
    // A literal `__proto__` key must become an own property, as JSON.parse would make it.
    Object.defineProperty(n.value, key, { value: otherValue(rng, null, 4), enumerable: true, writable: true, configurable: true });
    return { root, mutation: { kind: 'add-property', path: pathText([...n.path, key]) } };
  },
];

export interface MutateOptions {
  /** How many mutations to stack (default 1 to 3). */
  count?: number;
  /** Nesting the receiver allows; deep values are kept within it (default 100). */
  maxDepth?: number;
}

/** Applies one to three random structural mutations to a copy of `input`. */
export function mutateJson(input: Json, rng: Rng, opts: MutateOptions = {}): { value: Json; mutations: Mutation[] } {
  let root: Json = structuredClone(input);
  const mutations: Mutation[] = [];
  const count = opts.count ?? 1 + rng.int(3);
  for (let attempt = 0; mutations.length < count && attempt < count * 10; attempt++) {
    const done = rng.pick(MUTATORS)(root, rng, nodes(root), opts.maxDepth ?? 100);
    if (done) {
      root = done.root;
      mutations.push(done.mutation);
    }
  }
  return { value: root, mutations };
}

/** A byte-level mutation of serialised JSON: truncated, a bit flipped, a byte inserted or dropped, a BOM. */
export function mutateBytes(text: string, rng: Rng): { bytes: Buffer; mutation: Mutation } {
  const bytes = Buffer.from(text, 'utf8');
  const at = rng.int(Math.max(1, bytes.length));
  switch (rng.int(5)) {
    case 0:
      return { bytes: bytes.subarray(0, at), mutation: { kind: 'bytes-truncate', path: `@${String(at)}` } };
    case 1: {
      const copy = Buffer.from(bytes);
      const bit = rng.int(8);
      copy[at] = (copy[at] ?? 0) ^ (1 << bit);
      return { bytes: copy, mutation: { kind: 'bytes-flip', path: `@${String(at)}.bit${String(bit)}` } };
    }
    case 2: {
      const b = rng.int(256);
      return { bytes: Buffer.concat([bytes.subarray(0, at), Buffer.from([b]), bytes.subarray(at)]), mutation: { kind: 'bytes-insert', path: `@${String(at)}=0x${b.toString(16)}` } };
    }
    case 3:
      return { bytes: Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]), mutation: { kind: 'bytes-drop', path: `@${String(at)}` } };
    default:
      return { bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]), mutation: { kind: 'bytes-bom', path: '@0' } };
  }
}

export interface FuzzCase {
  /** The request body. */
  body: Buffer;
  mutations: Mutation[];
}

/**
 * Case `index` of a run seeded `seed`: mostly structural mutations of `input`, and for about
 * `byteRatio` of the cases a byte-level mutation of the serialised result as well.
 */
export function fuzzCase(input: Json, seed: number, index: number, opts: MutateOptions & { byteRatio?: number } = {}): FuzzCase {
  const rng = createRng(caseSeed(seed, index));
  const { value, mutations } = mutateJson(input, rng, opts);
  const text = JSON.stringify(value);
  if (!rng.chance(opts.byteRatio ?? 0.1)) return { body: Buffer.from(text, 'utf8'), mutations };
  const { bytes, mutation } = mutateBytes(text, rng);
  return { body: bytes, mutations: [...mutations, mutation] };
}
