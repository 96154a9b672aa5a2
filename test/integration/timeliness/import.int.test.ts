import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store, TimelinessExpectation } from '../../../src/store/index.ts';
import {
  DEFAULT_TIMELINESS_SETTINGS,
  importExpectations,
  readImport,
  runTimelinessImport,
  type ImportCommandDeps,
  type TimelinessSettings,
} from '../../../src/timeliness/index.ts';
import { FHIR_JSON, startTestApp, type TestApp } from '../../helpers/app.ts';
import { epikriseBundle } from '../../helpers/documents.ts';
import { backends, openTestStore, type TestStore } from '../../helpers/store.ts';

const BACKENDS = await backends();
const NOW = new Date('2024-06-03T12:00:00Z');
const HOSPITAL = '999000000000771';
const HEADER = 'discharged_at;sent_at;delivered_at;hospital_sor;department_sor;document_type;patient_cpr;episode_of_care_id;excluded_reason';
const lines = (...rows: string[]): string => `${rows.join('\r\n')}\r\n`;
const bytes = (text: string): Uint8Array => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);

/** An export as Danish Excel writes it: BOM, `;`, local times. Row 4 has not been sent. */
const EXPORT = lines(
  HEADER,
  `2024-03-22 10:00;2024-03-25 09:00;;${HOSPITAL};${HOSPITAL};epikrise;0803829990;;`,
  `2024-03-22 10:00;2024-03-26 09:00;2024-03-26 09:05;${HOSPITAL};;;;EOC-7;`,
  `2024-05-30 10:00;;;${HOSPITAL};;;1212129999;;`,
  `2024-04-10 08:00;;;${HOSPITAL};;udskrivningsrapport;;;death`,
);
/** The same export later: row 4 was sent after all (late). */
const CORRECTED = EXPORT.replace(`2024-05-30 10:00;;;${HOSPITAL}`, `2024-05-30 10:00;2024-06-03 08:00;;${HOSPITAL}`);

const settle = (rows: TimelinessExpectation[]): Record<string, unknown>[] =>
  rows.map((r) => ({ ...r })).sort((a, b) => (a.id < b.id ? -1 : 1));

