import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEASURE_URL } from '../../../src/timeliness/index.ts';
import { startTestApp, type TestApp } from '../../helpers/app.ts';
import { backends } from '../../helpers/store.ts';
import { DEPT_A, DEPT_B, HOSPITAL, domainEvent, fixedAt, newPatient, slhj, tracking } from './fixtures.ts';

const BACKENDS = await backends();
const KPI_H = '999000000000777';
/** Tuesday 30 April 2024, 20:30 in Copenhagen: G (due 23:59:59.999 tonight) is at risk. */
const NOW = '2024-04-30T20:30:00+02:00';

interface Group { key: string; discharges: number; excluded: number; onTime: number; late: number; pending: number; overdue: number; share: number | null }
interface Kpi { groups: Group[] }
type Report = fhir4.MeasureReport;
type Pop = fhir4.MeasureReportGroupPopulation;

/** A population list as { code: count }. */
const counts = (pops: readonly Pop[] | undefined): Record<string, number | undefined> =>
  Object.fromEntries((pops ?? []).map((p) => [p.code?.coding?.[0]?.code ?? '', p.count]));
/** The populations the API's numbers mean (the mapping the Measure describes). */
const expected = (g: Group): Record<string, number> => ({
  'initial-population': g.discharges,
  denominator: g.onTime + g.late + g.overdue + g.excluded,
  'denominator-exclusion': g.excluded,
  numerator: g.onTime,
});
const stratum = (r: Report, by: string, key: string): fhir4.MeasureReportGroupStratifierStratum | undefined =>
  r.group?.[0]?.stratifier?.find((s) => s.code?.[0]?.text === by)?.stratum?.find((s) => s.value?.text === key);

