import type { AcknowledgementIssue, AckResponseCode, ReceivedAcknowledgement } from '../medcom/index.ts';
import { createPoller, deterministicId, type Clock, type Logger } from '../shared/index.ts';
import type { OutboxEntry, Store, StoreTx } from '../store/index.ts';
import { findRegistrySor, routeOutboxEntry } from './routing.ts';
import { raiseSubscriptionEvents, requestHandshake } from './subscriptions.ts';

/** How many outbox entries one relay run takes (each in its own transaction). */
const BATCH = 50;
/** After this many failures an entry is left for a person (it stays in the outbox, unprocessed). */
export const MAX_ATTEMPTS = 5;
/** How often an idle relay looks for new entries (a cheap index probe); a busy one goes on at once. */
const POLL_MS = 200;

export interface OutboxRelay {
  /** Routes one batch; returns how many entries it processed. */
  runOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Drains the transactional outbox: each entry is routed (the decision and its basis recorded as
 * deliveries with a timeline) and marked processed in one transaction of its own, so a crash
 * anywhere means the entry is simply taken again (delivery ids are deterministic, so nothing is
 * doubled), and one entry that keeps failing is set aside instead of blocking the others.
 */
export function createOutboxRelay(deps: {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Settles the deliveries an Acknowledgement answers (the delivery worker's); without it acknowledgements are only recorded. */
  onAcknowledgement?: ((tx: StoreTx, ack: ReceivedAcknowledgement, from: { senderSor: string }) => Promise<number>) | undefined;
}): OutboxRelay {
  const { store, clock, logger } = deps;

  /** Routes one entry in its own transaction; a failure is recorded and does not hold up the rest. */
  const relayOne = async (): Promise<'done' | 'empty'> => {
    let claimed: number | undefined;
    try {
      return await store.transaction(async (tx) => {
        const [entry] = await tx.outbox.claim(1, MAX_ATTEMPTS);
        if (!entry) return 'empty';
        claimed = entry.id;
        const now = clock.now();
        if (entry.eventType === 'acknowledgement.received') {
          const ack = acknowledgementOf(entry);
          const applied = ack && deps.onAcknowledgement ? await deps.onAcknowledgement(tx, ack, { senderSor: String(entry.payload.senderSor) }) : 0;
          if (applied === 0) logger.info('delivery.acknowledgement-unmatched', { ackOf: ack?.ackOf });
          await tx.outbox.markProcessed(entry.id, now);
          return 'done';
        }
        if (entry.eventType === 'subscription.requested') {
          const { subscriptionId, org, version } = entry.payload;
          if (typeof subscriptionId === 'string' && typeof org === 'string' && typeof version === 'number') {
            await requestHandshake(tx, { id: subscriptionId, org }, version, entry.id, now);
          }
          await tx.outbox.markProcessed(entry.id, now);
          return 'done';
        }
        if (entry.eventType === 'responsibility.changed') {
          // A handover (window ended, holder changed): only subscribers hear of it; nobody is routed a copy.
          await raiseSubscriptionEvents(tx, entry, now);
          await tx.outbox.markProcessed(entry.id, now);
          return 'done';
        }
        // Subscribers hear of it in the same transaction as the routing: neither without the other.
        await raiseSubscriptionEvents(tx, entry, now);
        const lookup = (system: string, value: string) => findRegistrySor(tx.resources, system, value);
        const decision = await routeOutboxEntry(entry, lookup);
        if (decision.unroutable) {
          const id = deterministicId(`delivery|${decision.source}|unroutable`);
          if (await tx.deliveries.create({ id, source: decision.source, recipientSor: undefined, patientId: decision.patientId, basis: decision.unroutable, status: 'unroutable', outboxId: entry.id }, now)) {
            await tx.deliveries.addEvent(id, 'unroutable', now, { reason: decision.unroutable, outboxId: entry.id });
          }
          logger.warn('delivery.unroutable', { source: decision.source });
        }
        const identity = await identityOf(tx, entry);
        for (const r of decision.recipients) {
          const id = deterministicId(`delivery|${decision.source}|${r.sor}`);
          if (await tx.deliveries.create({ id, source: decision.source, recipientSor: r.sor, patientId: decision.patientId, basis: r.basis, status: 'pending', outboxId: entry.id, ...identity }, now)) {
            await tx.deliveries.addEvent(id, 'routed', now, { basis: r.basis, outboxId: entry.id });
          }
        }
        await tx.outbox.markProcessed(entry.id, now);
        return 'done';
      });
    } catch (err) {
      if (claimed === undefined) throw err;
      const failed = claimed;
      logger.error('delivery.relay-entry-failed', { outboxId: failed, err });
      await store.transaction((tx) => tx.outbox.markFailed(failed, err instanceof Error ? err.name : 'error'));
      return 'done';
    }
  };

  const runOnce = async (): Promise<number> => {
    let n = 0;
    while (n < BATCH && (await relayOne()) === 'done') n++;
    return n;
  };

  // A full batch means more may be waiting: at 50 entries per 500 ms tick the relay capped routing at 100/s.
  const poller = createPoller(runOnce, { pollMs: POLL_MS, logger, failureEvent: 'delivery.relay-failed', runAgain: (n) => n === BATCH });

  return { runOnce, start: () => { poller.start(); }, stop: () => poller.stop() };
}

/** What keeps redelivery idempotent and versions in order: the MessageHeader.id, or the document key and version. */
async function identityOf(tx: StoreTx, entry: OutboxEntry): Promise<{ messageHeaderId?: string; documentKey?: string; documentVersion?: number }> {
  if (entry.eventType === 'message.processed') return typeof entry.payload.headerId === 'string' ? { messageHeaderId: entry.payload.headerId } : {};
  const ref = typeof entry.payload.documentReferenceId === 'string' ? await tx.documents.byReference(entry.payload.documentReferenceId) : undefined;
  return ref ? { documentKey: ref.documentKey, documentVersion: ref.version } : {};
}

const ACK_CODES: readonly AckResponseCode[] = ['ok', 'transient-error', 'fatal-error'];

function acknowledgementOf(entry: OutboxEntry): ReceivedAcknowledgement | undefined {
  const { ackOf, code, issues } = entry.payload;
  if (typeof ackOf !== 'string' || !ACK_CODES.includes(code as AckResponseCode)) return undefined;
  return { ackOf, code: code as AckResponseCode, issues: Array.isArray(issues) ? (issues as AcknowledgementIssue[]) : [], warnings: [] };
}
