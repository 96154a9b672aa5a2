/**
 * What the load, soak and scale-out benchmarks share: Sektorbro's API and worker as real child
 * processes (`node bin/sektorbro.js start|worker`, as docker-compose runs them) on PostgreSQL and
 * Redis, a real receiver on 127.0.0.1 registered as the GPs' Endpoint, an endless stream of new
 * 20 KB epikriser, autocannon driving `POST /fhir/Bundle`, and the database read-outs that tell when
 * every delivery has settled. Every child is killed when the benchmark ends, also on an error or a signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';
import { DEMO_GP_PRACTICES, type DemoClientId } from '../../src/demo/index.ts';
import { isRegistryEntry, SYSTEM, type AnyResource } from '../../src/shared/index.ts';
import { benchCpr, type BenchRequest } from './data.ts';
import { freshDatabase, REDIS_URL } from './harness.ts';
import { freePort } from '../../test/helpers/net.ts';

const BIN = new URL('../../bin/sektorbro.js', import.meta.url).pathname;
const FHIR_JSON = 'application/fhir+json';
const CONNECTION_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type';

// ───────────────────────────── child processes ─────────────────────────────

export type Role = 'gateway' | 'worker';

/** One running `sektorbro start` or `sektorbro worker`. */
export interface SektorbroProcess {
  role: Role;
  name: string;
  pid: number;
  /** The API's base URL (gateways only). */
  url: string | undefined;
  /** stdout and stderr (JSON log lines), kept when the run fails. */
  logFile: string;
  running(): boolean;
  /** Sends the signal and waits for the exit; SIGTERM escalates to SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

const children = new Set<ChildProcess>();
let logDir: string | undefined;

// A benchmark that throws or is interrupted must not leave gateways and workers running.
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const c of children) c.kill('SIGKILL');
    process.exit(130);
  });
}

/** The folder the children's logs go to (one per benchmark run). */
export function logFolder(): string {
  logDir ??= mkdtempSync(join(tmpdir(), 'sektorbro-bench-logs-'));
  return logDir;
}

/** Removes the logs after a clean run (unless BENCH_KEEP_LOGS=1); a failed run keeps them for reading. */
export function dropLogs(): void {
  if (logDir !== undefined && process.env.BENCH_KEEP_LOGS !== '1') rmSync(logDir, { recursive: true, force: true });
  logDir = undefined;
}

export { freePort };

/** A Redis database of its own for one benchmark, emptied first (stale BullMQ jobs would name deliveries of a dropped database). */
export async function freshRedis(db: number): Promise<string> {
  const u = new URL(REDIS_URL);
  u.pathname = `/${String(db)}`;
  const redis = new Redis(u.toString(), { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
  return u.toString();
}

/**
 * The environment every process of one benchmark shares, as the production setup would have it, except
 * that the demo clients are on (NODE_ENV development) and the per-client rate limit is off: the
 * benchmark is one client sending the traffic of many. Tokens live a day, so a soak needs no renewal.
 */
export function sektorbroEnv(o: { databaseUrl: string; redisUrl: string; publicBaseUrl: string; extra?: Record<string, string> }): Record<string, string> {
  return {
    NODE_ENV: 'development',
    DATABASE_URL: o.databaseUrl,
    REDIS_URL: o.redisUrl,
    PUBLIC_BASE_URL: o.publicBaseUrl,
    TOKEN_SIGNING_SECRET: BENCH_SIGNING_SECRET,
    TOKEN_TTL_SECONDS: '86400',
    DEMO_CLIENTS: 'true',
    RATE_LIMIT_PER_MINUTE: '10000000',
    LOG_LEVEL: 'info',
    ...o.extra,
  };
}

/** One secret per benchmark run: every API process must accept the tokens another one issued. */
const BENCH_SIGNING_SECRET = randomBytes(33).toString('base64url');

/** Starts `sektorbro start` (on `port`) or `sektorbro worker` and waits until it is ready. */
export async function startSektorbro(role: Role, name: string, env: Record<string, string>, port?: number): Promise<SektorbroProcess> {
  const logFile = join(logFolder(), `${name}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [BIN, role === 'gateway' ? 'start' : 'worker'], {
    // Only what the process needs: the bench's own environment must not change Sektorbro's settings.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, ...(port === undefined ? {} : { HOST: '127.0.0.1', PORT: String(port) }) },
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  children.add(child);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve(code ?? (signal === null ? null : -1));
    });
  });
  const url = port === undefined ? undefined : `http://127.0.0.1:${String(port)}`;
  const proc: SektorbroProcess = {
    role,
    name,
    pid: child.pid ?? -1,
    url,
    logFile,
    running: () => child.exitCode === null && child.signalCode === null,
    async stop(signal = 'SIGTERM', graceMs = 20_000) {
      if (!proc.running()) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  try {
    await waitUntilReady(proc, role === 'gateway' ? () => isReady(url ?? '') : () => logSays(logFile, 'worker.started'));
  } catch (e) {
    await proc.stop('SIGKILL');
    throw e;
  }
  return proc;
}

/** Start-up compiles the R4 schema and the profiles: seconds when idle, much more on a busy machine. */
async function waitUntilReady(proc: SektorbroProcess, ready: () => Promise<boolean> | boolean, timeoutMs = 180_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!proc.running()) throw new Error(`${proc.name} exited during start-up; log: ${proc.logFile}\n${tail(proc.logFile)}`);
    if (await ready()) return;
    await sleep(250);
  }
  throw new Error(`${proc.name} was not ready after ${String(timeoutMs / 1000)} s; log: ${proc.logFile}\n${tail(proc.logFile)}`);
}

const isReady = async (url: string): Promise<boolean> => {
  try {
    return (await fetch(`${url}/health/ready`)).status === 200;
  } catch {
    return false;
  }
};

const logSays = (file: string, event: string): boolean => existsSync(file) && readFileSync(file, 'utf8').includes(`"${event}"`);

const tail = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-15).join('\n') : '');

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Stops every process (SIGTERM, then SIGKILL), the workers last so the API's requests end first. */
export async function stopAll(processes: readonly SektorbroProcess[]): Promise<void> {
  await Promise.all(processes.filter((p) => p.role === 'gateway').map((p) => p.stop()));
  await Promise.all(processes.filter((p) => p.role === 'worker').map((p) => p.stop()));
}

/** Resident set size (MB) and open file descriptors of a process, from /proc. */
export function processFootprint(pid: number): { rssMB: number; fds: number } {
  const status = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  const kB = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
  return { rssMB: +(kB / 1024).toFixed(1), fds: readdirSync(`/proc/${String(pid)}/fd`).length };
}

// ───────────────────────────── the receiver ─────────────────────────────

/** One PUT of a document Bundle the receiver took. */
export interface Arrival {
  recipientSor: string;
  bundleId: string;
  /** `Composition.identifier` as system|value: the document, across its versions. */
  documentId: string;
  /** `Bundle.identifier` value: one version of the document. */
  versionId: string;
  cpr: string;
  timestamp: string;
  at: number;
}

/**
 * A GP system on 127.0.0.1 that takes documents by FHIR REST at `<url>/<sor>/fhir/Bundle/<id>`, as
 * real receivers do (201 the first time, 200 for a PUT that overwrites), and records every arrival.
 */
export interface DeliveryReceiver {
  url: string;
  baseOf(sor: string): string;
  arrivals: Arrival[];
  refused: number;
  /** Makes every answer wait this long (a slower receiver keeps more attempts in flight). */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

export async function startDeliveryReceiver(): Promise<DeliveryReceiver> {
  const arrivals: Arrival[] = [];
  const seen = new Set<string>();
  let delayMs = 0;
  const receiver: DeliveryReceiver = { url: '', baseOf: (sor) => `${receiver.url}/${sor}/fhir`, arrivals, refused: 0, setDelay: (ms) => { delayMs = ms; }, close: () => Promise.resolve() };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const m = /^\/(\d{11,18})\/fhir\/Bundle\/([A-Za-z0-9\-.]{1,64})$/.exec(req.url ?? '');
      const arrival = m && req.method === 'PUT' ? readArrival(m[1] ?? '', m[2] ?? '', Buffer.concat(chunks).toString('utf8')) : undefined;
      if (!arrival) {
        receiver.refused++;
        res.writeHead(400, { 'Content-Type': FHIR_JSON }).end('{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"structure"}]}');
        return;
      }
      // Recorded as it comes in, so the order of `arrivals` is the order the receiver got them.
      arrivals.push(arrival);
      const first = !seen.has(arrival.bundleId);
      seen.add(arrival.bundleId);
      const answer = (): void => {
        res.writeHead(first ? 201 : 200, { 'Content-Type': FHIR_JSON }).end('{"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"informational"}]}');
      };
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  receiver.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  };
  return receiver;
}

function readArrival(recipientSor: string, bundleId: string, body: string): Arrival | undefined {
  try {
    const bundle = JSON.parse(body) as fhir4.Bundle;
    const composition = bundle.entry?.[0]?.resource as fhir4.Composition | undefined;
    const patient = bundle.entry?.find((e) => e.resource?.resourceType === 'Patient')?.resource as fhir4.Patient | undefined;
    if (composition?.resourceType !== 'Composition' || bundle.id !== bundleId) return undefined;
    return {
      recipientSor,
      bundleId,
      documentId: `${composition.identifier?.system ?? ''}|${composition.identifier?.value ?? ''}`,
      versionId: bundle.identifier?.value ?? '',
      cpr: patient?.identifier?.find((i) => i.system === SYSTEM.cpr)?.value ?? '',
      timestamp: bundle.timestamp ?? '',
      at: performance.now(),
    };
  } catch {
    return undefined;
  }
}

// ───────────────────────────── the registry and tokens ─────────────────────────────

/** A client-credentials token from a running gateway. */
export async function clientToken(url: string, clientId: string): Promise<string> {
  const res = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${clientId}:${clientId}-secret`).toString('base64')}` },
    body: 'grant_type=client_credentials',
  });
  if (res.status !== 200) throw new Error(`token for ${clientId}: HTTP ${String(res.status)} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/**
 * Registers the receiver as the document Endpoint of every demo GP practice, through the FHIR API as
 * admin. A practice the registry already holds (the gateway seeds Lægehuset Østerbro) is updated in
 * place: a second Organization with the same SOR code would make routing find neither.
 */
export async function registerGpReceiver(gatewayUrl: string, receiver: DeliveryReceiver): Promise<void> {
  const token = await clientToken(gatewayUrl, 'demo-admin');
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': FHIR_JSON, Accept: FHIR_JSON };
  const put = async (resource: AnyResource & { id: string }): Promise<void> => {
    const res = await fetch(`${gatewayUrl}/fhir/${resource.resourceType}/${resource.id}`, { method: 'PUT', headers, body: JSON.stringify(resource) });
    if (res.status !== 200 && res.status !== 201) throw new Error(`registering ${resource.resourceType}/${resource.id}: HTTP ${String(res.status)} ${await res.text()}`);
  };
  for (const gp of DEMO_GP_PRACTICES) {
    const search = await fetch(`${gatewayUrl}/fhir/Organization?identifier=${encodeURIComponent(`${SYSTEM.sor}|${gp.sor}`)}`, { headers });
    const found = ((await search.json()) as { entry?: { resource?: AnyResource }[] }).entry?.map((e) => e.resource).find((r) => isRegistryEntry(r));
    const endpointId = `bench-receiver-${gp.sor}`;
    await put({
      resourceType: 'Endpoint',
      id: endpointId,
      status: 'active',
      name: `${gp.name}: benchmark receiver`,
      connectionType: { system: CONNECTION_TYPE_SYSTEM, code: 'hl7-fhir-rest' },
      payloadType: [{ text: 'Sektorbro discharge documents' }],
      address: receiver.baseOf(gp.sor),
    });
    await put({
      resourceType: 'Organization',
      id: typeof found?.id === 'string' ? found.id : `bench-gp-${gp.sor}`,
      active: true,
      name: gp.name,
      identifier: [{ system: SYSTEM.sor, value: gp.sor }, { system: SYSTEM.gln, value: gp.gln }],
      endpoint: [{ reference: `Endpoint/${endpointId}` }],
    });
  }
}

/** Tokens for the clients the letters name, issued by `gatewayUrl` (valid at every API process of the run). */
export async function tokensFor(gatewayUrl: string, clients: Iterable<DemoClientId>): Promise<Map<DemoClientId, string>> {
  const tokens = new Map<DemoClientId, string>();
  for (const c of new Set(clients)) tokens.set(c, await clientToken(gatewayUrl, c));
  return tokens;
}

/** A fresh database for a child-process benchmark; when PostgreSQL is not reachable, says so and exits (skipped). */
export async function benchDatabaseOrSkip(name: string, what: string): Promise<string> {
  const url = await freshDatabase(name);
  if (url === undefined) {
    console.log(`PostgreSQL is not reachable (BENCH_DATABASE_URL): the ${what} needs it. Skipped.`);
    process.exit(0);
  }
  return url;
}

/**
 * One gateway and one worker as child processes on `databaseUrl` and `redisUrl` (pushed onto
 * `processes`, so the caller's `stopAll` stops them), every demo GP practice pointing at `receiver`,
 * and tokens for `clients`.
 */
export async function startGatewayAndWorker(o: {
  databaseUrl: string;
  redisUrl: string;
  receiver: DeliveryReceiver;
  clients: Iterable<DemoClientId>;
  processes: SektorbroProcess[];
}): Promise<{ url: string; gateway: SektorbroProcess; worker: SektorbroProcess; tokens: Map<DemoClientId, string> }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${String(port)}`;
  const env = sektorbroEnv({ databaseUrl: o.databaseUrl, redisUrl: o.redisUrl, publicBaseUrl: url });
  console.log(`starting the gateway and a worker (logs in ${logFolder()}) ...`);
  const gateway = await startSektorbro('gateway', 'gateway', env, port);
  o.processes.push(gateway);
  const worker = await startSektorbro('worker', 'worker', env);
  o.processes.push(worker);
  await registerGpReceiver(url, o.receiver);
  return { url, gateway, worker, tokens: await tokensFor(url, o.clients) };
}

