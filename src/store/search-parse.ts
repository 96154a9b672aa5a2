import { FHIR_ID, GatewayError } from '../shared/index.ts';
import type { Issue, IssueCode } from '../shared/index.ts';
import { parseFhirDateRange } from '../shared/time.ts';
import type { DatePrefix, SearchCriterion, SearchQuery } from './ports.ts';
import { chainsFor, findSearchParameter, isStoredType, SEARCH_PARAMETERS } from './search-parameters.ts';
import type { SearchParamDefinition } from './search-parameters.ts';
import { parseReference } from './reference.ts';

export interface SearchLimits {
  defaultCount: number;
  maxCount: number;
}

/** Parameters about the representation, handled (or ignored) by the HTTP layer. */
const REPRESENTATION_PARAMS = new Set(['_format', '_pretty']);
const DATE_PREFIXES: readonly DatePrefix[] = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb'];
/** More ORed values than this in one parameter is refused rather than turned into a huge query. */
const MAX_VALUES_PER_PARAM = 100;
/** A parameter name is echoed in diagnostics only when it looks like one (never a CPR number or payload). */
const SAFE_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
const CURSOR = /^[A-Za-z0-9_-]{1,200}$/;

const shown = (name: string): string => (SAFE_NAME.test(name) ? `'${name}'` : 'a parameter');

/**
 * Parses a FHIR search query string into a `SearchQuery`
 * (https://hl7.org/fhir/R4/search.html). Pure. Anything Sektorbro cannot honour exactly is
 * refused with a 400 that names the parameter: an unknown or misspelt parameter must never be
 * silently ignored, because that would widen the result to everything.
 *
 * Token values: `code`, `system|code`, `|code` (no system: `system` is `''`), `system|`.
 * Repeated parameters are ANDed, comma-separated values ORed.
 */
export function parseSearch(type: string, params: readonly (readonly [string, string])[], limits: SearchLimits): SearchQuery {
  if (!isStoredType(type)) {
    throw new GatewayError('http.bad-request', 400, [
      { severity: 'error', code: 'not-supported', diagnostics: `Searching ${SAFE_NAME.test(type) ? type : 'this type'} is not supported` },
    ]);
  }
  const issues: Issue[] = [];
  const fail = (name: string, diagnostics: string, code: IssueCode = 'value'): void => {
    issues.push({ severity: 'error', code, diagnostics, ...(SAFE_NAME.test(name) ? { expression: [name] } : {}) });
  };
  const criteria: SearchCriterion[] = [];
  const seenControl = new Set<string>();
  let count = limits.defaultCount;
  let cursor: string | undefined;
  let total = true;

  for (const [rawName, value] of params) {
    if (REPRESENTATION_PARAMS.has(rawName)) continue;
    const [name, modifier] = splitOnce(rawName, ':');
    if (modifier !== undefined) {
      fail(rawName, `Modifier ':${SAFE_NAME.test(modifier) ? modifier : '…'}' on ${shown(name)} is not supported`, 'not-supported');
      continue;
    }
    if (name === '_count' || name === '_cursor' || name === '_total') {
      if (seenControl.has(name)) {
        fail(name, `${name} may be given only once`);
        continue;
      }
      seenControl.add(name);
    }
    if (value === '') {
      fail(name, `${shown(name)} has an empty value`);
      continue;
    }
    switch (name) {
      case '_count': {
        const n = /^\d{1,6}$/.test(value) ? Number(value) : NaN;
        if (!(n >= 1 && n <= limits.maxCount)) fail(name, `_count must be an integer from 1 to ${limits.maxCount}`);
        else count = n;
        continue;
      }
      case '_cursor':
        if (!CURSOR.test(value)) fail(name, '_cursor is not a cursor this server issued');
        else cursor = value;
        continue;
      case '_total':
        if (value === 'none') total = false;
        else if (value === 'accurate' || value === 'estimate') total = true;
        else fail(name, '_total must be none, estimate or accurate');
        continue;
      case '_id': {
        const ids = splitValues(value);
        if (ids.length > MAX_VALUES_PER_PARAM) fail(name, `_id has more than ${MAX_VALUES_PER_PARAM} values`, 'too-long');
        else if (ids.some((id) => !FHIR_ID.test(id))) fail(name, '_id must hold resource ids ([A-Za-z0-9-.]{1,64})');
        else criteria.push({ kind: 'id', values: ids });
        continue;
      }
      case '_lastUpdated': {
        const d = parseDateValue(value);
        if (typeof d === 'string') fail(name, `_lastUpdated ${d}`);
        else criteria.push({ kind: 'last-updated', ...d });
        continue;
      }
    }

    const dot = name.indexOf('.');
    if (dot > 0) {
      const chains = chainsFor(type);
      if (!chains.includes(name)) {
        fail(
          name,
          `Chained parameter ${shown(name)} is not supported on ${type}` +
            (chains.length > 0 ? `; supported chains: ${chains.join(', ')}` : '; it supports no chains'),
          'not-supported',
        );
        continue;
      }
      const values = parseTokens(value);
      if (typeof values === 'string') fail(name, `${name} ${values}`);
      else criteria.push({ kind: 'chained-token', param: name.slice(0, dot), target: 'Patient', targetParam: name.slice(dot + 1), values });
      continue;
    }

    const def = findSearchParameter(type, name);
    if (!def) {
      fail(name, `Unknown search parameter ${shown(name)} for ${type}; supported: ${supportedNames(type).join(', ')}`, 'not-supported');
      continue;
    }
    const criterion = parseParamValue(def, value);
    if (typeof criterion === 'string') fail(name, `${name} ${criterion}`);
    else criteria.push(criterion);
  }

  if (issues.length > 0) throw new GatewayError('http.bad-request', 400, issues);
  return { type, criteria, count, cursor, total };
}

