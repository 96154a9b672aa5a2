/**
 * `sektorbro demo` (issue #7, "History on day one"): fills the configured storage with months of
 * synthetic traffic through the real gateway, so `/quality` and the responsibility overview show
 * something true on first start.
 *
 * The gateway runs in-process on a random local port with a simulated clock that this runner moves
 * along the generated timeline: every request, stored row, delivery, acknowledgement and
 * timeliness measurement carries the simulated past time. After each request the runner waits
 * until the outbox is routed and every delivery due has been pushed (it drives the outbox relay and
 * the dispatcher itself rather than wait for their pollers), so a delivery is recorded at the time
 * its document was sent, not at some later step of the timeline.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { issueAccessToken, loadClients, type ClientRecord } from '../auth/index.ts';
import { ConfigError, loadConfig, type Config } from '../config/index.ts';
import { createDeliveryWorker, createOutboxRelay, type DeliveryWorker, type OutboxRelay } from '../delivery/index.ts';
import { PROFILES_DIR, startGateway, type Gateway } from '../gateway.ts';
import { createLogger, deterministicId, isRegistryEntry, SYSTEM, systemClock, type AnyResource, type Clock, type Logger } from '../shared/index.ts';
import { localDateOf } from '../shared/time.ts';
import type { Store } from '../store/index.ts';
import { atRiskMsOf, isStorageLockError, localGatewayUrl, runningGatewayAt, storageDescription } from '../timeliness/index.ts';
import {
  DEMO_DEPARTMENTS,
  DEMO_GP_PRACTICES,
  DEMO_HOSPITALS,
  DEMO_MUNICIPALITIES,
  Rng,
  generateDemo,
  type DemoClientId,
  type DemoOptions,
  type DemoOrganization,
  type DemoPlan,
  type DocumentTemplates,
} from './generator.ts';
import { startDemoReceiver, type DemoReceiver } from './receivers.ts';

/** A clock the demo moves forward along its timeline; it never goes back. */
export class SimulatedClock implements Clock {
  private t: number;
  constructor(start: Date) {
    this.t = start.getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  /** Moves to `to` (a time already passed leaves the clock where it is). */
  set(to: Date): void {
    this.t = Math.max(this.t, to.getTime());
  }
}

export const DEMO_USAGE = `Usage: sektorbro demo [--days 90] [--per-day 12] [--seed 1] [--until <ISO 8601>]

Fills the configured storage (DATABASE_URL, else PGlite in DATA_DIR) with --days of synthetic
traffic ending --until (default: now): discharges at three hospitals' departments with a Friday
peak, their HospitalNotifications (STIN, SLHJ), epikriser sent on time, late or never, and
udskrivningsrapporter, all through the real gateway with a simulated clock, delivered to demo
receivers. The same seed and options give the same data; running it again adds nothing twice.
Stop the gateway and any worker first: PGlite allows one process, and a running worker would
deliver the demo's traffic with today's clock.
`;

export class DemoError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'DemoError';
  }
}

export interface DemoDeps {
  config: Config;
  logger: Logger;
  /** Where the progress line goes (redrawn with `\r` on a TTY; nothing otherwise). */
  progress?: (Pick<Writable, 'write'> & { isTTY?: boolean }) | undefined;
  /** The valid document examples to build documents from (default: profiles/examples/). */
  templates?: DocumentTemplates | undefined;
}

export interface DemoSummary {
  /** The first request (a STIN, days before the first discharge). */
  from: Date;
  until: Date;
  /** The first discharge. */
  dischargesFrom: Date;
  storage: string;
  hospitals: number;
  departments: number;
  /** Discharged before `until`. */
  discharges: number;
  hospitalNotifications: number;
  epikriser: number;
  udskrivningsrapporter: number;
  /** The receivers' count of what reached them. */
  delivered: { documents: number; messages: number };
  /** The epikrise indicator of the demo's departments at `until`, with the configured clock. */
  epikrise: { onTime: number; late: number; overdue: number; pending: number; share: number | null; target: number };
}