/** A sample of the Prometheus text format: the value of one series. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m?.[1] !== name || m[3] === undefined) continue;
    const have: Record<string, string | undefined> = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((l): [string, string | undefined] => [l[1] ?? '', l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v) && Object.keys(have).length === Object.keys(labels).length) return Number(m[3]);
  }
  return undefined;
}

describe.each(BACKENDS)('timeliness Measure, MeasureReport and metrics on $name', (backend) => {
  let t: TestApp;
  const tokens: Record<string, string> = {};
  const p: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp(backend, {}, fixedAt(NOW));
    for (const c of ['demo-quality', 'demo-admin', 'demo-hospital', 'demo-municipality']) tokens[c] = await t.token(c);
    const track = tracking(t.store);
    for (const k of 'ABCDEFGI') p[k] = newPatient(`measure-${k}`);
    const sentEpikrise = async (k: string, received: string, sent: string): Promise<void> => {
      const patientId = p[k] ?? '';
      await track.document({ documentReferenceId: `doc-${k}-${patientId}`, patientId, receivedAt: new Date(received) });
      await track.progress(`doc-${k}-${patientId}`, 'sent', sent);
    };
    const discharge = (k: string, at: string, dept: string, hospital = KPI_H) => track.events([slhj(p[k] ?? '', at, { dept })], at, hospital);

    await discharge('A', '2024-03-04T10:00:00+01:00', DEPT_A);
    await sentEpikrise('A', '2024-03-05T08:00:00+01:00', '2024-03-05T09:00:00+01:00'); // on time, 23 h
    await discharge('B', '2024-03-04T11:00:00+01:00', DEPT_A);
    await sentEpikrise('B', '2024-03-06T08:00:00+01:00', '2024-03-07T09:00:00+01:00'); // late, 70 h
    await discharge('C', '2024-03-11T10:00:00+01:00', DEPT_B);
    await sentEpikrise('C', '2024-03-18T08:00:00+01:00', '2024-03-18T09:00:00+01:00'); // late, 167 h
    await discharge('D', '2024-03-12T10:00:00+01:00', DEPT_B); // never sent: overdue
    await discharge('E', '2024-03-13T10:00:00+01:00', DEPT_B);
    await track.events([domainEvent('death', { patient: p.E ?? '', stay: `mors:${p.E ?? ''}`, key: 'mors-e', event: 'MORS', at: '2024-03-13T20:00:00+01:00' })], '2024-03-13T21:00:00+01:00', KPI_H);
    await discharge('F', '2024-03-31T22:30:00Z', DEPT_A); // 00:30 on 1 April locally: April
    await sentEpikrise('F', '2024-04-02T08:00:00+02:00', '2024-04-02T09:00:00+02:00'); // on time, 32.5 h
    await discharge('G', '2024-04-29T10:00:00+02:00', DEPT_A); // due tonight: at risk now
    // An udskrivningsrapport of A's stay, sent the discharge day (5 h): tracked, but not an epikrise.
    await track.document({ documentReferenceId: `udsk-${p.A ?? ''}`, documentType: 'udskrivningsrapport', patientId: p.A ?? '', receivedAt: new Date('2024-03-04T14:00:00+01:00'), encounterEnd: new Date('2024-03-04T10:00:00+01:00') });
    await track.progress(`udsk-${p.A ?? ''}`, 'sent', '2024-03-04T15:00:00+01:00', '953741000016009');
    // I: the demo hospital's own discharge, never sent.
    await discharge('I', '2024-03-05T10:00:00+01:00', DEPT_A, HOSPITAL);
  });
  afterAll(async () => { await t.close(); });

  const get = (path: string, client: string) => request(t.app).get(path).set('Authorization', `Bearer ${tokens[client] ?? ''}`);
  const ok = async (path: string, client = 'demo-quality'): Promise<unknown> => {
    const res = await get(path, client);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };
  const kpi = async (query: string, client = 'demo-quality'): Promise<Kpi> => (await ok(`/api/timeliness/kpi?${query}`, client)) as Kpi;
  const issueExpression = (body: unknown): string[] | undefined => (body as fhir4.OperationOutcome).issue[0]?.expression;

  it('when the Measure is read or searched by url, then any client gets the definition', async () => {
    const m = (await ok('/fhir/Measure/epikrise-timeliness', 'demo-municipality')) as fhir4.Measure;
    expect(m).toMatchObject({ resourceType: 'Measure', url: MEASURE_URL, status: 'active' });
    const found = (await ok(`/fhir/Measure?url=${encodeURIComponent(MEASURE_URL)}`)) as fhir4.Bundle;
    expect(found.entry?.map((e) => e.resource?.id)).toEqual(['epikrise-timeliness']);
    expect(((await ok('/fhir/Measure?url=http://example.org/Measure/x')) as fhir4.Bundle).total).toBe(0);
    expect((await get('/fhir/Measure/other', 'demo-quality')).status).toBe(404);
  });

  it('when the monthly reports are searched, then each has the numbers /api/timeliness/kpi gives for epikriser, in total and per department', async () => {
    const bundle = (await ok(`/fhir/MeasureReport?measure=${encodeURIComponent(MEASURE_URL)}&period=ge2024-03&period=le2024-04&hospital=${KPI_H}`)) as fhir4.Bundle;
    const reports = (bundle.entry ?? []).map((e) => e.resource as Report);
    expect(reports.map((r) => r.id)).toEqual([`epikrise-timeliness-2024-03-${KPI_H}`, `epikrise-timeliness-2024-04-${KPI_H}`]);
    for (const r of reports) {
      const month = (r.id ?? '').slice('epikrise-timeliness-'.length, 'epikrise-timeliness-'.length + 7);
      const [whole] = (await kpi(`from=${month}&to=${month}&groupBy=month&documentType=epikrise&hospital=${KPI_H}`)).groups;
      if (!whole) throw new Error(`no KPI for ${month}`);
      expect(counts(r.group?.[0]?.population)).toEqual(expected(whole));
      expect(r.group?.[0]?.measureScore?.value ?? null).toBe(whole.share);
      const byDept = await kpi(`from=${month}&to=${month}&groupBy=department&documentType=epikrise&hospital=${KPI_H}`);
      for (const g of byDept.groups) expect(counts(stratum(r, 'department', g.key)?.population)).toEqual(expected(g));
    }
    // Hand-counted March: A on time, B and C late, D overdue, E excluded; the udskrivningsrapport is not counted.
    expect(counts(reports[0]?.group?.[0]?.population)).toEqual({ 'initial-population': 5, denominator: 5, 'denominator-exclusion': 1, numerator: 1 });
    expect(reports[0]?.group?.[0]?.measureScore?.value).toBeCloseTo(1 / 4, 12);
    expect(reports[0]?.period).toEqual({ start: '2024-03-01T00:00:00.000+01:00', end: '2024-03-31T23:59:59.999+02:00' });
  });

  it('when quality searches every hospital, then the hospital strata match the API per hospital and a report reads back by id', async () => {
    const bundle = (await ok('/fhir/MeasureReport?period=eq2024-03')) as fhir4.Bundle;
    const r = bundle.entry?.[0]?.resource as Report;
    expect(r.id).toBe('epikrise-timeliness-2024-03');
    const byHospital = await kpi('from=2024-03&to=2024-03&groupBy=hospital&documentType=epikrise');
    expect(byHospital.groups.map((g) => g.key).sort()).toEqual([HOSPITAL, KPI_H].sort());
    for (const g of byHospital.groups) expect(counts(stratum(r, 'hospital', g.key)?.population)).toEqual(expected(g));
    const read = (await ok('/fhir/MeasureReport/epikrise-timeliness-2024-03')) as Report;
    expect(read.group).toEqual(r.group);
    expect((await get('/fhir/MeasureReport/epikrise-timeliness-2024-05', 'demo-quality')).status).toBe(404); // not begun yet
  });

  it('when $evaluate-measure is asked for a period, then both ends are inclusive at their precision in Copenhagen time', async () => {
    const march = (await ok(`/fhir/Measure/epikrise-timeliness/$evaluate-measure?periodStart=2024-03&periodEnd=2024-03&hospital=${KPI_H}`)) as Report;
    expect(march).toMatchObject({ resourceType: 'MeasureReport', type: 'summary', status: 'complete', measure: MEASURE_URL });
    expect(march.period).toEqual({ start: '2024-03-01T00:00:00.000+01:00', end: '2024-03-31T23:59:59.999+02:00' });
    expect(counts(march.group?.[0]?.population)['initial-population']).toBe(5);
    // F was discharged at 22:30 UTC on 31 March, already 1 April in Copenhagen.
    const toApril1 = (await ok(`/fhir/Measure/$evaluate-measure?measure=${encodeURIComponent(MEASURE_URL)}&periodStart=2024-03-01&periodEnd=2024-04-01&hospital=${KPI_H}&reportType=population`)) as Report;
    expect(counts(toApril1.group?.[0]?.population)).toEqual({ 'initial-population': 6, denominator: 6, 'denominator-exclusion': 1, numerator: 2 });
    const [both] = (await kpi(`from=2024-03-01&to=2024-04-01&groupBy=documentType&documentType=epikrise&hospital=${KPI_H}`)).groups;
    expect(both && expected(both)).toEqual(counts(toApril1.group?.[0]?.population));
  });

  it('when $evaluate-measure or the search gets bad input, then 400 names the parameter', async () => {
    const cases: [string, string][] = [
      ['/fhir/Measure/epikrise-timeliness/$evaluate-measure?periodStart=2024-03', 'periodEnd'],
      ['/fhir/Measure/epikrise-timeliness/$evaluate-measure?periodStart=2024-13&periodEnd=2024-12', 'periodStart'],
      ['/fhir/Measure/epikrise-timeliness/$evaluate-measure?periodStart=2024-04&periodEnd=2024-03', 'periodStart'],
      ['/fhir/Measure/epikrise-timeliness/$evaluate-measure?periodStart=2024-03&periodEnd=2024-03&reportType=subject', 'reportType'],
      ['/fhir/Measure/epikrise-timeliness/$evaluate-measure?periodStart=2024-03&periodEnd=2024-03&subject=Patient/x', 'subject'],
      ['/fhir/Measure/$evaluate-measure?periodStart=2024-03&periodEnd=2024-03', 'measure'],
      ['/fhir/MeasureReport?period=le2024-03', 'period'],
      ['/fhir/MeasureReport?period=ge2020-01', 'period'],
      ['/fhir/MeasureReport?period=ge2024-03&date=ge2024-03', 'date'],
    ];
    for (const [path, param] of cases) {
      const res = await get(path, 'demo-quality');
      expect(res.status, path).toBe(400);
      expect(issueExpression(res.body), path).toEqual([param]);
    }
  });

  it('when a hospital asks, then it gets its own hospital only; a municipality gets 403', async () => {
    const own = (await ok('/fhir/MeasureReport?period=eq2024-03', 'demo-hospital')) as fhir4.Bundle;
    const r = own.entry?.[0]?.resource as Report;
    expect(r.id).toBe(`epikrise-timeliness-2024-03-${HOSPITAL}`);
    expect(r.reporter?.identifier?.value).toBe(HOSPITAL);
    expect(counts(r.group?.[0]?.population)).toEqual({ 'initial-population': 1, denominator: 1, 'denominator-exclusion': 0, numerator: 0 });
    const evaluated = (await ok('/fhir/Measure/epikrise-timeliness/$evaluate-measure?periodStart=2024-03&periodEnd=2024-04', 'demo-hospital')) as Report;
    expect(counts(evaluated.group?.[0]?.population)['initial-population']).toBe(1);
    expect((await get(`/fhir/MeasureReport?period=eq2024-03&hospital=${KPI_H}`, 'demo-hospital')).status).toBe(403);
    expect((await get('/fhir/MeasureReport/epikrise-timeliness-2024-03', 'demo-hospital')).status).toBe(403);
    expect((await get(`/fhir/MeasureReport/epikrise-timeliness-2024-03-${KPI_H}`, 'demo-hospital')).status).toBe(403);
    expect((await get('/fhir/MeasureReport?period=eq2024-03', 'demo-municipality')).status).toBe(403);
    expect((await get('/fhir/Measure/epikrise-timeliness/$evaluate-measure?periodStart=2024-03&periodEnd=2024-03', 'demo-municipality')).status).toBe(403);
  });

  it('when Prometheus scrapes /metrics with an admin token, then it sees the rows per state now, the overdue count and the hours to dispatch', async () => {
    const res = await get('/metrics', 'demo-admin');
    expect(res.status).toBe(200);
    const text = res.text;
    const state = (s: string, type = 'epikrise'): number | undefined => sample(text, 'sektorbro_timeliness_expectations', { state: s, document_type: type });
    expect(['on-time', 'late', 'overdue', 'at-risk', 'pending', 'excluded', 'awaiting-discharge'].map((s) => state(s))).toEqual([2, 2, 2, 1, 0, 1, 0]);
    expect(state('on-time', 'udskrivningsrapport')).toBe(1);
    expect(sample(text, 'sektorbro_timeliness_overdue')).toBe(2);
    const bucket = (le: string): number | undefined => sample(text, 'sektorbro_timeliness_sent_after_discharge_hours_bucket', { le, document_type: 'epikrise' });
    // A 23 h, F 32.5 h, B 70 h, C 167 h.
    expect([bucket('12'), bucket('24'), bucket('48'), bucket('72'), bucket('168'), bucket('+Inf')]).toEqual([0, 1, 2, 3, 4, 4]);
    expect(sample(text, 'sektorbro_timeliness_sent_after_discharge_hours_sum', { document_type: 'epikrise' })).toBeCloseTo(23 + 32.5 + 70 + 167, 9);
    expect(sample(text, 'sektorbro_timeliness_sent_after_discharge_hours_count', { document_type: 'udskrivningsrapport' })).toBe(1);
  });
});
