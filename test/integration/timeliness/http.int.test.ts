import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCHARGE_CSV_COLUMNS, deadlineFromQuery } from '../../../src/timeliness/index.ts';
import { startTestApp, type TestApp } from '../../helpers/app.ts';
import { backends } from '../../helpers/store.ts';
import { DEPT_A, DEPT_B, HOSPITAL, domainEvent, fixedAt, newPatient, slhj, tracking } from './fixtures.ts';

const BACKENDS = await backends();
const KPI_H = '999000000000888';
/** Tuesday 30 April 2024, 20:30 in Copenhagen: G (due 23:59:59.999 tonight) is at risk. */
const NOW = '2024-04-30T20:30:00+02:00';

interface Group { key: string; label: string; discharges: number; excluded: number; sent: number; onTime: number; late: number; pending: number; overdue: number; share: number | null; withinThreeWorkingDays: number; shareWithinThree: number | null }
interface Kpi { from: string; to: string; groupBy: string; target: number; rule: string; calendar: string; clock: string; groups: Group[] }
interface Item { id: string; patient: string; state: string; dueAt: string; hospital: string; documentType: string }

const csvLines = (text: string): string[] => text.split('\r\n').filter((l) => l !== '');

describe.each(BACKENDS)('timeliness API on $name', (backend) => {
  let t: TestApp;
  const tokens: Record<string, string> = {};
  const p: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp(backend, {}, fixedAt(NOW));
    for (const c of ['demo-quality', 'demo-admin', 'demo-hospital', 'demo-municipality', 'demo-gp']) tokens[c] = await t.token(c);
    const track = tracking(t.store);
    for (const k of 'ABCDEFGI') p[k] = newPatient(`http-${k}`);
    const sentEpikrise = async (k: string, received: string, sent: string): Promise<void> => {
      const patientId = p[k] ?? '';
      await track.document({ documentReferenceId: `doc-${k}-${patientId}`, patientId, receivedAt: new Date(received) });
      await track.progress(`doc-${k}-${patientId}`, 'sent', sent);
    };
    const discharge = (k: string, at: string, dept: string, hospital = KPI_H) => track.events([slhj(p[k] ?? '', at, { dept })], at, hospital);

    await discharge('A', '2024-03-04T10:00:00+01:00', DEPT_A);
    await sentEpikrise('A', '2024-03-05T08:00:00+01:00', '2024-03-05T09:00:00+01:00'); // on time, 1 working day
    await discharge('B', '2024-03-04T11:00:00+01:00', DEPT_A);
    await sentEpikrise('B', '2024-03-06T08:00:00+01:00', '2024-03-07T09:00:00+01:00'); // late, 3 working days
    await discharge('C', '2024-03-11T10:00:00+01:00', DEPT_B);
    await sentEpikrise('C', '2024-03-18T08:00:00+01:00', '2024-03-18T09:00:00+01:00'); // late, 5 working days
    await discharge('D', '2024-03-12T10:00:00+01:00', DEPT_B); // never sent: overdue
    await discharge('E', '2024-03-13T10:00:00+01:00', DEPT_B);
    await track.events([domainEvent('death', { patient: p.E ?? '', stay: `mors:${p.E ?? ''}`, key: 'mors-e', event: 'MORS', at: '2024-03-13T20:00:00+01:00' })], '2024-03-13T21:00:00+01:00', KPI_H);
    await discharge('F', '2024-03-31T22:30:00Z', DEPT_A); // 00:30 on 1 April locally (2. påskedag): April, due Tuesday 2
    await sentEpikrise('F', '2024-04-02T08:00:00+02:00', '2024-04-02T09:00:00+02:00');
    await discharge('G', '2024-04-29T10:00:00+02:00', DEPT_A); // due tonight: pending, at risk now
    // H: the udskrivningsrapport of A's stay, sent on the discharge day.
    await track.document({ documentReferenceId: `udsk-${p.A ?? ''}`, documentType: 'udskrivningsrapport', patientId: p.A ?? '', receivedAt: new Date('2024-03-04T14:00:00+01:00'), encounterEnd: new Date('2024-03-04T10:00:00+01:00') });
    await track.progress(`udsk-${p.A ?? ''}`, 'sent', '2024-03-04T15:00:00+01:00', '953741000016009');
    // I: the demo hospital's own discharge, never sent.
    await discharge('I', '2024-03-05T10:00:00+01:00', DEPT_A, HOSPITAL);
  });
  afterAll(async () => { await t.close(); });

  const get = (path: string, client: string) => request(t.app).get(path).set('Authorization', `Bearer ${tokens[client] ?? ''}`);
  const kpi = async (query: string, client = 'demo-quality'): Promise<Kpi> => {
    const res = await get(`/api/timeliness/kpi?${query}`, client);
    expect(res.status).toBe(200);
    return res.body as Kpi;
  };
  const group = (k: Kpi, key: string): Group | undefined => k.groups.find((g) => g.key === key);

  it('when quality asks per month, then the counts are the hand-counted ones, with the target, rule, calendar and clock', async () => {
    const k = await kpi(`from=2024-03&to=2024-04&groupBy=month&hospital=${KPI_H}`);
    expect(k).toMatchObject({ groupBy: 'month', target: 0.9, rule: 'next-working-day@2024.1', calendar: 'dk-strict@2024.1', clock: 'sent', from: '2024-03-01T00:00:00.000+01:00', to: '2024-04-30T23:59:59.999+02:00' });
    expect(k.groups.map((g) => g.key)).toEqual(['2024-03', '2024-04']);
    // March: A on time, H on time, B late, C late, D overdue, E excluded (death).
    expect(group(k, '2024-03')).toMatchObject({ label: 'marts 2024', discharges: 6, excluded: 1, sent: 4, onTime: 2, late: 2, pending: 0, overdue: 1, withinThreeWorkingDays: 3 });
    expect(group(k, '2024-03')?.share).toBeCloseTo(2 / 5, 12);
    expect(group(k, '2024-03')?.shareWithinThree).toBeCloseTo(3 / 5, 12);
    // April: F (discharged 31 March UTC, 1 April local) on time, G pending.
    expect(group(k, '2024-04')).toMatchObject({ label: 'april 2024', discharges: 2, excluded: 0, sent: 1, onTime: 1, late: 0, pending: 1, overdue: 0, share: 1, withinThreeWorkingDays: 1, shareWithinThree: 1 });
  });

  it('when grouped by document type, department or hospital, then the same rows add up per group', async () => {
    const byType = await kpi(`from=2024-03&to=2024-04&groupBy=documentType&hospital=${KPI_H}`);
    expect(byType.groups.map((g) => [g.key, g.label])).toEqual([['epikrise', 'Epikrise'], ['udskrivningsrapport', 'Udskrivningsrapport']]);
    expect(group(byType, 'epikrise')).toMatchObject({ discharges: 7, excluded: 1, sent: 4, onTime: 2, late: 2, pending: 1, overdue: 1, withinThreeWorkingDays: 3 });
    expect(group(byType, 'udskrivningsrapport')).toMatchObject({ discharges: 1, sent: 1, onTime: 1, share: 1, withinThreeWorkingDays: 1 });

    const byDept = await kpi(`from=2024-03&to=2024-04&groupBy=department&hospital=${KPI_H}`);
    expect(group(byDept, DEPT_A)).toMatchObject({ label: DEPT_A, discharges: 5, excluded: 0, sent: 4, onTime: 3, late: 1, pending: 1, overdue: 0, withinThreeWorkingDays: 4, shareWithinThree: 1 });
    expect(group(byDept, DEPT_A)?.share).toBeCloseTo(3 / 4, 12);
    expect(group(byDept, DEPT_B)).toMatchObject({ discharges: 3, excluded: 1, sent: 1, onTime: 0, late: 1, overdue: 1, share: 0, withinThreeWorkingDays: 0 });

    const byHospital = await kpi('from=2024-03&to=2024-04&groupBy=hospital');
    expect(byHospital.groups.map((g) => [g.key, g.discharges])).toEqual([[HOSPITAL, 1], [KPI_H, 8]]);
  });

  it('when measured on the delivered clock, then nothing delivered means everything due is overdue', async () => {
    const k = await kpi(`from=2024-03&to=2024-03&groupBy=month&hospital=${KPI_H}&clock=delivered`);
    expect(k.clock).toBe('delivered');
    expect(group(k, '2024-03')).toMatchObject({ sent: 4, onTime: 0, late: 0, pending: 0, overdue: 5, share: 0 });
  });

  it('when the KPI is asked as CSV (format=csv or Accept: text/csv), then a header row and one row per group', async () => {
    for (const res of [
      await get(`/api/timeliness/kpi?from=2024-03&to=2024-04&hospital=${KPI_H}&format=csv`, 'demo-quality'),
      await get(`/api/timeliness/kpi?from=2024-03&to=2024-04&hospital=${KPI_H}`, 'demo-quality').set('Accept', 'text/csv'),
    ]) {
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      const lines = csvLines(res.text);
      expect(lines).toEqual([
        'key,label,discharges,excluded,sent,onTime,late,pending,overdue,share,withinThreeWorkingDays,shareWithinThree',
        '2024-03,marts 2024,6,1,4,2,2,0,1,0.4,3,0.6',
        '2024-04,april 2024,2,0,1,1,0,1,0,1,1,1',
      ]);
    }
  });

  it('when quality drills down, then the rows come in discharge order, page by page, and the state filter works', async () => {
    const seen: Item[] = [];
    let path: string | undefined = `/api/timeliness/discharges?from=2024-03&to=2024-04&hospital=${KPI_H}&_count=3`;
    while (path !== undefined) {
      const res = await get(path, 'demo-quality');
      expect(res.status).toBe(200);
      const body = res.body as { items: Item[]; next?: string };
      seen.push(...body.items);
      path = body.next?.replace('http://sektorbro.test', '');
    }
    expect(seen).toHaveLength(8);
    expect(new Set(seen.map((s) => s.id)).size).toBe(8);
    expect(seen.map((s) => s.patient).at(-1)).toBe(`Patient/${p.G ?? ''}`);
    const overdue = (await get(`/api/timeliness/discharges?from=2024-03&to=2024-04&hospital=${KPI_H}&state=overdue`, 'demo-quality')).body as { items: Item[] };
    expect(overdue.items.map((i) => i.patient)).toEqual([`Patient/${p.D ?? ''}`]);
    const excluded = (await get(`/api/timeliness/discharges?from=2024-03&to=2024-04&state=excluded`, 'demo-quality')).body as { items: (Item & { exclusionReason: string })[] };
    expect(excluded.items.map((i) => [i.patient, i.exclusionReason])).toEqual([[`Patient/${p.E ?? ''}`, 'death']]);
  });

  it('when the discharges are exported as CSV, then the header names the columns and every row has them all', async () => {
    const res = await get(`/api/timeliness/discharges?from=2024-03&to=2024-04&hospital=${KPI_H}&format=csv`, 'demo-quality');
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="timeliness-discharges.csv"/);
    const lines = csvLines(res.text);
    expect(lines[0]).toBe(DISCHARGE_CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(9);
    for (const line of lines.slice(1)) expect(line.split(',')).toHaveLength(DISCHARGE_CSV_COLUMNS.length);
    const d = lines.find((l) => l.includes(`Patient/${p.D ?? ''}`))?.split(',') ?? [];
    expect(d[DISCHARGE_CSV_COLUMNS.indexOf('state')]).toBe('overdue');
    expect(d[DISCHARGE_CSV_COLUMNS.indexOf('dueAt')]).toBe('2024-03-13T23:59:59.999+01:00');
  });

  it('when the overdue list is asked, then overdue and at-risk rows come oldest due first', async () => {
    const res = await get('/api/timeliness/overdue', 'demo-quality');
    expect(res.status).toBe(200);
    const body = res.body as { at: string; items: Item[] };
    expect(body.at).toBe('2024-04-30T20:30:00.000+02:00');
    expect(body.items.map((i) => [i.patient, i.state, i.dueAt])).toEqual([
      [`Patient/${p.I ?? ''}`, 'overdue', '2024-03-06T23:59:59.999+01:00'],
      [`Patient/${p.D ?? ''}`, 'overdue', '2024-03-13T23:59:59.999+01:00'],
      [`Patient/${p.G ?? ''}`, 'at-risk', '2024-04-30T23:59:59.999+02:00'],
    ]);
  });

  it('when a hospital client asks, then it sees its own hospital only; asking for another is 403', async () => {
    const k = await kpi('from=2024-03&to=2024-04&groupBy=hospital', 'demo-hospital');
    expect(k.groups.map((g) => [g.key, g.discharges, g.overdue])).toEqual([[HOSPITAL, 1, 1]]);
    const overdue = (await get('/api/timeliness/overdue', 'demo-hospital')).body as { items: Item[] };
    expect(overdue.items.map((i) => i.patient)).toEqual([`Patient/${p.I ?? ''}`]);
    expect((await get(`/api/timeliness/discharges?from=2024-03&hospital=${KPI_H}`, 'demo-hospital')).status).toBe(403);
  });

  it('when a municipality or a GP asks for figures or rows, then 403, and the refusal is audited', async () => {
    for (const client of ['demo-municipality', 'demo-gp']) {
      for (const path of ['/api/timeliness/kpi?from=2024-03', '/api/timeliness/discharges?from=2024-03', '/api/timeliness/overdue']) {
        const res = await get(path, client);
        expect(res.status).toBe(403);
        expect((res.body as { resourceType: string }).resourceType).toBe('OperationOutcome');
      }
    }
    const audit = await t.store.audit.search({ clientId: 'demo-gp', count: 50 });
    expect(audit.items.filter((a) => a.status === 403 && a.outcome === '4' && a.query?.includes('from=2024-03') === true).length).toBeGreaterThanOrEqual(2);
  });

  it('when quality reads rows, then the audit record names the patients and keeps the query', async () => {
    await get(`/api/timeliness/discharges?from=2024-03&to=2024-03&hospital=${KPI_H}&state=overdue`, 'demo-quality');
    const audit = await t.store.audit.search({ entity: `Patient/${p.D ?? ''}`, count: 10 });
    expect(audit.items.some((a) => a.clientId === 'demo-quality' && a.status === 200 && a.query?.includes('state=overdue') === true)).toBe(true);
  });

  it('when anyone authenticated asks the deadline calculator, then it answers as sektorbro deadline; bad input is 400', async () => {
    const res = await get('/api/timeliness/deadline?dischargedAt=2024-03-22T10:00:00%2B01:00&sentAt=2024-03-26T09:00:00%2B01:00', 'demo-gp');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(deadlineFromQuery({ dischargedAt: '2024-03-22T10:00:00+01:00', sentAt: '2024-03-26T09:00:00+01:00' }));
    expect(res.body).toMatchObject({ dueBy: '2024-03-25T23:59:59.999+01:00', onTime: false, workingDaysElapsed: 2 });
    const bad = await get('/api/timeliness/deadline?dischargedAt=yesterday', 'demo-gp');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('dischargedAt');
    expect((await request(t.app).get('/api/timeliness/deadline?dischargedAt=2024-03-22')).status).toBe(401);
  });

  it('when a hospital records the patient\'s objection on its own row, then it is excluded; another hospital\'s row is 404; a GP may not', async () => {
    const own = ((await get('/api/timeliness/overdue', 'demo-hospital')).body as { items: Item[] }).items[0];
    const post = (id: string, client: string, query: string) => request(t.app).post(`/api/timeliness/discharges/${id}/${query}`).set('Authorization', `Bearer ${tokens[client] ?? ''}`);
    expect((await post(own?.id ?? '', 'demo-gp', '$exclude?reason=objection')).status).toBe(403);
    expect((await post(own?.id ?? '', 'demo-hospital', '$exclude?reason=bored')).status).toBe(400);
    const res = await post(own?.id ?? '', 'demo-hospital', '$exclude?reason=objection');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'excluded', exclusionReason: 'objection' });
    const other = ((await get(`/api/timeliness/discharges?from=2024-03&to=2024-03&hospital=${KPI_H}&state=overdue`, 'demo-quality')).body as { items: Item[] }).items[0];
    expect((await post(other?.id ?? '', 'demo-hospital', '$exclude?reason=objection')).status).toBe(404);
    const k = await kpi('from=2024-03&to=2024-04&groupBy=hospital', 'demo-hospital');
    expect(k.groups.map((g) => [g.key, g.excluded, g.overdue])).toEqual([[HOSPITAL, 1, 0]]);
  });
});
