import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, startTestApp } from '../../helpers/app.ts';
import { epikriseBundle, GP_SOR } from '../../helpers/documents.ts';
import { startReceiver, waitFor, type TestReceiver } from '../../helpers/receiver.ts';
import { redisAvailable, TEST_REDIS_URL } from '../../helpers/redis.ts';
import { backends, TEST_DATABASE_URL } from '../../helpers/store.ts';
import { freePort } from '../../helpers/net.ts';

const BIN = new URL('../../../bin/sektorbro.js', import.meta.url).pathname;
const postgres = (await backends()).find((b) => b.name === 'postgres');
const redis = await redisAvailable();

const ENDPOINT = (url: string) => ({
  resourceType: 'Endpoint', id: 'ep-gp', status: 'active',
  connectionType: { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: 'hl7-fhir-rest' },
  payloadType: [{ text: 'documents' }], address: url,
});
const GP_ORG = {
  resourceType: 'Organization', id: 'gp', name: 'Lægehuset Østerbro',
  identifier: [{ system: 'urn:oid:1.2.208.176.1.1', value: GP_SOR }], endpoint: [{ reference: 'Endpoint/ep-gp' }],
};

interface Timeline { deliveries: { status: string; attempts: number; timeline: { status: string }[] }[] }

/** The real gateway as a child process (`sektorbro start`), killed the hard way when a test says so. */
async function startGatewayProcess(env: Record<string, string>): Promise<{ base: string; child: ChildProcess; output: () => string }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${String(port)}`;
  const child = spawn(process.execPath, [BIN, 'start'], {
    env: { ...process.env, NODE_ENV: 'development', HOST: '127.0.0.1', PORT: String(port), PUBLIC_BASE_URL: base, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString('utf8'); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString('utf8'); });
  for (let i = 0; i < 900 && !out.includes('gateway.started'); i++) {
    if (child.exitCode !== null) throw new Error(`gateway exited early:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!out.includes('gateway.started')) {
    child.kill('SIGKILL');
    throw new Error(`gateway did not start:\n${out}`);
  }
  return { base, child, output: () => out };
}

const killed = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => { resolve(); });
    child.kill('SIGKILL');
  });

const token = async (base: string, clientId: string): Promise<string> => {
  const res = await request(base).post('/oauth/token').auth(clientId, `${clientId}-secret`).type('form').send({ grant_type: 'client_credentials' });
  return (res.body as { access_token: string }).access_token;
};

const setups: { name: string; env: () => Record<string, string>; cleanup: () => void | Promise<void> }[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'sektorbro-outage-'));
setups.push({ name: 'the embedded default (PGlite, in-process queue)', env: () => ({ DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '' }), cleanup: () => { rmSync(dataDir, { recursive: true, force: true }); } });
if (postgres && redis) {
  // A database of its own: the gateway process migrates it like a fresh production database.
  const database = `sektorbro_outage_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${database}`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${database}`;
  setups.push({
    name: 'PostgreSQL and Redis',
    env: () => ({ DATABASE_URL: url.toString(), REDIS_URL: TEST_REDIS_URL }),
    cleanup: () => admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`),
  });
}

