import { PassThrough } from 'node:stream';
import type { Express } from 'express';
import request from 'supertest';
import { demoSecretFor, loadClients } from '../../src/auth/index.ts';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { openQueue } from '../../src/delivery/index.ts';
import { loadOioxmlMappings, PROFILES_DIR } from '../../src/gateway.ts';
import type { MappingRegistry } from '../../src/mapping/index.ts';
import { createApp } from '../../src/http/index.ts';
import { createLogger, systemClock, type Clock } from '../../src/shared/index.ts';
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
  config: Config;
  /** Every JSON log line the app wrote, as raw text. */
  logs: string[];
  /** A token for a demo client, fetched through the real /oauth/token endpoint. */
  token(clientId: string, scope?: string): Promise<string>;
  close(): Promise<void>;
}

/** The whole app (real validator, real storage on `backend`, demo clients) behind supertest. */
export async function startTestApp(backend: TestBackend, env: Record<string, string> = {}, clock: Clock = systemClock): Promise<TestApp> {
  const config = loadConfig({ NODE_ENV: 'test', PUBLIC_BASE_URL: 'http://sektorbro.test', ...env });
  const logs: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => logs.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  const logger = createLogger({ level: 'debug', stream });
  const testStore = await openTestStore(backend, { clock, logger });
  const queue = openQueue({ kind: 'inprocess' });
  const clients = loadClients({ clientsFile: undefined, demoClients: true, production: false });
  const app = createApp({
    config, logger, clock, store: testStore.store, queue, validator: sharedValidator(), medcom: sharedMedCom(), mappings: sharedMappings(), clients, isAcceptingTraffic: () => true,
  });
  return {
    app,
    store: testStore.store,
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
    async close() {
      await queue.close();
      await testStore.close();
    },
  };
}

export const FHIR_JSON = 'application/fhir+json';
