import type { Db, SubscriptionContent, SubscriptionRecord, SubscriptionRepository, SubscriptionStatus } from './ports.ts';

interface SubscriptionRow {
  id: string;
  org: string;
  client_id: string;
  topic: string | null;
  resource_type: string;
  filter: string;
  endpoint: string;
  headers: [string, string][];
  content: string;
  secret: string | null;
  heartbeat_seconds: number | null;
  status: string;
  error: string | null;
  events_count: string | number;
  last_sent_at: Date | null;
  version: number;
}

const COLUMNS = `id, org, client_id, topic, resource_type, filter, endpoint, headers, content, secret, heartbeat_seconds, status, error,
  events_count, last_sent_at, version`;

const toRecord = (r: SubscriptionRow): SubscriptionRecord => ({
  id: r.id,
  org: r.org,
  clientId: r.client_id,
  topic: r.topic ?? undefined,
  resourceType: r.resource_type,
  filter: r.filter,
  endpoint: r.endpoint,
  headers: r.headers,
  content: r.content as SubscriptionContent,
  secret: r.secret ?? undefined,
  heartbeatSeconds: r.heartbeat_seconds ?? undefined,
  status: r.status as SubscriptionStatus,
  error: r.error ?? undefined,
  eventsCount: Number(r.events_count),
  lastSentAt: r.last_sent_at ?? undefined,
  version: r.version,
});

/** Subscriptions and their numbered events. */
export function createSubscriptionRepository(db: Db): SubscriptionRepository {
  return {
    async put(s, at) {
      await db.query(
        `INSERT INTO subscriptions (id, org, client_id, topic, resource_type, filter, endpoint, headers, content, secret, heartbeat_seconds, status, error, version, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, $13, $14, $15::timestamptz)
         ON CONFLICT (id) DO UPDATE SET org = EXCLUDED.org, client_id = EXCLUDED.client_id, topic = EXCLUDED.topic,
           resource_type = EXCLUDED.resource_type, filter = EXCLUDED.filter, endpoint = EXCLUDED.endpoint, headers = EXCLUDED.headers,
           content = EXCLUDED.content, secret = EXCLUDED.secret, heartbeat_seconds = EXCLUDED.heartbeat_seconds, status = EXCLUDED.status,
           error = EXCLUDED.error, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at`,
        [s.id, s.org, s.clientId, s.topic ?? null, s.resourceType, s.filter, s.endpoint, JSON.stringify(s.headers), s.content, s.secret ?? null,
          s.heartbeatSeconds ?? null, s.status, s.error ?? null, s.version, at.toISOString()],
      );
    },
    async get(id) {
      const { rows } = await db.query<SubscriptionRow>(`SELECT ${COLUMNS} FROM subscriptions WHERE id = $1`, [id]);
      return rows[0] && toRecord(rows[0]);
    },
    async active(resourceType) {
      const { rows } = await db.query<SubscriptionRow>(`SELECT ${COLUMNS} FROM subscriptions WHERE status IN ('requested', 'active', 'error') AND resource_type = $1 ORDER BY id`, [resourceType]);
      return rows.map(toRecord);
    },
    async setStatus(id, status, error, at) {
      await db.query('UPDATE subscriptions SET status = $2, error = $3, updated_at = $4::timestamptz WHERE id = $1', [id, status, error ?? null, at.toISOString()]);
    },
    async addEvent(id, e) {
      // The row lock of the UPDATE numbers events gaplessly, whatever else runs at the same time.
      const { rows } = await db.query<{ n: string | number }>('UPDATE subscriptions SET events_count = events_count + 1 WHERE id = $1 RETURNING events_count AS n', [id]);
      const n = Number(rows[0]?.n ?? 0);
      await db.query(
        'INSERT INTO subscription_events (subscription_id, event_number, focus, patient_id, occurred_at) VALUES ($1, $2, $3, $4, $5::timestamptz)',
        [id, n, e.focus, e.patientId ?? null, e.occurredAt.toISOString()],
      );
      return n;
    },
    async events(id, since, until, limit) {
      const { rows } = await db.query<{ subscription_id: string; event_number: string | number; focus: string; patient_id: string | null; occurred_at: Date }>(
        `SELECT subscription_id, event_number, focus, patient_id, occurred_at FROM subscription_events
         WHERE subscription_id = $1 AND event_number >= $2 AND event_number <= $3 ORDER BY event_number LIMIT $4`,
        [id, since, until, limit],
      );
      return rows.map((r) => ({ subscriptionId: r.subscription_id, eventNumber: Number(r.event_number), focus: r.focus, patientId: r.patient_id ?? undefined, occurredAt: r.occurred_at }));
    },
    async markSent(id, at) {
      await db.query('UPDATE subscriptions SET last_sent_at = GREATEST(COALESCE(last_sent_at, $2::timestamptz), $2::timestamptz) WHERE id = $1', [id, at.toISOString()]);
    },
    async dueHeartbeats(now) {
      const { rows } = await db.query<SubscriptionRow>(
        `SELECT ${COLUMNS} FROM subscriptions WHERE status = 'active' AND heartbeat_seconds IS NOT NULL
           AND COALESCE(last_sent_at, updated_at) + make_interval(secs => heartbeat_seconds) <= $1::timestamptz
         ORDER BY id FOR UPDATE SKIP LOCKED`,
        [now.toISOString()],
      );
      return rows.map(toRecord);
    },
  };
}
