import type { Clock, Logger } from '../shared/index.ts';
import { createAuditRepository } from './audit.repository.ts';
import { openPgliteDb, openPostgresDb } from './db.ts';
import { createDocumentRepository } from './document.repository.ts';
import { createJtiRepository } from './jti.repository.ts';
import { createMessageRepository } from './message.repository.ts';
import { createDeliveryRepository } from './delivery.repository.ts';
import { createOutboxRepository } from './outbox.repository.ts';
import { createSubscriptionRepository } from './subscription.repository.ts';
import { createTimelinessRepository } from './timeliness.repository.ts';
import { runMigrations } from './migrate.ts';
import type { Db, StorageOptions, Store, StoreTx } from './ports.ts';
import { createResourceRepository } from './resource.repository.ts';

export interface StoreDeps {
  logger: Logger;
  clock: Clock;
}

/** Opens the database, applies pending migrations and returns the store. */
export async function openStore(options: StorageOptions, deps: StoreDeps): Promise<Store> {
  const { logger, clock } = deps;
  const db: Db =
    options.kind === 'pglite'
      ? await openPgliteDb(options.dataDir)
      : await openPostgresDb(options.url, {
          schema: options.schema,
          onIdleError: (err) => {
            logger.warn('store.idle-connection-error', { err });
          },
        });
  try {
    const applied = await runMigrations(db);
    logger.info('store.opened', { kind: db.kind, persistent: options.kind === 'postgres' || options.dataDir !== undefined, migrationsApplied: applied });
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  const repositories = (d: Db): StoreTx => ({
    resources: createResourceRepository(d, clock),
    audit: createAuditRepository(d),
    documents: createDocumentRepository(d),
    messages: createMessageRepository(d),
    outbox: createOutboxRepository(d),
    deliveries: createDeliveryRepository(d),
    subscriptions: createSubscriptionRepository(d),
    timeliness: createTimelinessRepository(d),
  });
  return {
    kind: db.kind,
    ...repositories(db),
    jti: createJtiRepository(db, clock),
    transaction: (fn) => db.transaction((tx) => fn(repositories(tx))),
    ping: async () => {
      await db.query('SELECT 1');
    },
    close: () => db.close(),
  };
}
