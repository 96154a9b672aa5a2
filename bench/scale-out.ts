/**
 * Scale-out on the production setup (issue #9): API and worker processes (`sektorbro start`,
 * `sektorbro worker`) sharing one PostgreSQL database and one Redis, as docker-compose runs them.
 *
 * - Phase A, one API and one worker; phase B, two APIs (two ports) and two workers. Each phase starts
 *   on a fresh database, warms up, then autocannon sends new 20 KB epikriser as fast as the APIs answer
 *   (the connections split over the API ports) for BENCH_SCALE_SECONDS. Reported: documents accepted
 *   per second, documents delivered per second (to a real GP receiver, until the backlog drained), and
 *   the ratio B/A.
 * - Then, still in phase B, a correctness run: several versions of an epikrise per patient (a later
 *   Bundle.timestamp, status amended, relatesTo replaces), each version sent to the other API process,
 *   one worker killed with SIGKILL mid-run and started again. At the receiver: every version arrives
 *   once in effect (a PUT of the same Bundle id again overwrites; the same version under two ids would
 *   be a duplicate), and per recipient and patient no version ever arrives after a newer one.
 *
 * Run: npx tsx bench/scale-out.ts
 * Env: BENCH_SCALE_SECONDS (30), BENCH_SCALE_CONNECTIONS (16), BENCH_SCALE_PATIENTS (40), BENCH_SCALE_VERSIONS (3),
 *      BENCH_SCALE_RECEIVER_DELAY_MS (50, during the correctness run), BENCH_SCALE_RESTART (1: start the killed worker again),
 *      BENCH_DRAIN_SECONDS (180), BENCH_DATABASE_URL, BENCH_REDIS_URL (its database 8 is used and emptied).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { DemoClientId } from '../src/demo/index.ts';
import { benchPlan, epikriser } from './lib/data.ts';
import { freshDatabase, machine, printResults, writeResults, type Measurement } from './lib/harness.ts';
import {
  backlog, driveEpikriser, dropLogs, freePort, freshRedis, LetterSource, logFolder, registerGpReceiver, sektorbroEnv, sleep, startDeliveryReceiver,
  startSektorbro, stopAll, tokensFor, waitForDrain, type Arrival, type DriveOutcome, type Letter, type SektorbroProcess,
} from './lib/processes.ts';

const SECONDS = Number(process.env.BENCH_SCALE_SECONDS ?? 30);
const CONNECTIONS = Number(process.env.BENCH_SCALE_CONNECTIONS ?? 16);
const PATIENTS = Number(process.env.BENCH_SCALE_PATIENTS ?? 40);
const VERSIONS = Number(process.env.BENCH_SCALE_VERSIONS ?? 3);
const RECEIVER_DELAY_MS = Number(process.env.BENCH_SCALE_RECEIVER_DELAY_MS ?? 50);
const RESTART = process.env.BENCH_SCALE_RESTART !== '0';
const DRAIN_SECONDS = Number(process.env.BENCH_DRAIN_SECONDS ?? 180);
const WARMUP_SECONDS = 5;
const KB = 20;
const TEMPLATES = 100;
/** A killed worker's lease runs out after this plus 5 s (the default 30 s would hold its deliveries 35 s). */
const SETTINGS = { DELIVERY_TIMEOUT_MS: '5000' };
const DATABASE = 'sektorbro_bench_scale';

interface Cluster {
  apis: SektorbroProcess[];
  workers: SektorbroProcess[];
  databaseUrl: string;
  env: Record<string, string>;
  tokens: Map<DemoClientId, string>;
}

interface Throughput {
  phase: string;
  runs: DriveOutcome[];
  acceptedPerSecond: number;
  deliveredPerSecond: number;
  delivered: number;
  drained: boolean;
}