describe.each(setups)('nothing is lost when the gateway process is killed mid-delivery, on $name', ({ env, cleanup }) => {
  const receivers: TestReceiver[] = [];
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) await killed(c);
    for (const r of receivers) await r.close();
    await cleanup();
  });

  it('when the gateway dies while a push is on the wire, then after a restart the delivery is made again under the same id and ends delivered', async () => {
    const gp = await startReceiver({ hang: true });
    receivers.push(gp);
    const settings = { ...env(), DELIVERY_TIMEOUT_MS: '1000', DELIVERY_RETRY_BASE_MS: '50', DELIVERY_RETRY_MAX_DELAY_MS: '200', DELIVERY_POLL_MS: '50' };
    const first = await startGatewayProcess(settings);
    children.push(first.child);
    const admin = await token(first.base, 'demo-admin');
    // The embedded default seeds the demo GP's registry row: point its Endpoint at this test's receiver.
    const endpoint = { ...ENDPOINT(gp.url), id: 'demo-laegehuset-oesterbro-hl7-fhir-rest' };
    const res = await request(first.base).put(`/fhir/Endpoint/${endpoint.id}`).set('Authorization', `Bearer ${admin}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(endpoint));
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    const hospital = await token(first.base, 'demo-hospital');
    const stored = await request(first.base).post('/fhir/Bundle').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(epikriseBundle({ letterId: `killed-${randomUUID()}` })));
    expect(stored.status, JSON.stringify(stored.body)).toBe(201);
    const id = (stored.body as { id: string }).id;
    await waitFor(() => gp.received.some((r) => r.method === 'PUT'), 'the push to be on the wire', 30_000);
    await killed(first.child); // SIGKILL: no shutdown, no answer recorded

    gp.setDefault({ status: 201 });
    const second = await startGatewayProcess(settings);
    children.push(second.child);
    const hospitalAgain = await token(second.base, 'demo-hospital');
    const done = await waitFor(async () => {
      const res = await request(second.base).get(`/api/deliveries?document=${id}`).set('Authorization', `Bearer ${hospitalAgain}`);
      const d = (res.body as Timeline).deliveries[0];
      return d?.status === 'delivered' ? d : undefined;
    }, 'the delivery after the restart', 60_000);
    const puts = gp.received.filter((r) => r.method === 'PUT');
    expect(new Set(puts.map((r) => r.path)).size).toBe(1); // the same Bundle id every time: an idempotent redelivery
    expect(puts.length).toBeGreaterThanOrEqual(2);
    expect(done.timeline.map((e) => e.status)).toContain('attempt-interrupted');
    expect(done.timeline.at(-1)?.status).toBe('delivered');
    await killed(second.child);
  }, 240_000); // two real gateway start-ups
});

/** A Redis of this test's own, so stopping it disturbs no other test. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await waitFor(() => new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => { resolve(true); }); // in use: Redis listens
    s.listen(port, '127.0.0.1', () => { s.close(() => { resolve(false); }); });
  }), 'redis-server to listen');
  return child;
}

describe.runIf(postgres && redis)('nothing is lost when Redis restarts mid-stream', () => {
  it('when Redis is killed and comes back while documents flow, then every delivery ends delivered, in order per patient', async () => {
    if (!postgres) return;
    const port = await freePort();
    let redisServer = await startRedis(port);
    const gp = await startReceiver({ status: 201 });
    const t = await startTestApp(postgres, {}, undefined, {
      queue: { kind: 'bullmq', url: `redis://127.0.0.1:${String(port)}/0`, prefix: `outage-${randomUUID().slice(0, 8)}` },
      delivery: { timeoutMs: 1000, retryBaseMs: 20, retryMaxDelayMs: 100, pollMs: 20 },
    });
    try {
      const admin = await t.token('demo-admin');
      for (const [path, body] of [['Endpoint/ep-gp', ENDPOINT(gp.url)], ['Organization/gp', GP_ORG]] as const) {
        expect((await request(t.app).put(`/fhir/${path}`).set('Authorization', `Bearer ${admin}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body))).status).toBeLessThan(300);
      }
      const hospital = await t.token('demo-hospital');
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) {
        if (i === 4) {
          await killed(redisServer); // mid-stream
        }
        if (i === 8) redisServer = await startRedis(port);
        const res = await request(t.app).post('/fhir/Bundle').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON)
          .send(JSON.stringify(epikriseBundle({ letterId: `redis-${String(i)}-${randomUUID()}`, recommendation: `letter ${String(i)}` })));
        expect(res.status).toBe(201);
        ids.push((res.body as { id: string }).id);
      }
      await waitFor(async () => ((await t.store.deliveries.counts()).delivered ?? 0) === 12 || undefined, 'all 12 delivered', 60_000);
      const bundles = await Promise.all(ids.map(async (id) => (await t.store.documents.byReference(id))?.bundleId ?? ''));
      const arrived = [...new Set(gp.received.filter((r) => r.method === 'PUT').map((r) => r.path.replace('/fhir/Bundle/', '')))];
      expect(arrived).toEqual(bundles); // one patient: the order stored is the order received
    } finally {
      await t.close();
      await gp.close();
      await killed(redisServer);
    }
  }, 180_000);
});