const HOUR_MS = 3_600_000;
/** Deliveries waiting this little (an ordering recheck, a quick retry) are waited for by moving the clock. */
const SETTLE_HORIZON_MS = 10 * 60_000;
/** A safety net in real time: deliveries that never settle mean something is broken. */
const SETTLE_TIMEOUT_MS = 60_000;
const CONNECTION_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type';

/** The valid epikrise and udskrivningsrapport examples of the profiles. */
export function readDocumentTemplates(dir = join(PROFILES_DIR, 'examples')): DocumentTemplates {
  const read = (name: string): AnyResource => JSON.parse(readFileSync(join(dir, name), 'utf8')) as AnyResource;
  return {
    epikrise: read('sektorbro-epikrise-bundle-valid-hjertesvigt.json'),
    udskrivningsrapport: read('sektorbro-udskrivningsrapport-bundle-valid-hjertesvigt.json'),
  };
}

/** Runs the demo against `deps.config`'s storage; throws DemoError when it must not run. */
export async function runDemo(options: DemoOptions, deps: DemoDeps): Promise<DemoSummary> {
  const { config, logger } = deps;
  if (config.nodeEnv === 'production') throw new DemoError('The demo does not run in production (NODE_ENV=production)', 78);
  if (!config.auth.demoClients) throw new DemoError('The demo sends with the demo clients: set DEMO_CLIENTS=true', 78);
  const plan = generateDemo(options, deps.templates ?? readDocumentTemplates(), config.timeliness);
  const clock = new SimulatedClock(new Date(plan.from.getTime() - HOUR_MS));
  // Its own port, no rate limit for its own traffic, and no alert webhook: demo rows must not page anyone.
  const demoConfig: Config = {
    ...config,
    host: '127.0.0.1',
    port: 0,
    limits: { ...config.limits, rateLimitPerMinute: 10_000_000 },
    timeliness: { ...config.timeliness, alertWebhook: undefined },
  };
  const gpReceiver = await startDemoReceiver(DEMO_GP_PRACTICES, clock, new Rng(options.seed ^ 0x6770));
  const municipalReceiver = await startDemoReceiver(DEMO_MUNICIPALITIES, clock, new Rng(options.seed ^ 0x6b6f));
  let gateway: Gateway | undefined;
  try {
    gateway = await startGateway(demoConfig, logger, clock);
    const http = new DemoHttp(gateway.url, demoConfig, clock);
    const registry = await registerDemo(http, gpReceiver, municipalReceiver);
    const driver = deliveryDriver(gateway, demoConfig, clock, logger);
    const bar = progressBar(deps.progress, plan.requests.length);
    for (const [i, r] of plan.requests.entries()) {
      clock.set(r.at);
      const res = await http.send('POST', r.client, r.path, r.body());
      if (res.status !== 200 && res.status !== 201) {
        throw new DemoError(`The gateway refused the demo's ${r.step} of ${r.at.toISOString()} (HTTP ${String(res.status)}): ${problemOf(res.body)}`);
      }
      await driver.settle();
      bar.update(i + 1, r.at);
    }
    bar.done();
    clock.set(plan.until);
    await driver.settle();
    // Rows overdue by the end time say so in storage too (the indicator decides live anyway).
    await gateway.store.transaction((tx) => tx.timeliness.refreshStates(plan.until, atRiskMsOf(demoConfig.timeliness)));
    // The receivers stop with the demo: their Endpoints go off, so the gateway never pushes to a closed port.
    await registry.restore();
    return await summarise(gateway.store, plan, demoConfig, { documents: gpReceiver.counts.documents + municipalReceiver.counts.documents, messages: municipalReceiver.counts.messages });
  } finally {
    await gateway?.close();
    await gpReceiver.close();
    await municipalReceiver.close();
  }
}

/** Requests to the in-process gateway with the demo clients' tokens, issued on the simulated clock. */
class DemoHttp {
  private readonly clients: Map<string, ClientRecord>;
  private readonly tokens = new Map<string, { token: string; renewAt: number }>();
  constructor(
    private readonly url: string,
    private readonly config: Config,
    private readonly clock: Clock,
  ) {
    const registry = loadClients({ clientsFile: config.auth.clientsFile, demoClients: true, production: false });
    this.clients = new Map(registry.list().map((c) => [c.id, c]));
  }