const m = machine();
const probe = await freshDatabase(DATABASE);
if (probe === undefined) {
  console.log('PostgreSQL is not reachable (BENCH_DATABASE_URL): the scale-out benchmark needs it. Skipped.');
  process.exit(0);
}
const base = epikriser(benchPlan(2 * TEMPLATES), KB, TEMPLATES);
const receiver = await startDeliveryReceiver();
const running: SektorbroProcess[] = [];
let failed = true;
try {
  console.log(`logs in ${logFolder()}`);
  const a = await startCluster(1, 1);
  const phaseA = await throughput('A: 1 API + 1 worker', a, new LetterSource(base, 0));
  await stopAll(running.splice(0));

  const b = await startCluster(2, 2);
  const phaseB = await throughput('B: 2 APIs + 2 workers', b, new LetterSource(base, 0));
  const correctness = await correctnessRun(b, new LetterSource(base, 1_000_000));

  const ratio = +(phaseB.acceptedPerSecond / phaseA.acceptedPerSecond).toFixed(2);
  const deliveryRatio = +(phaseB.deliveredPerSecond / phaseA.deliveredPerSecond).toFixed(2);
  const results: Measurement[] = [
    ...[phaseA, phaseB].map(throughputLine),
    {
      group: 'scale-out',
      name: 'phase B / phase A',
      backend: 'ratio',
      target: { text: 'throughput rises with a second API and worker', met: ratio > 1 },
      note: `accepted/s x${String(ratio)}, delivered/s x${String(deliveryRatio)} (${String(m.cores)} cores shared by every process, the load generator and PostgreSQL)`,
      extra: { ratio, deliveryRatio },
    },
    {
      group: 'correctness',
      name: `${String(PATIENTS)} patients x ${String(VERSIONS)} versions over 2 APIs, a worker killed (SIGKILL) mid-run${RESTART ? ' and started again' : ''}`,
      backend: 'postgres+redis, 2 APIs + 2 workers',
      operations: correctness.sent,
      target: { text: 'every version once in effect, in order per recipient and patient', met: correctness.checks.every(([, ok]) => ok) },
      note: correctness.summary,
    },
  ];
  printResults('Sektorbro scale-out (API and worker processes on one PostgreSQL and one Redis)', m, results);
  console.log('');
  for (const [what, ok] of correctness.checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}`);
  const file = writeResults('scale-out', m, results, {
    settings: { seconds: SECONDS, connections: CONNECTIONS, warmupSeconds: WARMUP_SECONDS, kb: KB, patients: PATIENTS, versions: VERSIONS, receiverDelayMs: RECEIVER_DELAY_MS, restart: RESTART, env: SETTINGS },
    phases: [phaseA, phaseB].map((p) => ({ phase: p.phase, acceptedPerSecond: p.acceptedPerSecond, deliveredPerSecond: p.deliveredPerSecond, delivered: p.delivered, drained: p.drained, perApi: p.runs.map(apiSummary) })),
    correctness: { checks: correctness.checks.map(([what, ok]) => ({ what, pass: ok })), ...correctness.detail },
  });
  console.log(`\nwritten: ${file}`);
  failed = false;
  process.exitCode = correctness.checks.every(([, ok]) => ok) ? 0 : 1;
} finally {
  await stopAll(running);
  await receiver.close();
  if (!failed) dropLogs();
}

/** `apis` API processes and `workers` worker processes on a fresh database and Redis database 8. */
async function startCluster(apis: number, workers: number): Promise<Cluster> {
  const databaseUrl = (await freshDatabase(DATABASE)) ?? '';
  const redisUrl = await freshRedis(8);
  const ports = await Promise.all(Array.from({ length: apis }, () => freePort()));
  // One public base URL for all, as behind a load balancer: a token from one API is good at the other.
  const env = sektorbroEnv({ databaseUrl, redisUrl, publicBaseUrl: `http://127.0.0.1:${String(ports[0])}`, extra: SETTINGS });
  console.log(`starting ${String(apis)} API and ${String(workers)} worker process(es) ...`);
  const cluster: Cluster = { apis: [], workers: [], databaseUrl, env, tokens: new Map() };
  for (const [i, port] of ports.entries()) {
    const p = await startSektorbro('gateway', `api-${String(i + 1)}${apis === 1 ? '-alone' : ''}`, env, port);
    running.push(p);
    cluster.apis.push(p);
  }
  for (let i = 0; i < workers; i++) {
    const p = await startSektorbro('worker', `worker-${String(i + 1)}${workers === 1 ? '-alone' : ''}`, env);
    running.push(p);
    cluster.workers.push(p);
  }
  const first = cluster.apis[0]?.url ?? '';
  receiver.arrivals.length = 0;
  await registerGpReceiver(first, receiver);
  cluster.tokens = await tokensFor(first, base.map((b) => b.client));
  return cluster;
}

