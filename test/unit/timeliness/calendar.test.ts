import Holidays from 'date-holidays';
import { describe, expect, it } from 'vitest';
import {
  CALENDAR_IDS,
  addWorkingDays,
  dkPublicHolidays,
  easterSunday,
  getCalendar,
  isWorkingDay,
  nextLocalDate,
  parseCalendarId,
  workingDaysBetween,
} from '../../../src/timeliness/index.ts';

// date-holidays is the oracle only (stack-notes §3.13): public holidays, not observances.
const oracle = new Holidays('DK', { types: ['public'] });
const oracleHolidays = (year: number): string[] =>
  oracle
    .getHolidays(year)
    .filter((h) => h.type === 'public')
    .map((h) => h.date.slice(0, 10))
    .sort();

/** Every calendar date of a year, built independently of the code under test. */
function datesOf(year: number): string[] {
  const out: string[] = [];
  for (let t = Date.UTC(year, 0, 1); new Date(t).getUTCFullYear() === year; t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}
const weekday = (localDate: string): number => new Date(`${localDate}T00:00:00Z`).getUTCDay();

describe('dkPublicHolidays', () => {
  it('when compared with date-holidays for every year 1990–2100, then the lists are equal', () => {
    const differences: string[] = [];
    for (let year = 1990; year <= 2100; year++) {
      const ours = dkPublicHolidays(year);
      const theirs = oracleHolidays(year);
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) differences.push(`${String(year)}: ${ours.join(',')} vs ${theirs.join(',')}`);
    }
    expect(differences).toEqual([]);
  });

  it('when given the Easter Sundays listed in domain.md §1.1, then the computus agrees', () => {
    const expected = ['2023-04-09', '2024-03-31', '2025-04-20', '2026-04-05', '2027-03-28', '2028-04-16'];
    expect([2023, 2024, 2025, 2026, 2027, 2028].map(easterSunday)).toEqual(expected);
  });

  it('when the year is 2023, then Store Bededag (Fri 5 May) is a holiday and there are 11; from 2024 it is gone and there are 10', () => {
    expect(dkPublicHolidays(2023)).toContain('2023-05-05');
    expect(dkPublicHolidays(2023)).toHaveLength(11);
    const e2024 = new Date(`${easterSunday(2024)}T00:00:00Z`).getTime();
    const bededag2024 = new Date(e2024 + 26 * 86_400_000).toISOString().slice(0, 10);
    expect(bededag2024).toBe('2024-04-26');
    expect(dkPublicHolidays(2024)).not.toContain(bededag2024);
    expect(dkPublicHolidays(2024)).toHaveLength(10);
    expect(dkPublicHolidays(2030)).toHaveLength(10);
  });

  it('when the year is 2028, then 2. pinsedag is 5 June (Grundlovsdag) and it is non-working in both calendars', () => {
    expect(dkPublicHolidays(2028)).toContain('2028-06-05');
    expect(isWorkingDay('2028-06-05', 'dk-public')).toBe(false);
    expect(isWorkingDay('2028-06-05', 'dk-strict')).toBe(false);
    expect(addWorkingDays('2028-06-02', 1, 'dk-public')).toBe('2028-06-06');
  });

  it('when the year is outside the Gregorian range or not an integer, then it throws', () => {
    expect(() => dkPublicHolidays(1500)).toThrow(RangeError);
    expect(() => dkPublicHolidays(2024.5)).toThrow(RangeError);
  });
});