// ───────────────────────────── letters ─────────────────────────────

/** One epikrise to send: its client, its body, and the document it is (`Composition.identifier` as system|value). */
export interface Letter {
  client: DemoClientId;
  body: string;
  documentId: string;
  cpr: string;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

interface Template {
  request: BenchRequest;
  cpr: string;
  compositionSystem: string;
  compositionValue: string;
}

/**
 * An endless supply of new epikriser: each is one of the benchmark's grown epikriser (bench/lib/data.ts)
 * re-identified as a new letter about a new patient and stay, with every UUID in it (Bundle id and
 * identifier, Composition identifier, fullUrls, the episode of care) replaced consistently and a new CPR
 * number. Re-identifying costs a regular-expression pass; growing a 20 KB document from scratch costs
 * milliseconds, too slow to feed hundreds a second. `prepare` makes them ahead of a timed run.
 */
export class LetterSource {
  private readonly templates: Template[];
  /** Prepared letters; a slot handed out is emptied, so a long run does not keep every body. */
  private readonly ready: (Letter | undefined)[] = [];
  private nextReady = 0;
  private made = 0;
  /** Letters handed out, and those made while the run was on (the prepared ones ran out). */
  issued = 0;
  madeDuringRun = 0;

  constructor(
    base: readonly BenchRequest[],
    /** Where this source's CPR numbers start (benchCpr), so two sources in one database never share a patient. */
    private readonly firstPatient: number,
  ) {
    if (base.length === 0) throw new Error('LetterSource needs at least one epikrise');
    this.templates = base.map((request) => {
      const bundle = JSON.parse(request.body) as fhir4.Bundle;
      const composition = bundle.entry?.[0]?.resource as fhir4.Composition;
      const patient = bundle.entry?.find((e) => e.resource?.resourceType === 'Patient')?.resource as fhir4.Patient | undefined;
      const cpr = patient?.identifier?.find((i) => i.system === SYSTEM.cpr)?.value;
      if (cpr === undefined || composition.identifier?.value === undefined) throw new Error('a benchmark epikrise without CPR number or Composition.identifier');
      return { request, cpr, compositionSystem: composition.identifier.system ?? '', compositionValue: composition.identifier.value };
    });
  }

