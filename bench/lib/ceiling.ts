/**
 * The ceiling of issue #9: what the same machine does with the same body when nothing but the
 * unavoidable work is done. A bare express 5 app reads the raw body, JSON.parses it, validates it
 * with the same ajv R4 schema validator Sektorbro compiles (src/validation/schema-structure.ts),
 * and makes one durable PostgreSQL insert of it (default synchronous_commit). Sektorbro's ingest
 * figures are read against this one, measured in the same run with the same client.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import pg from 'pg';
import { loadSchemaStructure } from '../../src/validation/schema-structure.ts';
import type { SchemaStructure } from '../../src/validation/schema-structure.ts';
import { freshDatabase } from './harness.ts';

export const CEILING_DATABASE = 'sektorbro_bench_ceiling';
/** Sektorbro's default body limit (BODY_LIMIT_BYTES), so both read bodies alike. */
const BODY_LIMIT = '10mb';

export interface CeilingServer {
  url: string;
  /** True when each request makes the PostgreSQL insert; false when PostgreSQL was not given. */
  durable: boolean;
  close(): Promise<void>;
}

/** A fresh `sektorbro_bench_ceiling` database with its one table, or undefined when PostgreSQL is unreachable. */
export async function ceilingDatabase(): Promise<string | undefined> {
  const url = await freshDatabase(CEILING_DATABASE);
  if (url === undefined) return undefined;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CREATE TABLE ceiling (id bigserial PRIMARY KEY, body jsonb NOT NULL)');
  } finally {
    await client.end();
  }
  return url;
}

/**
 * `POST /ceiling` on 127.0.0.1, port 0: 201 when the body parses, passes the R4 schema and is stored;
 * 400 for JSON that does not parse, 422 for a schema failure. Without `pgUrl` the insert is skipped.
 * `structure` may be passed in to share an already compiled schema (compiling it takes about a second).
 */
export async function startCeiling(pgUrl: string | undefined, structure: SchemaStructure = loadSchemaStructure()): Promise<CeilingServer> {
  // The pool is as large as Sektorbro's default (pg's 10), so neither side wins on connections.
  const pool = pgUrl === undefined ? undefined : new pg.Pool({ connectionString: pgUrl });
  // Idempotent, so any database given works, not only the fresh one of `ceilingDatabase()`.
  await pool?.query('CREATE TABLE IF NOT EXISTS ceiling (id bigserial PRIMARY KEY, body jsonb NOT NULL)');
  const app = express();
  app.post('/ceiling', express.raw({ type: () => true, limit: BODY_LIMIT }), (req, res, next) => {
    const text = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    let resource: unknown;
    try {
      resource = JSON.parse(text);
    } catch {
      res.status(400).json({ error: 'not JSON' });
      return;
    }
    const record = resource as Record<string, unknown> | null;
    const type = typeof record?.resourceType === 'string' ? record.resourceType : '';
    if (record === null || !structure.resourceTypes.has(type)) {
      res.status(422).json({ error: 'not an R4 resource' });
      return;
    }
    const faults = structure.check(record, type);
    if (faults.length > 0) {
      res.status(422).json({ issues: faults.length });
      return;
    }
    if (pool === undefined) {
      res.status(201).end();
      return;
    }
    // The body as received (text), so PostgreSQL parses it into jsonb as a store would.
    pool.query('INSERT INTO ceiling (body) VALUES ($1::jsonb)', [text]).then(
      () => res.status(201).end(),
      (err: unknown) => { next(err); },
    );
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}`,
    durable: pool !== undefined,
    async close() {
      const closed = new Promise<void>((resolve, reject) => server.close((err) => { if (err) reject(err); else resolve(); }));
      server.closeAllConnections(); // the load client's idle keep-alive connections would hold close() open
      await closed;
      await pool?.end();
    },
  };
}
