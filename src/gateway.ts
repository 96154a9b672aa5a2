import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { loadClients } from './auth/index.ts';
import type { Config } from './config/index.ts';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { openQueue, seedDemoRegistry, startDeliveryServices, type JobQueue } from './delivery/index.ts';
import { createApp } from './http/index.ts';
import { loadMappings, type MappingRegistry } from './mapping/index.ts';
import { createResponsibilityHandover } from './responsibility/index.ts';
import { systemClock, type Clock, type Logger } from './shared/index.ts';
import { createTimelinessAlerts, registerTimelinessMetrics } from './timeliness/index.ts';
import { openStore, type Store } from './store/index.ts';
import { createMedComValidator, createValidator, type MedComValidator, type Validator } from './validation/index.ts';

/** Profiles, code systems and value sets, loaded and checked at start-up (docs/documents.md). */
export const PROFILES_DIR = fileURLToPath(new URL('../profiles/', import.meta.url));
/** Declarative OIOXML mappings, loaded and checked against the profiles at start-up. */
export const OIOXML_MAPPINGS_DIR = fileURLToPath(new URL('../mappings/medcom-oioxml/', import.meta.url));

/**
 * Loads the OIOXML mapping specs, checking every profile they target is one the gateway knows: our
 * own, or MedCom's CareCommunication profiles (the XDIS91 target) from the vendored packages.
 */
export const loadOioxmlMappings = (validator: Validator, medcom: MedComValidator): MappingRegistry =>
  loadMappings(OIOXML_MAPPINGS_DIR, { knownProfiles: [...validator.profiles.keys(), ...medcom.profilesOf('care-communication').keys()] });

export interface Gateway {
  url: string;
  server: Server;
  store: Store;
  queue: JobQueue;
  /** Stops taking requests, lets open ones finish (bounded by SHUTDOWN_TIMEOUT_MS), then closes queue and storage. */
  close(): Promise<void>;
}

/**
 * The composition root: configuration → clients → validator → storage → queue → HTTP, in that
 * order, closed in reverse. Anything broken stops start-up here, not at the first request.
 */
export async function startGateway(config: Config, logger: Logger, clock: Clock = systemClock): Promise<Gateway> {
  const clients = loadClients({ clientsFile: config.auth.clientsFile, demoClients: config.auth.demoClients, production: config.nodeEnv === 'production' });
  const validator = createValidator({ profilesDir: PROFILES_DIR });
  logger.info('validator.loaded', { profiles: validator.profiles.size, startupMs: validator.startupMs });
  const medcom = createMedComValidator({ validator });
  logger.info('medcom-validator.loaded', { contexts: medcom.contexts.length, startupMs: medcom.startupMs });
  const mappings = loadOioxmlMappings(validator, medcom);
  const store = await openStore(
    config.storage.kind === 'postgres' ? { kind: 'postgres', url: config.storage.url } : { kind: 'pglite', dataDir: config.storage.dataDir },
    { logger, clock },
  );
  const queue = openQueue(config.queue);
  // Delivery runs in the API too: with PGlite it is the only process; with PostgreSQL a separate
  // worker may run it as well (SKIP LOCKED and leases keep them apart).
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics, prefix: 'sektorbro_' });
  registerTimelinessMetrics(metrics, store, config.timeliness, clock);
  const delivery = startDeliveryServices({ store, queue, clock, logger, policy: config.delivery, registry: metrics, timeliness: config.timeliness, fhirBase: `${config.publicBaseUrl}/fhir` });
  // Overdue epikriser raise one alert each; a lease keeps the API and a worker from raising it twice.
  const alerts = createTimelinessAlerts({ store, clock, logger, settings: config.timeliness });
  alerts.start();
  // The handover at each window's end (department → GP); idempotent, so the API and a worker may both run it.
  const handover = createResponsibilityHandover({ store, clock, logger });
  handover.start();
  // The embedded default's demo: registry rows for the demo organisations, with Endpoints at the
  // built-in demo receivers, so documents sent with the demo clients are delivered on first start.
  const demoReceiverToken = config.auth.demoClients ? createHmac('sha256', config.auth.tokenSigningSecret).update('demo-receiver').digest('base64url') : undefined;
  if (demoReceiverToken) {
    const seeded = await seedDemoRegistry(store, { receiverBase: `${config.publicBaseUrl}/demo/receivers`, token: demoReceiverToken });
    if (seeded > 0) logger.info('registry.demo-seeded', { rows: seeded });
  }
  let accepting = true;
  const app = createApp({
    config, logger, clock, store, queue, validator, medcom, mappings, clients, metrics, deliveries: delivery.worker, demoReceiverToken, isAcceptingTraffic: () => accepting,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => { resolve(s); });
    s.once('error', reject);
  });
  server.requestTimeout = 120_000;
  // Idle keep-alive connections outlive a load balancer's usual 60 s, so the client side closes them first: a
  // POST sent on a connection the server had just closed fails with ECONNRESET and is not retried (Node's
  // default is 5 s, and the benchmark's clients met exactly that between phases).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info('gateway.started', { url, storage: store.kind, queue: queue.kind, clients: clients.list().length });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      accepting = false;
      logger.info('gateway.stopping');
      const closed = new Promise<void>((resolve) => { server.close(() => { resolve(); }); });
      server.closeIdleConnections();
      const timer = setTimeout(() => { server.closeAllConnections(); }, config.shutdownTimeoutMs);
      await closed;
      clearTimeout(timer);
      await delivery.stop();
      await alerts.stop();
      await handover.stop();
      await queue.close();
      await store.close();
      logger.info('gateway.stopped');
    })();
    return closing;
  };
  return { url, server, store, queue, close };
}
