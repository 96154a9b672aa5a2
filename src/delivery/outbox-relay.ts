import { deterministicId, type Clock, type Logger } from '../shared/index.ts';
import type { Store } from '../store/index.ts';
import { findRegistrySor, routeOutboxEntry } from './routing.ts';

/** How many outbox entries one relay run takes (each in its own transaction). */
const BATCH = 50;
/** After this many failures an entry is left for a person (it stays in the outbox, unprocessed). */
const MAX_ATTEMPTS = 5;
/** How often an idle relay looks for new entries. */
const POLL_MS = 500;

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
export function createOutboxRelay(deps: { store: Store; clock: Clock; logger: Logger }): OutboxRelay {
  const { store, clock, logger } = deps;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  /** Routes one entry in its own transaction; a failure is recorded and does not hold up the rest. */
  const relayOne = async (): Promise<'done' | 'empty'> => {
    let claimed: number | undefined;
    try {
      return await store.transaction(async (tx) => {
        const [entry] = await tx.outbox.claim(1, MAX_ATTEMPTS);
        if (!entry) return 'empty';
        claimed = entry.id;
        const now = clock.now();
        const lookup = (system: string, value: string) => findRegistrySor(tx.resources, system, value);
        const decision = await routeOutboxEntry(entry, lookup);
        if (decision.unroutable) {
          const id = deterministicId(`delivery|${decision.source}|unroutable`);
          if (await tx.deliveries.create({ id, source: decision.source, recipientSor: undefined, patientId: decision.patientId, basis: decision.unroutable, status: 'unroutable' }, now)) {
            await tx.deliveries.addEvent(id, 'unroutable', now, { reason: decision.unroutable, outboxId: entry.id });
          }
          logger.warn('delivery.unroutable', { source: decision.source });
        }
        for (const r of decision.recipients) {
          const id = deterministicId(`delivery|${decision.source}|${r.sor}`);
          if (await tx.deliveries.create({ id, source: decision.source, recipientSor: r.sor, patientId: decision.patientId, basis: r.basis, status: 'pending' }, now)) {
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

  const tick = (): void => {
    running ??= runOnce()
      .catch((err: unknown) => {
        logger.error('delivery.relay-failed', { err });
        return 0;
      })
      .finally(() => { running = undefined; });
  };

  return {
    runOnce,
    start() {
      timer ??= setInterval(tick, POLL_MS);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
