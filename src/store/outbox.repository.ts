import type { Db, DeliveryRecord, DeliveryRepository, OutboxEntry, OutboxRepository } from './ports.ts';

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
    async pending() {
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE processed_at IS NULL');
      return rows[0]?.n ?? 0;
    },
  };
}

export function createDeliveryRepository(db: Db): DeliveryRepository {
  return {
    async create(d, at) {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO deliveries (id, source, recipient_sor, patient_id, basis, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, $7::timestamptz) ON CONFLICT (id) DO NOTHING RETURNING id`,
        [d.id, d.source, d.recipientSor ?? null, d.patientId ?? null, d.basis, d.status, at.toISOString()],
      );
      return rows.length > 0;
    },
    async addEvent(deliveryId, status, at, detail) {
      await db.query('INSERT INTO delivery_events (delivery_id, status, at, detail) VALUES ($1, $2, $3::timestamptz, $4::jsonb)', [
        deliveryId, status, at.toISOString(), JSON.stringify(detail),
      ]);
    },
    async bySource(source) {
      const { rows } = await db.query<{ id: string; source: string; recipient_sor: string | null; patient_id: string | null; basis: string; status: string; created_at: Date; updated_at: Date; timeline: { status: string; at: string; detail: Record<string, unknown> }[] }>(
        `SELECT d.id, d.source, d.recipient_sor, d.patient_id, d.basis, d.status, d.created_at, d.updated_at,
           COALESCE((SELECT jsonb_agg(jsonb_build_object('status', e.status, 'at', e.at, 'detail', e.detail) ORDER BY e.id)
                     FROM delivery_events e WHERE e.delivery_id = d.id), '[]'::jsonb) AS timeline
         FROM deliveries d WHERE d.source = $1 ORDER BY d.created_at, d.id`,
        [source],
      );
      return rows.map((r): DeliveryRecord => ({
        id: r.id, source: r.source, recipientSor: r.recipient_sor ?? undefined, patientId: r.patient_id ?? undefined, basis: r.basis,
        status: r.status, createdAt: r.created_at, updatedAt: r.updated_at,
        timeline: r.timeline.map((e) => ({ status: e.status, at: new Date(e.at), detail: e.detail })),
      }));
    },
  };
}
