import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../../src/config/index.ts';
import {
  DEMO_DEPARTMENTS,
  DEMO_GP_PRACTICES,
  DEMO_HOSPITALS,
  DEMO_MUNICIPALITIES,
  generateDemo,
  readDocumentTemplates,
  runDemo,
  type DemoOptions,
  type DemoPlan,
  type DemoSummary,
} from '../../../src/demo/index.ts';
import { departmentOverview } from '../../../src/responsibility/index.ts';
import { createLogger, isRegistryEntry, systemClock } from '../../../src/shared/index.ts';
import { openStore, type Store, type TimelinessExpectation } from '../../../src/store/index.ts';
import { patientIdForCpr } from '../../../src/timeliness/index.ts';

/**
 * `sektorbro demo` on a small scale, twice, into two fresh PGlite folders: the rows must tell what
 * the plan says happened, at the simulated times, and be the same both times.
 */
const OPTIONS: DemoOptions = { days: 7, perDay: 4, seed: 3, until: new Date('2026-11-27T12:00:00+01:00') };
const quiet = createLogger({ level: 'error', silent: true });

interface Run {
  dir: string;
  summary: DemoSummary;
  store: Store;
  rows: TimelinessExpectation[];
}

async function demoInto(dir: string): Promise<Run> {
  const config: Config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dir });
  const summary = await runDemo(OPTIONS, { config, logger: quiet });
  const store = await openStore({ kind: 'pglite', dataDir: dir }, { logger: quiet, clock: systemClock });
  const rows = (await store.timeliness.list({ from: new Date('2026-01-01T00:00:00Z'), to: OPTIONS.until, now: OPTIONS.until, atRiskMs: 4 * 3_600_000, count: 1000 })).items;
  return { dir, summary, store, rows };
}

/** What must be equal between two runs: identity, times and states (not when a poller happened to look). */
const comparable = (rows: TimelinessExpectation[]) =>
  rows
    .map((r) => ({
      id: r.id, documentType: r.documentType, patientId: r.patientId, hospitalSor: r.hospitalSor, departmentSor: r.departmentSor, episodeOfCareId: r.episodeOfCareId,
      dischargedAt: r.dischargedAt?.toISOString(), dueAt: r.dueAt?.toISOString(), receivedAt: r.receivedAt?.toISOString(), sentAt: r.sentAt?.toISOString(),
      deliveredAt: r.deliveredAt?.toISOString(), state: r.state, rule: r.rule, calendar: r.calendar,
    }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));

