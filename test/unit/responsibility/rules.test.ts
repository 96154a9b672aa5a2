import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RESPONSIBILITY_RULES,
  parseResponsibilityRules,
  ResponsibilityInputError,
  windowRuleFor,
  withDefaultRegion,
} from '../../../src/responsibility/index.ts';

const hours = (region: string, date: string): number | undefined => windowRuleFor(DEFAULT_RESPONSIBILITY_RULES, region, date)?.hours;

function errorOf(json: unknown): string | undefined {
  try {
    parseResponsibilityRules(json);
    return undefined;
  } catch (e) {
    if (e instanceof ResponsibilityInputError) return e.message;
    throw e;
  }
}

const rule = (id: string, effectiveFrom: string, h: number, effectiveTo?: string): Record<string, unknown> => ({
  id,
  version: '1',
  effectiveFrom,
  hours: h,
  ...(effectiveTo === undefined ? {} : { effectiveTo }),
});

describe('default rules (domain.md §4.2)', () => {
  it('when a region starts the scheme, then nothing is in force the day before and 72 h on the day', () => {
    expect([hours('hovedstaden', '2022-01-31'), hours('hovedstaden', '2022-02-01')]).toEqual([undefined, 72]);
    expect([hours('sjaelland', '2023-12-04'), hours('sjaelland', '2023-12-05')]).toEqual([undefined, 72]);
    expect([hours('syddanmark', '2023-10-31'), hours('syddanmark', '2023-11-01')]).toEqual([undefined, 72]);
    expect([hours('midtjylland', '2023-09-14'), hours('midtjylland', '2023-09-15')]).toEqual([undefined, 72]);
    expect([hours('nordjylland', '2022-12-31'), hours('nordjylland', '2023-01-01')]).toEqual([undefined, 72]);
  });

  it('when Sjælland moved to 96 h (assumed 2025-01-01), then the day before is 72 h and the day 96 h', () => {
    expect(hours('sjaelland', '2024-12-31')).toBe(72);
    expect(hours('sjaelland', '2025-01-01')).toBe(96);
  });

  it('when Hovedstaden is asked for 2026, then it is still 72 h: the 96 h move is unverified and not enabled', () => {
    expect(hours('hovedstaden', '2026-06-01')).toBe(72);
  });

  it('when the defaults are written as JSON and parsed back, then they validate unchanged', () => {
    expect(parseResponsibilityRules(JSON.parse(JSON.stringify(DEFAULT_RESPONSIBILITY_RULES)))).toEqual(DEFAULT_RESPONSIBILITY_RULES);
    expect(DEFAULT_RESPONSIBILITY_RULES.defaultRegion).toBe('hovedstaden');
    expect(DEFAULT_RESPONSIBILITY_RULES.minimumStay.hours).toBe(24);
  });

  it('when the region is unknown, then no rule applies and withDefaultRegion refuses it', () => {
    expect(hours('oestdanmark', '2027-01-01')).toBeUndefined();
    expect(() => withDefaultRegion(DEFAULT_RESPONSIBILITY_RULES, 'oestdanmark')).toThrow(/unknown region "oestdanmark"/);
    expect(withDefaultRegion(DEFAULT_RESPONSIBILITY_RULES, 'syddanmark').defaultRegion).toBe('syddanmark');
  });
});

