/**
 * HTTP benchmarks of the real gateway (issue #9), on the embedded default and on PostgreSQL + Redis:
 * ingest of epikriser of about 5, 20 and 200 KB (POST /fhir/Bundle), $process-message of
 * HospitalNotifications, end-to-end latency from ingest to a real receiver on 127.0.0.1, the ratio
 * to a same-run ceiling server, and the process's memory after each backend.
 *
 * Client, gateway and receiver share this process (the harness starts the gateway in it), so the
 * figures include the load generator's own CPU: on 2 cores that is a real share.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config/index.ts';
import { DEMO_GP_PRACTICES, type DemoPlan } from '../src/demo/index.ts';
import { buildAcknowledgement, isReadFailure, readMessage } from '../src/medcom/index.ts';
import {
  expectStatus,
  measure,
  memoryNow,
  percentile,
  QUICK,
  startBenchGateway,
  type Backend,
  type BenchGateway,
  type Machine,
  type Measurement,
} from './lib/harness.ts';
import { benchPlan, epikriser, hospitalNotifications, type BenchRequest } from './lib/data.ts';

const FHIR_JSON = 'application/fhir+json';
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const RUNS = 3;
/** Redis db of its own: db 0 is the tests', and the gateway's queue has no prefix setting. */
const BENCH_REDIS_URL = process.env.BENCH_HTTP_REDIS_URL ?? 'redis://127.0.0.1:6379/5';
/**
 * Tokens live TOKEN_TTL_SECONDS (300 s by default) and the harness caches them for the gateway's
 * lifetime; a full run is longer than that, so the bench's tokens live a day. Not a speed setting.
 */
const GATEWAY_ENV = { TOKEN_TTL_SECONDS: '86400' };

/** Per size: operations per run and warm-up; 200 KB documents get fewer. Distinct seeds, so no letter is sent twice. */
const INGEST_SIZES: readonly { kb: number; operations: number; warmup: number; seed: number }[] = QUICK
  ? [
      { kb: 5, operations: 100, warmup: 20, seed: 11 },
      { kb: 20, operations: 100, warmup: 20, seed: 12 },
      { kb: 200, operations: 20, warmup: 5, seed: 13 },
    ]
  : [
      // 3 runs of 300: 900 latencies per line, enough for a p99, in minutes rather than half an hour on 2 cores.
      { kb: 5, operations: 300, warmup: 50, seed: 11 },
      { kb: 20, operations: 300, warmup: 50, seed: 12 },
      { kb: 200, operations: 60, warmup: 10, seed: 13 },
    ];
const MESSAGES = QUICK ? { operations: 200, warmup: 20, seed: 21 } : { operations: 300, warmup: 50, seed: 21 };
/** The end-to-end run: 20 KB epikriser at a steady rate, after a few that warm the delivery path. */
const DELIVERY_RATE = Number(process.env.BENCH_DELIVERY_RATE ?? 20);
const DELIVERY = QUICK ? { documents: 60, warmup: 5, perSecond: DELIVERY_RATE, seed: 31 } : { documents: 200, warmup: 10, perSecond: DELIVERY_RATE, seed: 31 };
const DELIVERY_KB = 20;
/** A document not at the receiver by then counts as not delivered (a safety net, not a target). */
const DELIVERY_GIVE_UP_MS = 30_000;
/** How long the bench waits for the outbox and deliveries to drain between phases. */
const DRAIN_LIMIT_MS = QUICK ? 60_000 : 300_000;
const ORDER_CHECK_SEED = 41;

const INGEST_TARGET = { docsPerSecond: 300, p99Ms: 100, kb: 20, backend: 'postgres+redis' as Backend };
const CEILING_SHARE = 0.5;
const DELIVERY_P99_MS = 1000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** A plan holding at least `count` epikriser (not every discharge gets one in the demo's plan). */
function planWithEpikriser(count: number, seed: number): DemoPlan {
  for (let discharges = Math.ceil(count / 0.85) + 20; ; discharges = Math.ceil(discharges * 1.2)) {
    const plan = benchPlan(discharges, seed);
    if (plan.requests.filter((r) => r.step === 'epikrise').length >= count) return plan;
  }
}

/** A plan holding at least `count` HospitalNotifications. */
function planWithNotifications(count: number, seed: number): DemoPlan {
  for (let discharges = Math.ceil(count / 2) + 20; ; discharges = Math.ceil(discharges * 1.2)) {
    const plan = benchPlan(discharges, seed);
    if (plan.requests.filter((r) => r.step === 'STIN' || r.step === 'SLHJ').length >= count) return plan;
  }
}

/** POSTs one request as its demo client and returns the response (body not yet read). */
async function send(gw: BenchGateway, r: BenchRequest): Promise<Response> {
  return fetch(`${gw.url}${r.path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${await gw.token(r.client)}`, 'Content-Type': FHIR_JSON },
    body: r.body,
  });
}

