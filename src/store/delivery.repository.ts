import { decodeCursor, encodeCursor } from './cursor.ts';
import type { Db, DeliveryCircuit, DeliveryPatch, DeliveryRecord, DeliveryRepository, DeliveryStatus } from './ports.ts';

interface DeliveryRow {
  id: string;
  seq: string | number;
  outbox_id: string | number;
  source: string;
  recipient_sor: string | null;
  patient_id: string | null;
  basis: string;
  status: string;
  created_at: Date;
  updated_at: Date;
  attempts: number;
  resends: number;
  next_attempt_at: Date | null;
  lease_until: Date | null;
  ack_due_at: Date | null;
  last_error: string | null;
  endpoint_id: string | null;
  message_header_id: string | null;
  document_key: string | null;
  document_version: number | null;
  sent_at: Date | null;
  completed_at: Date | null;
  retry_since: Date | null;
  timeline?: { status: string; at: string; detail: Record<string, unknown> }[];
}

const COLUMNS = `d.id, d.seq, d.outbox_id, d.source, d.recipient_sor, d.patient_id, d.basis, d.status, d.created_at, d.updated_at, d.attempts, d.resends,
  d.next_attempt_at, d.lease_until, d.ack_due_at, d.last_error, d.endpoint_id, d.message_header_id, d.document_key,
  d.document_version, d.sent_at, d.completed_at, d.retry_since`;
const TIMELINE = `COALESCE((SELECT jsonb_agg(jsonb_build_object('status', e.status, 'at', e.at, 'detail', e.detail) ORDER BY e.id)
  FROM delivery_events e WHERE e.delivery_id = d.id), '[]'::jsonb) AS timeline`;

const u = <T>(v: T | null): T | undefined => v ?? undefined;

const toRecord = (r: DeliveryRow): DeliveryRecord => ({
  id: r.id,
  seq: Number(r.seq),
  outboxId: Number(r.outbox_id),
  source: r.source,
  recipientSor: u(r.recipient_sor),
  patientId: u(r.patient_id),
  basis: r.basis,
  status: r.status as DeliveryStatus,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  attempts: r.attempts,
  resends: r.resends,
  nextAttemptAt: u(r.next_attempt_at),
  leaseUntil: u(r.lease_until),
  ackDueAt: u(r.ack_due_at),
  lastError: u(r.last_error),
  endpointId: u(r.endpoint_id),
  messageHeaderId: u(r.message_header_id),
  documentKey: u(r.document_key),
  documentVersion: u(r.document_version),
  sentAt: u(r.sent_at),
  completedAt: u(r.completed_at),
  retrySince: r.retry_since ?? r.created_at,
  timeline: (r.timeline ?? []).map((e) => ({ status: e.status, at: new Date(e.at), detail: e.detail })),
});

/** Statuses a delivery passes through before it is finished; they hold back later ones to the same (recipient, patient). */
const UNFINISHED: readonly DeliveryStatus[] = ['pending', 'in-flight'];
/** Statuses in which the receiver has (or is getting) a version: an older version must not follow. */
const REACHED: readonly DeliveryStatus[] = ['in-flight', 'awaiting-ack', 'delivered', 'acknowledged'];

const PATCH_COLUMNS: Record<keyof DeliveryPatch, string> = {
  status: 'status',
  attempts: 'attempts',
  resends: 'resends',
  nextAttemptAt: 'next_attempt_at',
  leaseUntil: 'lease_until',
  ackDueAt: 'ack_due_at',
  lastError: 'last_error',
  endpointId: 'endpoint_id',
  sentAt: 'sent_at',
  completedAt: 'completed_at',
  retrySince: 'retry_since',
};

const param = (v: unknown): unknown => (v instanceof Date ? v.toISOString() : v ?? null);