describe('parseResponsibilityRules', () => {
  it('when Hovedstaden is configured with 96 h from 2026-01-01, then it applies from that date', () => {
    const rules = parseResponsibilityRules({ regions: { hovedstaden: [rule('h72', '2022-02-01', 72), rule('h96', '2026-01-01', 96)] } });
    expect(rules.defaultRegion).toBe('hovedstaden');
    expect(rules.minimumStay).toEqual({ id: 'minimum-stay', version: '1', hours: 24 });
    expect(windowRuleFor(rules, 'hovedstaden', '2025-12-31')?.id).toBe('h72');
    expect(windowRuleFor(rules, 'hovedstaden', '2026-01-01')?.id).toBe('h96');
  });

  it('when a rule has an end date, then there is a gap after it until the next rule', () => {
    const rules = parseResponsibilityRules({ regions: { r: [rule('a', '2024-01-01', 72, '2024-06-01'), rule('b', '2024-09-01', 96)] }, defaultRegion: 'r' });
    expect(windowRuleFor(rules, 'r', '2024-05-31')?.id).toBe('a');
    expect(windowRuleFor(rules, 'r', '2024-06-01')).toBeUndefined();
    expect(windowRuleFor(rules, 'r', '2024-09-01')?.id).toBe('b');
  });

  it('when effective dates are unsorted, repeated or overlapping, then the entry is named', () => {
    expect(errorOf({ regions: { hovedstaden: [rule('a', '2024-01-01', 72), rule('b', '2023-01-01', 96)] } })).toBe(
      'regions.hovedstaden[1].effectiveFrom: effective dates must be sorted and distinct (2023-01-01 is not after 2024-01-01)',
    );
    expect(errorOf({ regions: { hovedstaden: [rule('a', '2024-01-01', 72), rule('b', '2024-01-01', 96)] } })).toMatch(
      /^regions\.hovedstaden\[1\]\.effectiveFrom: effective dates must be sorted/,
    );
    expect(errorOf({ regions: { hovedstaden: [rule('a', '2024-01-01', 72, '2024-07-01'), rule('b', '2024-06-01', 96)] } })).toBe(
      'regions.hovedstaden[1].effectiveFrom: overlaps the previous rule, in force until 2024-07-01',
    );
    expect(errorOf({ regions: { hovedstaden: [rule('a', '2024-01-01', 72, '2024-01-01')] } })).toBe(
      'regions.hovedstaden[0].effectiveTo: must be after effectiveFrom 2024-01-01',
    );
  });

  it('when hours are zero, negative or not numbers, then they are refused', () => {
    expect(errorOf({ regions: { hovedstaden: [rule('a', '2024-01-01', 0)] } })).toBe('regions.hovedstaden[0].hours: must be positive');
    expect(errorOf({ regions: { hovedstaden: [rule('a', '2024-01-01', -72)] } })).toBe('regions.hovedstaden[0].hours: must be positive');
    expect(errorOf({ regions: { hovedstaden: [{ ...rule('a', '2024-01-01', 1), hours: '72' }] } })).toBe('regions.hovedstaden[0].hours: not a number of hours');
    expect(errorOf({ regions: { hovedstaden: [rule('a', '2024-01-01', 72)] }, minimumStay: { id: 'm', version: '1', hours: -1 } })).toBe(
      'minimumStay.hours: must not be negative',
    );
  });

  it('when other parts are wrong, then the path says where', () => {
    expect(errorOf([])).toBe('rules: not a rules object');
    expect(errorOf({})).toBe('regions: not an object of region id → window rules');
    expect(errorOf({ regions: {} })).toBe('regions: names no region');
    expect(errorOf({ regions: { hovedstaden: [] } })).toBe('regions.hovedstaden: not a non-empty list of window rules');
    expect(errorOf({ regions: { hovedstaden: [rule('a', '2024-02-30', 72)] } })).toBe('regions.hovedstaden[0].effectiveFrom: not a calendar date');
    expect(errorOf({ regions: { hovedstaden: [rule('a', '1/2/2024', 72)] } })).toBe('regions.hovedstaden[0].effectiveFrom: not a date YYYY-MM-DD');
    expect(errorOf({ regions: { hovedstaden: [{ ...rule('a', '2024-01-01', 72), version: '' }] } })).toBe('regions.hovedstaden[0].version: not a non-empty string');
    expect(errorOf({ regions: { a: [rule('x', '2024-01-01', 72)], b: [rule('x', '2024-01-01', 72)] }, defaultRegion: 'a' })).toBe(
      'regions.b[0].id: duplicate rule id "x" (also regions.a[0])',
    );
    expect(errorOf({ regions: { syddanmark: [rule('x', '2024-01-01', 72)] } })).toBe('defaultRegion: "hovedstaden" is not one of the configured regions');
  });
});
