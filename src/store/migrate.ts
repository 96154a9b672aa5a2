import { readdir, readFile } from 'node:fs/promises';
import type { Db } from './ports.ts';

/** Found beside this module at runtime, so it works from `src/` under tsx and from a build alike. */
export const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
const MIGRATION_FILE = /^\d{4}_[a-z0-9_]+\.sql$/;

/**
 * Applies the pending `NNNN_name.sql` files in order and records each in `schema_migrations`,
 * all in one transaction. A transaction-scoped advisory lock (per schema) makes an API and a
 * worker that start together take turns instead of racing. Returns the versions it applied.
 */
export async function runMigrations(db: Db, dir: URL = MIGRATIONS_DIR): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => MIGRATION_FILE.test(f)).sort();
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('sektorbro.migrations.' || current_schema(), 0))");
    await tx.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await tx.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const applied: string[] = [];
    for (const file of files) {
      const version = file.slice(0, -'.sql'.length);
      if (done.has(version)) continue;
      await tx.exec(await readFile(new URL(file, dir), 'utf8'));
      await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
      applied.push(version);
    }
    return applied;
  });
}
