import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DEADLINE_RULE,
  addWorkingDays,
  computeDeadline,
  endOfLocalDay,
  formatCopenhagen,
  parseDeadlineRule,
  parseInstant,
} from '../../../src/timeliness/index.ts';
import type { CalendarId, DeadlineRule } from '../../../src/timeliness/index.ts';

const at = (iso: string): Date => new Date(iso);
const rule = (spec: string): DeadlineRule => parseDeadlineRule(spec);
const due = (dischargedAt: string, calendar?: CalendarId, spec?: string): string =>
  formatCopenhagen(computeDeadline({ dischargedAt: at(dischargedAt), calendar, rule: spec === undefined ? undefined : rule(spec) }).dueBy);
const elapsed = (dischargedAt: string, sentAt: string, calendar?: CalendarId): number | null =>
  computeDeadline({ dischargedAt: at(dischargedAt), sentAt: at(sentAt), calendar }).workingDaysElapsed;

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

/** Copenhagen's offset on a date in 2023–2026 from the EU rule (last Sundays of March and October), not from Intl. */
function expectedOffset(localDate: string): string {
  const year = Number(localDate.slice(0, 4));
  const lastSunday = (month: number): string => {
    const last = new Date(Date.UTC(year, month, 0));
    last.setUTCDate(last.getUTCDate() - last.getUTCDay());
    return last.toISOString().slice(0, 10);
  };
  return localDate >= lastSunday(3) && localDate < lastSunday(10) ? '+02:00' : '+01:00';
}

describe('computeDeadline: worked examples (domain.md §1.4)', () => {
  it.each(WORKED_EXAMPLES)('when discharged on %s at 10:00 local, then due end of %s / %s / %s', (day, pub1, strict1, strict3) => {
    const discharged = `${day}T10:00:00${expectedOffset(day)}`;
    expect(due(discharged, 'dk-public')).toBe(`${pub1}T23:59:59.999${expectedOffset(pub1)}`);
    expect(due(discharged, 'dk-strict')).toBe(`${strict1}T23:59:59.999${expectedOffset(strict1)}`);
    expect(due(discharged, 'dk-strict', 'working-days:3')).toBe(`${strict3}T23:59:59.999${expectedOffset(strict3)}`);
    expect(due(discharged, 'dk-public', 'working-days:1')).toBe(due(discharged, 'dk-public'));
  });

  it('when nothing is configured, then dk-strict and next-working-day are used and reported with versions', () => {
    const d = computeDeadline({ dischargedAt: at('2024-12-23T10:00:00+01:00') });
    expect(formatCopenhagen(d.dueBy)).toBe('2024-12-27T23:59:59.999+01:00');
    expect(d.calendar).toEqual({ id: 'dk-strict', version: '2024.1' });
    expect(d.rule).toEqual({ id: 'next-working-day', version: DEFAULT_DEADLINE_RULE.version });
    expect(d.onTime).toBeNull();
    expect(d.workingDaysElapsed).toBeNull();
    expect(d.withinThreeWorkingDays).toBeNull();
  });

  it('when an instant is invalid, then it throws', () => {
    expect(() => computeDeadline({ dischargedAt: new Date(Number.NaN) })).toThrow(RangeError);
    expect(() => computeDeadline({ dischargedAt: at('2024-03-22T10:00Z'), sentAt: new Date(Number.NaN) })).toThrow(RangeError);
  });
});

