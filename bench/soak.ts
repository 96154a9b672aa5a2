/**
 * Soak test (issue #9): the load test's setup (gateway and worker as child processes on PostgreSQL and
 * Redis, autocannon sending new 20 KB epikriser, a real GP receiver) at a sustainable rate for
 * BENCH_SOAK_MINUTES. Every 10 s it reads the gateway's and the worker's resident memory (VmRSS) and
 * open file descriptors from /proc; at the end it checks there is no growth (the last third of the
 * samples against the middle third) and that every document was delivered exactly once.
 *
 * Run: npx tsx bench/soak.ts
 * Env: BENCH_SOAK_MINUTES (10), BENCH_SOAK_RATE (default: half the 201/s of the newest bench/results/load-*.json,
 *      else 50), BENCH_SOAK_CONNECTIONS (16), BENCH_SOAK_SAMPLE_SECONDS (10), BENCH_DRAIN_SECONDS (180),
 *      BENCH_DATABASE_URL, BENCH_REDIS_URL (its database 7 is used and emptied, as by load.ts: run them one at a time).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { benchPlan, epikriser } from './lib/data.ts';
import { machine, printResults, writeResults, type Measurement } from './lib/harness.ts';
import {
  benchDatabaseOrSkip, driveEpikriser, dropLogs, freshRedis, LetterSource, processFootprint, startDeliveryReceiver, startGatewayAndWorker, stopAll,
  storedDocuments, tally, waitForDrain, type Arrival, type SektorbroProcess,
} from './lib/processes.ts';

const MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 10);
const CONNECTIONS = Number(process.env.BENCH_SOAK_CONNECTIONS ?? 16);
const SAMPLE_SECONDS = Number(process.env.BENCH_SOAK_SAMPLE_SECONDS ?? 10);
const DRAIN_SECONDS = Number(process.env.BENCH_DRAIN_SECONDS ?? 180);
const KB = 20;
const TEMPLATES = 100;
/** Growth allowed between the middle and the last third of the run. */
const RSS_TOLERANCE = 0.1;
const FD_TOLERANCE = 20;
const BACKEND = 'postgres+redis, API + worker processes';

interface Sample {
  seconds: number;
  gatewayRssMB: number;
  gatewayFds: number;
  workerRssMB: number;
  workerFds: number;
}

