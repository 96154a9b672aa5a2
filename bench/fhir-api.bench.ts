/**
 * FHIR REST throughput and latency of the gateway foundation: create, read and search-by-CPR of
 * DK Core Patients over real HTTP on 127.0.0.1, on embedded PGlite and on PostgreSQL.
 * Run: npm run bench   (PostgreSQL from BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres)
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem, tmpdir, platform, release } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/config/index.ts';
import { startGateway } from '../src/gateway.ts';
import { createLogger } from '../src/shared/index.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface Result { backend: string; operation: string; requests: number; concurrency: number; perSecond: number; p50Ms: number; p99Ms: number }

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function measure(backend: string, operation: string, n: number, one: (i: number) => Promise<void>): Promise<Result> {
  for (let i = 0; i < Math.min(100, n); i++) await one(i); // warm-up
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    for (let i = next++; i < n; i = next++) {
      const t0 = performance.now();
      await one(i);
      latencies.push(performance.now() - t0);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { backend, operation, requests: n, concurrency: CONCURRENCY, perSecond: Math.round(n / seconds), p50Ms: +percentile(latencies, 50).toFixed(2), p99Ms: +percentile(latencies, 99).toFixed(2) };
}

const cpr = (i: number): string => String(1000000000 + i).padStart(10, '0');
const patient = (i: number) => ({
  resourceType: 'Patient',
  identifier: [{ system: 'urn:oid:1.2.208.176.1.2', value: cpr(i) }],
  name: [{ use: 'official', family: 'Testesen', given: ['Bench', String(i)] }],
  gender: i % 2 ? 'male' : 'female',
  birthDate: '1947-09-25',
  address: [{ line: ['Testdrømmehaven 48'], postalCode: '3400', city: 'Hillerød' }],
  generalPractitioner: [{ identifier: { system: 'urn:oid:1.2.208.176.1.1', value: '1017421000016003' } }],
});

async function runBackend(name: 'pglite' | 'postgres', env: Record<string, string>): Promise<Result[]> {
  const config = loadConfig({ NODE_ENV: 'test', PORT: '0', LOG_LEVEL: 'error', RATE_LIMIT_PER_MINUTE: '10000000', ...env });
  const gw = await startGateway(config, createLogger({ level: 'error', silent: true }));
  try {
    const tokenResponse = await fetch(`${gw.url}/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from('demo-admin:demo-admin-secret').toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    const token = ((await tokenResponse.json()) as { access_token: string }).access_token;
    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json' };
    const ids: string[] = [];
    const ok = async (res: Response, status: number) => {
      if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${await res.text()}`);
      return res;
    };
    const results = [
      await measure(name, 'create Patient (POST)', REQUESTS, async (i) => {
        const res = await ok(await fetch(`${gw.url}/fhir/Patient`, { method: 'POST', headers, body: JSON.stringify(patient(i)) }), 201);
        ids.push(((await res.json()) as { id: string }).id);
      }),
    ];
    const hospitalToken = ((await (await fetch(`${gw.url}/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from('demo-hospital:demo-hospital-secret').toString('base64')}` },
      body: 'grant_type=client_credentials',
    })).json()) as { access_token: string }).access_token;
    const epikrise = readFileSync(new URL('../profiles/examples/sektorbro-epikrise-bundle-valid-hjertesvigt.json', import.meta.url), 'utf8');
    const composition = (JSON.parse(epikrise) as { entry: { resource: { identifier: { value: string } } }[] }).entry[0]?.resource.identifier.value ?? '';
    results.push(await measure(name, `ingest epikrise (POST /fhir/Bundle, ${String(Math.round(epikrise.length / 1024))} KB)`, Math.min(REQUESTS, 500), async (i) => {
      const body = epikrise.replaceAll(composition, `urn:uuid:${String(i).padStart(8, '0')}-0000-4000-8000-${Date.now().toString(16).padStart(12, '0').slice(-12)}`);
      await (await ok(await fetch(`${gw.url}/fhir/Bundle`, { method: 'POST', headers: { ...headers, Authorization: `Bearer ${hospitalToken}` }, body }), 201)).arrayBuffer();
    }));
    results.push(await measure(name, 'read Patient (GET by id)', REQUESTS, async (i) => {
      await (await ok(await fetch(`${gw.url}/fhir/Patient/${ids[i % ids.length] ?? ''}`, { headers }), 200)).arrayBuffer();
    }));
    results.push(await measure(name, 'search Patient by CPR', REQUESTS, async (i) => {
      const res = await ok(await fetch(`${gw.url}/fhir/Patient?identifier=urn:oid:1.2.208.176.1.2|${cpr(i % REQUESTS)}`, { headers }), 200);
      const b = (await res.json()) as { total: number };
      if (b.total < 1) throw new Error('search found nothing');
    }));
    return results;
  } finally {
    await gw.close();
  }
}

async function freshDatabase(): Promise<string | undefined> {
  const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch {
    return undefined;
  }
  await admin.query('DROP DATABASE IF EXISTS sektorbro_bench WITH (FORCE)');
  await admin.query('CREATE DATABASE sektorbro_bench');
  await admin.end();
  const u = new URL(PG_URL);
  u.pathname = '/sektorbro_bench';
  return u.toString();
}

const machine = { loadAverageAtStart: loadavg().map((l) => +l.toFixed(2)), cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: +(totalmem() / 2 ** 30).toFixed(1), freeGiB: +(freemem() / 2 ** 30).toFixed(1), os: `${platform()} ${release()}`, node: process.version };
const dataDir = mkdtempSync(join(tmpdir(), 'sektorbro-bench-'));
const results: Result[] = [];
try {
  results.push(...await runBackend('pglite', { DATA_DIR: dataDir }));
  const url = await freshDatabase();
  if (url) results.push(...await runBackend('postgres', { DATABASE_URL: url }));
  else console.log(`PostgreSQL not reachable at ${PG_URL}: skipped`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

console.log(`\nSektorbro FHIR API benchmark, ${new Date().toISOString()}`);
console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}; load average at start ${machine.loadAverageAtStart.join(' ')}`);
console.log(`requests per operation: ${REQUESTS}, concurrency ${CONCURRENCY}, after 100 warm-up requests, over HTTP on 127.0.0.1\n`);
console.table(results.map((r) => ({ backend: r.backend, operation: r.operation, 'req/s': r.perSecond, 'p50 ms': r.p50Ms, 'p99 ms': r.p99Ms })));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const out = new URL(`./results/fhir-api-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.json`, import.meta.url);
writeFileSync(out, JSON.stringify({ machine, requests: REQUESTS, concurrency: CONCURRENCY, results }, null, 2));
console.log(`\nwritten: ${out.pathname}`);