describe('calendars', () => {
  it('when listed, then each id resolves to a calendar with that id and a version', () => {
    for (const id of CALENDAR_IDS) {
      const cal = getCalendar(id);
      expect(cal.id).toBe(id);
      expect(cal.version).toMatch(/^\d{4}\.\d+$/);
    }
    expect(parseCalendarId('DK-STRICT')).toBe('dk-strict');
    expect(parseCalendarId('dk-public')).toBe('dk-public');
    expect(parseCalendarId('dk')).toBeUndefined();
  });

  it('when dk-public is checked for 2020–2030, then working days are exactly the weekdays that date-holidays does not list', () => {
    const mismatches: string[] = [];
    for (let year = 2020; year <= 2030; year++) {
      const holidays = new Set(oracleHolidays(year));
      for (const date of datesOf(year)) {
        const expected = weekday(date) !== 0 && weekday(date) !== 6 && !holidays.has(date);
        if (isWorkingDay(date, 'dk-public') !== expected) mismatches.push(date);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('when dk-strict is checked for 2020–2030, then it differs from dk-public exactly on weekday 5 June, 24 and 31 December', () => {
    const differences: string[] = [];
    for (let year = 2020; year <= 2030; year++) {
      for (const date of datesOf(year)) {
        if (isWorkingDay(date, 'dk-strict') !== isWorkingDay(date, 'dk-public')) differences.push(date);
      }
    }
    const expected = [];
    for (let year = 2020; year <= 2030; year++) {
      for (const md of ['06-05', '12-24', '12-31']) {
        const date = `${String(year)}-${md}`;
        if (isWorkingDay(date, 'dk-public')) expected.push(date);
      }
    }
    expect(differences.sort()).toEqual(expected.sort());
    expect(differences).toContain('2024-12-24');
    expect(differences).toContain('2025-06-05');
    expect(differences).not.toContain('2028-06-05'); // already a holiday (2. pinsedag)
  });

  it('when the day is 1 May, then it is a working day in both calendars', () => {
    expect(isWorkingDay('2024-05-01', 'dk-strict')).toBe(true);
    expect(isWorkingDay('2024-05-01', 'dk-public')).toBe(true);
  });

  it('when the date is malformed or impossible, then it throws', () => {
    expect(() => isWorkingDay('2024-02-30', 'dk-strict')).toThrow(RangeError);
    expect(() => isWorkingDay('2024-2-3', 'dk-strict')).toThrow(RangeError);
    expect(() => addWorkingDays('2023-02-29', 1, 'dk-strict')).toThrow(RangeError);
    expect(isWorkingDay('2024-02-29', 'dk-strict')).toBe(true);
  });
});

/** domain.md §1.4: discharge date → +1 WD DK-PUBLIC, +1 WD DK-STRICT, +3 WD DK-STRICT. */
const WORKED_EXAMPLES: readonly (readonly [string, string, string, string])[] = [
  ['2024-03-22', '2024-03-25', '2024-03-25', '2024-03-27'],
  ['2024-03-27', '2024-04-02', '2024-04-02', '2024-04-04'],
  ['2024-12-23', '2024-12-24', '2024-12-27', '2025-01-02'],
  ['2024-12-30', '2024-12-31', '2025-01-02', '2025-01-06'],
  ['2025-06-04', '2025-06-05', '2025-06-06', '2025-06-11'],
  ['2023-05-04', '2023-05-08', '2023-05-08', '2023-05-10'],
  ['2024-04-25', '2024-04-26', '2024-04-26', '2024-04-30'],
  ['2025-05-28', '2025-05-30', '2025-05-30', '2025-06-03'],
  ['2026-12-23', '2026-12-24', '2026-12-28', '2026-12-30'],
];

describe('addWorkingDays', () => {
  it.each(WORKED_EXAMPLES)('when discharged %s, then +1 WD dk-public is %s, +1 WD dk-strict %s, +3 WD dk-strict %s', (day, pub1, strict1, strict3) => {
    expect(addWorkingDays(day, 1, 'dk-public')).toBe(pub1);
    expect(addWorkingDays(day, 1, getCalendar('dk-strict'))).toBe(strict1);
    expect(addWorkingDays(day, 3, 'dk-strict')).toBe(strict3);
  });

  it('when n is 0, then the date itself is returned even if it is not a working day', () => {
    expect(addWorkingDays('2024-03-31', 0, 'dk-strict')).toBe('2024-03-31');
    expect(addWorkingDays('2024-03-22', 0, 'dk-strict')).toBe('2024-03-22');
  });

  it('when n steps are taken, then each result is a working day and no working day is skipped', () => {
    let previous = '2024-12-20';
    for (let n = 1; n <= 11; n++) {
      const next = addWorkingDays('2024-12-20', n, 'dk-strict');
      expect(isWorkingDay(next, 'dk-strict')).toBe(true);
      expect(workingDaysBetween(previous, next, 'dk-strict')).toBe(0);
      previous = next;
    }
    // 23, 27, 30 Dec; 2, 3, 6, 7, 8, 9, 10, 13 Jan (24–26 and 31 Dec, 1 Jan are not working days).
    expect(previous).toBe('2025-01-13');
  });

  it('when n is negative or fractional, then it throws', () => {
    expect(() => addWorkingDays('2024-03-22', -1, 'dk-strict')).toThrow(RangeError);
    expect(() => addWorkingDays('2024-03-22', 1.5, 'dk-strict')).toThrow(RangeError);
  });
});

describe('workingDaysBetween and nextLocalDate', () => {
  it('when counting strictly between two dates, then the ends are excluded', () => {
    expect(workingDaysBetween('2024-03-22', '2024-03-25', 'dk-strict')).toBe(0); // Fri → Mon
    expect(workingDaysBetween('2024-03-22', '2024-03-27', 'dk-strict')).toBe(2); // Mon, Tue
    expect(workingDaysBetween('2024-03-27', '2024-04-03', 'dk-strict')).toBe(1); // Easter: only Tue 2 Apr
    expect(workingDaysBetween('2024-03-27', '2024-03-20', 'dk-strict')).toBe(0);
  });

  it('when stepping over month, year and leap-day ends, then the next date is right', () => {
    expect(nextLocalDate('2024-02-28')).toBe('2024-02-29');
    expect(nextLocalDate('2024-02-29')).toBe('2024-03-01');
    expect(nextLocalDate('2023-02-28')).toBe('2023-03-01');
    expect(nextLocalDate('2024-12-31')).toBe('2025-01-01');
    // 2024-03-31 and 2024-10-27 are DST days in Copenhagen; calendar-date steps ignore that.
    expect(nextLocalDate('2024-03-30')).toBe('2024-03-31');
    expect(nextLocalDate('2024-10-27')).toBe('2024-10-28');
  });
});