describe.each(BACKENDS)('timeliness import into storage on $name', (backend) => {
  let ts: TestStore;
  let store: Store;
  let gateway: Server;
  let gatewayUrl: string;
  const stderr: string[] = [];

  /** The command as the CLI runs it, on this test's store (which it must not close). */
  const run = (text: string, over: Partial<ImportCommandDeps> = {}): Promise<number> => {
    stderr.length = 0;
    return runTimelinessImport(['export.csv'], {
      settings: DEFAULT_TIMELINESS_SETTINGS,
      storage: { kind: 'postgres', url: 'postgres://example/sektorbro' },
      gatewayUrl: 'http://127.0.0.1:9',
      clock: { now: () => NOW },
      stderr: { write: (s: string) => stderr.push(s) > 0 },
      readFile: () => bytes(text),
      openStore: () => Promise.resolve({ ...store, close: () => Promise.resolve() }),
      ...over,
    });
  };
  const idsOf = (text: string, settings: TimelinessSettings = DEFAULT_TIMELINESS_SETTINGS): string[] =>
    readImport(bytes(text), { settings, now: NOW }).rows.map((r) => r.expectation.id);

  beforeAll(async () => {
    ts = await openTestStore(backend);
    store = ts.store;
    gateway = createServer((req, res) => res.writeHead(req.url === '/health/live' ? 200 : 404).end());
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    gatewayUrl = `http://127.0.0.1:${String((gateway.address() as AddressInfo).port)}`;
  });
  afterAll(async () => {
    await ts.close();
    await new Promise((resolve) => gateway.close(resolve));
  });

  it('when a good export is imported, then its rows are stored from source import and the indicator counts them', async () => {
    expect(await run(EXPORT)).toBe(0);
    expect(stderr.join('')).toBe('Imported 4 rows into PostgreSQL at example/sektorbro: 4 new, 0 updated, 0 unchanged.\n');
    const rows = await store.timeliness.getMany(idsOf(EXPORT));
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => r.source === 'import' && r.hospitalSor === HOSPITAL)).toBe(true);
    const [kpi] = await store.timeliness.kpi({ from: new Date('2024-01-01'), to: NOW, groupBy: 'hospital', hospitalSor: HOSPITAL, clock: 'sent', now: NOW });
    expect(kpi).toMatchObject({ key: HOSPITAL, discharges: 4, excluded: 1, sent: 2, onTime: 1, late: 1, overdue: 1, pending: 0 });
  });

  it('when the same export is imported again, then nothing changes, not even a row\'s updatedAt', async () => {
    const before = settle(await store.timeliness.getMany(idsOf(EXPORT)));
    expect(await run(EXPORT, { clock: { now: () => new Date(NOW.getTime() + 60_000) } })).toBe(0);
    expect(stderr.join('')).toContain(': 0 new, 0 updated, 4 unchanged.');
    expect(settle(await store.timeliness.getMany(idsOf(EXPORT)))).toEqual(before);
  });

  it('when a corrected export sends a row that was not sent, then that row is updated (late now), measured by the rule it was imported with', async () => {
    const rule = { kind: 'working-days', id: 'working-days:3', version: '2024.1', days: 3 } as const;
    // Another rule configured since: new rows would take it, the imported row keeps its own.
    expect(await run(CORRECTED, { settings: { ...DEFAULT_TIMELINESS_SETTINGS, rule } })).toBe(0);
    expect(stderr.join('')).toContain(': 0 new, 1 updated, 3 unchanged.');
    const corrected = (await store.timeliness.getMany(idsOf(CORRECTED))).find((r) => r.dischargedAt?.toISOString() === '2024-05-30T08:00:00.000Z');
    expect(corrected).toMatchObject({ state: 'late', rule: 'next-working-day@2024.1', workingDaysElapsed: 2 });
    expect(corrected?.sentAt?.toISOString()).toBe('2024-06-03T06:00:00.000Z');
  });

  it('when one row is bad, then exit code 65 and nothing of the file is stored', async () => {
    const fresh = lines(HEADER, `2024-02-01 10:00;;;${HOSPITAL};;;;;`, `2024-02-02 10:00;;;${HOSPITAL};;;;;`, `2024-02-03 10:00;;;${HOSPITAL};;;;;maybe`);
    const good = lines(HEADER, `2024-02-01 10:00;;;${HOSPITAL};;;;;`, `2024-02-02 10:00;;;${HOSPITAL};;;;;`);
    expect(await run(fresh)).toBe(65);
    expect(stderr).toEqual(['line 4: excluded_reason: must be one of death, transfer, no-gp, objection, cancelled\n', '1 bad line in export.csv: nothing imported.\n']);
    expect(await store.timeliness.getMany(idsOf(good))).toEqual([]);
  });

  it('when the database refuses a row mid-import, then the rows before it are rolled back too (one transaction)', async () => {
    const rows = readImport(bytes(lines(HEADER, ...Array.from({ length: 30 }, (_, i) => `2024-01-${String(i + 1).padStart(2, '0')} 10:00;;;${HOSPITAL};;;;;`))), {
      settings: DEFAULT_TIMELINESS_SETTINGS,
      now: NOW,
    }).rows.map((r) => r.expectation);
    const last = rows.at(-1);
    if (!last) throw new Error('no rows');
    // A value PostgreSQL cannot store (year 10000), in the last of several batches.
    const broken = [...rows.slice(0, -1), { ...last, dischargedAt: new Date('+010000-01-01T00:00:00Z') }];
    await expect(importExpectations(store, broken, { now: NOW, settings: DEFAULT_TIMELINESS_SETTINGS, batchSize: 7 })).rejects.toThrow();
    expect(await store.timeliness.getMany(rows.map((r) => r.id))).toEqual([]);
    const outcome = await importExpectations(store, rows, { now: NOW, settings: DEFAULT_TIMELINESS_SETTINGS, batchSize: 7 });
    expect(outcome).toEqual({ total: 30, inserted: 30, updated: 0, unchanged: 0 });
  });

  it('when PGlite is configured and a gateway answers at its address, then exit code 75 and storage is not opened', async () => {
    let opened = false;
    const code = await run(EXPORT, {
      storage: { kind: 'pglite', dataDir: './data' },
      gatewayUrl,
      openStore: () => {
        opened = true;
        return Promise.resolve(store);
      },
    });
    expect(code).toBe(75);
    expect(opened).toBe(false);
    expect(stderr.join('')).toBe(`A gateway answers at ${gatewayUrl} on PGlite in ./data: stop it first (PGlite allows one process), then import again.\n`);
  });

  it('when opening storage fails because another process holds it, then exit code 75 says so', async () => {
    const code = await run(EXPORT, { openStore: () => Promise.reject(Object.assign(new Error('database is locked'), { code: 'EBUSY' })) });
    expect(code).toBe(75);
    expect(stderr.join('')).toContain('is in use by another process (is the gateway running?)');
  });
});

describe.each(BACKENDS)('timeliness import and ingest agree on the patient on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend);
  });
  afterAll(async () => {
    await t.close();
  });

  it('when a CPR number is imported, then the row names the Patient that ingest stores for that CPR number', async () => {
    const cpr = '1502799995';
    const hospital = await t.token('demo-hospital');
    const res = await request(t.app).post('/fhir/Bundle').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(epikriseBundle({ letterId: 'import-patient-1', cpr })));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const patientRef = (res.body as { subject: { reference: string } }).subject.reference;
    const [row] = readImport(bytes(lines(HEADER, `2024-03-22 10:00;;;${HOSPITAL};;;${cpr};;`)), { settings: DEFAULT_TIMELINESS_SETTINGS, now: NOW }).rows;
    expect(`Patient/${row?.expectation.patientId ?? ''}`).toBe(patientRef);
  });
});