describe('computeDeadline: time zone and daylight saving', () => {
  it('when discharged at 2024-12-25T23:30Z, then the discharge day is local 26 Dec (2. juledag)', () => {
    expect(formatCopenhagen(at('2024-12-25T23:30:00Z'))).toBe('2024-12-26T00:30:00.000+01:00');
    // Sent later on 26 Dec local: still the discharge day, so 0 working days.
    expect(elapsed('2024-12-25T23:30:00Z', '2024-12-26T20:00:00Z')).toBe(0);
    // One minute earlier the discharge is on 25 Dec, and 26 Dec is a later (non-working) day: 1.
    expect(elapsed('2024-12-25T22:59:00Z', '2024-12-26T20:00:00Z')).toBe(1);
    expect(due('2024-12-25T23:30:00Z')).toBe('2024-12-27T23:59:59.999+01:00');
  });

  it('when discharged on the spring-forward Sunday (2025-03-30) at any hour, then due Monday with +02:00', () => {
    for (const discharged of ['2025-03-29T23:00:00Z', '2025-03-30T00:59:59.999Z', '2025-03-30T01:00:00Z', '2025-03-30T21:59:59.999Z']) {
      expect(due(discharged)).toBe('2025-03-31T23:59:59.999+02:00');
    }
    expect(computeDeadline({ dischargedAt: at('2025-03-30T12:00Z') }).dueBy.toISOString()).toBe('2025-03-31T21:59:59.999Z');
  });

  it('when discharged around midnight before the spring-forward weekend, then the local date decides and the offset follows the due day', () => {
    // Fri 23:30 local (+01:00) → due Monday, already in summer time.
    expect(due('2025-03-28T22:30:00Z')).toBe('2025-03-31T23:59:59.999+02:00');
    // Thu 23:59:59.999 local → due Friday, still winter time.
    expect(due('2025-03-27T22:59:59.999Z')).toBe('2025-03-28T23:59:59.999+01:00');
    expect(due('2025-03-27T23:00:00Z')).toBe('2025-03-31T23:59:59.999+02:00');
  });

  it('when the spring-forward Sunday is Påskedag (2024-03-31), then due Tuesday 2 April with +02:00', () => {
    expect(due('2024-03-31T10:00:00Z')).toBe('2024-04-02T23:59:59.999+02:00');
  });

  it('when discharged around the fall-back night (2024-10-27), then the local date decides and due dates carry +01:00 after it', () => {
    // 02:30 occurs twice that night; both are 27 Oct.
    expect(due('2024-10-27T00:30:00Z')).toBe('2024-10-28T23:59:59.999+01:00');
    expect(due('2024-10-27T01:30:00Z')).toBe('2024-10-28T23:59:59.999+01:00');
    expect(due('2024-10-26T22:00:00Z')).toBe('2024-10-28T23:59:59.999+01:00'); // Sun 00:00 +02:00
    // Thu 23:59:59.999 (+02:00) → due Friday in summer time; one ms later it is Friday → due Monday in winter time.
    expect(due('2024-10-24T21:59:59.999Z')).toBe('2024-10-25T23:59:59.999+02:00');
    expect(due('2024-10-24T22:00:00Z')).toBe('2024-10-28T23:59:59.999+01:00');
  });

  it('when a local day has 23 or 25 hours, then its end is 23:59:59.999 with that day’s offset', () => {
    const start = (iso: string): number => at(iso).getTime();
    expect(endOfLocalDay('2024-03-31').getTime() - start('2024-03-30T23:00:00Z')).toBe(23 * 3_600_000 - 1);
    expect(endOfLocalDay('2024-10-27').getTime() - start('2024-10-26T22:00:00Z')).toBe(25 * 3_600_000 - 1);
    expect(endOfLocalDay('2024-07-01').toISOString()).toBe('2024-07-01T21:59:59.999Z');
  });

  it('when sent at dueBy exactly, then on time; 1 ms later, then late', () => {
    const dischargedAt = at('2024-03-22T14:00:00+01:00');
    const { dueBy } = computeDeadline({ dischargedAt });
    expect(dueBy.toISOString()).toBe('2024-03-25T22:59:59.999Z');
    expect(computeDeadline({ dischargedAt, sentAt: dueBy }).onTime).toBe(true);
    expect(computeDeadline({ dischargedAt, sentAt: new Date(dueBy.getTime() + 1) }).onTime).toBe(false);
    // Summer: the edge moves to 21:59:59.999Z.
    const summer = computeDeadline({ dischargedAt: at('2024-07-01T09:00:00Z'), sentAt: at('2024-07-02T21:59:59.999Z') });
    expect(summer.onTime).toBe(true);
    expect(computeDeadline({ dischargedAt: at('2024-07-01T09:00:00Z'), sentAt: at('2024-07-02T22:00:00Z') }).onTime).toBe(false);
  });
});

