/**
 * Danish working-day calendars (domain.md §1). Dates are Europe/Copenhagen local calendar dates
 * written `YYYY-MM-DD`; which local date an instant falls on is decided by src/shared/time.ts,
 * so nothing here depends on the process time zone.
 */

/** The calendars Sektorbro ships (domain.md §1.2). */
export const CALENDAR_IDS = ['dk-strict', 'dk-public'] as const;
export type CalendarId = (typeof CALENDAR_IDS)[number];

/** The calendar used when none is configured: follows forældelsesloven § 27, stk. 2. */
export const DEFAULT_CALENDAR_ID: CalendarId = 'dk-strict';

export interface Calendar {
  readonly id: CalendarId;
  /**
   * Stored with every measurement (as `id@version`) so past figures can be recomputed. Bump it
   * whenever the set of non-working days changes, for any year.
   */
  readonly version: string;
  /** Non-working days besides weekends and public holidays, as `MM-DD`. */
  readonly policyDays: readonly string[];
}

const CALENDARS: Readonly<Record<CalendarId, Calendar>> = {
  // 2024.1: Store Bededag only up to 2023 (abolished from 2024).
  'dk-strict': { id: 'dk-strict', version: '2024.1', policyDays: ['06-05', '12-24', '12-31'] },
  'dk-public': { id: 'dk-public', version: '2024.1', policyDays: [] },
};

/** The last year in which Store Bededag was a public holiday. */
const LAST_STORE_BEDEDAG_YEAR = 2023;

const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

export function getCalendar(id: CalendarId): Calendar {
  return CALENDARS[id];
}

/** A calendar id from configuration or user input, case-insensitive (domain.md writes `DK-STRICT`). */
export function parseCalendarId(text: string): CalendarId | undefined {
  const lower = text.toLowerCase();
  return CALENDAR_IDS.find((id) => id === lower);
}

/** A calendar date as a UTC-midnight Date: plain date arithmetic, no zone involved. */
function parseLocalDate(localDate: string): Date {
  const m = LOCAL_DATE.exec(localDate);
  if (m) {
    const [, y, mo, d] = m;
    const date = utcDate(Number(y), Number(mo), Number(d));
    if (formatDate(date) === localDate) return date;
  }
  throw new RangeError(`Not a calendar date (YYYY-MM-DD): "${localDate}"`);
}

function utcDate(year: number, month: number, day: number): Date {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // setUTCFullYear keeps years below 100 literal
  return date;
}

function formatDate(date: Date): string {
  const pad = (n: number, w: number): string => String(n).padStart(w, '0');
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}`;
}

/** The calendar date after `localDate`. */
export function nextLocalDate(localDate: string): string {
  return formatDate(new Date(parseLocalDate(localDate).getTime() + DAY_MS));
}

/** Easter Sunday of a Gregorian year: the anonymous Gregorian computus (Meeus/Jones/Butcher). */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return formatDate(utcDate(year, month, day));
}

/**
 * Danish public holidays (*helligdage*) of a year, sorted, as local dates (domain.md §1.1).
 * Sundays other than Påskedag and Pinsedag are not listed; they are non-working anyway.
 */
export function dkPublicHolidays(year: number): string[] {
  if (!Number.isInteger(year) || year < 1583 || year > 9999) {
    throw new RangeError(`Year out of range for the Gregorian calendar: ${String(year)}`);
  }
  const easter = parseLocalDate(easterSunday(year)).getTime();
  const fromEaster = (days: number): string => formatDate(new Date(easter + days * DAY_MS));
  const dates = [
    `${String(year)}-01-01`, // Nytårsdag
    fromEaster(-3), // Skærtorsdag
    fromEaster(-2), // Langfredag
    fromEaster(0), // Påskedag
    fromEaster(1), // 2. påskedag
    ...(year <= LAST_STORE_BEDEDAG_YEAR ? [fromEaster(26)] : []), // Store Bededag
    fromEaster(39), // Kristi Himmelfartsdag
    fromEaster(49), // Pinsedag
    fromEaster(50), // 2. pinsedag
    `${String(year)}-12-25`, // Juledag
    `${String(year)}-12-26`, // 2. juledag
  ];
  return dates.sort();
}

const holidayCache = new Map<number, ReadonlySet<string>>();

function holidaySet(year: number): ReadonlySet<string> {
  let set = holidayCache.get(year);
  if (set === undefined) {
    set = new Set(dkPublicHolidays(year));
    holidayCache.set(year, set);
  }
  return set;
}

const resolve = (calendar: Calendar | CalendarId): Calendar => (typeof calendar === 'string' ? getCalendar(calendar) : calendar);

/** Whether a local date is a working day (*hverdag*) in the calendar. */
export function isWorkingDay(localDate: string, calendar: Calendar | CalendarId): boolean {
  const date = parseLocalDate(localDate);
  const weekday = date.getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  if (holidaySet(date.getUTCFullYear()).has(localDate)) return false;
  return !resolve(calendar).policyDays.includes(localDate.slice(5));
}

/**
 * The n-th working day after `localDate` (n = 1: the first working day after it). n = 0 gives
 * `localDate` itself, working day or not, so that "end of the n-th working day" starts at the day itself.
 */
export function addWorkingDays(localDate: string, n: number, calendar: Calendar | CalendarId): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`Working days must be a non-negative integer: ${String(n)}`);
  const cal = resolve(calendar);
  let date = formatDate(parseLocalDate(localDate));
  for (let left = n; left > 0; ) {
    date = nextLocalDate(date);
    if (isWorkingDay(date, cal)) left--;
  }
  return date;
}

/**
 * How many working days lie strictly between two local dates: `from` and `to` themselves are not
 * counted. 0 when `to` is not after `from`.
 */
export function workingDaysBetween(from: string, to: string, calendar: Calendar | CalendarId): number {
  const cal = resolve(calendar);
  parseLocalDate(to);
  let count = 0;
  for (let date = nextLocalDate(from); date < to; date = nextLocalDate(date)) {
    if (isWorkingDay(date, cal)) count++;
  }
  return count;
}
