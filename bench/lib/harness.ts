/**
 * The benchmark harness every `bench/` script shares: the machine the figures came from, timing
 * (median and p99 over repeated runs after warm-up), a gateway on either backend, tokens, and the
 * table and JSON every run prints and writes. No figures are kept in code: every number printed
 * is measured in the same run.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config/index.ts';
import { startGateway } from '../../src/gateway.ts';
import { createLogger } from '../../src/shared/index.ts';

export const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
/** `BENCH_QUICK=1` shrinks every count (a smoke run of the scripts, not figures to publish). */
export const QUICK = process.env.BENCH_QUICK === '1';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  freeGiB: number;
  os: string;
  node: string;
  loadAverageAtStart: number[];
  startedAt: string;
}

export function machine(): Machine {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
    freeGiB: +(freemem() / 2 ** 30).toFixed(1),
    os: `${platform()} ${release()}`,
    node: process.version,
    loadAverageAtStart: loadavg().map((l) => +l.toFixed(2)),
    startedAt: new Date().toISOString(),
  };
}

export const describeMachine = (m: Machine): string =>
  `${m.cpu}, ${String(m.cores)} cores, ${String(m.memoryGiB)} GiB, ${m.os}, Node ${m.node}; load average at start ${m.loadAverageAtStart.join(' ')}`;

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? NaN;
}

export const median = (values: readonly number[]): number => percentile([...values].sort((a, b) => a - b), 50);

const round = (n: number, digits = 2): number => (Number.isFinite(n) ? +n.toFixed(digits) : n);

/** One line of the results: what was measured, on what, and the figures. */
export interface Measurement {
  /** Section: `ingest`, `messages`, `oioxml`, `delivery`, `queries`, `ceiling`, `validation`, `memory`, ... */
  group: string;
  name: string;
  /** `pglite`, `postgres+redis`, `in-process`, ... */
  backend: string;
  /** Operations per second: the median over the repeated runs (each run's count / its wall time). */
  perSecond?: number | undefined;
  /** Every run's operations per second, so the spread is visible. */
  runsPerSecond?: number[] | undefined;
  /** Latency of one operation over all runs' operations. */
  latencyMs?: { median: number; p99: number } | undefined;
  /** Operations per run and runs, after `warmup` operations that are not counted. */
  operations?: number | undefined;
  runs?: number | undefined;
  warmup?: number | undefined;
  concurrency?: number | undefined;
  /** The issue's target for this line, and whether this run met it. */
  target?: { text: string; met: boolean } | undefined;
  /** Anything else worth printing (a ratio, a count caught, MB). */
  note?: string | undefined;
  extra?: Record<string, unknown> | undefined;
}

export interface MeasureOptions {
  /** Operations per run. */
  operations: number;
  runs?: number;
  warmup?: number;
  /** Operations in flight at once (1 = one after the other). */
  concurrency?: number;
}

/**
 * Runs `one(i)` `warmup` times, then `runs` runs of `operations` each with `concurrency` in flight,
 * and returns the median throughput over the runs and the median and p99 latency over all
 * operations. `i` counts on across warm-up and runs, so every operation can use fresh data.
 */
export async function measure(
  what: Pick<Measurement, 'group' | 'name' | 'backend'>,
  opts: MeasureOptions,
  one: (i: number) => Promise<void> | void,
): Promise<Measurement> {
  const runs = opts.runs ?? 3;
  const warmup = opts.warmup ?? Math.min(50, opts.operations);
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  let i = 0;
  for (let w = 0; w < warmup; w++) await one(i++);
  const latencies: number[] = [];
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    let left = opts.operations;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: Math.min(concurrency, opts.operations) }, async () => {
        while (left > 0) {
          left -= 1;
          const n = i++;
          const t0 = performance.now();
          await one(n);
          latencies.push(performance.now() - t0);
        }
      }),
    );
    rates.push(opts.operations / ((performance.now() - started) / 1000));
  }
  latencies.sort((a, b) => a - b);
  return {
    ...what,
    perSecond: round(median(rates), 1),
    runsPerSecond: rates.map((r) => round(r, 1)),
    latencyMs: { median: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)) },
    operations: opts.operations,
    runs,
    warmup,
    concurrency,
  };
}