  /** Makes `count` letters now, so a timed run only hands them out. */
  prepare(count: number): void {
    for (let i = 0; i < count; i++) this.ready.push(this.make());
  }

  next(): Letter {
    this.issued++;
    const prepared = this.ready[this.nextReady];
    if (prepared) {
      this.ready[this.nextReady++] = undefined;
      return prepared;
    }
    this.madeDuringRun++;
    return this.make();
  }

  private make(): Letter {
    const n = this.made++;
    const t = this.templates[n % this.templates.length] as Template;
    const fresh = new Map<string, string>();
    const renamed = (uuid: string): string => {
      const key = uuid.toLowerCase();
      let v = fresh.get(key);
      if (v === undefined) {
        v = randomUUID();
        fresh.set(key, v);
      }
      return v;
    };
    const cpr = benchCpr(this.firstPatient + n);
    const body = t.request.body.replace(UUID, renamed).replaceAll(t.cpr, cpr);
    return { client: t.request.client, body, documentId: `${t.compositionSystem}|${t.compositionValue.replace(UUID, renamed)}`, cpr };
  }
}

// ───────────────────────────── driving the API ─────────────────────────────

export interface DriveOptions {
  url: string;
  letters: LetterSource;
  tokens: ReadonlyMap<DemoClientId, string>;
  connections: number;
  seconds: number;
  /** Requests per second over all connections; unset: as fast as the API answers. */
  rate?: number | undefined;
}

export interface DriveOutcome {
  result: autocannon.Result;
  /** Documents answered 201 (by `Composition.identifier`). */
  accepted: Set<string>;
  /** Refusals by HTTP status, and the first few bodies, so a failing run says why. */
  refusals: Map<number, number>;
  firstRefusals: string[];
  /** The connections and whole rate autocannon ran with. */
  connections: number;
  rate: number | undefined;
}

interface LetterContext {
  documentId?: string;
}

/**
 * autocannon POSTing a new epikrise with every request. Each connection sends one request at a time
 * (no pipelining), so the context set when a request is built is the one its answer is read with.
 */
export async function driveEpikriser(o: DriveOptions): Promise<DriveOutcome> {
  const accepted = new Set<string>();
  const refusals = new Map<number, number>();
  const firstRefusals: string[] = [];
  // autocannon paces whole requests per connection per second, and a connection whose share rounds
  // to 0 would run unpaced: so a whole rate, and no more connections than requests a second.
  const rate = o.rate === undefined ? undefined : Math.max(1, Math.round(o.rate));
  const connections = rate === undefined ? o.connections : Math.max(1, Math.min(o.connections, rate));
  const result = await autocannon({
    url: o.url,
    connections,
    duration: o.seconds,
    ...(rate === undefined ? {} : { overallRate: rate }),
    timeout: 60,
    requests: [
      {
        setupRequest: (req, context) => {
          const letter = o.letters.next();
          (context as LetterContext).documentId = letter.documentId;
          return {
            ...req,
            method: 'POST',
            path: '/fhir/Bundle',
            headers: { 'content-type': FHIR_JSON, accept: FHIR_JSON, authorization: `Bearer ${o.tokens.get(letter.client) ?? ''}` },
            body: letter.body,
          };
        },
        onResponse: (status, body, context) => {
          const id = (context as LetterContext).documentId;
          if (status === 201 && id !== undefined) {
            accepted.add(id);
            return;
          }
          refusals.set(status, (refusals.get(status) ?? 0) + 1);
          if (firstRefusals.length < 3) firstRefusals.push(`HTTP ${String(status)}: ${body.slice(0, 300)}`);
        },
      },
    ],
  });
  return { result, accepted, refusals, firstRefusals, connections, rate };
}

// ───────────────────────────── the database's view ─────────────────────────────

export interface Backlog {
  /** Outbox entries not yet routed. */
  outbox: number;
  /** Deliveries by status. */
  deliveries: Record<string, number>;
  /** Documents stored (one row per accepted version). */
  documents: number;
}

const OPEN_STATUSES = ['pending', 'in-flight', 'awaiting-ack'];

export async function backlog(databaseUrl: string): Promise<Backlog> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const outbox = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE processed_at IS NULL');
    const deliveries = await db.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM deliveries GROUP BY status');
    const documents = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM documents');
    return {
      outbox: outbox.rows[0]?.n ?? 0,
      deliveries: Object.fromEntries(deliveries.rows.map((r) => [r.status, r.n])),
      documents: documents.rows[0]?.n ?? 0,
    };
  } finally {
    await db.end();
  }
}