// ───────────────────────────── the receiver ─────────────────────────────

/**
 * The receivers' system on 127.0.0.1 (the GP practices, and Herlev Kommune for the messages): a
 * pushed document is answered 200 with an OperationOutcome, a MedCom message with an `ok`
 * Acknowledgement built by Sektorbro's own builder; it notes when awaited documents arrive.
 */
interface BenchReceiver {
  /** The FHIR base the registry Endpoints point at. */
  url: string;
  /** Resolves with `performance.now()` when a body whose Bundle.identifier is `identifier` has fully arrived. */
  arrival(identifier: string): Promise<number>;
  /** Stops waiting for `identifier` (given up). */
  forget(identifier: string): void;
  close(): Promise<void>;
}

const OUTCOME = JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational' }] });

/** The `ok` Acknowledgement of a pushed MedCom message, from the organisation it was sent to; undefined when unreadable. */
function acknowledgementOf(body: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const message = readMessage(json);
  if (isReadFailure(message)) return undefined;
  const us = { sor: message.receiver.sor, gln: message.receiver.gln, name: message.receiver.name ?? message.receiver.sor };
  return JSON.stringify(buildAcknowledgement(message, { code: 'ok' }, { us, now: new Date(), ids: { bundleId: randomUUID(), headerId: randomUUID(), provenanceId: randomUUID() } }));
}

