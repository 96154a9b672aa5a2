import type { Db, OutboxEntry, OutboxRepository } from './ports.ts';

interface OutboxRow {
  id: number | string;
  event_type: string;
  subject: string;
  payload: Record<string, unknown>;
  created_at: Date;
  attempts: number;
}

export function createOutboxRepository(db: Db): OutboxRepository {
  return {
    async append(eventType, subject, payload, at) {
      await db.query('INSERT INTO outbox (event_type, subject, payload, created_at) VALUES ($1, $2, $3::jsonb, $4::timestamptz)', [
        eventType, subject, JSON.stringify(payload), at.toISOString(),
      ]);
    },
    async claim(limit, maxAttempts) {
      // SKIP LOCKED: several relays (API and worker) share the outbox without taking the same row.
      // An entry that failed maxAttempts times stays unprocessed for a person, and stops blocking the rest.
      const { rows } = await db.query<OutboxRow>(
        `SELECT id, event_type, subject, payload, created_at, attempts FROM outbox
         WHERE processed_at IS NULL AND attempts < $2 ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit, maxAttempts],
      );
      return rows.map((r): OutboxEntry => ({ id: Number(r.id), eventType: r.event_type, subject: r.subject, payload: r.payload, createdAt: r.created_at, attempts: r.attempts }));
    },
    async markProcessed(id, at) {
      await db.query('UPDATE outbox SET processed_at = $2::timestamptz WHERE id = $1', [id, at.toISOString()]);
    },
    async markFailed(id, error) {
      await db.query('UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1', [id, error]);
    },
    async pendingBefore(id, patientId, maxAttempts) {
      const { rows } = await db.query<{ found: number }>(
        `SELECT 1 AS found FROM outbox WHERE processed_at IS NULL AND payload->>'patientId' = $2 AND id < $1 AND attempts < $3 LIMIT 1`,
        [id, patientId, maxAttempts],
      );
      return rows.length > 0;
    },
    async pending() {
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE processed_at IS NULL');
      return rows[0]?.n ?? 0;
    },
  };
}