/** Deliveries, their timelines and the per-recipient circuit breakers (the delivery side of the store). */
export function createDeliveryRepository(db: Db): DeliveryRepository {
  const one = async (where: string, params: unknown[], lock = false): Promise<DeliveryRecord | undefined> => {
    const { rows } = await db.query<DeliveryRow>(`SELECT ${COLUMNS}${lock ? '' : `, ${TIMELINE}`} FROM deliveries d WHERE ${where}${lock ? ' FOR UPDATE OF d' : ''}`, params);
    return rows[0] && toRecord(rows[0]);
  };
  return {
    async create(d, at) {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO deliveries (id, source, recipient_sor, patient_id, basis, status, created_at, updated_at, next_attempt_at,
           message_header_id, document_key, document_version, retry_since, outbox_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, $7::timestamptz, $8::timestamptz, $9, $10, $11, $7::timestamptz, $12)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [d.id, d.source, d.recipientSor ?? null, d.patientId ?? null, d.basis, d.status, at.toISOString(),
          d.status === 'pending' ? at.toISOString() : null, d.messageHeaderId ?? null, d.documentKey ?? null, d.documentVersion ?? null, d.outboxId],
      );
      return rows.length > 0;
    },
    async addEvent(deliveryId, status, at, detail) {
      await db.query('INSERT INTO delivery_events (delivery_id, status, at, detail) VALUES ($1, $2, $3::timestamptz, $4::jsonb)', [
        deliveryId, status, at.toISOString(), JSON.stringify(detail),
      ]);
    },
    async bySource(source) {
      const { rows } = await db.query<DeliveryRow>(`SELECT ${COLUMNS}, ${TIMELINE} FROM deliveries d WHERE d.source = $1 ORDER BY d.seq`, [source]);
      return rows.map(toRecord);
    },
    get: (id) => one('d.id = $1', [id]),
    lock: (id) => one('d.id = $1', [id], true),
    async claimDue(now, limit, leaseUntil) {
      // SKIP LOCKED: dispatchers in several processes never hand out the same delivery; the lease
      // keeps it from being dispatched again while its job waits in the queue.
      const { rows } = await db.query<{ id: string }>(
        `UPDATE deliveries SET lease_until = $3::timestamptz WHERE id IN (
           SELECT id FROM deliveries
           WHERE status IN ('pending', 'in-flight', 'awaiting-ack') AND next_attempt_at <= $1::timestamptz
             AND (lease_until IS NULL OR lease_until <= $1::timestamptz)
           ORDER BY outbox_id, seq LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING id, seq`,
        [now.toISOString(), limit, leaseUntil.toISOString()],
      );
      return rows.map((r) => r.id);
    },
    async update(id, patch, at) {
      const sets = ['updated_at = $2::timestamptz'];
      const values: unknown[] = [id, at.toISOString()];
      for (const [key, column] of Object.entries(PATCH_COLUMNS) as [keyof DeliveryPatch, string][]) {
        if (!(key in patch)) continue;
        values.push(param(patch[key]));
        sets.push(`${column} = $${String(values.length)}`);
      }
      await db.query(`UPDATE deliveries SET ${sets.join(', ')} WHERE id = $1`, values);
    },
    async unfinishedBefore(d) {
      if (d.recipientSor === undefined || d.patientId === undefined) return undefined;
      return one(
        `d.recipient_sor = $1 AND d.patient_id = $2 AND (d.outbox_id, d.seq) < ($3, $4) AND d.status = ANY($5::text[]) ORDER BY d.outbox_id, d.seq LIMIT 1`,
        [d.recipientSor, d.patientId, d.outboxId, d.seq, UNFINISHED],
      );
    },
    async newerVersionReached(d) {
      if (d.documentKey === undefined || d.documentVersion === undefined || d.recipientSor === undefined) return undefined;
      return one(
        `d.recipient_sor = $1 AND d.document_key = $2 AND d.document_version > $3 AND d.status = ANY($4::text[]) ORDER BY d.document_version DESC LIMIT 1`,
        [d.recipientSor, d.documentKey, d.documentVersion, REACHED],
      );
    },
    async wake(where, at) {
      const by = where.patientId === undefined
        ? { sql: 'recipient_sor = $2', params: [where.recipientSor] }
        : { sql: 'recipient_sor = $2 AND patient_id = $3', params: [where.recipientSor, where.patientId] };
      await db.query(
        `UPDATE deliveries SET next_attempt_at = $1::timestamptz WHERE ${by.sql} AND status = 'pending' AND next_attempt_at > $1::timestamptz`,
        [at.toISOString(), ...by.params],
      );
    },
    async byMessageHeader(headerId) {
      const { rows } = await db.query<DeliveryRow>(`SELECT ${COLUMNS} FROM deliveries d WHERE d.message_header_id = $1 ORDER BY d.seq`, [headerId]);
      return rows.map(toRecord);
    },
    async list(q) {
      const params: unknown[] = [q.count + 1];
      const where: string[] = [];
      if (q.statuses) {
        params.push(q.statuses);
        where.push(`d.status = ANY($${String(params.length)}::text[])`);
      }
      if (q.recipientSor) {
        params.push(q.recipientSor);
        where.push(`d.recipient_sor = $${String(params.length)}`);
      }
      if (q.cursor) {
        params.push(decodeCursor(q.cursor));
        where.push(`d.seq > $${String(params.length)}`);
      }
      const { rows } = await db.query<DeliveryRow>(
        `SELECT ${COLUMNS}, ${TIMELINE} FROM deliveries d ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.seq LIMIT $1`,
        params,
      );
      const items = rows.slice(0, q.count).map(toRecord);
      const last = items.at(-1);
      return { items, next: rows.length > q.count && last ? encodeCursor(last.seq) : undefined };
    },
    async counts() {
      const { rows } = await db.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM deliveries GROUP BY status');
      return Object.fromEntries(rows.map((r) => [r.status, r.n]));
    },
    async circuit(recipientSor) {
      const { rows } = await db.query<{ recipient_sor: string; failures: number; open_until: Date | null }>(
        'SELECT recipient_sor, failures, open_until FROM delivery_circuits WHERE recipient_sor = $1 FOR UPDATE',
        [recipientSor],
      );
      const r = rows[0];
      return r && { recipientSor: r.recipient_sor, failures: r.failures, openUntil: u(r.open_until) };
    },
    async putCircuit(c: DeliveryCircuit, at) {
      await db.query(
        `INSERT INTO delivery_circuits (recipient_sor, failures, open_until, updated_at) VALUES ($1, $2, $3::timestamptz, $4::timestamptz)
         ON CONFLICT (recipient_sor) DO UPDATE SET failures = EXCLUDED.failures, open_until = EXCLUDED.open_until, updated_at = EXCLUDED.updated_at`,
        [c.recipientSor, c.failures, c.openUntil?.toISOString() ?? null, at.toISOString()],
      );
    },
    async circuits() {
      const { rows } = await db.query<{ recipient_sor: string; failures: number; open_until: Date | null }>(
        'SELECT recipient_sor, failures, open_until FROM delivery_circuits WHERE failures > 0 ORDER BY recipient_sor',
      );
      return rows.map((r) => ({ recipientSor: r.recipient_sor, failures: r.failures, openUntil: u(r.open_until) }));
    },
  };
}
