import { randomUUID } from 'node:crypto';
import type { DeliverySettings } from '../config/index.ts';
import { acknowledgementIn, acknowledgementReason, type ReceivedAcknowledgement } from '../medcom/index.ts';
import type { Clock, Logger } from '../shared/index.ts';
import { DEFAULT_TIMELINESS_SETTINGS, onDeliveryProgress, type TimelinessSettings } from '../timeliness/index.ts';
import type { DeliveryPatch, DeliveryRecord, DeliveryStatus, Store, StoreTx } from '../store/index.ts';
import { findEndpoint, type ReceiverEndpoint } from './endpoints.ts';
import type { DeliveryMetrics } from './metrics.ts';
import { backoffMs } from './policy.ts';
import { MAX_ATTEMPTS } from './outbox-relay.ts';
import type { JobQueue } from './queue.ts';
import { buildShipment, type Shipment } from './shipment.ts';
import { scheduleHeartbeats, settleSubscription } from './subscriptions.ts';
import { isTransientStatus, push, pushRequest, type Fetch, type TransportResult } from './transport.ts';

export const ATTEMPT_JOB = 'delivery.attempt';

/** Statuses a dispatcher picks up when they are due. */
const ACTIVE: readonly DeliveryStatus[] = ['pending', 'in-flight', 'awaiting-ack'];
/** How many due deliveries one dispatch run hands to the queue. */
const DISPATCH_BATCH = 100;
/** A delivery held back behind an earlier one to the same (recipient, patient) looks again after this (it is also woken when that one finishes). */
const BLOCKED_RECHECK_MS = 1_000;
/** How often due subscription heartbeats are looked for. */
const HEARTBEAT_CHECK_MS = 1_000;

export interface DeliveryWorker {
  /** Hands due deliveries to the queue; returns how many. */
  dispatchOnce(): Promise<number>;
  /** One attempt at one delivery (what a queue job runs). */
  attempt(deliveryId: string): Promise<void>;
  /** Applies a MedCom Acknowledgement that arrived as a message of its own (asynchronously). */
  acknowledge(tx: StoreTx, ack: ReceivedAcknowledgement, from: { senderSor: string }): Promise<number>;
  /** An operator's replay of a dead-lettered (or finished) delivery, with the same identifiers. */
  replay(deliveryId: string, by: { clientId: string }): Promise<DeliveryRecord | undefined>;
  start(): void;
  stop(): Promise<void>;
}

export interface DeliveryWorkerDeps {
  store: Store;
  queue: JobQueue;
  clock: Clock;
  logger: Logger;
  policy: DeliverySettings;
  metrics?: DeliveryMetrics | undefined;
  fetch?: Fetch | undefined;
  random?: (() => number) | undefined;
  /** The FHIR base URL subscribers see in notifications (PUBLIC_BASE_URL + /fhir). */
  fhirBase?: string | undefined;
  /** Settings of the epikrise clock, which delivery progress stops (issue #7). */
  timeliness?: TimelinessSettings | undefined;
}

/** What the first transaction of an attempt decided: send this, or nothing to do. */
interface Planned {
  delivery: DeliveryRecord;
  endpoint: ReceiverEndpoint;
  shipment: Shipment;
  attempt: number;
}

type Outcome =
  | { kind: 'delivered'; detail: Record<string, unknown> }
  | { kind: 'accepted-awaiting-ack'; detail: Record<string, unknown> }
  | { kind: 'acknowledged'; detail: Record<string, unknown> }
  | { kind: 'transient'; reason: string; resend: boolean; retryAfterMs?: number | undefined; detail: Record<string, unknown> }
  | { kind: 'permanent'; reason: string; detail: Record<string, unknown> };

/**
 * Pushes deliveries to their receivers (issue #6; MedCom sending from issue #5).
 *
 * The deliveries table is the source of truth; a queue job only says "try this one now". An
 * attempt is two short transactions around the HTTP call: the first locks the delivery, checks
 * order, supersession and the circuit, builds the shipment and marks it in flight under a lease;
 * the second records what the receiver said. A crash in between leaves an expired lease, which
 * makes the delivery due again: receivers get it again under the same ids (idempotent), never not.
 */