describe('computeDeadline: workingDaysElapsed', () => {
  it('when sent the same local day or before discharge, then 0', () => {
    expect(elapsed('2024-03-22T08:00:00+01:00', '2024-03-22T23:59:59.999+01:00')).toBe(0);
    expect(elapsed('2024-03-22T08:00:00+01:00', '2024-03-21T12:00:00+01:00')).toBe(0);
    // The discharge day counts as day 0 even when it is not a working day.
    expect(elapsed('2024-03-23T08:00:00+01:00', '2024-03-23T20:00:00+01:00')).toBe(0);
  });

  it('when sent across a weekend, then weekend days fall into the next working day', () => {
    const fri = '2024-03-22T10:00:00+01:00';
    expect(elapsed(fri, '2024-03-23T10:00:00+01:00')).toBe(1); // Sat → counts as by end of Mon
    expect(elapsed(fri, '2024-03-25T23:59:59.999+01:00')).toBe(1);
    expect(elapsed(fri, '2024-03-26T00:00:00+01:00')).toBe(2);
  });

  it('when sent across Easter 2024, then holidays are skipped and the 3-day norm is judged', () => {
    const wed = '2024-03-27T10:00:00+01:00';
    expect(elapsed(wed, '2024-03-29T10:00:00+01:00')).toBe(1); // Langfredag → by Tue 2 Apr
    expect(elapsed(wed, '2024-04-02T10:00:00+02:00')).toBe(1);
    expect(elapsed(wed, '2024-04-03T10:00:00+02:00')).toBe(2);
    const thu = computeDeadline({ dischargedAt: at(wed), sentAt: at('2024-04-04T23:59:59.999+02:00') });
    expect([thu.workingDaysElapsed, thu.withinThreeWorkingDays, thu.onTime]).toEqual([3, true, false]);
    const fri = computeDeadline({ dischargedAt: at(wed), sentAt: at('2024-04-05T00:00:00+02:00') });
    expect([fri.workingDaysElapsed, fri.withinThreeWorkingDays]).toEqual([4, false]);
  });

  it('when the calendar differs, then policy days count only in dk-public', () => {
    // Mon 23 Dec 2024, sent Fri 27 Dec: dk-strict skips 24–26 (1 WD); dk-public counts 24 Dec (2 WD).
    expect(elapsed('2024-12-23T10:00:00+01:00', '2024-12-27T10:00:00+01:00', 'dk-strict')).toBe(1);
    expect(elapsed('2024-12-23T10:00:00+01:00', '2024-12-27T10:00:00+01:00', 'dk-public')).toBe(2);
  });

  it('when many discharge/send pairs are checked, then the result matches the definition (smallest n with sentAt <= end of n-th WD)', () => {
    let seed = 20240322;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const base = at('2023-01-01T00:00:00Z').getTime();
    for (let i = 0; i < 300; i++) {
      const dischargedAt = new Date(base + Math.floor(random() * 4 * 365 * 86_400_000));
      const sentAt = new Date(dischargedAt.getTime() + Math.floor((random() * 12 - 1) * 86_400_000));
      const calendar: CalendarId = random() < 0.5 ? 'dk-strict' : 'dk-public';
      const day = formatCopenhagen(dischargedAt).slice(0, 10);
      let n = 0;
      while (sentAt.getTime() > endOfLocalDay(addWorkingDays(day, n, calendar)).getTime()) n++;
      expect(computeDeadline({ dischargedAt, sentAt, calendar }).workingDaysElapsed, `${dischargedAt.toISOString()} → ${sentAt.toISOString()}`).toBe(n);
    }
  });
});

describe('rh-2015 rule', () => {
  const rh = rule('rh-2015');
  const check = (dischargedAt: string, calendar?: CalendarId): string =>
    formatCopenhagen(computeDeadline({ dischargedAt: at(dischargedAt), rule: rh, calendar }).dueBy);

  it('when discharged before 12:00 local, then due the same day; at 12:00, then the next calendar day', () => {
    expect(check('2024-03-20T11:59:59.999+01:00')).toBe('2024-03-20T23:59:59.999+01:00');
    expect(check('2024-03-20T12:00:00+01:00')).toBe('2024-03-21T23:59:59.999+01:00');
    // Summer time: 12:00 local is 10:00Z.
    expect(check('2024-06-12T09:59:59.999Z')).toBe('2024-06-12T23:59:59.999+02:00');
    expect(check('2024-06-12T10:00:00Z')).toBe('2024-06-13T23:59:59.999+02:00');
  });

  it('when discharged on a weekend or a Friday afternoon, then calendar days count (domain.md §2.2): Saturday, Sunday are due dates too', () => {
    expect(check('2024-03-23T09:00:00+01:00')).toBe('2024-03-23T23:59:59.999+01:00');
    expect(check('2024-03-22T13:00:00+01:00')).toBe('2024-03-23T23:59:59.999+01:00');
  });

  it('when discharged the morning of 24 Dec, then the calendar does not enter the rule', () => {
    expect(check('2024-12-24T09:00:00+01:00', 'dk-strict')).toBe('2024-12-24T23:59:59.999+01:00');
    expect(check('2024-12-24T13:00:00+01:00', 'dk-public')).toBe('2024-12-25T23:59:59.999+01:00');
  });
});

