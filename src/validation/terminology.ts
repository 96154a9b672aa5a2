import { loadError, stripVersion } from './conformance-loader.ts';
import type { Loaded } from './conformance-loader.ts';

/** The codes of an expanded ValueSet. */
export interface Expansion {
  readonly url: string;
  /** True when `system|code` is in the ValueSet; a Coding without system is never in it. */
  has(system: string | undefined, code: string): boolean;
  /** True when some system of the ValueSet has `code` (for `code`-typed elements, whose system is implied). */
  hasCode(code: string): boolean;
  /** Codes for messages: what is allowed (spec data, never payload). */
  readonly codes: readonly string[];
}

export type ExpansionResult = { readonly ok: true; readonly expansion: Expansion } | { readonly ok: false; readonly reason: string };

/** Local terminology: CodeSystems and ValueSets loaded from the profiles folder, expanded at start-up. */
export interface Terminology {
  /** Undefined when the ValueSet is not held locally. */
  expand(valueSetUrl: string): ExpansionResult | undefined;
  /** Where a held ValueSet came from (for start-up errors). */
  sourceOf(valueSetUrl: string): string | undefined;
}

type CodeSet = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * Expands, without a terminology server, the ValueSets that enumerate concepts, include whole CodeSystems held
 * locally (content `complete`), include other such ValueSets, or carry an expansion. Anything else (filters,
 * whole external code systems) is recorded as not expandable; the caller decides whether that matters (it does
 * for a required binding). A ValueSet that enumerates a code its local CodeSystem lacks stops start-up.
 */
export function buildTerminology(codeSystems: readonly Loaded<fhir4.CodeSystem>[], valueSets: readonly Loaded<fhir4.ValueSet>[]): Terminology {
  const systems = new Map<string, { codes: ReadonlySet<string>; complete: boolean }>();
  for (const { resource } of codeSystems) {
    const codes = new Set<string>();
    collectConcepts(resource.concept ?? [], codes);
    systems.set(resource.url ?? '', { codes, complete: resource.content === 'complete' });
  }
  const sets = new Map(valueSets.map((l) => [l.resource.url ?? '', l]));
  const results = new Map<string, ExpansionResult>();

  const expandSet = (url: string, stack: readonly string[]): CodeSet | string => {
    const loaded = sets.get(url);
    if (loaded === undefined) {
      return `includes ValueSet ${url}, which is not held locally`;
    }
    if (stack.includes(url)) {
      return 'includes itself';
    }
    const vs = loaded.resource;
    if (vs.compose !== undefined) {
      const composed = compose(vs.compose, [...stack, url], loaded.source);
      if (typeof composed !== 'string' || vs.expansion?.contains === undefined) {
        return composed;
      }
    }
    if (vs.expansion?.contains !== undefined) {
      const out = new Map<string, Set<string>>();
      collectContains(vs.expansion.contains, out);
      return out;
    }
    return 'has neither compose nor expansion';
  };

  const compose = (c: fhir4.ValueSetCompose, stack: readonly string[], source: string): CodeSet | string => {
    let included: CodeSet = new Map();
    for (const include of c.include) {
      const part = selection(include, stack, source);
      if (typeof part === 'string') {
        return part;
      }
      included = union(included, part);
    }
    for (const exclude of c.exclude ?? []) {
      const part = selection(exclude, stack, source);
      if (typeof part === 'string') {
        return part;
      }
      included = difference(included, part);
    }
    return included;
  };

  const selection = (include: fhir4.ValueSetComposeInclude, stack: readonly string[], source: string): CodeSet | string => {
    if ((include.filter ?? []).length > 0) {
      return 'uses a filter, which needs a terminology server';
    }
    let result: CodeSet | undefined;
    if (include.system !== undefined) {
      const system = include.system;
      const local = systems.get(system);
      if (include.concept !== undefined) {
        const codes = include.concept.map((c) => c.code);
        const unknown = local === undefined ? undefined : codes.find((code) => !local.codes.has(code));
        if (unknown !== undefined) {
          throw loadError(source, `enumerates a code that CodeSystem ${system} does not define`);
        }
        result = new Map([[system, new Set(codes)]]);
      } else if (local?.complete === true) {
        result = new Map([[system, local.codes]]);
      } else {
        return local === undefined
          ? `includes all of ${system}, which is not a CodeSystem held locally`
          : `includes all of ${system}, whose content is not complete`;
      }
    }
    for (const vsUrl of include.valueSet ?? []) {
      const other = expandSet(stripVersion(vsUrl), stack);
      if (typeof other === 'string') {
        return other;
      }
      result = result === undefined ? other : intersection(result, other);
    }
    return result ?? 'has an include with neither system nor valueSet';
  };

  for (const url of sets.keys()) {
    const expanded = expandSet(url, []);
    results.set(url, typeof expanded === 'string' ? { ok: false, reason: expanded } : { ok: true, expansion: toExpansion(url, expanded) });
  }
  return {
    expand: (url) => results.get(stripVersion(url)),
    sourceOf: (url) => sets.get(stripVersion(url))?.source,
  };
}

function collectConcepts(concepts: readonly fhir4.CodeSystemConcept[], into: Set<string>): void {
  for (const concept of concepts) {
    into.add(concept.code);
    collectConcepts(concept.concept ?? [], into);
  }
}

function collectContains(contains: readonly fhir4.ValueSetExpansionContains[], into: Map<string, Set<string>>): void {
  for (const c of contains) {
    if (c.system !== undefined && c.code !== undefined && c.abstract !== true) {
      let codes = into.get(c.system);
      if (codes === undefined) {
        codes = new Set();
        into.set(c.system, codes);
      }
      codes.add(c.code);
    }
    collectContains(c.contains ?? [], into);
  }
}

function union(a: CodeSet, b: CodeSet): CodeSet {
  const out = new Map<string, Set<string>>([...a].map(([s, codes]) => [s, new Set(codes)]));
  for (const [system, codes] of b) {
    const target = out.get(system) ?? new Set<string>();
    codes.forEach((c) => target.add(c));
    out.set(system, target);
  }
  return out;
}

function intersection(a: CodeSet, b: CodeSet): CodeSet {
  const out = new Map<string, Set<string>>();
  for (const [system, codes] of a) {
    const other = b.get(system);
    if (other !== undefined) {
      out.set(system, new Set([...codes].filter((c) => other.has(c))));
    }
  }
  return out;
}

function difference(a: CodeSet, b: CodeSet): CodeSet {
  return new Map([...a].map(([system, codes]) => [system, new Set([...codes].filter((c) => b.get(system)?.has(c) !== true))]));
}

function toExpansion(url: string, set: CodeSet): Expansion {
  const allCodes = new Set<string>();
  for (const codes of set.values()) {
    codes.forEach((c) => allCodes.add(c));
  }
  return {
    url,
    has: (system, code) => system !== undefined && set.get(system)?.has(code) === true,
    hasCode: (code) => allCodes.has(code),
    codes: [...allCodes],
  };
}