const { rate: RATE, rateSource } = soakRate();
const m = machine();
const databaseUrl = await benchDatabaseOrSkip('sektorbro_bench_soak', 'soak test');
const redisUrl = await freshRedis(7);
const receiver = await startDeliveryReceiver();
const processes: SektorbroProcess[] = [];
let failed = true;
try {
  const base = epikriser(benchPlan(2 * TEMPLATES), KB, TEMPLATES);
  // Made as they are sent (a cheap re-identification): ten minutes of 20 KB letters would not fit in memory well.
  const letters = new LetterSource(base, 0);
  const { url, gateway, worker, tokens } = await startGatewayAndWorker({ databaseUrl, redisUrl, receiver, clients: base.map((b) => b.client), processes });

  console.log(`soak: ${String(MINUTES)} min at ${String(RATE)}/s (${rateSource}), sampling every ${String(SAMPLE_SECONDS)} s ...`);
  const samples: Sample[] = [];
  const started = performance.now();
  const sample = (): void => {
    const g = processFootprint(gateway.pid);
    const w = processFootprint(worker.pid);
    samples.push({ seconds: Math.round((performance.now() - started) / 1000), gatewayRssMB: g.rssMB, gatewayFds: g.fds, workerRssMB: w.rssMB, workerFds: w.fds });
  };
  sample();
  const sampler = setInterval(sample, SAMPLE_SECONDS * 1000);
  const run = await driveEpikriser({ url, letters, tokens, connections: CONNECTIONS, seconds: MINUTES * 60, rate: RATE }).finally(() => { clearInterval(sampler); });
  sample();

  console.log(`waiting up to ${String(DRAIN_SECONDS)} s for the outbox and the deliveries to drain ...`);
  const drain = await waitForDrain(databaseUrl, DRAIN_SECONDS * 1000);
  const stored = await storedDocuments(databaseUrl);
  const count = tally(run.accepted, receiver.arrivals);
  const delivered = new Set(receiver.arrivals.map((a) => a.documentId));
  const lost = stored.filter((id) => !delivered.has(id)).length;
  const storedTwice = stored.length - new Set(stored).size;

  const r = run.result;
  const growth = {
    gatewayRss: compareThirds(samples.map((s) => s.gatewayRssMB)),
    gatewayFds: compareThirds(samples.map((s) => s.gatewayFds)),
    workerRss: compareThirds(samples.map((s) => s.workerRssMB)),
    workerFds: compareThirds(samples.map((s) => s.workerFds)),
  };
  const growthChecks: [string, boolean][] = [
    [`gateway RSS: last third ${thirds(growth.gatewayRss, 'MB')}, within +${String(RSS_TOLERANCE * 100)}%`, rssOk(growth.gatewayRss)],
    [`gateway open fds: last third ${thirds(growth.gatewayFds, '')}, within +${String(FD_TOLERANCE)}`, fdsOk(growth.gatewayFds)],
    [`worker RSS: last third ${thirds(growth.workerRss, 'MB')}, within +${String(RSS_TOLERANCE * 100)}%`, rssOk(growth.workerRss)],
    [`worker open fds: last third ${thirds(growth.workerFds, '')}, within +${String(FD_TOLERANCE)}`, fdsOk(growth.workerFds)],
  ];
  const deliveryChecks: [string, boolean][] = [
    [`outbox and deliveries drained (${drain.drained ? `${(drain.waitedMs / 1000).toFixed(1)} s after the run` : 'NOT drained'}; ${JSON.stringify(drain.backlog.deliveries)})`, drain.drained],
    [`every accepted document delivered: ${String(count.delivered)} of ${String(run.accepted.size)}, missing ${String(count.missing)}`, count.missing === 0 && run.accepted.size > 0],
    [`no document delivered twice (under two Bundle ids): ${String(count.duplicates)}; the same Bundle again (overwrites): ${String(count.redelivered)}`, count.duplicates === 0],
    [`every stored document delivered (${String(stored.length)} stored, ${String(count.unexpected)} arrivals of documents whose 201 autocannon did not read: cut off when it stopped): lost ${String(lost)}, stored twice ${String(storedTwice)}`, lost === 0 && storedTwice === 0],
  ];
  const checks = [...growthChecks, ...deliveryChecks];

  const results: Measurement[] = [
    {
      group: 'soak',
      name: `POST /fhir/Bundle, a new ${String(KB)} KB epikrise each, ${String(RATE)}/s offered for ${String(MINUTES)} min`,
      backend: BACKEND,
      perSecond: +r.requests.average.toFixed(1),
      latencyMs: { median: r.latency.p50, p99: r.latency.p99 },
      operations: r.requests.total,
      concurrency: run.connections,
      note: `201: ${String(r['2xx'])}, non-2xx: ${String(r.non2xx)}, errors: ${String(r.errors)} (timeouts ${String(r.timeouts)}); rate: ${rateSource}`,
    },
    memoryLine('gateway resident memory (VmRSS)', growth.gatewayRss, 'MB', rssOk(growth.gatewayRss), slope(samples, (s) => s.gatewayRssMB)),
    memoryLine('gateway open file descriptors', growth.gatewayFds, '', fdsOk(growth.gatewayFds), slope(samples, (s) => s.gatewayFds)),
    memoryLine('worker resident memory (VmRSS)', growth.workerRss, 'MB', rssOk(growth.workerRss), slope(samples, (s) => s.workerRssMB)),
    memoryLine('worker open file descriptors', growth.workerFds, '', fdsOk(growth.workerFds), slope(samples, (s) => s.workerFds)),
    {
      group: 'delivery',
      name: 'every document at the GP receiver exactly once',
      backend: BACKEND,
      operations: count.delivered,
      target: { text: 'no missing, no duplicates', met: deliveryChecks.every(([, ok]) => ok) },
      note: `accepted ${String(run.accepted.size)}, stored ${String(stored.length)}, delivered ${String(count.delivered + count.unexpected)}, missing ${String(count.missing)}, lost ${String(lost)}, duplicates ${String(count.duplicates)}`,
    },
  ];
  printResults('Sektorbro soak test (autocannon, child processes)', m, results);
  console.log('\nsamples (seconds since the start; RSS in MB):');
  console.table(samples);
  console.log('');
  for (const [what, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}`);
  const file = writeResults('soak', m, results, {
    settings: { minutes: MINUTES, rate: RATE, rateSource, connections: run.connections, sampleSeconds: SAMPLE_SECONDS, kb: KB, rssTolerance: RSS_TOLERANCE, fdTolerance: FD_TOLERANCE },
    samples,
    checks: checks.map(([what, ok]) => ({ what, pass: ok })),
    receiver: { ...count, lost, storedTwice, arrivals: receiver.arrivals.length, arrivalsPerMinute: arrivalsPerMinute(receiver.arrivals) },
  });
  console.log(`\nwritten: ${file}`);
  failed = false;
  process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
} finally {
  await stopAll(processes);
  await receiver.close();
  if (!failed) dropLogs();
}

/** BENCH_SOAK_RATE, else half of what the newest load run answered 201 per second, else 50. */
function soakRate(): { rate: number; rateSource: string } {
  const set = process.env.BENCH_SOAK_RATE;
  if (set !== undefined) return { rate: Number(set), rateSource: 'BENCH_SOAK_RATE' };
  const dir = new URL('./results/', import.meta.url);
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => /^load-.*\.json$/.test(f)).sort();
  } catch {
    // No results yet.
  }
  const newest = files.at(-1);
  if (newest !== undefined) {
    const json = JSON.parse(readFileSync(new URL(newest, dir), 'utf8')) as { results?: Measurement[] };
    const achieved = json.results?.find((r) => r.group === 'load')?.extra?.acceptedPerSecond;
    if (typeof achieved === 'number' && achieved > 0) return { rate: Math.max(1, Math.round(achieved / 2)), rateSource: `half the ${String(achieved)}/s of ${newest}` };
  }
  return { rate: 50, rateSource: 'default 50/s (no load result to halve)' };
}

interface Thirds {
  middle: number;
  last: number;
  samples: number;
}

/** Means of the middle and the last third of the samples (the first third is warm-up: caches and pools fill). */
function compareThirds(values: readonly number[]): Thirds {
  const n = values.length;
  const mean = (xs: readonly number[]): number => (xs.length === 0 ? NaN : xs.reduce((s, x) => s + x, 0) / xs.length);
  return { middle: +mean(values.slice(Math.floor(n / 3), Math.floor((2 * n) / 3))).toFixed(1), last: +mean(values.slice(Math.floor((2 * n) / 3))).toFixed(1), samples: n };
}

function rssOk(t: Thirds): boolean {
  return t.samples >= 3 && t.last <= t.middle * (1 + RSS_TOLERANCE);
}

function fdsOk(t: Thirds): boolean {
  return t.samples >= 3 && t.last <= t.middle + FD_TOLERANCE;
}

function thirds(t: Thirds, unit: string): string {
  return `${String(t.last)}${unit} vs middle third ${String(t.middle)}${unit} (${t.samples >= 3 ? `${String(t.samples)} samples` : 'too few samples'})`;
}

/** Least-squares slope per minute over all samples: the trend, printed beside the thirds. */
function slope(samples: readonly Sample[], value: (s: Sample) => number): number {
  const n = samples.length;
  if (n < 2) return NaN;
  const xs = samples.map((s) => s.seconds / 60);
  const ys = samples.map(value);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  const cov = xs.reduce((s, x, i) => s + (x - mx) * ((ys[i] ?? 0) - my), 0);
  const varx = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  return varx === 0 ? NaN : +(cov / varx).toFixed(2);
}

function memoryLine(name: string, t: Thirds, unit: string, met: boolean, perMinute: number): Measurement {
  return {
    group: 'memory',
    name,
    backend: BACKEND,
    target: { text: unit === 'MB' ? `last third within +${String(RSS_TOLERANCE * 100)}% of the middle third` : `last third within +${String(FD_TOLERANCE)} of the middle third`, met },
    note: `middle third ${String(t.middle)}${unit}, last third ${String(t.last)}${unit}; trend ${String(perMinute)}${unit}/min over ${String(t.samples)} samples`,
  };
}

/** Arrivals per minute at the receiver: whether delivery kept pace all along. */
function arrivalsPerMinute(arrivals: readonly Arrival[]): number[] {
  const first = arrivals[0]?.at ?? 0;
  const perMinute: number[] = [];
  for (const a of arrivals) {
    const minute = Math.floor((a.at - first) / 60_000);
    perMinute[minute] = (perMinute[minute] ?? 0) + 1;
  }
  return Array.from({ length: perMinute.length }, (_, i) => perMinute[i] ?? 0);
}
