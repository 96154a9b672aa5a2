import { PassThrough } from 'node:stream';
import type { Express } from 'express';
import { Registry } from 'prom-client';
import request from 'supertest';
import { demoSecretFor, loadClients } from '../../src/auth/index.ts';
import { loadConfig, type Config, type DeliverySettings } from '../../src/config/index.ts';
import { openQueue, startDeliveryServices, type DeliveryServices, type QueueOptions } from '../../src/delivery/index.ts';
import { loadOioxmlMappings, PROFILES_DIR } from '../../src/gateway.ts';
import type { MappingRegistry } from '../../src/mapping/index.ts';
import { createApp } from '../../src/http/index.ts';
import { createLogger, systemClock, type Clock } from '../../src/shared/index.ts';
import { registerTimelinessMetrics } from '../../src/timeliness/index.ts';
import type { Store } from '../../src/store/index.ts';
import { createMedComValidator, createValidator, type MedComValidator, type Validator } from '../../src/validation/index.ts';
import { openTestStore, type TestBackend } from './store.ts';

let validator: Validator | undefined;
let mappings: MappingRegistry | undefined;
let medcom: MedComValidator | undefined;
/** The validator compiles the R4 schema (seconds); one per test process is enough. */
export const sharedValidator = (): Validator => (validator ??= createValidator({ profilesDir: PROFILES_DIR }));
const sharedMedCom = (): MedComValidator => (medcom ??= createMedComValidator({ validator: sharedValidator() }));
const sharedMappings = (): MappingRegistry => (mappings ??= loadOioxmlMappings(sharedValidator(), sharedMedCom()));

export interface TestApp {
  app: Express;
  store: Store;
  /** PostgreSQL: the schema the store lives in (a second process can open it); undefined on PGlite. */
  schema: string | undefined;
  config: Config;
  /** Every JSON log line the app wrote, as raw text. */
  logs: string[];
  /** A token for a demo client, fetched through the real /oauth/token endpoint. */
  token(clientId: string, scope?: string): Promise<string>;
  /** The background delivery services, when started with `{ delivery: ... }`. */
  delivery: DeliveryServices | undefined;
  /** The process's Prometheus registry (what /metrics serves). */
  metrics: Registry;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Run the outbox relay and the delivery worker in the background, with these settings over the configured ones. */
  delivery?: Partial<DeliverySettings>;
  /** The queue adapter (default: in-process). */
  queue?: QueueOptions;
}

/** The whole app (real validator, real storage on `backend`, demo clients) behind supertest. */
export async function startTestApp(backend: TestBackend, env: Record<string, string> = {}, clock: Clock = systemClock, opts: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig({ NODE_ENV: 'test', PUBLIC_BASE_URL: 'http://sektorbro.test', ...env });
  const logs: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => logs.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  const logger = createLogger({ level: 'debug', stream });
  const testStore = await openTestStore(backend, { clock, logger });
  const queue = openQueue(opts.queue ?? { kind: 'inprocess' });
  const clients = loadClients({ clientsFile: undefined, demoClients: true, production: false });
  const metrics = new Registry();
  const timelinessMetrics = registerTimelinessMetrics(metrics, testStore.store, config.timeliness, clock);
  const delivery = opts.delivery
    ? startDeliveryServices({ store: testStore.store, queue, clock, logger, policy: { ...config.delivery, ...opts.delivery }, registry: metrics, timeliness: config.timeliness, fhirBase: `${config.publicBaseUrl}/fhir` })
    : undefined;
  const app = createApp({
    config, logger, clock, store: testStore.store, queue, validator: sharedValidator(), medcom: sharedMedCom(), mappings: sharedMappings(), clients,
    metrics, deliveries: delivery?.worker, isAcceptingTraffic: () => true,
  });
  return {
    app,
    store: testStore.store,
    schema: testStore.schema,
    config,
    logs,
    async token(clientId, scope) {
      const res = await request(app)
        .post('/oauth/token')
        .auth(clientId, demoSecretFor(clientId))
        .type('form')
        .send({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) });
      if (res.status !== 200) throw new Error(`token for ${clientId}: ${res.status} ${JSON.stringify(res.body)}`);
      return (res.body as { access_token: string }).access_token;
    },
    delivery,
    metrics,
    async close() {
      timelinessMetrics.stop();
      await delivery?.stop();
      await queue.close();
      await testStore.close();
    },
  };
}

export const FHIR_JSON = 'application/fhir+json';
