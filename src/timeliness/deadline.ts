/**
 * The epikrise deadline rule and its measurement (domain.md §2.2). Every rule and calendar carries
 * an id and a version that are stored with each measurement, so KPIs can be recomputed later.
 */
import { formatCopenhagen, localDateOf, localToInstant, parseFhirDateRange, toLocalDateTime } from '../shared/time.ts';
import { DEFAULT_CALENDAR_ID, addWorkingDays, getCalendar, nextLocalDate, workingDaysBetween } from './calendar.ts';
import type { Calendar, CalendarId } from './calendar.ts';

/**
 * A configured deadline rule, as data so it can be stored and compared.
 * - `next-working-day`: end of the first working day after the local discharge day (the default).
 * - `rh-2015`: Region Hovedstaden's sundhedsaftale 2015 (domain.md §2.2): discharged before 12:00
 *   local → end of that day; otherwise end of the next calendar day. The agreement counts calendar
 *   days, so the calendar does not enter this rule.
 * - `working-days:N`: end of the N-th working day after the local discharge day (N = 3: legacy norm).
 */
export type DeadlineRule =
  | { readonly kind: 'next-working-day'; readonly id: 'next-working-day'; readonly version: string }
  | { readonly kind: 'rh-2015'; readonly id: 'rh-2015'; readonly version: string }
  | { readonly kind: 'working-days'; readonly id: `working-days:${number}`; readonly version: string; readonly days: number };

/** Bump when a rule's computation changes; old measurements keep the version they were made with. */
const RULE_VERSION = '2024.1';
const MAX_WORKING_DAYS = 30;
/** rh-2015: discharges strictly before this local hour count as "before 12:00". */
const RH_2015_CUTOFF_HOUR = 12;

export const DEFAULT_DEADLINE_RULE: DeadlineRule = { kind: 'next-working-day', id: 'next-working-day', version: RULE_VERSION };

export const DEADLINE_RULE_SPECS = `next-working-day, rh-2015 or working-days:N (N from 1 to ${String(MAX_WORKING_DAYS)})`;

/** Parses a rule spec (`next-working-day`, `rh-2015`, `working-days:3`); throws a RangeError naming the accepted forms. */
export function parseDeadlineRule(spec: string): DeadlineRule {
  if (spec === 'next-working-day') return DEFAULT_DEADLINE_RULE;
  if (spec === 'rh-2015') return { kind: 'rh-2015', id: 'rh-2015', version: RULE_VERSION };
  const m = /^working-days:([1-9]\d*)$/.exec(spec);
  const days = m?.[1] === undefined ? undefined : Number(m[1]);
  if (days !== undefined && days <= MAX_WORKING_DAYS) {
    return { kind: 'working-days', id: `working-days:${days}`, version: RULE_VERSION, days };
  }
  throw new RangeError(`Unknown deadline rule "${spec}": expected ${DEADLINE_RULE_SPECS}`);
}

/** The stored form of a rule or calendar reference, e.g. `working-days:3@2024.1`. */
export const versionedRef = (ref: { readonly id: string; readonly version: string }): string => `${ref.id}@${ref.version}`;

export interface DeadlineInput {
  readonly dischargedAt: Date;
  readonly sentAt?: Date | undefined;
  readonly calendar?: CalendarId | undefined;
  readonly rule?: DeadlineRule | undefined;
}

export interface Deadline {
  readonly dueBy: Date;
  /** sentAt <= dueBy; null when not sent. */
  readonly onTime: boolean | null;
  /** Smallest n >= 0 with sentAt <= end of the n-th working day after the discharge day; null when not sent. */
  readonly workingDaysElapsed: number | null;
  /** The legacy 3-working-day norm, reported beside whatever rule is configured; null when not sent. */
  readonly withinThreeWorkingDays: boolean | null;
  readonly calendar: { readonly id: CalendarId; readonly version: string };
  readonly rule: { readonly id: string; readonly version: string };
}

/** 23:59:59.999 Copenhagen time on a local date, with the offset in force that day (DST days have 23/25 hours). */
export function endOfLocalDay(localDate: string): Date {
  const [year, month, day] = localDate.split('-').map(Number);
  if (year === undefined || month === undefined || day === undefined) throw new RangeError(`Not a calendar date: "${localDate}"`);
  return localToInstant({ year, month, day, hour: 23, minute: 59, second: 59, millisecond: 999 });
}

function dueDate(rule: DeadlineRule, dischargedAt: Date, calendar: Calendar): string {
  const dischargeDay = localDateOf(dischargedAt);
  switch (rule.kind) {
    case 'next-working-day':
      return addWorkingDays(dischargeDay, 1, calendar);
    case 'working-days':
      return addWorkingDays(dischargeDay, rule.days, calendar);
    case 'rh-2015':
      return toLocalDateTime(dischargedAt).hour < RH_2015_CUTOFF_HOUR ? dischargeDay : nextLocalDate(dischargeDay);
  }
}

/**
 * Working days elapsed from the discharge day to the sending. Local days are contiguous, so
 * "sentAt <= end of day d" is "local date of sentAt <= d": the answer is 0 if sent on or before the
 * discharge day, else one more than the working days strictly between the two local dates.
 */
function workingDaysElapsed(dischargedAt: Date, sentAt: Date, calendar: Calendar): number {
  const dischargeDay = localDateOf(dischargedAt);
  const sentDay = localDateOf(sentAt);
  return sentDay <= dischargeDay ? 0 : workingDaysBetween(dischargeDay, sentDay, calendar) + 1;
}

const assertValid = (date: Date, name: string): void => {
  if (Number.isNaN(date.getTime())) throw new RangeError(`${name} is not a valid instant`);
};

/** The deadline for one discharge and, when sent, how the sending measured against it. */
export function computeDeadline(input: DeadlineInput): Deadline {
  const { dischargedAt, sentAt } = input;
  assertValid(dischargedAt, 'dischargedAt');
  if (sentAt !== undefined) assertValid(sentAt, 'sentAt');
  const calendar = getCalendar(input.calendar ?? DEFAULT_CALENDAR_ID);
  const rule = input.rule ?? DEFAULT_DEADLINE_RULE;
  const dueBy = endOfLocalDay(dueDate(rule, dischargedAt, calendar));
  const elapsed = sentAt === undefined ? null : workingDaysElapsed(dischargedAt, sentAt, calendar);
  return {
    dueBy,
    onTime: sentAt === undefined ? null : sentAt.getTime() <= dueBy.getTime(),
    workingDaysElapsed: elapsed,
    withinThreeWorkingDays: elapsed === null ? null : elapsed <= 3,
    calendar: { id: calendar.id, version: calendar.version },
    rule: { id: rule.id, version: rule.version },
  };
}

export { formatCopenhagen };

/** Date-time with seconds (and optional fraction) or minutes, then an optional `Z`/`±hh:mm`; or a bare date. */
const INSTANT_INPUT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * An instant from ISO 8601 text: a date-time with `Z` or `±hh:mm`; a date-time without offset is
 * Copenhagen wall-clock time (as in the gateway's FHIR date search); a bare `YYYY-MM-DD` is the start
 * of that local day. Undefined for anything else, including impossible dates such as 2024-02-30.
 */
export function parseInstant(text: string): Date | undefined {
  if (!INSTANT_INPUT.test(text)) return undefined;
  // The shared FHIR date parser applies the same conventions; its range start is the instant meant.
  return parseFhirDateRange(text)?.low;
}
