import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { it } from 'vitest';
import { createLogger, systemClock } from '../../src/shared/index.ts';
import type { Clock, Logger } from '../../src/shared/index.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';

/** A database engine a storage suite runs against. */
export type TestBackend = { name: 'pglite' } | { name: 'postgres'; url: string };

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REQUIRE_SERVICES = process.env.SEKTORBRO_REQUIRE_SERVICES === '1';

let reachability: Promise<boolean> | undefined;

async function isReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The backends to run a storage suite against: always in-memory PGlite, plus PostgreSQL when it
 * answers at TEST_DATABASE_URL. Call it at the top level of a test file. When PostgreSQL does not
 * answer, its runs are left out with a console note; with SEKTORBRO_REQUIRE_SERVICES=1 a failing
 * test is registered instead, so CI counts a failure rather than a skip (a failing hook would only
 * mark the tests skipped).
 */
export async function backends(): Promise<TestBackend[]> {
  reachability ??= isReachable(TEST_DATABASE_URL);
  if (await reachability) return [{ name: 'pglite' }, { name: 'postgres', url: TEST_DATABASE_URL }];
  const where = redactUrl(TEST_DATABASE_URL);
  if (REQUIRE_SERVICES) {
    it(`when SEKTORBRO_REQUIRE_SERVICES=1, then PostgreSQL answers at ${where}`, () => {
      throw new Error(`PostgreSQL is required (SEKTORBRO_REQUIRE_SERVICES=1) but not reachable at ${where}`);
    });
  } else {
    console.warn(`[store tests] PostgreSQL is not reachable at ${where}: PostgreSQL runs skipped (PGlite only)`);
  }
  return [{ name: 'pglite' }];
}

const redactUrl = (url: string): string => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

export interface TestStore {
  store: Store;
  /** The PostgreSQL schema the store lives in; undefined on PGlite. */
  schema: string | undefined;
  /** Closes the store; on PostgreSQL also drops its schema unless `keepSchema`. */
  close(opts?: { keepSchema?: boolean }): Promise<void>;
}

export interface TestStoreOptions {
  clock?: Clock;
  logger?: Logger;
  /** PGlite: a data folder (persistent); default in memory. */
  dataDir?: string;
  /** PostgreSQL: reuse this schema (e.g. to reopen); default a fresh random one. */
  schema?: string;
}

/** Opens a store on `backend`; on PostgreSQL in its own fresh schema, so test files never see each other's rows. */
export async function openTestStore(backend: TestBackend, opts: TestStoreOptions = {}): Promise<TestStore> {
  const deps = { clock: opts.clock ?? systemClock, logger: opts.logger ?? createLogger({ level: 'error', silent: true }) };
  if (backend.name === 'pglite') {
    const store = await openStore({ kind: 'pglite', dataDir: opts.dataDir }, deps);
    return { store, schema: undefined, close: () => store.close() };
  }
  const schema = opts.schema ?? `test_${randomBytes(6).toString('hex')}`;
  const store = await openStore({ kind: 'postgres', url: backend.url, schema }, deps);
  return {
    store,
    schema,
    close: async ({ keepSchema = false } = {}) => {
      await store.close();
      if (!keepSchema) await dropSchema(backend.url, schema);
    },
  };
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