/** autocannon against every API at once, the connections split between them. */
async function driveAll(c: Cluster, letters: LetterSource, seconds: number): Promise<DriveOutcome[]> {
  const perApi = Math.max(1, Math.floor(CONNECTIONS / c.apis.length));
  return Promise.all(c.apis.map((api) => driveEpikriser({ url: api.url ?? '', letters, tokens: c.tokens, connections: perApi, seconds })));
}

async function throughput(phase: string, c: Cluster, letters: LetterSource): Promise<Throughput> {
  letters.prepare(SECONDS * 40);
  console.log(`phase ${phase}: warm-up ${String(WARMUP_SECONDS)} s, drain, then ${String(SECONDS)} s at full speed ...`);
  await driveAll(c, letters, WARMUP_SECONDS);
  await waitForDrain(c.databaseUrl, DRAIN_SECONDS * 1000);
  const before = new Set(receiver.arrivals.map((a) => a.documentId));
  const started = performance.now();
  const runs = await driveAll(c, letters, SECONDS);
  const drain = await waitForDrain(c.databaseUrl, DRAIN_SECONDS * 1000);
  const elapsed = (performance.now() - started) / 1000;
  const delivered = new Set(receiver.arrivals.filter((a) => !before.has(a.documentId)).map((a) => a.documentId)).size;
  const duration = Math.max(...runs.map((r) => r.result.duration));
  const accepted = runs.reduce((s, r) => s + r.result['2xx'], 0);
  return { phase, runs, acceptedPerSecond: +(accepted / duration).toFixed(1), deliveredPerSecond: +(delivered / elapsed).toFixed(1), delivered, drained: drain.drained };
}

function throughputLine(t: Throughput): Measurement {
  const p50 = t.runs.reduce((s, r) => s + r.result.latency.p50, 0) / t.runs.length;
  const p99 = Math.max(...t.runs.map((r) => r.result.latency.p99));
  const refused = t.runs.reduce((s, r) => s + r.result.non2xx, 0);
  const errors = t.runs.reduce((s, r) => s + r.result.errors, 0);
  return {
    group: 'scale-out',
    name: `phase ${t.phase}: POST /fhir/Bundle, new ${String(KB)} KB epikriser, full speed ${String(SECONDS)} s`,
    backend: 'postgres+redis, processes',
    perSecond: t.acceptedPerSecond,
    latencyMs: { median: +p50.toFixed(1), p99 },
    concurrency: t.runs.reduce((s, r) => s + r.connections, 0),
    note:
      `accepted/s (201); delivered ${String(t.delivered)} at ${String(t.deliveredPerSecond)}/s until drained${t.drained ? '' : ' (NOT drained)'}; ` +
      `non-2xx ${String(refused)}, errors ${String(errors)}; per API ${t.runs.map((r) => `${r.result.requests.average.toFixed(1)}/s`).join(' + ')}; p50 is the APIs' mean, p99 the worst`,
  };
}

function apiSummary(r: DriveOutcome): Record<string, unknown> {
  const x = r.result;
  return { connections: r.connections, duration: x.duration, requestsPerSecond: x.requests.average, '2xx': x['2xx'], non2xx: x.non2xx, errors: x.errors, latency: { p50: x.latency.p50, p99: x.latency.p99, max: x.latency.max } };
}

// ───────────────────────────── the correctness run ─────────────────────────────

interface Version {
  documentId: string;
  versionId: string;
  cpr: string;
  version: number;
  client: DemoClientId;
  body: string;
}