function supportedNames(type: string): string[] {
  const own = isStoredType(type) ? SEARCH_PARAMETERS[type].map((p) => p.name) : [];
  return ['_id', '_lastUpdated', ...own, ...chainsFor(type), '_count', '_total'];
}

/** A criterion, or a phrase saying what is wrong with the value (never the value itself). */
function parseParamValue(def: SearchParamDefinition, value: string): SearchCriterion | string {
  switch (def.type) {
    case 'token': {
      const values = parseTokens(value);
      return typeof values === 'string' ? values : { kind: 'token', param: def.name, values };
    }
    case 'reference': {
      const raw = splitValues(value);
      if (raw.length > MAX_VALUES_PER_PARAM) return `has more than ${MAX_VALUES_PER_PARAM} values`;
      const values: { type?: string; id: string }[] = [];
      for (const v of raw) {
        const ref = parseReference(v) ?? (FHIR_ID.test(v) ? { type: undefined, id: v } : undefined);
        if (!ref) return 'must be a reference: Type/id, id or an absolute URL ending in Type/id';
        const targets = def.targets ?? [];
        if (ref.type !== undefined && targets.length > 0 && !targets.includes(ref.type)) {
          return `must reference ${targets.join(' or ')}`;
        }
        values.push(ref.type === undefined ? { id: ref.id } : { type: ref.type, id: ref.id });
      }
      return { kind: 'reference', param: def.name, values };
    }
    case 'date': {
      const d = parseDateValue(value);
      return typeof d === 'string' ? d : { kind: 'date', param: def.name, ...d };
    }
  }
}

function parseDateValue(value: string): { prefix: DatePrefix; low: Date; high: Date } | string {
  if (splitValues(value).length > 1) return 'does not support comma-separated values; repeat the parameter instead';
  const m = /^([a-z]{2})(?=\d)/.exec(value);
  const prefix = m?.[1];
  if (prefix !== undefined && !(DATE_PREFIXES as readonly string[]).includes(prefix)) {
    return `prefix '${prefix}' is not supported; use one of ${DATE_PREFIXES.join(', ')}`;
  }
  const range = parseFhirDateRange(prefix === undefined ? value : value.slice(2));
  if (!range) return 'must be a date (YYYY, YYYY-MM, YYYY-MM-DD) or dateTime, optionally with a prefix such as ge';
  // Years 1-9999 only: outside them the Copenhagen offset shifts into years PostgreSQL cannot compare.
  if (range.low.getUTCFullYear() < 1 || range.high.getUTCFullYear() > 9999) return 'must be within the years 0001 to 9999';
  return { prefix: (prefix as DatePrefix | undefined) ?? 'eq', low: range.low, high: range.high };
}

function parseTokens(value: string): { system?: string; code?: string }[] | string {
  const raw = splitValues(value, false);
  if (raw.length > MAX_VALUES_PER_PARAM) return `has more than ${MAX_VALUES_PER_PARAM} values`;
  const out: { system?: string; code?: string }[] = [];
  for (const v of raw) {
    const parts = splitEscaped(v, '|');
    if (parts.length > 2) return "must be a token: code, system|code, |code or system| (escape a literal '|' as '\\|')";
    const [first = '', second] = parts.map(unescapeValue);
    if (second === undefined) {
      if (first === '') return 'has an empty value';
      out.push({ code: first });
    } else if (first === '' && second === '') {
      return 'must give a system, a code or both';
    } else if (second === '') {
      out.push({ system: first });
    } else {
      out.push({ system: first, code: second });
    }
  }
  return out;
}

/** Splits on unescaped commas (FHIR search escaping: `\,` `\|` `\$` `\\`). */
function splitValues(value: string, unescape = true): string[] {
  const parts = splitEscaped(value, ',');
  return unescape ? parts.map(unescapeValue) : parts;
}

function splitEscaped(value: string, sep: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value.charAt(i);
    if (ch === '\\' && i + 1 < value.length) {
      current += ch + value.charAt(i + 1);
      i++;
    } else if (ch === sep) {
      out.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  out.push(current);
  return out;
}

const unescapeValue = (v: string): string => v.replace(/\\([,|$\\])/g, '$1');

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}
