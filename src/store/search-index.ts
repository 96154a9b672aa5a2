import type { AnyResource } from '../shared/index.ts';
import { parseFhirDateRange } from '../shared/time.ts';
import { parseReference } from './reference.ts';
import { isStoredType, SEARCH_PARAMETERS } from './search-parameters.ts';
import type { SearchParamDefinition } from './search-parameters.ts';

/** One `search_index` row, minus the resource's type and id. Date ends are ISO strings or ±infinity. */
export interface IndexRow {
  param: string;
  system: string | null;
  code: string | null;
  ref_type: string | null;
  ref_id: string | null;
  date_low: string | null;
  date_high: string | null;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/**
 * The index rows for a resource, from the registry's element paths. Values that do not parse
 * (validation is upstream) are skipped rather than failing the write.
 */
export function extractIndexRows(resource: AnyResource): IndexRow[] {
  if (!isStoredType(resource.resourceType)) return [];
  const rows = new Map<string, IndexRow>();
  for (const def of SEARCH_PARAMETERS[resource.resourceType]) {
    for (const path of def.paths) {
      for (const value of collect(resource, path.split('.'))) {
        for (const row of rowsFor(def, value)) rows.set(JSON.stringify(row), row);
      }
    }
  }
  return [...rows.values()];
}

/** Values at a dotted path, arrays flattened; a trailing `name[x]` collects every `nameXxx` choice. */
function collect(node: unknown, segments: readonly string[]): unknown[] {
  const [head, ...rest] = segments;
  if (head === undefined) return Array.isArray(node) ? node : [node];
  if (Array.isArray(node)) return node.flatMap((n) => collect(n, segments));
  if (!isRecord(node)) return [];
  if (head.endsWith('[x]')) {
    const stem = head.slice(0, -3);
    return Object.keys(node)
      .filter((k) => k.startsWith(stem) && /^[A-Z]/.test(k.slice(stem.length)))
      .flatMap((k) => collect(node[k], rest));
  }
  return head in node ? collect(node[head], rest) : [];
}

const empty = { system: null, code: null, ref_type: null, ref_id: null, date_low: null, date_high: null };

function rowsFor(def: SearchParamDefinition, value: unknown): IndexRow[] {
  switch (def.type) {
    case 'token':
      return tokens(value).map((t) => ({ ...empty, param: def.name, ...t }));
    case 'reference': {
      if (!isRecord(value)) return [];
      const raw = str(value.reference);
      const ref = raw === null ? undefined : parseReference(raw);
      if (!ref) return [];
      if (def.onlyTarget !== undefined && (ref.type ?? str(value.type)) !== def.onlyTarget) return [];
      return [{ ...empty, param: def.name, ref_type: ref.type ?? null, ref_id: ref.id }];
    }
    case 'date': {
      const range = dateRange(value);
      return range ? [{ ...empty, param: def.name, date_low: range[0], date_high: range[1] }] : [];
    }
  }
}

/** Identifier (system, value), CodeableConcept (each coding), Coding, or a code primitive. */
function tokens(value: unknown): { system: string | null; code: string | null }[] {
  if (typeof value === 'string') return value === '' ? [] : [{ system: null, code: value }];
  if (!isRecord(value)) return [];
  if (Array.isArray(value.coding)) return value.coding.flatMap(tokens);
  const system = str(value.system);
  const code = str(value.value) ?? str(value.code);
  return system === null && code === null ? [] : [{ system, code }];
}

function dateRange(value: unknown): [string, string] | undefined {
  if (typeof value === 'string') {
    const r = parseFhirDateRange(value);
    return r ? [r.low.toISOString(), r.high.toISOString()] : undefined;
  }
  if (!isRecord(value)) return undefined;
  const start = typeof value.start === 'string' ? parseFhirDateRange(value.start) : undefined;
  const end = typeof value.end === 'string' ? parseFhirDateRange(value.end) : undefined;
  if (!start && !end) return undefined;
  return [start ? start.low.toISOString() : '-infinity', end ? end.high.toISOString() : 'infinity'];
}