/** `count` versions of the letter: each later (Bundle.timestamp an hour on), amended, replacing the one before, with a new Bundle id and identifier. */
function versionsOf(letter: Letter, count: number): Version[] {
  const original = JSON.parse(letter.body) as fhir4.Bundle;
  const at = Date.parse(original.timestamp ?? '');
  return Array.from({ length: count }, (_, i) => {
    const bundle = structuredClone(original);
    const composition = bundle.entry?.[0]?.resource as fhir4.Composition;
    const versionId = `urn:uuid:${randomUUID()}`;
    bundle.id = randomUUID();
    bundle.identifier = { system: 'urn:ietf:rfc:3986', value: versionId };
    bundle.timestamp = new Date(at + i * 3_600_000).toISOString();
    if (i > 0) {
      composition.status = 'amended';
      composition.date = bundle.timestamp;
      composition.relatesTo = [{ code: 'replaces', targetIdentifier: composition.identifier }];
      // The new version says something new: the recommendation to the GP is corrected.
      const recommendation = composition.section?.find((s) => s.code?.coding?.some((c) => c.code === 'anbefaling-til-egen-laege'));
      if (recommendation?.text) recommendation.text.div = recommendation.text.div.replace(/<\/div>$/, `<p>Rettet i version ${String(i + 1)}.</p></div>`);
    }
    return { documentId: letter.documentId, versionId, cpr: letter.cpr, version: i + 1, client: letter.client, body: JSON.stringify(bundle) };
  });
}

interface Correctness {
  sent: number;
  checks: [string, boolean][];
  summary: string;
  detail: Record<string, unknown>;
}

async function correctnessRun(c: Cluster, letters: LetterSource): Promise<Correctness> {
  console.log(`correctness: ${String(PATIENTS)} patients x ${String(VERSIONS)} versions, one worker killed mid-run ...`);
  receiver.setDelay(RECEIVER_DELAY_MS);
  const firstArrival = receiver.arrivals.length;
  const chains = Array.from({ length: PATIENTS }, () => versionsOf(letters.next(), VERSIONS));
  const expected = new Map(chains.flat().map((v) => [v.versionId, v]));
  const refused: string[] = [];
  let sent = 0;
  const send = async (chain: readonly Version[], p: number): Promise<void> => {
    // One version after the other, each to the other API: the order crosses processes.
    for (const v of chain) {
      const api = c.apis[(p + v.version) % c.apis.length];
      const res = await fetch(`${api?.url ?? ''}/fhir/Bundle`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/fhir+json', Authorization: `Bearer ${c.tokens.get(v.client) ?? ''}` },
        body: v.body,
      });
      const text = await res.text();
      sent++;
      if (res.status !== 201) refused.push(`${v.documentId} v${String(v.version)}: HTTP ${String(res.status)} ${text.slice(0, 300)}`);
    }
  };
  const sending = pool(chains, 8, send);
  const kill = await killMidRun(c, expected.size, firstArrival);
  await sending;
  await kill.restarted;
  const drain = await waitForDrain(c.databaseUrl, DRAIN_SECONDS * 1000);
  receiver.setDelay(0);
  const arrivals = receiver.arrivals.slice(firstArrival);
  const taken = await takenOver(c.databaseUrl);
  return judge({ expected, arrivals, refused, sent, drain, kill: kill.info, taken });
}

/** Runs `each` over the items with at most `width` at once. */
async function pool<T>(items: readonly T[], width: number, each: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await each(items[i] as T, i);
    }
  }));
}

interface KillInfo {
  worker: string;
  atArrivals: number;
  inFlightAtKill: number;
  exitedWith: number | null;
  restarted: boolean;
}

/** SIGKILLs the first worker once about a third of the versions reached the receiver, then starts it again. */
async function killMidRun(c: Cluster, total: number, firstArrival: number): Promise<{ info: KillInfo; restarted: Promise<void> }> {
  const victim = c.workers[0];
  if (!victim) throw new Error('no worker to kill');
  const until = Date.now() + DRAIN_SECONDS * 1000;
  while (receiver.arrivals.length - firstArrival < total / 3 && Date.now() < until) await sleep(50);
  const inFlightAtKill = (await backlog(c.databaseUrl)).deliveries['in-flight'] ?? 0;
  const atArrivals = receiver.arrivals.length - firstArrival;
  const exitedWith = await victim.stop('SIGKILL');
  console.log(`  killed ${victim.name} (pid ${String(victim.pid)}) after ${String(atArrivals)} arrivals, ${String(inFlightAtKill)} deliveries in flight`);
  const info: KillInfo = { worker: victim.name, atArrivals, inFlightAtKill, exitedWith, restarted: RESTART };
  const restarted = (async () => {
    if (!RESTART) return;
    await sleep(2_000);
    const again = await startSektorbro('worker', `${victim.name}-restarted`, c.env);
    running.push(again);
    c.workers[0] = again;
  })();
  return { info, restarted };
}