  private async token(clientId: string): Promise<string> {
    const now = this.clock.now().getTime();
    const cached = this.tokens.get(clientId);
    if (cached && cached.renewAt > now) return cached.token;
    const client = this.clients.get(clientId);
    if (!client) throw new DemoError(`The demo client ${clientId} is not configured`);
    const issued = await issueAccessToken(client, undefined, {
      secret: this.config.auth.tokenSigningSecret,
      ttlSeconds: this.config.auth.tokenTtlSeconds,
      issuer: this.config.publicBaseUrl,
      clock: this.clock,
    });
    // Renewed at half its life: the simulated clock moves on between requests.
    this.tokens.set(clientId, { token: issued.access_token, renewAt: now + (this.config.auth.tokenTtlSeconds * 1000) / 2 });
    return issued.access_token;
  }

  send(method: 'POST' | 'PUT', clientId: DemoClientId, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
    return this.request(method, clientId, path, JSON.stringify(body));
  }

  get(clientId: DemoClientId, path: string): Promise<{ status: number; body: unknown }> {
    return this.request('GET', clientId, path, undefined);
  }

  private async request(method: string, clientId: DemoClientId, path: string, body: string | undefined): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${await this.token(clientId)}`,
        Accept: 'application/fhir+json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/fhir+json' }),
      },
      body,
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed };
  }
}

const problemOf = (body: unknown): string => {
  const issues = (body as { issue?: { diagnostics?: unknown; expression?: unknown }[] } | undefined)?.issue;
  if (!Array.isArray(issues)) return JSON.stringify(body).slice(0, 500);
  return issues.map((i) => `${typeof i.diagnostics === 'string' ? i.diagnostics : ''}${Array.isArray(i.expression) ? ` at ${i.expression.join(', ')}` : ''}`).join('; ').slice(0, 1000);
};

const registryId = (kind: string, sor: string): string => deterministicId(`demo|${kind}|${sor}`);

/** The registry Organization that admin (or the gateway's own demo seed) keeps for a SOR code, if any. */
async function registryOrganization(http: DemoHttp, sor: string): Promise<(AnyResource & { id: string }) | undefined> {
  const res = await http.get('demo-admin', `/fhir/Organization?identifier=${encodeURIComponent(`${SYSTEM.sor}|${sor}`)}&_count=50`);
  if (res.status !== 200) throw new DemoError(`Looking up the registry Organization of SOR ${sor} failed (HTTP ${String(res.status)}): ${problemOf(res.body)}`);
  const entries = (res.body as { entry?: { resource?: AnyResource }[] } | undefined)?.entry ?? [];
  const found = entries.map((e) => e.resource).find((r) => isRegistryEntry(r) && typeof r?.id === 'string');
  return found as (AnyResource & { id: string }) | undefined;
}

interface DemoRegistry {
  /** Switches the demo receivers' Endpoints off and puts back the registry rows the demo found. */
  restore(): Promise<void>;
}

/**
 * The demo's registry rows, written by demo-admin through the FHIR API: hospitals, their
 * departments (partOf the hospital), municipalities with kommunekode and GP practices, and the
 * receivers' Endpoints (documents by FHIR REST for GPs and municipalities, MedCom messages for
 * municipalities). An Organization the registry already has for a SOR code is updated in place (a
 * second row would make the SOR code ambiguous, and routing would find neither) and put back as it
 * was when the demo ends; the others get ids fixed per SOR code, so a second run updates rather than adds.
 */
async function registerDemo(http: DemoHttp, gp: DemoReceiver, municipal: DemoReceiver): Promise<DemoRegistry> {
  const put = async (resource: AnyResource & { id: string }): Promise<void> => {
    const res = await http.send('PUT', 'demo-admin', `/fhir/${resource.resourceType}/${resource.id}`, resource);
    if (res.status !== 200 && res.status !== 201) throw new DemoError(`Registering ${resource.resourceType}/${resource.id} failed (HTTP ${String(res.status)}): ${problemOf(res.body)}`);
  };
  const originals: (AnyResource & { id: string })[] = [];
  const idOf = new Map<string, string>();
  for (const o of [...DEMO_HOSPITALS, ...DEMO_DEPARTMENTS, ...DEMO_MUNICIPALITIES, ...DEMO_GP_PRACTICES]) {
    const found = await registryOrganization(http, o.sor);
    if (found) originals.push(found);
    idOf.set(o.sor, found?.id ?? registryId('Organization', o.sor));
  }
  const endpoints: (AnyResource & { id: string })[] = [];
  const endpoint = (org: DemoOrganization, receiver: DemoReceiver, type: 'hl7-fhir-rest' | 'hl7-fhir-msg'): AnyResource & { id: string } => {
    const ep = {
      resourceType: 'Endpoint',
      id: registryId(`Endpoint|${type}`, org.sor),
      status: 'active',
      connectionType: { system: CONNECTION_TYPE_SYSTEM, code: type },
      name: `${org.name}: demo receiver (${type === 'hl7-fhir-msg' ? 'MedCom messages' : 'documents'}), running only while sektorbro demo runs`,
      payloadType: [{ text: type === 'hl7-fhir-msg' ? 'MedCom messages' : 'Sektorbro documents' }],
      address: receiver.baseOf(org.sor),
    };
    endpoints.push(ep);
    return ep;
  };
  const organization = (org: DemoOrganization, extra: { identifier?: fhir4.Identifier[]; partOf?: string; endpoints?: string[] } = {}): AnyResource & { id: string } => ({
    resourceType: 'Organization',
    id: idOf.get(org.sor) ?? registryId('Organization', org.sor),
    identifier: [{ system: SYSTEM.sor, value: org.sor }, { system: SYSTEM.gln, value: org.gln }, ...(extra.identifier ?? [])],
    active: true,
    name: org.name,
    ...(extra.partOf ? { partOf: { reference: `Organization/${idOf.get(extra.partOf) ?? registryId('Organization', extra.partOf)}` } } : {}),
    ...(extra.endpoints ? { endpoint: extra.endpoints.map((id) => ({ reference: `Endpoint/${id}` })) } : {}),
  });
  for (const h of DEMO_HOSPITALS) await put(organization(h));
  for (const d of DEMO_DEPARTMENTS) await put(organization(d, { partOf: d.hospitalSor }));
  for (const m of DEMO_MUNICIPALITIES) {
    const rest = endpoint(m, municipal, 'hl7-fhir-rest');
    const msg = endpoint(m, municipal, 'hl7-fhir-msg');
    await put(rest);
    await put(msg);
    await put(organization(m, { identifier: [{ system: SYSTEM.kommunekode, value: m.kommunekode }], endpoints: [rest.id, msg.id] }));
  }
  for (const g of DEMO_GP_PRACTICES) {
    const rest = endpoint(g, gp, 'hl7-fhir-rest');
    await put(rest);
    await put(organization(g, { endpoints: [rest.id] }));
  }
  return {
    async restore() {
      for (const ep of endpoints) await put({ ...ep, status: 'off' });
      for (const { meta: _meta, ...original } of originals) await put(original);
    },
  };
}

interface DeliveryDriver {
  /** Routes the outbox and pushes every delivery due, moving the clock over short waits. */
  settle(): Promise<void>;
}

/**
 * The runner's own outbox relay and delivery worker on the gateway's store. Driving them directly,
 * one attempt after another, makes each step wait for exactly its own deliveries, in a fixed order
 * (the same seed gives the same rows), instead of for the pollers' intervals. The gateway's own
 * pollers may pick up the same work; row locks and leases keep them apart, and whoever comes second
 * finds nothing left to do.
 */
function deliveryDriver(gateway: Gateway, config: Config, clock: SimulatedClock, logger: Logger): DeliveryDriver {
  const { store } = gateway;
  const relay: OutboxRelay = createOutboxRelay({ store, clock, logger });
  const worker: DeliveryWorker = createDeliveryWorker({ store, queue: gateway.queue, clock, logger, policy: config.delivery, timeliness: config.timeliness });
  return {
    async settle() {
      const started = performance.now();
      for (;;) {
        if (performance.now() - started > SETTLE_TIMEOUT_MS) throw new DemoError(`Deliveries did not settle within ${String(SETTLE_TIMEOUT_MS / 1000)} s`);
        const routed = await relay.runOnce();
        const open = (await store.deliveries.list({ statuses: ['pending', 'in-flight'], count: 500 })).items;
        const now = clock.now().getTime();
        // Due: pending, or in flight with its lease run out (an attempt that died); a live lease is someone's attempt.
        const due = open.filter((d) => (d.nextAttemptAt?.getTime() ?? now) <= now);
        for (const d of due) await worker.attempt(d.id);
        if (routed > 0 || due.length > 0) continue;
        // In flight elsewhere (a gateway poller took it first): wait for it, in real time.
        if (open.some((d) => d.status === 'in-flight')) {
          await new Promise((resolve) => setTimeout(resolve, 2));
          continue;
        }
        // Waiting for a later time (an ordering recheck, a retry): a short wait passes on the simulated clock.
        const next = Math.min(...open.map((d) => d.nextAttemptAt?.getTime() ?? Infinity));
        if (!Number.isFinite(next) || next - now > SETTLE_HORIZON_MS) return;
        clock.set(new Date(next));
      }
    },
  };
}

/** `\r`-redrawn on a TTY: the simulated day, requests done, and the real time left at the pace so far. */
function progressBar(out: DemoDeps['progress'], total: number): { update(done: number, at: Date): void; done(): void } {
  const tty = out?.isTTY === true ? out : undefined;
  const started = performance.now();
  let lastDrawn = -Infinity;
  return {
    update(done, at) {
      const elapsed = performance.now() - started;
      if (!tty || (elapsed - lastDrawn < 250 && done < total)) return;
      lastDrawn = elapsed;
      const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
      const left = Math.round(((total - done) * elapsed) / Math.max(done, 1) / 1000);
      const eta = done < total ? `, about ${left >= 90 ? `${String(Math.round(left / 60))} min` : `${String(left)} s`} left` : '';
      tty.write(`\rdemo: ${localDateOf(at)}  ${String(done)}/${String(total)} requests (${String(percent)}%${eta})   `);
    },
    done() {
      if (tty) tty.write('\n');
    },
  };
}

async function summarise(store: Store, plan: DemoPlan, config: Config, delivered: DemoSummary['delivered']): Promise<DemoSummary> {
  const departments = new Set(DEMO_DEPARTMENTS.map((d) => d.sor));
  const rows = await store.timeliness.kpi({ from: plan.from, to: plan.until, groupBy: 'hospital', documentType: 'epikrise', clock: config.timeliness.clock, now: plan.until });
  const sum = (k: 'onTime' | 'late' | 'overdue' | 'pending'): number => rows.filter((r) => departments.has(r.key)).reduce((s, r) => s + r[k], 0);
  const onTime = sum('onTime');
  const late = sum('late');
  const overdue = sum('overdue');
  const count = (step: string): number => plan.requests.filter((r) => r.step === step).length;
  const discharged = plan.discharges.filter((d) => d.dischargedAt.getTime() < plan.until.getTime());
  return {
    from: plan.from,
    until: plan.until,
    dischargesFrom: discharged[0]?.dischargedAt ?? plan.until,
    storage: storageDescription(config.storage),
    hospitals: DEMO_HOSPITALS.length,
    departments: DEMO_DEPARTMENTS.length,
    discharges: discharged.length,
    hospitalNotifications: count('STIN') + count('SLHJ'),
    epikriser: count('epikrise'),
    udskrivningsrapporter: count('udskrivningsrapport'),
    delivered,
    epikrise: { onTime, late, overdue, pending: sum('pending'), share: onTime + late + overdue === 0 ? null : onTime / (onTime + late + overdue), target: config.timeliness.target },
  };
}

const percent = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);

/** The summary as the command prints it. */
export function formatDemoSummary(s: DemoSummary): string {
  return [
    `Demo data written to ${s.storage}: discharges from ${localDateOf(s.dischargesFrom)} to ${localDateOf(s.until)} (simulated).`,
    `  ${String(s.discharges)} discharges at ${String(s.departments)} departments of ${String(s.hospitals)} hospitals; ${String(s.hospitalNotifications)} HospitalNotifications`,
    `  ${String(s.epikriser)} epikriser and ${String(s.udskrivningsrapporter)} udskrivningsrapporter sent; ${String(s.delivered.documents)} documents and ${String(s.delivered.messages)} messages delivered to the demo receivers`,
    `  epikrise on time: ${percent(s.epikrise.share)} (target ${percent(s.epikrise.target)}): ${String(s.epikrise.onTime)} on time, ${String(s.epikrise.late)} late, ${String(s.epikrise.overdue)} never sent and overdue, ${String(s.epikrise.pending)} still within their deadline`,
    'Start the gateway (npm start) and open /quality, or ask GET /api/timeliness/kpi and /api/responsibility/department/265161000016000.',
    '',
  ].join('\n');
}

/** `sektorbro demo [...]`: parses the options, runs, prints the summary; returns the exit code. */
export async function runDemoCommand(
  argv: string[],
  io: { env: Readonly<Record<string, string | undefined>>; stdout: Pick<Writable, 'write'>; stderr: Writable & { isTTY?: boolean }; now?: () => Date },
): Promise<number> {
  let values: { days?: string | undefined; 'per-day'?: string | undefined; seed?: string | undefined; until?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { days: { type: 'string' }, 'per-day': { type: 'string' }, seed: { type: 'string' }, until: { type: 'string' }, help: { type: 'boolean' } },
    }));
  } catch (e) {
    io.stderr.write(`${e instanceof Error ? e.message : String(e)}\n${DEMO_USAGE}`);
    return 64;
  }
  if (values.help) {
    io.stdout.write(DEMO_USAGE);
    return 0;
  }
  const problems: string[] = [];
  const int = (name: string, raw: string | undefined, fallback: number, min: number, max: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) problems.push(`--${name} must be a whole number from ${String(min)} to ${String(max)} (got "${raw}")`);
    return n;
  };
  const days = int('days', values.days, 90, 1, 366);
  const perDay = int('per-day', values['per-day'], 12, 1, 1000);
  const seed = int('seed', values.seed, 1, 0, 2 ** 31 - 1);
  const until = values.until === undefined ? (io.now ?? systemClock.now)() : new Date(values.until);
  if (values.until !== undefined && (!/^\d{4}-\d{2}-\d{2}T/.test(values.until) || Number.isNaN(until.getTime()))) problems.push(`--until must be an ISO 8601 date-time with offset (got "${values.until}")`);
  if (problems.length > 0) {
    io.stderr.write(`${problems.join('\n')}\n${DEMO_USAGE}`);
    return 64;
  }
  let config: Config;
  try {
    config = loadConfig(io.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr.write(`${e.message}\n`);
      return 78;
    }
    throw e;
  }
  const probe = localGatewayUrl(config.host, config.port);
  if (await runningGatewayAt(probe)) {
    io.stderr.write(`A gateway answers at ${probe}: stop it (and any worker) first. The demo runs its own, on the same storage.\n`);
    return 75;
  }
  io.stderr.write(`Writing demo data to ${storageDescription(config.storage)} (seed ${String(seed)}, ${String(days)} days, ${String(perDay)} discharges a day on average)\n`);
  try {
    const summary = await runDemo({ days, perDay, seed, until }, { config, logger: createLogger({ level: 'error', stream: io.stderr }), progress: io.stderr });
    io.stdout.write(formatDemoSummary(summary));
    return 0;
  } catch (e) {
    if (e instanceof DemoError) {
      io.stderr.write(`${e.message}\n`);
      return e.exitCode;
    }
    if (isStorageLockError(e)) {
      io.stderr.write(`${storageDescription(config.storage)} is in use by another process (is the gateway running?): stop it first.\n`);
      return 75;
    }
    throw e;
  }
}
