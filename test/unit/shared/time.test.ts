import { describe, expect, it } from 'vitest';
import { localDateOf, localToInstant, offsetMinutesAt, parseFhirDateRange } from '../../../src/shared/time.ts';

const iso = (d: Date | undefined): string | undefined => d?.toISOString();

describe('Copenhagen offsets', () => {
  it('when it is winter or summer, then the offset is +60 or +120 minutes', () => {
    expect(offsetMinutesAt(new Date('2024-01-15T12:00:00Z'))).toBe(60);
    expect(offsetMinutesAt(new Date('2024-07-15T12:00:00Z'))).toBe(120);
  });

  it('when DST starts (2024-03-31 01:00Z), then the offset changes exactly at that instant', () => {
    expect(offsetMinutesAt(new Date('2024-03-31T00:59:59.999Z'))).toBe(60);
    expect(offsetMinutesAt(new Date('2024-03-31T01:00:00Z'))).toBe(120);
  });

  it('when DST ends (2024-10-27 01:00Z), then the offset changes exactly at that instant', () => {
    expect(offsetMinutesAt(new Date('2024-10-27T00:59:59.999Z'))).toBe(120);
    expect(offsetMinutesAt(new Date('2024-10-27T01:00:00Z'))).toBe(60);
  });
});

describe('localToInstant', () => {
  it('when the wall-clock time is ordinary, then it converts with the offset in force', () => {
    expect(iso(localToInstant({ year: 2024, month: 1, day: 1, hour: 10 }))).toBe('2024-01-01T09:00:00.000Z');
    expect(iso(localToInstant({ year: 2024, month: 6, day: 1, hour: 10 }))).toBe('2024-06-01T08:00:00.000Z');
  });

  it('when the time falls in the spring-forward gap (02:30 on 2024-03-31), then it is shifted forward to 03:30 CEST', () => {
    expect(iso(localToInstant({ year: 2024, month: 3, day: 31, hour: 2, minute: 30 }))).toBe('2024-03-31T01:30:00.000Z');
  });

  it('when the time occurs twice (02:30 on 2024-10-27), then the earlier (summer-time) occurrence is taken', () => {
    expect(iso(localToInstant({ year: 2024, month: 10, day: 27, hour: 2, minute: 30 }))).toBe('2024-10-27T00:30:00.000Z');
  });

  it('when midnight starts a DST day, then it is midnight local', () => {
    expect(iso(localToInstant({ year: 2024, month: 3, day: 31 }))).toBe('2024-03-30T23:00:00.000Z');
    expect(iso(localToInstant({ year: 2024, month: 10, day: 27 }))).toBe('2024-10-26T22:00:00.000Z');
  });
});

describe('localDateOf', () => {
  it('when an instant is late evening UTC on 25 December, then the local date is already 26 December', () => {
    expect(localDateOf(new Date('2024-12-25T23:30:00Z'))).toBe('2024-12-26');
  });

  it('when an instant is just before local midnight in summer, then the local date is still that day', () => {
    expect(localDateOf(new Date('2024-07-01T21:59:59Z'))).toBe('2024-07-01');
    expect(localDateOf(new Date('2024-07-01T22:00:00Z'))).toBe('2024-07-02');
  });
});

describe('parseFhirDateRange', () => {
  it.each([
    ['2024', 'year', '2023-12-31T23:00:00.000Z', '2024-12-31T22:59:59.999Z'],
    ['2024-02', 'month', '2024-01-31T23:00:00.000Z', '2024-02-29T22:59:59.999Z'],
    ['2024-03-31', 'day', '2024-03-30T23:00:00.000Z', '2024-03-31T21:59:59.999Z'],
    ['2024-10-27', 'day', '2024-10-26T22:00:00.000Z', '2024-10-27T22:59:59.999Z'],
    ['2024-01-01T10:00', 'minute', '2024-01-01T09:00:00.000Z', '2024-01-01T09:00:59.999Z'],
    ['2024-07-01T10:00:00', 'second', '2024-07-01T08:00:00.000Z', '2024-07-01T08:00:00.999Z'],
    ['2024-07-01T10:00:00Z', 'second', '2024-07-01T10:00:00.000Z', '2024-07-01T10:00:00.999Z'],
    ['2024-07-01T10:00:00-05:30', 'second', '2024-07-01T15:30:00.000Z', '2024-07-01T15:30:00.999Z'],
    ['2024-07-01T10:00:00.5Z', 'millisecond', '2024-07-01T10:00:00.500Z', '2024-07-01T10:00:00.599Z'],
    ['2025-11-14T08:50:00.0000+01:00', 'millisecond', '2025-11-14T07:50:00.000Z', '2025-11-14T07:50:00.000Z'],
  ])('when the value is %s, then the precision is %s and the range [%s, %s]', (value, precision, low, high) => {
    const r = parseFhirDateRange(value);
    expect(r?.precision).toBe(precision);
    expect(iso(r?.low)).toBe(low);
    expect(iso(r?.high)).toBe(high);
  });

  it('when the day is the 23-hour spring DST day, then its range is 23 hours long', () => {
    const r = parseFhirDateRange('2024-03-31');
    expect(r && r.high.getTime() + 1 - r.low.getTime()).toBe(23 * 3_600_000);
  });

  it('when the day is the 25-hour autumn DST day, then its range is 25 hours long', () => {
    const r = parseFhirDateRange('2024-10-27');
    expect(r && r.high.getTime() + 1 - r.low.getTime()).toBe(25 * 3_600_000);
  });

  it.each(['', '24', '2024-1-01', '1991-02-30', '2023-02-29', '2024-13-01', '2024-01-01T25:00:00Z', '2024-01-01T10', '2024-01-01T10:00:00+15:00', 'today', '2024-01-01 10:00'])(
    'when the value is %j, then it is rejected',
    (value) => {
      expect(parseFhirDateRange(value)).toBeUndefined();
    },
  );

  it('when the year is a leap year, then 29 February is accepted', () => {
    expect(parseFhirDateRange('2024-02-29')).toBeDefined();
  });
});