describe('sektorbro demo into PGlite', () => {
  let plan: DemoPlan;
  const runs: Run[] = [];

  beforeAll(async () => {
    plan = generateDemo(OPTIONS, readDocumentTemplates(), loadConfig({ NODE_ENV: 'test' }).timeliness);
    for (const name of ['a', 'b']) runs.push(await demoInto(mkdtempSync(join(tmpdir(), `sektorbro-demo-${name}-`))));
  }, 900_000);
  afterAll(async () => {
    for (const r of runs) {
      await r.store.close();
      rmSync(r.dir, { recursive: true, force: true });
    }
  });

  it('when the demo has run, then the epikrise indicator has rows on time, late and never sent (overdue)', async () => {
    const [kpi] = await runs[0]?.store.timeliness.kpi({ from: plan.from, to: OPTIONS.until, groupBy: 'documentType', documentType: 'epikrise', clock: 'sent', now: OPTIONS.until }) ?? [];
    expect(kpi?.onTime).toBeGreaterThan(0);
    expect(kpi?.late).toBeGreaterThan(0);
    expect(kpi?.overdue).toBeGreaterThan(0);
    expect(runs[0]?.summary.epikrise).toMatchObject({ onTime: kpi?.onTime, late: kpi?.late, overdue: kpi?.overdue });
  });

  it('when a discharge was planned, then its epikrise row has the planned discharge and send times: deliveries happened on the simulated clock', () => {
    const rows = runs[0]?.rows ?? [];
    const discharged = plan.discharges.filter((d) => d.dischargedAt < OPTIONS.until);
    expect(discharged.length).toBeGreaterThan(15);
    for (const d of discharged) {
      const row = rows.find((r) => r.documentType === 'epikrise' && r.patientId === patientIdForCpr(d.patient.cpr));
      expect(row, d.patient.cpr).toBeDefined();
      expect(row?.dischargedAt).toEqual(d.dischargedAt);
      expect(row?.hospitalSor).toBe(d.department.sor);
      expect(row?.departmentSor).toBe(d.department.sor);
      const sent = d.epikriseSentAt !== undefined && d.epikriseSentAt < OPTIONS.until ? d.epikriseSentAt : undefined;
      expect(row?.sentAt).toEqual(sent);
      const expected = sent === undefined ? (d.epikriseDueAt < OPTIONS.until ? 'overdue' : ['pending', 'at-risk']) : d.epikrise;
      if (Array.isArray(expected)) expect(expected).toContain(row?.state);
      else expect(row?.state).toBe(expected);
    }
  });

  it('when udskrivningsrapporter were sent, then the municipality got each and its row is measured', () => {
    const rows = runs[0]?.rows.filter((r) => r.documentType === 'udskrivningsrapport') ?? [];
    const planned = plan.discharges.filter((d) => d.udskrivningsrapportSentAt !== undefined && d.udskrivningsrapportSentAt < OPTIONS.until);
    expect(rows).toHaveLength(planned.length);
    expect(rows.every((r) => r.sentAt !== undefined && r.deliveredAt !== undefined && (r.state === 'on-time' || r.state === 'late'))).toBe(true);
    expect(runs[0]?.summary.delivered.documents).toBe(plan.requests.filter((r) => r.step === 'epikrise' || r.step === 'udskrivningsrapport').length);
    expect(runs[0]?.summary.delivered.messages).toBe(plan.requests.filter((r) => r.step === 'STIN' || r.step === 'SLHJ').length);
  });

  it('when the demo ends, then some department holds extended responsibility for patients discharged in the last days', async () => {
    const store = runs[0]?.store;
    if (!store) throw new Error('no run');
    const overviews = await Promise.all(DEMO_DEPARTMENTS.map((d) => store.transaction((tx) => departmentOverview(tx, d.sor, OPTIONS.until, { includeCpr: false }))));
    const patients = overviews.flatMap((o) => o.patients);
    expect(patients.length).toBeGreaterThan(0);
    for (const p of patients) expect(p.hoursLeft).toBeGreaterThan(0);
  });

  it('when the demo ends, then its receivers\' Endpoints are off, and every demo SOR code has exactly one registry Organization', async () => {
    const store = runs[0]?.store;
    if (!store) throw new Error('no run');
    const endpoints = (await store.resources.search({ type: 'Endpoint', criteria: [], count: 200, total: false }, { kind: 'all' })).items
      .map((e) => e.resource as fhir4.Endpoint | undefined)
      .filter((e) => e?.name?.includes('running only while sektorbro demo runs') === true);
    expect(endpoints).toHaveLength(DEMO_MUNICIPALITIES.length * 2 + DEMO_GP_PRACTICES.length);
    expect(endpoints.every((e) => e?.status === 'off')).toBe(true);
    for (const o of [...DEMO_HOSPITALS, ...DEMO_DEPARTMENTS, ...DEMO_MUNICIPALITIES, ...DEMO_GP_PRACTICES]) {
      const found = await store.resources.search(
        { type: 'Organization', criteria: [{ kind: 'token', param: 'identifier', values: [{ system: 'urn:oid:1.2.208.176.1.1', code: o.sor }] }], count: 20, total: false },
        { kind: 'all' },
      );
      expect(found.items.filter((r) => isRegistryEntry(r.resource)), o.sor).toHaveLength(1);
    }
  });

  it('when the demo runs twice with the same seed into fresh storage, then the expectation rows are the same', () => {
    expect(runs[0]?.rows.length).toBeGreaterThan(20);
    expect(comparable(runs[1]?.rows ?? [])).toEqual(comparable(runs[0]?.rows ?? []));
    const withoutStorage = (s: DemoSummary | undefined) => ({ ...s, storage: undefined });
    expect(withoutStorage(runs[1]?.summary)).toEqual(withoutStorage(runs[0]?.summary));
  });
});