async function startBenchReceiver(): Promise<BenchReceiver> {
  const waiting = new Map<string, (at: number) => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      if (req.url?.endsWith('/$process-message')) {
        const ack = acknowledgementOf(Buffer.concat(chunks).toString('utf8'));
        if (ack === undefined) res.writeHead(400).end();
        else res.writeHead(200, { 'Content-Type': FHIR_JSON }).end(ack);
        return;
      }
      // Parse only while someone waits: during the ingest phases the receiver just takes the pushes.
      if (waiting.size > 0) {
        const identifier = identifierOf(Buffer.concat(chunks).toString('utf8'));
        const resolve = identifier === undefined ? undefined : waiting.get(identifier);
        if (identifier !== undefined && resolve) {
          waiting.delete(identifier);
          resolve(at);
        }
      }
      res.writeHead(200, { 'Content-Type': FHIR_JSON }).end(OUTCOME);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}/fhir`,
    arrival: (identifier) => new Promise<number>((resolve) => { waiting.set(identifier, resolve); }),
    forget: (identifier) => { waiting.delete(identifier); },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    },
  };
}

/** Bundle.identifier.value of a document Bundle, or undefined when the body is something else. */
function identifierOf(body: string): string | undefined {
  try {
    const value = (JSON.parse(body) as { identifier?: { value?: unknown } }).identifier?.value;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

// ───────────────────────────── the registry ─────────────────────────────

const CONNECTION_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type';
const SOR_SYSTEM = 'urn:oid:1.2.208.176.1.1';
const GLN_SYSTEM = 'https://www.gs1.org/gln';
/**
 * The demo registry's seeded Endpoints (src/delivery/demo-registry.ts). They point at the built-in
 * demo receivers under PUBLIC_BASE_URL, which a gateway on port 0 does not know (it says
 * `localhost:0`), so they are repointed at the bench receiver rather than left failing.
 */
const DEMO_SEEDED_ENDPOINTS = [
  { id: 'demo-laegehuset-oesterbro-hl7-fhir-rest', name: 'Lægehuset Østerbro', type: 'hl7-fhir-rest' },
  { id: 'demo-herlev-kommune-hl7-fhir-rest', name: 'Herlev Kommune', type: 'hl7-fhir-rest' },
  { id: 'demo-herlev-kommune-hl7-fhir-msg', name: 'Herlev Kommune', type: 'hl7-fhir-msg' },
] as const;
const DEMO_SEEDED_GP_SOR = '1017421000016003';

/**
 * Points every GP practice the demo's epikriser go to, and the demo municipality, at the bench
 * receiver, as admin through the FHIR API: the demo registry's seeded Endpoints get a new address;
 * the GP practices absent from it get an Organization and an Endpoint of their own.
 */
async function registerReceiver(gw: BenchGateway, receiverUrl: string): Promise<void> {
  const admin = await gw.token('demo-admin');
  const put = async (path: string, resource: Record<string, unknown>): Promise<void> => {
    const res = await fetch(`${gw.url}/fhir/${path}`, { method: 'PUT', headers: { Authorization: `Bearer ${admin}`, 'Content-Type': FHIR_JSON }, body: JSON.stringify(resource) });
    if (res.status !== 200 && res.status !== 201) await expectStatus(res, 200, `PUT ${path}`);
    await res.arrayBuffer();
  };
  const endpoint = (id: string, name: string, type: 'hl7-fhir-rest' | 'hl7-fhir-msg' = 'hl7-fhir-rest') => ({
    resourceType: 'Endpoint',
    id,
    status: 'active',
    name: `Bench receiver of ${name}`,
    connectionType: { system: CONNECTION_TYPE_SYSTEM, code: type },
    payloadType: [{ text: type === 'hl7-fhir-msg' ? 'MedCom messages' : 'Sektorbro discharge documents' }],
    address: receiverUrl,
  });
  for (const seeded of DEMO_SEEDED_ENDPOINTS) await put(`Endpoint/${seeded.id}`, endpoint(seeded.id, seeded.name, seeded.type));
  for (const gp of DEMO_GP_PRACTICES) {
    if (gp.sor === DEMO_SEEDED_GP_SOR) continue;
    const id = `bench-gp-${gp.sor}`;
    await put(`Endpoint/${id}`, endpoint(id, gp.name));
    await put(`Organization/${id}`, {
      resourceType: 'Organization',
      id,
      active: true,
      name: gp.name,
      identifier: [{ system: SOR_SYSTEM, value: gp.sor }, { system: GLN_SYSTEM, value: gp.gln }],
      endpoint: [{ reference: `Endpoint/${id}` }],
    });
  }
}

// ───────────────────────────── draining ─────────────────────────────

/** Outbox entries not yet routed plus deliveries not yet settled, read from /metrics (gauges read the database). */
async function backlog(gw: BenchGateway): Promise<number> {
  const res = await expectStatus(await fetch(`${gw.url}/metrics`, { headers: { Authorization: `Bearer ${await gw.token('demo-admin')}` } }), 200, 'GET /metrics');
  const text = await res.text();
  const gauge = (pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? 0);
  return (
    gauge(/^sektorbro_outbox_pending (\d+)/m) +
    gauge(/^sektorbro_deliveries\{status="pending"\} (\d+)/m) +
    gauge(/^sektorbro_deliveries\{status="in-flight"\} (\d+)/m)
  );
}

/**
 * Waits until what the last phase stored has been routed and pushed, so the next phase is not
 * measured while the gateway still works off the previous one. Returns the seconds it took, or
 * undefined when it did not drain within the limit.
 */
async function drain(gw: BenchGateway): Promise<number | undefined> {
  const started = performance.now();
  while (performance.now() - started < DRAIN_LIMIT_MS) {
    if ((await backlog(gw)) === 0) return +((performance.now() - started) / 1000).toFixed(1);
    await sleep(250);
  }
  return undefined;
}

const drainNote = (seconds: number | undefined): string =>
  seconds === undefined ? `backlog not drained within ${String(DRAIN_LIMIT_MS / 1000)} s after the runs` : `outbox and deliveries drained ${String(seconds)} s after the runs`;

// ───────────────────────────── the phases ─────────────────────────────

async function ingestBench(gw: BenchGateway, backend: Backend, size: (typeof INGEST_SIZES)[number]): Promise<Measurement> {
  const documents = epikriser(planWithEpikriser(size.warmup + RUNS * size.operations, size.seed), size.kb, size.warmup + RUNS * size.operations);
  const bytes = Math.round(documents.reduce((s, d) => s + Buffer.byteLength(d.body), 0) / documents.length / 1024);
  const result = await measure(
    { group: 'ingest', name: `POST /fhir/Bundle epikrise ${String(size.kb)} KB`, backend },
    { operations: size.operations, runs: RUNS, warmup: size.warmup, concurrency: CONCURRENCY },
    async (i) => {
      const doc = documents[i];
      if (doc === undefined) throw new Error(`epikrise ${String(i)} was not generated`);
      await (await expectStatus(await send(gw, doc), 201, `POST /fhir/Bundle (${String(size.kb)} KB)`)).arrayBuffer();
    },
  );
  const drained = await drain(gw);
  const target =
    backend === INGEST_TARGET.backend && size.kb === INGEST_TARGET.kb
      ? {
          text: `>= ${String(INGEST_TARGET.docsPerSecond)} docs/s, p99 < ${String(INGEST_TARGET.p99Ms)} ms`,
          met: (result.perSecond ?? 0) >= INGEST_TARGET.docsPerSecond && (result.latencyMs?.p99 ?? Infinity) < INGEST_TARGET.p99Ms,
        }
      : undefined;
  return { ...result, target, note: `mean body ${String(bytes)} KB; ${drainNote(drained)}`, extra: { meanBodyKB: bytes, drainSeconds: drained } };
}

/** The acknowledgement's response code (MessageHeader.response.code of the answer's first entry). */
function ackCode(body: unknown): string | undefined {
  const header = (body as { entry?: { resource?: { resourceType?: string; response?: { code?: string } } }[] }).entry?.[0]?.resource;
  return header?.resourceType === 'MessageHeader' ? header.response?.code : undefined;
}

async function expectOkAck(res: Response, what: string): Promise<void> {
  const code = ackCode(await (await expectStatus(res, 200, what)).json());
  if (code !== 'ok') throw new Error(`${what}: the acknowledgement says ${code ?? 'nothing'}, not ok`);
}

/**
 * The reducer is meant to be order-independent: a stay's SLHJ sent before its STIN must be taken
 * (200, ok) like the other way round. Checked once per backend with a stay of a plan of its own.
 */
async function slhjBeforeStin(gw: BenchGateway): Promise<string> {
  const plan = benchPlan(5, ORDER_CHECK_SEED);
  const slhj = plan.requests.find((r) => r.step === 'SLHJ');
  const stin = plan.requests.find((r) => r.step === 'STIN' && r.discharge === slhj?.discharge);
  if (!slhj || !stin) throw new Error('the order-check plan has no stay with both STIN and SLHJ');
  for (const r of [slhj, stin]) {
    await expectOkAck(await send(gw, { client: r.client, path: '/fhir/$process-message', body: JSON.stringify(r.body()) }), `${r.step} of a stay, SLHJ first`);
  }
  return 'SLHJ before STIN of one stay: both 200, ack ok';
}

async function messagesBench(gw: BenchGateway, backend: Backend): Promise<Measurement> {
  const orderNote = await slhjBeforeStin(gw);
  const needed = MESSAGES.warmup + RUNS * MESSAGES.operations;
  const notifications = hospitalNotifications(planWithNotifications(needed, MESSAGES.seed)).slice(0, needed);
  const result = await measure(
    { group: 'messages', name: '$process-message HospitalNotification (STIN/SLHJ in plan order)', backend },
    { operations: MESSAGES.operations, runs: RUNS, warmup: MESSAGES.warmup, concurrency: CONCURRENCY },
    async (i) => {
      const message = notifications[i];
      if (message === undefined) throw new Error(`HospitalNotification ${String(i)} was not generated`);
      await expectOkAck(await send(gw, message), 'POST /fhir/$process-message');
    },
  );
  const drained = await drain(gw);
  return { ...result, note: `every answer 200 with ack ok; ${orderNote}; ${drainNote(drained)}`, extra: { drainSeconds: drained } };
}

/**
 * Ingest to the receiver's hands: 20 KB epikriser sent at a steady rate (open loop: a send does not
 * wait for the one before), each timed from just before its POST until the receiver has the whole
 * pushed body, matched by Bundle.identifier.
 */
async function deliveryBench(gw: BenchGateway, backend: Backend, receiver: BenchReceiver): Promise<Measurement> {
  const count = DELIVERY.warmup + DELIVERY.documents;
  const documents = epikriser(planWithEpikriser(count, DELIVERY.seed), DELIVERY_KB, count);
  /** Milliseconds to the 201 and to the receiver's hands, or undefined when it never arrived. */
  const deliverOne = async (doc: BenchRequest): Promise<{ answered: number; delivered: number } | undefined> => {
    const identifier = identifierOf(doc.body);
    if (identifier === undefined) throw new Error('a bench epikrise has no Bundle.identifier');
    const arrived = receiver.arrival(identifier);
    const t0 = performance.now();
    await (await expectStatus(await send(gw, doc), 201, 'POST /fhir/Bundle (delivery run)')).arrayBuffer();
    const answered = performance.now() - t0;
    const at = await Promise.race([arrived, sleep(DELIVERY_GIVE_UP_MS).then(() => undefined)]);
    if (at === undefined) receiver.forget(identifier);
    return at === undefined ? undefined : { answered, delivered: at - t0 };
  };
  // Warm-up: a few, one after the other, so the first pushes' connection set-up is not measured.
  for (const doc of documents.slice(0, DELIVERY.warmup)) {
    if ((await deliverOne(doc)) === undefined) throw new Error(`a warm-up epikrise did not reach the receiver within ${String(DELIVERY_GIVE_UP_MS)} ms: is the registry pointing at it?`);
  }
  const interval = 1000 / DELIVERY.perSecond;
  const started = performance.now();
  const results = await Promise.all(
    documents.slice(DELIVERY.warmup).map(async (doc, k) => {
      await sleep(started + k * interval - performance.now());
      return deliverOne(doc);
    }),
  );
  const arrivedOnes = results.filter((r): r is { answered: number; delivered: number } => r !== undefined);
  const sorted = (f: (r: { answered: number; delivered: number }) => number): number[] => arrivedOnes.map(f).sort((a, b) => a - b);
  const latencies = sorted((r) => r.delivered);
  const answered = sorted((r) => r.answered);
  const afterAnswer = sorted((r) => r.delivered - r.answered);
  const p99 = percentile(latencies, 99);
  const ms = (n: number): number => +n.toFixed(1);
  const delivery = loadConfig({ NODE_ENV: 'test' }).delivery;
  return {
    group: 'delivery',
    name: `ingest → receiver has the epikrise (${String(DELIVERY_KB)} KB at ${String(DELIVERY.perSecond)}/s)`,
    backend,
    latencyMs: { median: ms(percentile(latencies, 50)), p99: ms(p99) },
    operations: DELIVERY.documents,
    runs: 1,
    warmup: DELIVERY.warmup,
    target: { text: `p99 < ${String(DELIVERY_P99_MS)} ms, all delivered`, met: latencies.length === DELIVERY.documents && p99 < DELIVERY_P99_MS },
    note:
      `${String(latencies.length)}/${String(DELIVERY.documents)} delivered; ` +
      `201 after median ${String(ms(percentile(answered, 50)))} / p99 ${String(ms(percentile(answered, 99)))} ms, ` +
      `then at the receiver after median ${String(ms(percentile(afterAnswer, 50)))} / p99 ${String(ms(percentile(afterAnswer, 99)))} ms; ` +
      `default DELIVERY_POLL_MS=${String(delivery.pollMs)}; outbox relay polls every 200 ms when idle and goes on at once while entries wait (fixed in src)`,
    extra: {
      delivered: latencies.length,
      sent: DELIVERY.documents,
      ratePerSecond: DELIVERY.perSecond,
      answeredMs: { median: ms(percentile(answered, 50)), p99: ms(percentile(answered, 99)) },
      afterAnswerMs: { median: ms(percentile(afterAnswer, 50)), p99: ms(percentile(afterAnswer, 99)) },
      deliveryPollMs: delivery.pollMs,
    },
  };
}

/** RSS and heap of this process (gateway, client and receiver together) after a backend's runs. */
function memoryLine(backend: Backend): Measurement {
  const mem = memoryNow();
  return { group: 'memory', name: 'process RSS after the runs (gateway, client, receiver)', backend, note: `RSS ${String(mem.rssMB)} MB, heap ${String(mem.heapUsedMB)} MB`, extra: mem };
}

async function backendBench(backend: Backend): Promise<Measurement[]> {
  const receiver = await startBenchReceiver();
  const gw = await startBenchGateway(backend, { ...GATEWAY_ENV, ...(backend === 'postgres+redis' ? { REDIS_URL: BENCH_REDIS_URL } : {}) });
  if (gw === undefined) {
    await receiver.close();
    return [{ group: 'ingest', name: 'all HTTP benchmarks', backend, note: 'PostgreSQL not reachable: skipped' }];
  }
  try {
    await registerReceiver(gw, receiver.url);
    // End-to-end first, on a quiet gateway: the ingest phases leave backlogs that would be measured instead.
    const results = [await deliveryBench(gw, backend, receiver)];
    for (const size of INGEST_SIZES) results.push(await ingestBench(gw, backend, size));
    results.push(await messagesBench(gw, backend));
    results.push(memoryLine(backend));
    return results;
  } finally {
    await gw.close();
    await receiver.close();
  }
}

/** The same 20 KB bodies POSTed to the ceiling server with the same client and concurrency; 201 expected. */
async function ceilingBench(ceilingUrl: string): Promise<Measurement> {
  const size = INGEST_SIZES.find((s) => s.kb === INGEST_TARGET.kb);
  if (!size) throw new Error('no 20 KB ingest size is planned');
  const count = size.warmup + RUNS * size.operations;
  const documents = epikriser(planWithEpikriser(count, size.seed), size.kb, count);
  return measure(
    { group: 'ceiling', name: `POST ${String(size.kb)} KB epikrise to the ceiling server`, backend: 'ceiling' },
    { operations: size.operations, runs: RUNS, warmup: size.warmup, concurrency: CONCURRENCY },
    async (i) => {
      const doc = documents[i];
      if (doc === undefined) throw new Error(`epikrise ${String(i)} was not generated`);
      const res = await fetch(ceilingUrl, { method: 'POST', headers: { 'Content-Type': FHIR_JSON }, body: doc.body });
      await (await expectStatus(res, 201, 'POST to the ceiling server')).arrayBuffer();
    },
  );
}

/** Adds the ratio to the ceiling to the 20 KB ingest line (PostgreSQL's, else the embedded default's when PostgreSQL was skipped). */
function withCeilingRatio(results: Measurement[], ceiling: Measurement): void {
  const name = `POST /fhir/Bundle epikrise ${String(INGEST_TARGET.kb)} KB`;
  const line = results.find((r) => r.group === 'ingest' && r.name === name && r.backend === INGEST_TARGET.backend && r.perSecond !== undefined)
    ?? results.find((r) => r.group === 'ingest' && r.name === name && r.perSecond !== undefined);
  if (!line?.perSecond || !ceiling.perSecond) return;
  const ratio = line.perSecond / ceiling.perSecond;
  const share = `Sektorbro/ceiling = ${ratio.toFixed(2)}`;
  line.note = line.note ? `${share}; ${line.note}` : share;
  line.extra = { ...line.extra, ceilingRatio: +ratio.toFixed(3), ceilingPerSecond: ceiling.perSecond };
  const speed = line.target;
  const met = ratio >= CEILING_SHARE;
  line.target = speed
    ? { text: `${speed.text}, >= ${String(CEILING_SHARE)} of the ceiling`, met: speed.met && met }
    : { text: `>= ${String(CEILING_SHARE)} of the ceiling`, met };
}

/**
 * Every HTTP measurement of issue #9 on both backends (PostgreSQL + Redis skipped with a note when
 * unreachable), and with `ceilingUrl` the same-run ceiling and Sektorbro's ratio to it.
 */
export async function runHttpBench(m: Machine, opts: { ceilingUrl?: string }): Promise<Measurement[]> {
  const results: Measurement[] = [];
  for (const backend of ['pglite', 'postgres+redis'] as const) results.push(...(await backendBench(backend)));
  if (opts.ceilingUrl !== undefined) {
    const ceiling = await ceilingBench(opts.ceilingUrl);
    results.push(ceiling);
    withCeilingRatio(results, ceiling);
  }
  return results;
}