/** The documents the database stored (`Composition.identifier` as system|value, one entry per version). */
export async function storedDocuments(databaseUrl: string): Promise<string[]> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    // document_key is `<sender SOR>|<system>|<value>`.
    const { rows } = await db.query<{ key: string }>('SELECT document_key AS key FROM documents ORDER BY received_at');
    return rows.map((r) => r.key.slice(r.key.indexOf('|') + 1));
  } finally {
    await db.end();
  }
}

export const openDeliveries = (b: Backlog): number => OPEN_STATUSES.reduce((s, k) => s + (b.deliveries[k] ?? 0), 0);

/** Waits until the outbox is routed and no delivery is open, or the time is up; returns the last read-out and the wait. */
export async function waitForDrain(databaseUrl: string, timeoutMs: number): Promise<{ backlog: Backlog; drained: boolean; waitedMs: number }> {
  const started = performance.now();
  for (;;) {
    const b = await backlog(databaseUrl);
    const waitedMs = performance.now() - started;
    if (b.outbox === 0 && openDeliveries(b) === 0) return { backlog: b, drained: true, waitedMs };
    if (waitedMs > timeoutMs) return { backlog: b, drained: false, waitedMs };
    await sleep(500);
  }
}

/** The receiver's view of a set of accepted documents: delivered, missing, and arrivals beyond one per document. */
export function tally(accepted: ReadonlySet<string>, arrivals: readonly Arrival[]): { delivered: number; missing: number; redelivered: number; duplicates: number; unexpected: number } {
  const bundlesOf = new Map<string, Set<string>>();
  let arrivalsOfAccepted = 0;
  let unexpected = 0;
  for (const a of arrivals) {
    if (!accepted.has(a.documentId)) {
      unexpected++;
      continue;
    }
    arrivalsOfAccepted++;
    const bundles = bundlesOf.get(a.documentId) ?? new Set<string>();
    bundles.add(a.bundleId);
    bundlesOf.set(a.documentId, bundles);
  }
  const delivered = bundlesOf.size;
  // The same document under two Bundle ids would be two letters at the receiver; the same id twice overwrites.
  const duplicates = [...bundlesOf.values()].reduce((s, b) => s + b.size - 1, 0);
  return { delivered, missing: accepted.size - delivered, redelivered: arrivalsOfAccepted - delivered - duplicates, duplicates, unexpected };
}
