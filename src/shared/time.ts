/**
 * Europe/Copenhagen time helpers (domain.md §1.3). All calendar maths happens in this zone, never
 * the process zone. Pure functions: the zone rules come from the runtime's ICU data via Intl.
 */
export const TIME_ZONE = 'Europe/Copenhagen';

/** A wall-clock reading without zone; month is 1-12. */
export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour?: number | undefined;
  minute?: number | undefined;
  second?: number | undefined;
  millisecond?: number | undefined;
}

/** How precise a FHIR date/dateTime/instant value is; it decides the width of its implicit range. */
export type DatePrecision = 'year' | 'month' | 'day' | 'minute' | 'second' | 'millisecond';

/** The implicit range of a FHIR date value: both ends inclusive, at millisecond resolution. */
export interface DateRange {
  low: Date;
  high: Date;
  precision: DatePrecision;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const formatter = new Intl.DateTimeFormat('en-US', {
  timeZone: TIME_ZONE,
  hourCycle: 'h23',
  era: 'short',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
});

/** Milliseconds since the epoch of a wall-clock reading taken as if it were UTC (years below 100 included). */
function wallMs(l: LocalDateTime): number {
  const d = new Date(0);
  d.setUTCFullYear(l.year, l.month - 1, l.day);
  d.setUTCHours(l.hour ?? 0, l.minute ?? 0, l.second ?? 0, l.millisecond ?? 0);
  return d.getTime();
}

/** The Copenhagen wall clock at an instant. */
export function toLocalDateTime(instant: Date): Required<LocalDateTime> {
  const parts: Record<string, string> = {};
  for (const p of formatter.formatToParts(instant)) parts[p.type] = p.value;
  const yearOfEra = Number(parts.year);
  return {
    year: parts.era === 'BC' ? 1 - yearOfEra : yearOfEra,
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    millisecond: instant.getUTCMilliseconds(),
  };
}

/** Copenhagen's UTC offset in minutes at an instant (60 in winter, 120 in summer). */
export function offsetMinutesAt(instant: Date): number {
  const local = toLocalDateTime(instant);
  return Math.round((wallMs(local) - instant.getTime()) / MINUTE_MS);
}

/**
 * The instant of a Copenhagen wall-clock reading. DST is resolved like Temporal's `compatible`
 * mode: a time inside the spring-forward gap is shifted forward by the gap (02:30 → 03:30 CEST),
 * and a time that occurs twice in autumn takes the earlier (summer-time) occurrence.
 */
export function localToInstant(local: LocalDateTime): Date {
  const wall = wallMs(local);
  const before = offsetMinutesAt(new Date(wall - DAY_MS)) * MINUTE_MS;
  const after = offsetMinutesAt(new Date(wall + DAY_MS)) * MINUTE_MS;
  const candidates = [wall - before, wall - after].filter((t) => offsetMinutesAt(new Date(t)) * MINUTE_MS === wall - t);
  if (candidates.length > 0) return new Date(Math.min(...candidates));
  return new Date(wall - before);
}

/** The Copenhagen calendar date (`YYYY-MM-DD`) of an instant, e.g. the local date of a discharge. */
export function localDateOf(instant: Date): string {
  const l = toLocalDateTime(instant);
  const pad = (n: number, w: number): string => String(n).padStart(w, '0');
  return `${pad(l.year, 4)}-${pad(l.month, 2)}-${pad(l.day, 2)}`;
}

const FHIR_DATE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

const daysInMonth = (year: number, month: number): number => new Date(wallMs({ year, month: month + 1, day: 0 })).getUTCDate();

/**
 * The implicit [low, high] range of a FHIR `date`, `dateTime` or `instant` value (or a search
 * value of those shapes, where minutes precision is also accepted), per
 * https://hl7.org/fhir/R4/search.html#date. A value without offset (a date, or a dateTime
 * without zone) is read as Copenhagen wall-clock time. Returns undefined for anything malformed
 * or calendar-invalid (e.g. 1991-02-30).
 */
export function parseFhirDateRange(value: string): DateRange | undefined {
  const m = FHIR_DATE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = mo === undefined ? 1 : Number(mo);
  const day = d === undefined ? 1 : Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const millisecond = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));

  const precision: DatePrecision =
    mo === undefined ? 'year'
    : d === undefined ? 'month'
    : h === undefined ? 'day'
    : s === undefined ? 'minute'
    : frac === undefined ? 'second'
    : 'millisecond';

  const start: LocalDateTime = { year, month, day, hour, minute, second, millisecond };
  const end = addOne(start, precision, frac?.length ?? 0);
  const toInstant = zoneConverter(zone);
  if (toInstant === undefined) return undefined;
  const low = toInstant(start);
  const high = new Date(toInstant(end).getTime() - 1);
  return { low, high: high < low ? low : high, precision };
}

/** The start of the next unit at the given precision, as wall-clock fields. */
function addOne(l: LocalDateTime, precision: DatePrecision, fractionDigits: number): LocalDateTime {
  switch (precision) {
    case 'year':
      return { year: l.year + 1, month: 1, day: 1 };
    case 'month':
      return l.month === 12 ? { year: l.year + 1, month: 1, day: 1 } : { year: l.year, month: l.month + 1, day: 1 };
    case 'day':
    case 'minute':
    case 'second':
    case 'millisecond': {
      const step =
        precision === 'day' ? DAY_MS
        : precision === 'minute' ? MINUTE_MS
        : precision === 'second' ? 1000
        : fractionDigits >= 3 ? 1
        : 10 ** (3 - fractionDigits);
      const next = new Date(wallMs(l) + step);
      return {
        year: next.getUTCFullYear(),
        month: next.getUTCMonth() + 1,
        day: next.getUTCDate(),
        hour: next.getUTCHours(),
        minute: next.getUTCMinutes(),
        second: next.getUTCSeconds(),
        millisecond: next.getUTCMilliseconds(),
      };
    }
  }
}

function zoneConverter(zone: string | undefined): ((l: LocalDateTime) => Date) | undefined {
  if (zone === undefined) return localToInstant;
  if (zone === 'Z') return (l) => new Date(wallMs(l));
  const sign = zone.startsWith('-') ? -1 : 1;
  const oh = Number(zone.slice(1, 3));
  const om = Number(zone.slice(4, 6));
  if (oh > 14 || om > 59) return undefined;
  const offsetMs = sign * (oh * 60 + om) * MINUTE_MS;
  return (l) => new Date(wallMs(l) - offsetMs);
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `2024-03-25T23:59:59.999+01:00`: the instant on the Copenhagen wall clock, with milliseconds and the offset in force then. */
export function formatCopenhagen(instant: Date): string {
  const l = toLocalDateTime(instant);
  const offset = offsetMinutesAt(instant);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${pad(l.year, 4)}-${pad(l.month)}-${pad(l.day)}T${pad(l.hour)}:${pad(l.minute)}:${pad(l.second)}.${pad(l.millisecond, 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}
