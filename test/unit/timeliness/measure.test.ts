import { describe, expect, it } from 'vitest';
import type { TimelinessKpiRow } from '../../../src/store/index.ts';
import {
  DEFAULT_TIMELINESS_SETTINGS,
  MEASURE_URL,
  TARGET_EXTENSION,
  kpiGroup,
  measureReportId,
  monthPeriod,
  monthsBetween,
  parseMeasureReportId,
  populationCounts,
  sumKpiRows,
  timelinessMeasure,
  toMeasureReport,
  totalGroup,
} from '../../../src/timeliness/index.ts';

const row = (key: string, c: Partial<TimelinessKpiRow>): TimelinessKpiRow => ({
  key, discharges: 0, excluded: 0, sent: 0, onTime: 0, late: 0, pending: 0, overdue: 0, withinThree: 0, ...c,
});
const A = row('dept-a', { discharges: 7, excluded: 1, sent: 4, onTime: 3, late: 1, pending: 1, overdue: 1, withinThree: 4 });
const B = row('dept-b', { discharges: 4, excluded: 0, sent: 2, onTime: 1, late: 1, pending: 0, overdue: 2, withinThree: 2 });

type Pop = fhir4.MeasureReportGroupPopulation;
const count = (pops: readonly Pop[] | undefined, code: string): number | undefined => pops?.find((p) => p.code?.coding?.[0]?.code === code)?.count;
/** FHIR proportion scoring: numerator / (denominator - denominator-exclusion). */
const fhirScore = (pops: readonly Pop[] | undefined): number =>
  (count(pops, 'numerator') ?? NaN) / ((count(pops, 'denominator') ?? NaN) - (count(pops, 'denominator-exclusion') ?? NaN));

describe('the epikrise timeliness Measure', () => {
  it('when built from the settings, then it is an active proportion measure with the four populations, the target, rule and calendar', () => {
    const m = timelinessMeasure({ ...DEFAULT_TIMELINESS_SETTINGS, target: 0.85 });
    expect(m).toMatchObject({ resourceType: 'Measure', id: 'epikrise-timeliness', url: MEASURE_URL, status: 'active' });
    expect(m.scoring?.coding?.[0]).toEqual({ system: 'http://terminology.hl7.org/CodeSystem/measure-scoring', code: 'proportion' });
    expect(m.improvementNotation?.coding?.[0]?.code).toBe('increase');
    expect(m.group?.[0]?.population?.map((p) => p.code?.coding?.[0])).toEqual(
      ['initial-population', 'denominator', 'denominator-exclusion', 'numerator'].map((code) => ({ system: 'http://terminology.hl7.org/CodeSystem/measure-population', code })),
    );
    expect(m.extension?.find((e) => e.url === TARGET_EXTENSION)?.valueDecimal).toBe(0.85);
    expect(m.guidance).toContain('85 %');
    expect(m.guidance).toContain('next-working-day@');
    expect(m.guidance).toContain('dk-strict@');
  });
});

describe('MeasureReport numbers', () => {
  it('when scored the FHIR way, then the score is the API share: on time / (on time + late + overdue)', () => {
    for (const r of [A, B, sumKpiRows([A, B], 'all')]) {
      const g = kpiGroup(r, r.key);
      const pops = toMeasureReport(g, { period: { start: new Date(0), end: new Date(1) }, date: new Date(2), target: 0.9, clock: 'sent' }).group?.[0]?.population;
      expect(fhirScore(pops)).toBeCloseTo(r.onTime / (r.onTime + r.late + r.overdue), 12);
      expect(count(pops, 'initial-population')).toBe(r.discharges);
      expect(count(pops, 'denominator-exclusion')).toBe(r.excluded);
      expect(count(pops, 'numerator')).toBe(r.onTime);
    }
  });

  it('when every population is counted, then initial population = denominator + the rows still within their deadline', () => {
    const c = populationCounts(kpiGroup(A, 'a'));
    expect(c['initial-population'] - c.denominator).toBe(A.pending);
  });

  it('when stratified, then the whole is the sum of its strata and each stratum carries its own score', () => {
    const total = totalGroup([A, B], 'total', 'total');
    expect(total).toMatchObject({ discharges: 11, excluded: 1, onTime: 4, late: 2, overdue: 3, pending: 1 });
    const report = toMeasureReport(total, {
      id: 'epikrise-timeliness-2024-03',
      period: { start: new Date('2024-02-29T23:00:00Z'), end: new Date('2024-03-31T21:59:59.999Z') },
      date: new Date('2024-04-30T18:30:00Z'),
      target: 0.9,
      clock: 'sent',
      stratifiers: [{ by: 'department', groups: [kpiGroup(A, A.key), kpiGroup(B, B.key)] }],
    });
    expect(report).toMatchObject({ resourceType: 'MeasureReport', status: 'complete', type: 'summary', measure: MEASURE_URL });
    expect(report.period).toEqual({ start: '2024-03-01T00:00:00.000+01:00', end: '2024-03-31T23:59:59.999+02:00' });
    expect(report.group?.[0]?.measureScore?.value).toBeCloseTo(4 / 9, 12);
    const strata = report.group?.[0]?.stratifier?.[0]?.stratum ?? [];
    expect(strata.map((s) => s.value?.text)).toEqual(['dept-a', 'dept-b']);
    expect(strata[1]?.measureScore?.value).toBeCloseTo(1 / 4, 12);
    const summed = ['initial-population', 'denominator', 'denominator-exclusion', 'numerator'].map((code) => strata.reduce((s, st) => s + (count(st.population, code) ?? 0), 0));
    expect(summed).toEqual(['initial-population', 'denominator', 'denominator-exclusion', 'numerator'].map((code) => count(report.group?.[0]?.population, code)));
  });

  it('when nothing is measurable yet, then the report has no score rather than 0', () => {
    const g = kpiGroup(row('x', { discharges: 2, pending: 2 }), 'x');
    expect(toMeasureReport(g, { period: { start: new Date(0), end: new Date(1) }, date: new Date(2), target: 0.9, clock: 'sent' }).group?.[0]?.measureScore).toBeUndefined();
  });
});

describe('monthly report periods and ids', () => {
  it('when a month crosses the DST change, then it runs from local midnight to local midnight', () => {
    expect(monthPeriod('2024-10')).toEqual({ start: new Date('2024-09-30T22:00:00Z'), end: new Date('2024-10-31T22:59:59.999Z') });
    expect(monthPeriod('2024-13')).toBeUndefined();
  });

  it('when the months between two instants are asked, then Copenhagen months count, across a year end', () => {
    // 31 Oct 23:30 UTC is already 1 November in Copenhagen.
    expect(monthsBetween(new Date('2024-10-31T23:30:00Z'), new Date('2025-02-01T00:00:00+01:00'))).toEqual(['2024-11', '2024-12', '2025-01', '2025-02']);
  });

  it('when a report id is made and parsed, then month and hospital come back; other ids are none', () => {
    expect(parseMeasureReportId(measureReportId('2024-03'))).toEqual({ month: '2024-03', hospitalSor: undefined });
    expect(parseMeasureReportId(measureReportId('2024-03', '265161000016000'))).toEqual({ month: '2024-03', hospitalSor: '265161000016000' });
    expect(parseMeasureReportId('epikrise-timeliness-2024-00')).toBeUndefined();
    expect(parseMeasureReportId('other-2024-03')).toBeUndefined();
  });
});