describe('parseDeadlineRule', () => {
  it('when the spec is known, then the rule carries its id and a version', () => {
    expect(rule('next-working-day')).toEqual(DEFAULT_DEADLINE_RULE);
    expect(rule('rh-2015').id).toBe('rh-2015');
    const three = rule('working-days:3');
    expect([three.id, three.kind]).toEqual(['working-days:3', 'working-days']);
    expect(three.version).toMatch(/\S/);
    expect(rule('working-days:30').id).toBe('working-days:30');
  });

  it.each(['', 'next', 'Next-Working-Day', 'working-days', 'working-days:', 'working-days:0', 'working-days:03', 'working-days:31', 'working-days:-1', 'working-days:2.5', ' rh-2015'])(
    'when the spec is %j, then it throws naming the accepted forms',
    (spec) => {
      expect(() => parseDeadlineRule(spec)).toThrow(/expected next-working-day, rh-2015 or working-days:N/);
    },
  );
});

describe('formatCopenhagen', () => {
  it('when formatting winter and summer instants, then the wall clock has milliseconds and the offset in force', () => {
    expect(formatCopenhagen(at('2024-03-25T22:59:59.999Z'))).toBe('2024-03-25T23:59:59.999+01:00');
    expect(formatCopenhagen(at('2024-07-01T21:59:59.999Z'))).toBe('2024-07-01T23:59:59.999+02:00');
    expect(formatCopenhagen(at('2024-10-27T00:30:00.005Z'))).toBe('2024-10-27T02:30:00.005+02:00');
    expect(formatCopenhagen(at('2024-10-27T01:30:00.005Z'))).toBe('2024-10-27T02:30:00.005+01:00');
  });
});

describe('parseInstant', () => {
  it.each([
    ['2024-03-25T10:00:00Z', '2024-03-25T10:00:00.000Z'],
    ['2024-03-25T10:00:00.123+01:00', '2024-03-25T09:00:00.123Z'],
    ['2024-03-25T10:00:00.1234567-02:30', '2024-03-25T12:30:00.123Z'],
    ['2024-03-25T10:00Z', '2024-03-25T10:00:00.000Z'],
    ['2024-03-25T10:00:00', '2024-03-25T09:00:00.000Z'], // local, winter
    ['2024-07-01T10:00:00', '2024-07-01T08:00:00.000Z'], // local, summer
    ['2024-07-01', '2024-06-30T22:00:00.000Z'], // start of the local day
    ['2024-03-31T02:30:00', '2024-03-31T01:30:00.000Z'], // in the spring gap: shifted forward
    ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00.000Z'],
  ])('when given %s, then it is %s', (text, expected) => {
    expect(parseInstant(text)?.toISOString()).toBe(expected);
  });

  it.each([
    '',
    'yesterday',
    '2024',
    '2024-03',
    '2024-02-30',
    '2023-02-29T12:00:00Z',
    '2024-02-30T10:00:00Z',
    '2024-13-01',
    '2024-03-25T24:00:00Z',
    '2024-03-25T10:60:00Z',
    '2024-03-25 10:00:00Z',
    '2024-03-25T10Z',
    '2024-03-25T10:00:00+1:00',
    '2024-03-25T10:00:00+0100',
    '2024-03-25T10:00:00+15:00',
    '2024-03-25Z',
    '2024-03-25T10:00:00z',
    '20240325T100000Z',
  ])('when given %j, then it is rejected', (text) => {
    expect(parseInstant(text)).toBeUndefined();
  });

  it('when an instant is formatted and parsed back, then it is unchanged', () => {
    for (const iso of ['2024-10-27T00:30:00.001Z', '2024-10-27T01:30:00.001Z', '2024-03-31T00:59:59.999Z', '2025-12-31T23:00:00Z']) {
      expect(parseInstant(formatCopenhagen(at(iso)))?.toISOString()).toBe(at(iso).toISOString());
    }
  });
});