/** Resident set size and heap of this process, in MB. */
export function memoryNow(): { rssMB: number; heapUsedMB: number } {
  const m = process.memoryUsage();
  return { rssMB: round(m.rss / 2 ** 20, 1), heapUsedMB: round(m.heapUsed / 2 ** 20, 1) };
}

/** A fresh PostgreSQL database for one benchmark (dropped first if a previous run left it), or undefined when unreachable. */
export async function freshDatabase(name: string): Promise<string | undefined> {
  const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch {
    return undefined;
  }
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

export interface BenchGateway {
  url: string;
  backend: string;
  /** A client-credentials token for a demo client (`demo-hospital`, `demo-admin`, `demo-relay`, ...). */
  token(clientId: string): Promise<string>;
  close(): Promise<void>;
}

export type Backend = 'pglite' | 'postgres+redis';

/**
 * The real gateway in this process on port 0, with the demo clients and no rate limit:
 * `pglite` in a temporary folder, or `postgres+redis` in a fresh database and Redis (BullMQ).
 * Undefined when PostgreSQL is not reachable.
 */
export async function startBenchGateway(backend: Backend, env: Record<string, string> = {}, database = 'sektorbro_bench'): Promise<BenchGateway | undefined> {
  let dataDir: string | undefined;
  let storage: Record<string, string>;
  if (backend === 'pglite') {
    dataDir = mkdtempSync(join(tmpdir(), 'sektorbro-bench-'));
    storage = { DATA_DIR: dataDir };
  } else {
    const url = await freshDatabase(database);
    if (url === undefined) return undefined;
    storage = { DATABASE_URL: url, REDIS_URL };
  }
  const config = loadConfig({ NODE_ENV: 'test', PORT: '0', LOG_LEVEL: 'error', RATE_LIMIT_PER_MINUTE: '10000000', ...storage, ...env });
  const gw = await startGateway(config, createLogger({ level: 'error', silent: true }));
  // Renewed at half their lifetime: a long seeding step must not leave a benchmark with an expired token.
  const tokens = new Map<string, { token: string; renewAt: number }>();
  return {
    url: gw.url,
    backend,
    async token(clientId) {
      const known = tokens.get(clientId);
      if (known !== undefined && Date.now() < known.renewAt) return known.token;
      const res = await fetch(`${gw.url}/oauth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${clientId}:${clientId}-secret`).toString('base64')}` },
        body: 'grant_type=client_credentials',
      });
      if (res.status !== 200) throw new Error(`token for ${clientId}: HTTP ${String(res.status)} ${await res.text()}`);
      const { access_token: token, expires_in: lifetime } = (await res.json()) as { access_token: string; expires_in: number };
      tokens.set(clientId, { token, renewAt: Date.now() + (lifetime * 1000) / 2 });
      return token;
    },
    async close() {
      await gw.close();
      if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Throws with the body when the status is not the expected one (a benchmark of failures measures nothing). */
export async function expectStatus(res: Response, status: number, what: string): Promise<Response> {
  if (res.status !== status) throw new Error(`${what}: expected HTTP ${String(status)}, got ${String(res.status)}: ${(await res.text()).slice(0, 500)}`);
  return res;
}

/** Prints the results as one table under the machine line. */
export function printResults(title: string, m: Machine, results: readonly Measurement[]): void {
  console.log(`\n${title}, ${m.startedAt}`);
  console.log(`machine: ${describeMachine(m)}\n`);
  console.table(
    results.map((r) => ({
      group: r.group,
      operation: r.name,
      backend: r.backend,
      'ops/s (median)': r.perSecond ?? '',
      'median ms': r.latencyMs?.median ?? '',
      'p99 ms': r.latencyMs?.p99 ?? '',
      target: r.target === undefined ? '' : `${r.target.met ? 'met' : 'MISSED'}: ${r.target.text}`,
      note: r.note ?? '',
    })),
  );
}

/** Writes `{ machine, results, ...meta }` as `bench/results/<name>-<timestamp>.json` and returns the path. */
export function writeResults(name: string, m: Machine, results: readonly Measurement[], meta: Record<string, unknown> = {}): string {
  const dir = new URL('../results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`./${name}-${m.startedAt.slice(0, 19).replace(/[:T]/g, '-')}.json`, dir);
  writeFileSync(file, `${JSON.stringify({ machine: m, ...meta, results }, null, 2)}\n`);
  return file.pathname;
}
