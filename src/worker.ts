import { ConfigError, loadConfig } from './config/index.ts';
import { Registry } from 'prom-client';
import { openQueue, startDeliveryServices } from './delivery/index.ts';
import { createResponsibilityHandover } from './responsibility/index.ts';
import { createLogger, systemClock } from './shared/index.ts';
import { createTimelinessAlerts } from './timeliness/index.ts';
import { openStore } from './store/index.ts';

/**
 * `sektorbro worker`: the background process beside the API (docker-compose `worker`). It opens
 * the same storage and queue as the API and drains the transactional outbox (routing every stored
 * document and message to its recipients) and pushes deliveries to the receivers' endpoints.
 */
async function runWorker(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(78);
    }
    throw e;
  }
  if (config.storage.kind !== 'postgres' || config.queue.kind !== 'bullmq') {
    // PGlite is one process's database and the in-process queue lives inside the API: a separate
    // worker would corrupt the one or never see the other. The embedded default works in-process.
    process.stderr.write('sektorbro worker needs DATABASE_URL and REDIS_URL; the embedded default runs its work inside `npm start`\n');
    process.exit(78);
  }
  const logger = createLogger({ level: config.logLevel });
  const store = await openStore(
    { kind: 'postgres', url: config.storage.url },
    { logger, clock: systemClock },
  );
  const queue = openQueue(config.queue);
  await queue.ping();
  // Counters of this process; the gateway's /metrics reads the shared state (gauges) from the database.
  const delivery = startDeliveryServices({ store, queue, clock: systemClock, logger, policy: config.delivery, registry: new Registry(), timeliness: config.timeliness, fhirBase: `${config.publicBaseUrl}/fhir` });
  const alerts = createTimelinessAlerts({ store, clock: systemClock, logger, settings: config.timeliness });
  alerts.start();
  // The handover at each window's end (department → GP); idempotent, so the API and a worker may both run it.
  const handover = createResponsibilityHandover({ store, clock: systemClock, logger });
  handover.start();
  logger.info('worker.started', { storage: store.kind, queue: queue.kind, runs: ['outbox-relay', 'delivery', 'timeliness-alerts', 'responsibility-handover'] });
  const stop = (signal: string): void => {
    logger.info('process.signal', { signal });
    void (async () => {
      await delivery.stop();
      await alerts.stop();
      await handover.stop();
      await queue.close();
      await store.close();
      logger.info('worker.stopped');
      process.exit(0);
    })();
  };
  process.once('SIGTERM', () => { stop('SIGTERM'); });
  process.once('SIGINT', () => { stop('SIGINT'); });
}

await runWorker();
