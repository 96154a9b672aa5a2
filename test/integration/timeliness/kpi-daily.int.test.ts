/**
 * The KPI's daily totals (migration 0009) against an oracle: rows with known values are written
 * through the repository, changed, and compacted; at every step the KPI and the state gauges must
 * equal what counting the rows one by one in JavaScript gives, for ranges with whole days, partial
 * days, none, and the two daylight-saving days.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/demo/index.ts';
import { localDateOf } from '../../../src/shared/time.ts';
import type { TimelinessClock, TimelinessExpectation, TimelinessGroupBy, TimelinessKpiRow, TimelinessRepository } from '../../../src/store/index.ts';
import { backends, openTestStore, type TestStore } from '../../helpers/store.ts';

const HOUR = 3_600_000;
const HOSPITALS = ['265161000016000', '1234567890123'];
const DEPARTMENTS = ['265171000016006', '328081000016005', undefined];
const TYPES = ['epikrise', 'udskrivningsrapport'] as const;
const EXCLUSIONS = ['death', 'transfer', 'no-gp'] as const;
const START = Date.parse('2026-03-20T00:00:00+01:00'); // the spring change (29 March) and the autumn one (25 October) are inside
const SPAN_DAYS = 230;

function row(i: number, r: () => number): TimelinessExpectation {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const discharged = new Date(START + Math.floor(r() * SPAN_DAYS * 24) * HOUR + Math.floor(r() * HOUR));
  // A few still wait for their discharge (a document came first): in no KPI range, but in the state gauges.
  const known = r() >= 0.04;
  const due = !known || r() < 0.05 ? undefined : new Date(discharged.getTime() + (12 + Math.floor(r() * 60)) * HOUR);
  const sent = r() < 0.25 ? undefined : new Date(discharged.getTime() + Math.floor(r() * 96) * HOUR);
  const delivered = sent === undefined || r() < 0.2 ? undefined : new Date(sent.getTime() + Math.floor(r() * 30) * HOUR);
  const at = new Date(START);
  return {
    id: `kpi-${String(i)}`, documentType: pick(TYPES), source: 'import', dischargeKey: `kpi-discharge-${String(i)}`, patientId: `kpi-patient-${String(i)}`,
    stayKey: undefined, episodeOfCareId: undefined, hospitalSor: pick(HOSPITALS), departmentSor: pick(DEPARTMENTS),
    dischargedAt: known ? discharged : undefined, dueAt: due, rule: 'next-working-day@2024.1', calendar: 'dk-strict@2024.1',
    clock: r() < 0.3 ? 'delivered' : 'sent', state: 'pending',
    exclusionReason: r() < 0.08 ? pick(EXCLUSIONS) : undefined, exclusionSource: undefined, expectedRecipients: [], documentKey: undefined,
    documentReferenceId: undefined, documentReferenceIds: [], receivedAt: undefined, sentAt: sent, deliveredAt: delivered,
    workingDaysElapsed: undefined, withinThree: sent === undefined ? undefined : r() < 0.7, deliveredWorkingDaysElapsed: undefined,
    deliveredWithinThree: delivered === undefined ? undefined : r() < 0.6, alertedAt: undefined, alertAttempts: 0, createdAt: at, updatedAt: at,
  };
}

interface Query { from: Date; to: Date; groupBy: TimelinessGroupBy; clock: TimelinessClock; now: Date; hospitalSor?: string; departmentSor?: string; documentType?: 'epikrise' | 'udskrivningsrapport' }

/** The KPI by its definition, one row at a time. */
function oracle(rows: readonly TimelinessExpectation[], q: Query): TimelinessKpiRow[] {
  const groups = new Map<string, TimelinessKpiRow>();
  for (const e of rows) {
    const d = e.dischargedAt;
    if (d === undefined || d < q.from || d > q.to) continue;
    if ((q.hospitalSor !== undefined && e.hospitalSor !== q.hospitalSor) || (q.departmentSor !== undefined && e.departmentSor !== q.departmentSor)) continue;
    if (q.documentType !== undefined && e.documentType !== q.documentType) continue;
    const key = q.groupBy === 'month' ? localDateOf(d).slice(0, 7) : q.groupBy === 'hospital' ? e.hospitalSor : q.groupBy === 'department' ? (e.departmentSor ?? 'unknown') : e.documentType;
    const g = groups.get(key) ?? { key, discharges: 0, excluded: 0, sent: 0, onTime: 0, late: 0, pending: 0, overdue: 0, withinThree: 0 };
    groups.set(key, g);
    g.discharges++;
    if (e.exclusionReason !== undefined) { g.excluded++; continue; }
    const at = q.clock === 'sent' ? e.sentAt : e.deliveredAt;
    const within = q.clock === 'sent' ? e.withinThree : e.deliveredWithinThree;
    if (e.sentAt !== undefined) g.sent++;
    if (at !== undefined && e.dueAt !== undefined && at <= e.dueAt) g.onTime++;
    if (at !== undefined && e.dueAt !== undefined && at > e.dueAt) g.late++;
    if (at === undefined && e.dueAt !== undefined && e.dueAt >= q.now) g.pending++;
    if (at === undefined && e.dueAt !== undefined && e.dueAt < q.now) g.overdue++;
    if (at !== undefined && within === true) g.withinThree++;
  }
  return [...groups.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The state gauges by their definition (liveState): each row's state on its own clock at `now`. */
function stateOracle(rows: readonly TimelinessExpectation[], now: Date, atRiskMs: number): { state: string; documentType: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const e of rows) {
    const at = e.clock === 'delivered' ? e.deliveredAt : e.sentAt;
    const state = e.exclusionReason !== undefined ? 'excluded'
      : e.dischargedAt === undefined || e.dueAt === undefined ? 'awaiting-discharge'
        : at !== undefined ? (at <= e.dueAt ? 'on-time' : 'late')
          : e.dueAt < now ? 'overdue' : e.dueAt.getTime() <= now.getTime() + atRiskMs ? 'at-risk' : 'pending';
    const key = `${state}|${e.documentType}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, count]) => {
    const [state = '', documentType = ''] = key.split('|');
    return { state, documentType, count };
  });
}

const local = (iso: string) => new Date(iso);
/** Ranges: whole days, partial ends, under a day, exactly a day, the two DST days, everything. */
const RANGES: readonly [string, Date, Date][] = [
  ['all', new Date(START - 86_400_000), new Date(START + (SPAN_DAYS + 5) * 86_400_000)],
  ['whole days in March (spring change)', local('2026-03-25T00:00:00+01:00'), local('2026-04-02T00:00:00+02:00')],
  ['partial ends', local('2026-05-03T13:17:00+02:00'), local('2026-07-19T08:45:30+02:00')],
  ['under a day', local('2026-06-10T06:00:00+02:00'), local('2026-06-10T18:00:00+02:00')],
  ['exactly the spring day (23 h)', local('2026-03-29T00:00:00+01:00'), local('2026-03-30T00:00:00+02:00')],
  ['exactly the autumn day (25 h), to inclusive', local('2026-10-25T00:00:00+02:00'), local('2026-10-26T00:00:00+01:00')],
  ['across the autumn change, partial', local('2026-10-20T23:59:59.999+02:00'), local('2026-10-28T00:00:00.001+01:00')],
];
const GROUPS: readonly TimelinessGroupBy[] = ['month', 'hospital', 'department', 'documentType'];

describe.each(await backends())('KPI from daily totals on $name', (backend) => {
  let t: TestStore;
  let repo: TimelinessRepository;
  const rows: TimelinessExpectation[] = [];
  const r = mulberry32(20261130); // seeded, so a failure can be replayed
  beforeAll(async () => {
    t = await openTestStore(backend);
    repo = t.store.timeliness;
    for (let i = 0; i < 600; i++) rows.push(row(i, r));
    expect(await repo.insertMany(rows)).toBe(rows.length);
  });
  afterAll(async () => { await t.close(); });

  const agrees = async (now: Date): Promise<number> => {
    let checked = 0;
    for (const [, from, to] of RANGES) {
      for (const groupBy of GROUPS) {
        for (const clock of ['sent', 'delivered'] as const) {
          const q: Query = { from, to, groupBy, clock, now };
          expect(await repo.kpi(q), `${groupBy}/${clock} ${from.toISOString()}..${to.toISOString()}`).toEqual(oracle(rows, q));
          checked++;
        }
      }
    }
    for (const filter of [{ hospitalSor: HOSPITALS[1] }, { departmentSor: DEPARTMENTS[0] }, { documentType: 'udskrivningsrapport' as const }]) {
      const [, from, to] = RANGES[2] as [string, Date, Date];
      const q: Query = { from, to, groupBy: 'month', clock: 'sent', now, ...filter };
      expect(await repo.kpi(q), JSON.stringify(filter)).toEqual(oracle(rows, q));
    }
    // The state gauges, at this moment and at one where rows are pending, at risk and overdue at once.
    for (const at of [now, local('2026-05-10T09:00:00+02:00')]) {
      expect(await repo.stateCounts(at, 4 * HOUR), `states at ${at.toISOString()}`).toEqual(stateOracle(rows, at, 4 * HOUR));
    }
    return checked;
  };

  it('when rows are written, then the KPI equals counting them one by one, before and after the totals are compacted', async () => {
    expect(await agrees(local('2026-06-01T12:00:00+02:00'))).toBe(RANGES.length * GROUPS.length * 2);
    // One delta per row with a discharge time; a row still awaiting its discharge is in no day.
    expect(await repo.compactDaily()).toBe(rows.filter((e) => e.dischargedAt !== undefined).length);
    await agrees(local('2026-06-01T12:00:00+02:00'));
    expect(await repo.compactDaily()).toBe(0);
  });

  it('when rows change (sent, delivered, excluded, a discharge moved to another day and department), then the KPI follows, compacted or not', async () => {
    for (let i = 0; i < rows.length; i += 7) {
      const e = rows[i] as TimelinessExpectation;
      const changed: TimelinessExpectation = i % 3 === 0
        ? { ...e, sentAt: new Date((e.dischargedAt ?? new Date(START)).getTime() + 5 * HOUR), withinThree: true, deliveredAt: undefined, deliveredWithinThree: undefined }
        : i % 3 === 1
          ? { ...e, exclusionReason: e.exclusionReason === undefined ? 'objection' : undefined }
          : { ...e, dischargedAt: new Date((e.dischargedAt ?? new Date(START)).getTime() + 37 * HOUR), departmentSor: DEPARTMENTS[(i / 7) % 3] };
      await repo.save(changed);
      rows[i] = changed;
    }
    // A change of state alone counts for nothing in the totals (and the trigger leaves it out).
    await repo.refreshStates(local('2026-09-01T00:00:00+02:00'), 4 * HOUR);
    await agrees(local('2026-09-01T00:00:00+02:00'));
    await repo.compactDaily();
    await agrees(local('2026-09-01T00:00:00+02:00'));
  });
});
