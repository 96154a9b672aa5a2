import type { InternalTypeSchema } from '@medplum/core';
import type { Issue } from '../shared/index.ts';
import { parseFhirDateRange } from '../shared/time.ts';
import { childExpression } from './expression.ts';

type DateType = 'date' | 'dateTime' | 'instant';

/** What a JSON key of a type holds, as far as finding date values goes. */
type FieldTarget = { readonly kind: 'date'; readonly type: DateType } | { readonly kind: 'complex'; readonly type: string } | { readonly kind: 'resource' };

/** Per type name: JSON key → target. Keys that can hold no date (other primitives) are absent. */
export type DateFieldIndex = ReadonlyMap<string, ReadonlyMap<string, FieldTarget>>;

const DATE_TYPES: ReadonlySet<string> = new Set<DateType>(['date', 'dateTime', 'instant']);

/**
 * Builds, from Medplum's R4 type schemas, where `date`/`dateTime`/`instant` values can sit: choice elements
 * expand to their JSON names (`effectiveDateTime`), `_x` primitive siblings are `Element`s (their extensions
 * may hold dates), and `Resource`-typed elements (`contained`, `Bundle.entry.resource`) dispatch on `resourceType`.
 */
export function buildDateFieldIndex(schemas: readonly InternalTypeSchema[]): DateFieldIndex {
  const known = new Set(schemas.map((s) => s.name));
  const index = new Map<string, ReadonlyMap<string, FieldTarget>>();
  for (const schema of schemas) {
    if (schema.kind === 'primitive-type') {
      continue;
    }
    const fields = new Map<string, FieldTarget>();
    for (const [name, element] of Object.entries(schema.elements)) {
      const isChoice = name.endsWith('[x]');
      for (const { code } of element.type) {
        const key = isChoice ? name.slice(0, -3) + code.charAt(0).toUpperCase() + code.slice(1) : name;
        if (DATE_TYPES.has(code)) {
          fields.set(key, { kind: 'date', type: code as DateType });
        } else if (code === 'Resource') {
          fields.set(key, { kind: 'resource' });
        } else if (known.has(code) && !isPrimitive(code)) {
          fields.set(key, { kind: 'complex', type: code });
        }
        if (isPrimitive(code)) {
          fields.set(`_${key}`, { kind: 'complex', type: 'Element' });
        }
      }
    }
    index.set(schema.name, fields);
  }
  return index;
}

/** FHIR primitive type names start lower-case; complex types and resources upper-case. */
function isPrimitive(code: string): boolean {
  const first = code.charAt(0);
  return first >= 'a' && first <= 'z';
}

/**
 * Finds date values that match the FHIR format but name a day that does not exist (`1991-02-30`): the JSON
 * schema's regex and Medplum both let them through. Values with a malformed format are left to the schema check.
 */
export function checkCalendarDates(index: DateFieldIndex, resource: Readonly<Record<string, unknown>>, resourceType: string): Issue[] {
  const issues: Issue[] = [];
  walkObject(index, resource, resourceType, resourceType, issues);
  return issues;
}

function walkObject(index: DateFieldIndex, obj: Readonly<Record<string, unknown>>, type: string, path: string, issues: Issue[]): void {
  const fields = index.get(type);
  if (fields === undefined) {
    return;
  }
  if (type === 'Period') {
    checkPeriodOrder(obj, path, issues);
  }
  for (const key of Object.keys(obj)) {
    const target = fields.get(key);
    if (target === undefined) {
      continue;
    }
    const value = obj[key];
    const at = childExpression(path, key);
    if (Array.isArray(value)) {
      value.forEach((item: unknown, i) => {
        visit(index, item, target, `${at}[${i}]`, issues);
      });
    } else {
      visit(index, value, target, at, issues);
    }
  }
}

function visit(index: DateFieldIndex, value: unknown, target: FieldTarget, path: string, issues: Issue[]): void {
  if (target.kind === 'date') {
    if (typeof value === 'string' && !isCalendarDate(value)) {
      issues.push({ severity: 'error', code: 'value', diagnostics: `invalid ${target.type}: the day does not exist in that month`, expression: [path] });
    }
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return;
  }
  const obj = value as Readonly<Record<string, unknown>>;
  if (target.kind === 'complex') {
    walkObject(index, obj, target.type, path, issues);
  } else if (typeof obj.resourceType === 'string') {
    walkObject(index, obj, obj.resourceType, path, issues);
  }
}

/**
 * per-1: "If present, start SHALL have a lower value than end". Compared as the ranges the values stand for
 * (`2026-03` ends with March), so only a start after every instant the end can mean is a fault.
 */
function checkPeriodOrder(period: Readonly<Record<string, unknown>>, path: string, issues: Issue[]): void {
  const { start, end } = period;
  if (typeof start !== 'string' || typeof end !== 'string') {
    return;
  }
  const from = parseFhirDateRange(start);
  const to = parseFhirDateRange(end);
  if (from !== undefined && to !== undefined && from.low.getTime() > to.high.getTime()) {
    issues.push({ severity: 'error', code: 'invariant', diagnostics: 'per-1: the period ends before it starts (start is after end)', expression: [path] });
  }
}

const YEAR_MONTH_DAY = /^(\d{4})-(\d{2})-(\d{2})/;

/** False only for a well-formed year-month-day whose day is past the end of the month. */
export function isCalendarDate(value: string): boolean {
  const match = YEAR_MONTH_DAY.exec(value);
  if (match === null) {
    return true;
  }
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1) {
    return true;
  }
  return day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
