import { GatewayError } from '../shared/index.ts';
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import type { Transaction as PGliteTransaction } from '@electric-sql/pglite';
import pg from 'pg';
import type { Db } from './ports.ts';

/**
 * The one place rows get their caller-chosen type: the SQL decides their shape, the adapter cannot
 * check it, so repositories type their own queries.
 */
const typedQuery = (run: (sql: string, params?: unknown[]) => Promise<unknown[]>): Db['query'] =>
  (async (sql: string, params?: unknown[]) => {
    try {
      return { rows: await run(sql, params) };
    } catch (err) {
      throw asDataError(err);
    }
  }) as Db['query'];

/**
 * A PostgreSQL data exception (SQLSTATE class 22: a value out of range, a character it cannot
 * store) on values we pass comes from the input: it becomes a 422 naming no SQL and no value,
 * so callers can answer it (a MedCom message gets its fatal-error acknowledgement). Anything
 * else stays as it is.
 */
function asDataError(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^22[0-9A-Z]{3}$/.test(code)) return err;
  return new GatewayError('store.bad-value', 422, [
    { severity: 'error', code: 'value', diagnostics: 'A value in the input is outside what can be stored (for example a date beyond year 9999 or a NUL character)' },
  ], { cause: err });
}

/** Schema names we accept for the `schema` option: they are spliced into DDL, so keep them plain. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Embedded PostgreSQL (PGlite, stack-notes.md §3.6). `dataDir` undefined: in memory. PGlite has a
 * single connection; its `transaction()` holds a mutex so other callers wait instead of joining
 * the open transaction, which a plain `BEGIN` would let them do.
 */
export async function openPgliteDb(dataDir: string | undefined): Promise<Db> {
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
  const db = dataDir === undefined ? await PGlite.create() : await PGlite.create(dataDir);
  const self: Db = {
    kind: 'pglite',
    query: typedQuery(async (sql, params) => (await db.query(sql, params)).rows),
    exec: async (sql) => {
      await db.exec(sql);
    },
    transaction: (fn) => db.transaction((tx) => fn(pgliteTxDb(tx))),
    close: () => db.close(),
  };
  return self;
}

function pgliteTxDb(tx: PGliteTransaction): Db {
  const self: Db = {
    kind: 'pglite',
    query: typedQuery(async (sql, params) => (await tx.query(sql, params)).rows),
    exec: async (sql) => {
      await tx.exec(sql);
    },
    transaction: (fn) => fn(self),
    close: () => Promise.reject(new Error('close() is not available inside a transaction')),
  };
  return self;
}

/** int8 as a JS number (sequence values and counts stay far below 2^53), per pool rather than process-wide. */
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: (id, format): unknown => (id === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(id, format)),
};

export interface PostgresDbOptions {
  /** Created if missing and set as every pooled connection's `search_path` (tests isolate themselves). */
  schema?: string | undefined;
  /** Told about errors on idle pooled connections, which would otherwise crash the process. */
  onIdleError?: (err: Error) => void;
}

/** PostgreSQL through a `pg` pool; `transaction` runs on one checked-out client. */
export async function openPostgresDb(url: string, options: PostgresDbOptions = {}): Promise<Db> {
  const { schema } = options;
  if (schema !== undefined) {
    if (!SCHEMA_NAME.test(schema)) throw new Error('schema must match [a-z_][a-z0-9_]{0,62}');
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    types: pgTypes,
    // Fail fast instead of queueing forever when PostgreSQL is gone (readiness, requests).
    connectionTimeoutMillis: 5000,
    max: 10,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  pool.on('error', (err) => options.onIdleError?.(err));
  await pool.query('SELECT 1');
  return {
    kind: 'postgres',
    query: typedQuery(async (sql, params) => (await pool.query<Record<string, unknown>>(sql, params)).rows),
    exec: async (sql) => {
      await pool.query(sql);
    },
    transaction: async (fn) => {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn(pgClientTxDb(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw err;
      } finally {
        // A client whose ROLLBACK failed may still hold the transaction open: destroy it, never pool it.
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}

function pgClientTxDb(client: pg.PoolClient): Db {
  const self: Db = {
    kind: 'postgres',
    query: typedQuery(async (sql, params) => (await client.query<Record<string, unknown>>(sql, params)).rows),
    exec: async (sql) => {
      await client.query(sql);
    },
    transaction: (fn) => fn(self),
    close: () => Promise.reject(new Error('close() is not available inside a transaction')),
  };
  return self;
}