/** Deliveries whose attempt was interrupted and taken over (a lease that ran out), from their timelines. */
async function takenOver(databaseUrl: string): Promise<number> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ n: number }>("SELECT count(DISTINCT delivery_id)::int AS n FROM delivery_events WHERE status = 'attempt-interrupted'");
    return rows[0]?.n ?? 0;
  } finally {
    await db.end();
  }
}

interface Evidence {
  expected: ReadonlyMap<string, Version>;
  arrivals: readonly Arrival[];
  refused: readonly string[];
  sent: number;
  drain: Awaited<ReturnType<typeof waitForDrain>>;
  kill: KillInfo;
  taken: number;
}

/** The receiver's arrivals against what was sent: once in effect, and never an older version after a newer one. */
function judge(e: Evidence): Correctness {
  const bundlesOf = new Map<string, Set<string>>();
  let unexpected = 0;
  for (const a of e.arrivals) {
    if (!e.expected.has(a.versionId)) {
      unexpected++;
      continue;
    }
    bundlesOf.set(a.versionId, (bundlesOf.get(a.versionId) ?? new Set()).add(a.bundleId));
  }
  const superseded = e.drain.backlog.deliveries.superseded ?? 0;
  const missing = [...e.expected.keys()].filter((id) => !bundlesOf.has(id)).length;
  const underTwoIds = [...bundlesOf.values()].filter((ids) => ids.size > 1).length;
  const overwrites = e.arrivals.length - unexpected - [...bundlesOf.values()].reduce((s, ids) => s + ids.size, 0);
  const outOfOrder = orderViolations(e.arrivals, e.expected);
  const deadLettered = e.drain.backlog.deliveries['dead-letter'] ?? 0;
  const checks: [string, boolean][] = [
    [`all ${String(e.sent)} versions accepted (201): refused ${String(e.refused.length)}${e.refused.length > 0 ? ` (${e.refused.slice(0, 2).join('; ')})` : ''}`, e.refused.length === 0 && e.sent === e.expected.size],
    [`outbox and deliveries drained after the kill (${e.drain.drained ? `${(e.drain.waitedMs / 1000).toFixed(1)} s` : 'NOT drained'}; ${JSON.stringify(e.drain.backlog.deliveries)})`, e.drain.drained && deadLettered === 0],
    [`every version reached the GP: missing ${String(missing)} of ${String(e.expected.size)} (allowed only for versions the gateway marked superseded: ${String(superseded)})`, missing <= superseded],
    [`exactly once in effect: versions under two Bundle ids ${String(underTwoIds)}; the same Bundle again (overwrites) ${String(overwrites)}; arrivals of nothing sent ${String(unexpected)}`, underTwoIds === 0 && unexpected === 0],
    [`in order per recipient and patient: an older version after a newer one ${String(outOfOrder)} times`, outOfOrder === 0],
    [`worker ${e.kill.worker} killed (SIGKILL) after ${String(e.kill.atArrivals)} arrivals with ${String(e.kill.inFlightAtKill)} deliveries in flight; attempts taken over after a lease ran out: ${String(e.taken)}${e.kill.restarted ? '; started again' : ''}`, e.kill.exitedWith !== 0],
  ];
  return {
    sent: e.sent,
    checks,
    summary: `missing ${String(missing)}, duplicates ${String(underTwoIds)}, overwrites ${String(overwrites)}, out of order ${String(outOfOrder)}, taken over ${String(e.taken)}`,
    detail: { sent: e.sent, refused: e.refused, missing, underTwoIds, overwrites, unexpected, outOfOrder, superseded, deadLettered, kill: e.kill, takenOver: e.taken, deliveries: e.drain.backlog.deliveries },
  };
}

/** Arrivals, in the order the receiver got them, of a version older than one that already arrived for the same recipient and patient. */
function orderViolations(arrivals: readonly Arrival[], expected: ReadonlyMap<string, Version>): number {
  const newest = new Map<string, number>();
  let violations = 0;
  for (const a of arrivals) {
    const v = expected.get(a.versionId);
    if (!v) continue;
    const key = `${a.recipientSor}|${a.cpr}`;
    if (v.version < (newest.get(key) ?? 0)) violations++;
    newest.set(key, Math.max(v.version, newest.get(key) ?? 0));
  }
  return violations;
}