export function createDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryWorker {
  const { store, queue, clock, logger, policy } = deps;
  const doFetch = deps.fetch ?? fetch;
  const random = deps.random ?? Math.random;
  let timer: NodeJS.Timeout | undefined;
  let dispatching: Promise<number> | undefined;
  let stopped = false;
  const inFlight = new Set<Promise<void>>();
  let lastHeartbeatCheck = 0;

  // An attempt holds its delivery for its HTTP time limit plus a margin for the two transactions;
  // a dispatched job that no worker took (a queue outage, a dead worker) is dispatched again after two.
  const attemptLeaseMs = policy.timeoutMs + Math.min(5_000, policy.timeoutMs);
  const dispatchLeaseMs = 2 * attemptLeaseMs;
  const fhirBase = deps.fhirBase ?? 'http://localhost/fhir';
  const recipientLabel = (d: DeliveryRecord): string => d.recipientSor ?? 'none';

  const dispatchOnce = async (): Promise<number> => {
    const now = clock.now();
    const leaseUntil = new Date(now.getTime() + dispatchLeaseMs);
    const ids = await store.transaction(async (tx) => {
      if (now.getTime() - lastHeartbeatCheck >= HEARTBEAT_CHECK_MS) {
        lastHeartbeatCheck = now.getTime();
        await scheduleHeartbeats(tx, now);
      }
      return tx.deliveries.claimDue(now, DISPATCH_BATCH, leaseUntil);
    });
    for (const id of ids) {
      // The job id names this dispatch, so the queue drops a second copy of it but not a later retry.
      await queue.enqueue(ATTEMPT_JOB, { deliveryId: id }, { jobId: `${id}-${String(leaseUntil.getTime())}` });
    }
    return ids.length;
  };

  /** Ends a delivery for a person to handle, with the reason, and lets the next one to that (recipient, patient) go. */
  const deadLetter = async (tx: StoreTx, d: DeliveryRecord, reason: string, now: Date, detail: Record<string, unknown> = {}): Promise<void> => {
    await tx.deliveries.update(d.id, { status: 'dead-letter', lastError: reason, completedAt: now, leaseUntil: null, nextAttemptAt: null, ackDueAt: null }, now);
    await tx.deliveries.addEvent(d.id, 'dead-lettered', now, { reason, ...detail });
    await settleSubscription(tx, d.source, { ok: false, reason }, now);
    if (d.recipientSor) await tx.deliveries.wake({ recipientSor: d.recipientSor, patientId: d.patientId }, now);
    deps.metrics?.deadLetters.inc({ recipient: recipientLabel(d) });
    logger.warn('delivery.dead-lettered', { deliveryId: d.id, recipient: d.recipientSor, reason });
  };

  const plan = async (deliveryId: string): Promise<Planned | undefined> =>
    store.transaction(async (tx) => {
      const d = await tx.deliveries.lock(deliveryId);
      const now = clock.now();
      if (!d || !ACTIVE.includes(d.status) || (d.nextAttemptAt && d.nextAttemptAt > now) || !d.recipientSor) return undefined;
      const later = (ms: number): Promise<void> => tx.deliveries.update(d.id, { nextAttemptAt: new Date(now.getTime() + ms), leaseUntil: null }, now);

      let resends = d.resends;
      if (d.status === 'awaiting-ack') {
        // No acknowledgement in time (medcom.md §6, 040 MR1-MR7): resend, same MessageHeader.id.
        resends++;
        if (resends > policy.maxResends) {
          await deadLetter(tx, d, `no acknowledgement after ${String(d.attempts)} sends`, now);
          return undefined;
        }
        await tx.deliveries.addEvent(d.id, 'ack-timeout', now, { resend: resends, ackDueAt: d.ackDueAt?.toISOString() });
        deps.metrics?.retries.inc({ recipient: d.recipientSor });
      } else if (d.status === 'in-flight') {
        await tx.deliveries.addEvent(d.id, 'attempt-interrupted', now, { attempt: d.attempts });
      }
      if (now.getTime() - d.retrySince.getTime() > policy.giveUpAfterMs) {
        await deadLetter(tx, d, `gave up after ${String(d.attempts)} attempts: ${d.lastError ?? 'no answer'}`, now);
        return undefined;
      }
      // Order per (recipient, patient): an earlier delivery still on its way goes first, and so does
      // an older outbox entry about the patient that another relay has not routed yet.
      const before = (await tx.deliveries.unfinishedBefore(d)) ?? (d.patientId !== undefined && (await tx.outbox.pendingBefore(d.outboxId, d.patientId, MAX_ATTEMPTS)));
      if (before) {
        await later(BLOCKED_RECHECK_MS);
        return undefined;
      }
      // A newer version of the document already reached this receiver: the older one must not follow it.
      const newer = await tx.deliveries.newerVersionReached(d);
      if (newer) {
        await tx.deliveries.update(d.id, { status: 'superseded', completedAt: now, leaseUntil: null, nextAttemptAt: null }, now);
        await tx.deliveries.addEvent(d.id, 'superseded', now, { by: newer.id, version: newer.documentVersion });
        await tx.deliveries.wake({ recipientSor: d.recipientSor, patientId: d.patientId }, now);
        return undefined;
      }
      const circuit = await tx.deliveries.circuit(d.recipientSor);
      if (circuit && circuit.failures >= policy.circuitFailureThreshold) {
        if (circuit.openUntil && circuit.openUntil > now) {
          await tx.deliveries.update(d.id, { nextAttemptAt: circuit.openUntil, leaseUntil: null, resends }, now);
          return undefined;
        }
        // Half-open: this attempt is the probe; the others wait until it has answered.
        await tx.deliveries.putCircuit({ ...circuit, openUntil: new Date(now.getTime() + attemptLeaseMs) }, now);
      }
      const shipment = await buildShipment(tx, d, { now, newBundleId: randomUUID, fhirBase });
      if ('wait' in shipment) {
        await later(shipment.wait);
        return undefined;
      }
      if ('skip' in shipment) {
        await tx.deliveries.update(d.id, { status: 'superseded', completedAt: now, leaseUntil: null, nextAttemptAt: null, lastError: shipment.skip }, now);
        await tx.deliveries.addEvent(d.id, 'superseded', now, { reason: shipment.skip });
        await tx.deliveries.wake({ recipientSor: d.recipientSor, patientId: d.patientId }, now);
        return undefined;
      }
      if ('problem' in shipment) {
        await deadLetter(tx, d, shipment.problem, now);
        return undefined;
      }
      const found = shipment.endpoint
        ? { endpoint: shipment.endpoint }
        : await findEndpoint(tx.resources, d.recipientSor, shipment.connectionType === 'rest-hook' ? 'hl7-fhir-rest' : shipment.connectionType);
      if ('problem' in found) {
        await deadLetter(tx, d, found.problem, now);
        return undefined;
      }
      const attempt = d.attempts + 1;
      const leaseUntil = new Date(now.getTime() + attemptLeaseMs);
      await tx.deliveries.update(d.id, { status: 'in-flight', attempts: attempt, resends, endpointId: found.endpoint.id, leaseUntil, nextAttemptAt: leaseUntil }, now);
      await tx.deliveries.addEvent(d.id, 'sent', now, {
        attempt,
        endpoint: shipment.endpoint ? found.endpoint.id : `Endpoint/${found.endpoint.id}`,
        ...(shipment.bundleId ? { bundleId: shipment.bundleId, messageHeaderId: d.messageHeaderId } : {}),
      });
      return { delivery: { ...d, attempts: attempt, resends }, endpoint: found.endpoint, shipment, attempt };
    });

  /** What the receiver's answer means; for MedCom, an Acknowledgement in the answer decides over the HTTP status. */
  const judge = (p: Planned, result: TransportResult): Outcome => {
    if (result.kind === 'unreachable') return { kind: 'transient', reason: result.reason, resend: false, detail: {} };
    const detail = { httpStatus: result.status };
    const ack = p.delivery.messageHeaderId && p.shipment.connectionType === 'hl7-fhir-msg' ? acknowledgementIn(result.body, p.delivery.messageHeaderId) : undefined;
    if (ack) return judgeAck(ack, detail);
    if (result.status >= 200 && result.status < 300) {
      return p.shipment.connectionType === 'hl7-fhir-msg' ? { kind: 'accepted-awaiting-ack', detail } : { kind: 'delivered', detail };
    }
    if (isTransientStatus(result.status)) return { kind: 'transient', reason: `HTTP ${String(result.status)}`, resend: false, retryAfterMs: result.retryAfterMs, detail };
    return { kind: 'permanent', reason: `HTTP ${String(result.status)}${outcomeText(result.body)}`, detail };
  };

  const judgeAck = (ack: ReceivedAcknowledgement, detail: Record<string, unknown>): Outcome => {
    const withAck = { ...detail, acknowledgement: ack.code };
    if (ack.code === 'ok') return { kind: 'acknowledged', detail: withAck };
    if (ack.code === 'transient-error') return { kind: 'transient', reason: acknowledgementReason(ack), resend: true, detail: withAck };
    return { kind: 'permanent', reason: acknowledgementReason(ack), detail: withAck };
  };

  /** Records an outcome on a delivery whose row lock the caller holds. */
  const record = async (tx: StoreTx, d: DeliveryRecord, outcome: Outcome, now: Date): Promise<void> => {
    const sor = d.recipientSor ?? 'none';
    const finished = async (status: DeliveryStatus, event: string, patch: DeliveryPatch = {}): Promise<void> => {
      await tx.deliveries.update(d.id, { status, completedAt: now, leaseUntil: null, nextAttemptAt: null, ackDueAt: null, lastError: null, ...patch }, now);
      await tx.deliveries.addEvent(d.id, event, now, outcome.detail);
    };
    if (outcome.kind === 'transient' || outcome.kind === 'permanent') deps.metrics?.attempts.inc({ recipient: sor, outcome: outcome.kind });
    else deps.metrics?.attempts.inc({ recipient: sor, outcome: 'accepted' });
    // Every transmission of patient data to another organisation is an audit record (an export), kept
    // with the API's: admin reads them as AuditEvent, by entity or time.
    if (outcome.detail.via === undefined) {
      const httpStatus = typeof outcome.detail.httpStatus === 'number' ? outcome.detail.httpStatus : 0;
      await tx.audit.record({
        recorded: now, requestId: `delivery:${d.id}:${String(d.attempts)}`, clientId: 'sektorbro-delivery', org: d.recipientSor, role: undefined,
        action: 'E', interaction: 'transmit', outcome: outcome.kind === 'transient' ? '4' : outcome.kind === 'permanent' ? '8' : '0', status: httpStatus,
        resourceType: d.source.split('/')[0], entities: [d.source, ...(d.patientId ? [`Patient/${d.patientId}`] : [])], query: undefined, sourceIp: undefined,
      });
    }

    if (outcome.kind === 'permanent') {
      await tx.deliveries.addEvent(d.id, 'failed', now, { reason: outcome.reason, permanent: true, ...outcome.detail });
      await deadLetter(tx, d, outcome.reason, now);
      await closeCircuit(tx, sor, now); // a receiver that answers is up, whatever it thought of the content
      return;
    }
    if (outcome.kind === 'transient') {
      const resends = d.resends + (outcome.resend ? 1 : 0);
      if (outcome.resend && resends > policy.maxResends) {
        await tx.deliveries.addEvent(d.id, 'failed', now, { reason: outcome.reason, ...outcome.detail });
        await deadLetter(tx, d, `${outcome.reason} (after ${String(d.attempts)} sends)`, now);
        return;
      }
      const wait = Math.max(backoffMs(d.attempts, policy, random), outcome.retryAfterMs ?? 0);
      const retryAt = new Date(now.getTime() + wait);
      await tx.deliveries.update(d.id, { status: 'pending', resends, lastError: outcome.reason, leaseUntil: null, nextAttemptAt: retryAt, ackDueAt: null }, now);
      await tx.deliveries.addEvent(d.id, 'failed', now, { reason: outcome.reason, retryAt: retryAt.toISOString(), ...outcome.detail });
      deps.metrics?.retries.inc({ recipient: sor });
      if (!outcome.resend) await countFailure(tx, d, now);
      return;
    }
    const firstSend = d.sentAt ?? now;
    if (outcome.kind === 'accepted-awaiting-ack') {
      const ackDueAt = new Date(now.getTime() + policy.ackTimeoutMs);
      await tx.deliveries.update(d.id, { status: 'awaiting-ack', sentAt: firstSend, ackDueAt, nextAttemptAt: ackDueAt, leaseUntil: null, lastError: null }, now);
      await tx.deliveries.addEvent(d.id, 'transport-accepted', now, { ...outcome.detail, ackDueAt: ackDueAt.toISOString() });
    } else {
      await tx.deliveries.addEvent(d.id, 'transport-accepted', now, outcome.detail);
      await finished(outcome.kind === 'acknowledged' ? 'acknowledged' : 'delivered', outcome.kind === 'acknowledged' ? 'acknowledged' : 'delivered', { sentAt: firstSend });
      deps.metrics?.ackLatency.observe({ recipient: sor }, (now.getTime() - firstSend.getTime()) / 1000);
    }
    // The timeliness clocks: *sent* when the GP's system took it, *delivered* when it acknowledged it.
    const documentReferenceId = /^DocumentReference\/(.+)$/.exec(d.source)?.[1];
    if (documentReferenceId) {
      const timeliness = deps.timeliness ?? DEFAULT_TIMELINESS_SETTINGS;
      await onDeliveryProgress(tx, { documentReferenceId, recipientSor: sor, event: 'sent', at: firstSend }, timeliness, { now });
      if (outcome.kind !== 'accepted-awaiting-ack') await onDeliveryProgress(tx, { documentReferenceId, recipientSor: sor, event: 'delivered', at: now }, timeliness, { now });
    }
    if (outcome.kind !== 'accepted-awaiting-ack') await settleSubscription(tx, d.source, { ok: true }, now);
    await closeCircuit(tx, sor, now);
    // The receiver has it: the next delivery to this (recipient, patient) may go.
    await tx.deliveries.wake({ recipientSor: sor, patientId: d.patientId }, now);
  };

  const countFailure = async (tx: StoreTx, d: DeliveryRecord, now: Date): Promise<void> => {
    if (!d.recipientSor) return;
    const c = (await tx.deliveries.circuit(d.recipientSor)) ?? { recipientSor: d.recipientSor, failures: 0, openUntil: undefined };
    const failures = c.failures + 1;
    const opens = failures >= policy.circuitFailureThreshold;
    const openUntil = opens ? new Date(now.getTime() + policy.circuitOpenMs) : undefined;
    await tx.deliveries.putCircuit({ recipientSor: d.recipientSor, failures, openUntil }, now);
    if (opens) {
      await tx.deliveries.addEvent(d.id, 'circuit-open', now, { recipient: d.recipientSor, failures, until: openUntil?.toISOString() });
      logger.warn('delivery.circuit-open', { recipient: d.recipientSor, failures, until: openUntil?.toISOString() });
    }
  };

  const closeCircuit = async (tx: StoreTx, recipientSor: string, now: Date): Promise<void> => {
    const c = await tx.deliveries.circuit(recipientSor);
    if (!c || c.failures === 0) return;
    await tx.deliveries.putCircuit({ recipientSor, failures: 0, openUntil: undefined }, now);
    // Everything that waited for this receiver goes now, in order: resumed, not dropped.
    await tx.deliveries.wake({ recipientSor }, now);
    if (c.failures >= policy.circuitFailureThreshold) logger.info('delivery.circuit-closed', { recipient: recipientSor });
  };

  const attempt = async (deliveryId: string): Promise<void> => {
    const planned = await plan(deliveryId);
    if (!planned) return;
    const result = await push(pushRequest(planned.endpoint, planned.shipment.what, planned.shipment.body, planned.shipment.connectionType === 'rest-hook'), { timeoutMs: policy.timeoutMs, fetch: doFetch, now: () => clock.now() });
    const outcome = judge(planned, result);
    await store.transaction(async (tx) => {
      const d = await tx.deliveries.lock(deliveryId);
      // Someone else took over (the lease ran out and the delivery was tried again): their answer counts.
      if (d?.status !== 'in-flight' || d.attempts !== planned.attempt) return;
      await record(tx, d, outcome, clock.now());
    });
    logger.info('delivery.attempted', { deliveryId, recipient: planned.delivery.recipientSor, attempt: planned.attempt, outcome: outcome.kind });
  };

  const acknowledge = async (tx: StoreTx, ack: ReceivedAcknowledgement, from: { senderSor: string }): Promise<number> => {
    let applied = 0;
    for (const d of await tx.deliveries.byMessageHeader(ack.ackOf)) {
      // Only the receiver may acknowledge what was sent to it.
      if (d.recipientSor !== from.senderSor) continue;
      const locked = await tx.deliveries.lock(d.id);
      if (!locked || !['awaiting-ack', 'in-flight', 'pending'].includes(locked.status)) continue;
      await record(tx, locked, judgeAck(ack, { via: 'acknowledgement message' }), clock.now());
      applied++;
    }
    return applied;
  };

  const replay = async (deliveryId: string, by: { clientId: string }): Promise<DeliveryRecord | undefined> =>
    store.transaction(async (tx) => {
      const d = await tx.deliveries.lock(deliveryId);
      if (!d?.recipientSor) return undefined;
      const now = clock.now();
      await tx.deliveries.update(d.id, { status: 'pending', attempts: 0, resends: 0, retrySince: now, nextAttemptAt: now, leaseUntil: null, ackDueAt: null, completedAt: null }, now);
      await tx.deliveries.addEvent(d.id, 'replayed', now, { by: by.clientId, previousStatus: d.status, reason: d.lastError });
      return tx.deliveries.get(d.id);
    });

  const tick = (): void => {
    dispatching ??= dispatchOnce()
      .catch((err: unknown) => {
        logger.error('delivery.dispatch-failed', { err });
        return 0;
      })
      .finally(() => { dispatching = undefined; });
  };

  return {
    dispatchOnce,
    attempt,
    acknowledge,
    replay,
    start() {
      if (timer) return;
      stopped = false;
      queue.process(ATTEMPT_JOB, async (data) => {
        if (stopped || typeof data.deliveryId !== 'string') return;
        const running = attempt(data.deliveryId).catch((err: unknown) => {
          // The lease runs out and the dispatcher tries again: nothing is lost by an error here.
          logger.error('delivery.attempt-failed', { deliveryId: data.deliveryId, err });
        });
        inFlight.add(running);
        await running.finally(() => inFlight.delete(running));
      }, { concurrency: 8 });
      timer = setInterval(tick, policy.pollMs);
      timer.unref();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      await dispatching;
      await Promise.all([...inFlight]);
    },
  };
}

const outcomeText = (body: unknown): string => {
  const issues = (body as { resourceType?: unknown; issue?: { diagnostics?: unknown }[] } | undefined)?.issue;
  if ((body as { resourceType?: unknown } | undefined)?.resourceType !== 'OperationOutcome' || !Array.isArray(issues)) return '';
  const said = issues.map((i) => (typeof i.diagnostics === 'string' ? i.diagnostics : '')).filter(Boolean).join('; ');
  return said ? `: ${said.slice(0, 500)}` : '';
};
