/**
 * Load test (issue #9): the gateway and one worker as child processes on PostgreSQL and Redis, driven
 * by autocannon on 127.0.0.1 at the target rate of new 20 KB epikriser for a bounded time. Reports the
 * rate achieved, autocannon's latency p50/p99, refusals and errors; then waits for the outbox and the
 * deliveries to drain and counts what a real receiver (registered as the GPs' Endpoint) got.
 *
 * Run: npx tsx bench/load.ts
 * Env: BENCH_LOAD_RATE (300/s), BENCH_LOAD_SECONDS (30), BENCH_LOAD_CONNECTIONS (16), BENCH_LOAD_WARMUP_SECONDS (5),
 *      BENCH_DRAIN_SECONDS (180), BENCH_DATABASE_URL, BENCH_REDIS_URL (its database 7 is used and emptied).
 */
import { benchPlan, epikriser } from './lib/data.ts';
import { machine, printResults, writeResults, type Measurement } from './lib/harness.ts';
import {
  benchDatabaseOrSkip, driveEpikriser, dropLogs, freshRedis, LetterSource, startDeliveryReceiver, startGatewayAndWorker, stopAll, tally, waitForDrain,
  type DriveOutcome, type SektorbroProcess,
} from './lib/processes.ts';

const RATE = Number(process.env.BENCH_LOAD_RATE ?? 300);
const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 30);
const CONNECTIONS = Number(process.env.BENCH_LOAD_CONNECTIONS ?? 16);
const WARMUP_SECONDS = Number(process.env.BENCH_LOAD_WARMUP_SECONDS ?? 5);
const DRAIN_SECONDS = Number(process.env.BENCH_DRAIN_SECONDS ?? 180);
const KB = 20;
/** Distinct grown epikriser the letters are re-identified from. */
const TEMPLATES = 200;
const BACKEND = 'postgres+redis, API + worker processes';

const m = machine();
const databaseUrl = await benchDatabaseOrSkip('sektorbro_bench_load', 'load test');
const redisUrl = await freshRedis(7);
const receiver = await startDeliveryReceiver();
const processes: SektorbroProcess[] = [];
let failed = true;
try {
  // The letters first: making them must not compete with the processes' start-up.
  const base = epikriser(benchPlan(2 * TEMPLATES), KB, TEMPLATES);
  const letters = new LetterSource(base, 0);
  // Enough for the warm-up and the run at the offered rate, plus the request each connection builds ahead.
  letters.prepare(Math.ceil(RATE * (SECONDS + WARMUP_SECONDS) * 1.05) + 2 * CONNECTIONS);
  const { url, tokens } = await startGatewayAndWorker({ databaseUrl, redisUrl, receiver, clients: base.map((b) => b.client), processes });

  console.log(`warm-up ${String(WARMUP_SECONDS)} s, then ${String(SECONDS)} s at ${String(RATE)}/s offered over ${String(CONNECTIONS)} connections ...`);
  const warmup = WARMUP_SECONDS > 0 ? await driveEpikriser({ url, letters, tokens, connections: CONNECTIONS, seconds: WARMUP_SECONDS, rate: RATE }) : undefined;
  const run = await driveEpikriser({ url, letters, tokens, connections: CONNECTIONS, seconds: SECONDS, rate: RATE });
  const runEnded = performance.now();

  console.log(`waiting up to ${String(DRAIN_SECONDS)} s for the outbox and the deliveries to drain ...`);
  const drain = await waitForDrain(databaseUrl, DRAIN_SECONDS * 1000);
  const accepted = new Set([...(warmup?.accepted ?? []), ...run.accepted]);
  const count = tally(accepted, receiver.arrivals);

  const results: Measurement[] = [loadLine(run), deliveryLine(count, accepted.size, drain, runEnded)];
  printResults('Sektorbro load test (autocannon, child processes)', m, results);
  console.log(`\nletters made during the timed run (the prepared ones ran out): ${String(letters.madeDuringRun)}`);
  if (run.firstRefusals.length > 0) console.log(`first refusals:\n  ${run.firstRefusals.join('\n  ')}`);
  const file = writeResults('load', m, results, {
    settings: { offeredRate: RATE, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: CONNECTIONS, kb: KB, templates: TEMPLATES, logLevel: 'info' },
    autocannon: summary(run),
    receiver: count,
    backlogAfterDrain: drain.backlog,
  });
  console.log(`\nwritten: ${file}`);
  failed = false;
} finally {
  await stopAll(processes);
  await receiver.close();
  if (!failed) dropLogs();
}

function loadLine(run: DriveOutcome): Measurement {
  const r = run.result;
  const acceptedPerSecond = +(r['2xx'] / r.duration).toFixed(1);
  // Met: at least 95% of the offered rate answered 201, with no refusal and no error.
  const met = acceptedPerSecond >= 0.95 * RATE && r.non2xx === 0 && r.errors === 0;
  return {
    group: 'load',
    name: `POST /fhir/Bundle, a new ${String(KB)} KB epikrise each, ${String(RATE)}/s offered, ${String(SECONDS)} s`,
    backend: BACKEND,
    perSecond: +r.requests.average.toFixed(1),
    latencyMs: { median: r.latency.p50, p99: r.latency.p99 },
    operations: r.requests.total,
    concurrency: run.connections,
    target: { text: `${String(RATE)} epikriser/s (issue #9; met at >= 95% answered 201, none refused)`, met },
    note: `201: ${String(r['2xx'])} (${String(acceptedPerSecond)}/s), non-2xx: ${String(r.non2xx)}${statusList(run.refusals)}, errors: ${String(r.errors)} (timeouts ${String(r.timeouts)})`,
    extra: { acceptedPerSecond, achievedPerSecond: r.requests.average, offeredRate: RATE },
  };
}

function deliveryLine(count: ReturnType<typeof tally>, accepted: number, drain: Awaited<ReturnType<typeof waitForDrain>>, runEnded: number): Measurement {
  const drainedSeconds = +(drain.waitedMs / 1000).toFixed(1);
  return {
    group: 'delivery',
    name: 'epikriser at the GP receiver after the run (warm-up included)',
    backend: BACKEND,
    operations: count.delivered,
    target: { text: 'every accepted epikrise delivered once', met: drain.drained && count.missing === 0 && count.duplicates === 0 },
    note:
      `delivered ${String(count.delivered)} of ${String(accepted)} accepted; missing ${String(count.missing)}, duplicates ${String(count.duplicates)}, ` +
      `same Bundle again ${String(count.redelivered)}, stored but not seen accepted ${String(count.unexpected)}; ` +
      `${drain.drained ? `drained ${String(drainedSeconds)} s after the run` : `NOT drained after ${String(drainedSeconds)} s`}; deliveries ${JSON.stringify(drain.backlog.deliveries)}`,
    extra: { ...count, accepted, drained: drain.drained, drainSeconds: drainedSeconds, runEndedAtMs: runEnded },
  };
}

function statusList(refusals: ReadonlyMap<number, number>): string {
  return refusals.size === 0 ? '' : ` (${[...refusals].map(([s, n]) => `${String(s)}: ${String(n)}`).join(', ')})`;
}

function summary(run: DriveOutcome): Record<string, unknown> {
  const r = run.result;
  return {
    duration: r.duration,
    requests: { average: r.requests.average, total: r.requests.total, sent: r.requests.sent },
    latency: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, mean: r.latency.mean },
    '2xx': r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}
