import { randomUUID } from 'node:crypto';
import { decodeCursor, encodeCursor, SqlParams } from './cursor.ts';
import type { AuditAction, AuditOutcome, AuditRepository, Db, StoredAuditRecord } from './ports.ts';

interface AuditRow {
  id: string;
  seq: number | string | bigint;
  recorded: Date;
  request_id: string;
  client_id: string | null;
  org: string | null;
  role: string | null;
  action: AuditAction;
  interaction: string;
  outcome: AuditOutcome;
  status: number;
  resource_type: string | null;
  entities: string[] | null;
  query: string | null;
  source_ip: string | null;
}

const COLUMNS =
  'id, seq, recorded, request_id, client_id, org, role, action, interaction, outcome, status, resource_type, entities, query, source_ip';

/**
 * The audit trail. Append-only: there is no update or delete here, and a trigger refuses them in
 * the database. Give it a transaction-bound `Db` to record an event atomically with a write.
 */
export function createAuditRepository(db: Db): AuditRepository {
  return {
    async record(r) {
      await db.query(
        `INSERT INTO audit_events (id, recorded, request_id, client_id, org, role, action, interaction, outcome, status,
           resource_type, entities, query, source_ip)
         VALUES ($1, $2::timestamptz, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::text[], $13, $14)`,
        [
          randomUUID(),
          r.recorded.toISOString(),
          r.requestId,
          r.clientId ?? null,
          r.org ?? null,
          r.role ?? null,
          r.action,
          r.interaction,
          r.outcome,
          r.status,
          r.resourceType ?? null,
          r.entities,
          r.query ?? null,
          r.sourceIp ?? null,
        ],
      );
    },

    async read(id) {
      const { rows } = await db.query<AuditRow>(`SELECT ${COLUMNS} FROM audit_events WHERE id = $1`, [id]);
      return rows[0] && toRecord(rows[0]);
    },

    /** Newest first; `since` is inclusive, `until` exclusive. */
    async search(q) {
      const p = new SqlParams();
      const where: string[] = [];
      if (q.since) where.push(`recorded >= ${p.add(q.since.toISOString())}::timestamptz`);
      if (q.until) where.push(`recorded < ${p.add(q.until.toISOString())}::timestamptz`);
      if (q.clientId !== undefined) where.push(`client_id = ${p.add(q.clientId)}`);
      if (q.entity !== undefined) where.push(`entities @> ARRAY[${p.add(q.entity)}::text]`);
      if (q.cursor !== undefined) where.push(`seq < ${p.add(decodeCursor(q.cursor))}`);
      const { rows } = await db.query<AuditRow>(
        `SELECT ${COLUMNS} FROM audit_events ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY seq DESC LIMIT ${p.add(q.count + 1)}`,
        p.values,
      );
      const items = rows.slice(0, q.count);
      const last = items[items.length - 1];
      return { items: items.map(toRecord), next: rows.length > q.count && last ? encodeCursor(Number(last.seq)) : undefined };
    },
  };
}

function toRecord(row: AuditRow): StoredAuditRecord {
  return {
    id: row.id,
    recorded: row.recorded,
    requestId: row.request_id,
    clientId: row.client_id ?? undefined,
    org: row.org ?? undefined,
    role: row.role ?? undefined,
    action: row.action,
    interaction: row.interaction,
    outcome: row.outcome,
    status: row.status,
    resourceType: row.resource_type ?? undefined,
    entities: row.entities ?? [],
    query: row.query ?? undefined,
    sourceIp: row.source_ip ?? undefined,
  };
}
