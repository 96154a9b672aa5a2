import { deterministicId, type Clock, type Logger } from '../shared/index.ts';
import type { Store } from '../store/index.ts';
import { findRegistrySor, routeOutboxEntry } from './routing.ts';

/** How many outbox entries one relay transaction takes. */
const BATCH = 50;
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
 * deliveries with a timeline) and marked processed in one transaction, so a crash anywhere means
 * the entry is simply taken again; delivery ids are deterministic, so nothing is doubled.
 */
export function createOutboxRelay(deps: { store: Store; clock: Clock; logger: Logger }): OutboxRelay {
  const { store, clock, logger } = deps;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  const runOnce = async (): Promise<number> =>
    store.transaction(async (tx) => {
      const entries = await tx.outbox.claim(BATCH);
      for (const entry of entries) {
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
      }
      return entries.length;
    });

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
