import type { Db, DocumentRecord, DocumentRepository } from './ports.ts';

interface DocumentRow {
  id: string;
  document_key: string;
  version: number;
  content_hash: string;
  format: string;
  media_type: string;
  document_type: string;
  status: string;
  sender_org: string;
  client_id: string;
  bundle_id: string;
  document_reference_id: string;
  document_timestamp: Date;
  received_at: Date;
  mapping: string | null;
  answer_status: number;
  answer: Record<string, unknown>;
}

/** The payload is left out of every read: it can be megabytes and is only ever written. */
const COLUMNS = `id, document_key, version, content_hash, format, media_type, document_type, status, sender_org,
  client_id, bundle_id, document_reference_id, document_timestamp, received_at, mapping, answer_status, answer`;

const toRecord = (r: DocumentRow): DocumentRecord => ({
  id: r.id,
  documentKey: r.document_key,
  version: r.version,
  contentHash: r.content_hash,
  format: r.format as DocumentRecord['format'],
  mediaType: r.media_type,
  documentType: r.document_type,
  status: r.status as DocumentRecord['status'],
  senderOrg: r.sender_org,
  clientId: r.client_id,
  bundleId: r.bundle_id,
  documentReferenceId: r.document_reference_id,
  documentTimestamp: r.document_timestamp,
  receivedAt: r.received_at,
  mapping: r.mapping ?? undefined,
  answerStatus: r.answer_status,
  answer: r.answer,
});

export function createDocumentRepository(db: Db): DocumentRepository {
  return {
    async lock(documentKey) {
      await db.query("SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':' || $1, 0))", [`document:${documentKey}`]);
    },
    async versions(documentKey) {
      const { rows } = await db.query<DocumentRow>(
        `SELECT ${COLUMNS} FROM documents WHERE document_key = $1 ORDER BY version`,
        [documentKey],
      );
      return rows.map(toRecord);
    },
    async insert(record, payload) {
      await db.query(
        `INSERT INTO documents (id, document_key, version, content_hash, format, media_type, payload, document_type, status,
           sender_org, client_id, bundle_id, document_reference_id, document_timestamp, received_at, mapping, answer_status, answer)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::timestamptz, $15::timestamptz, $16, $17, $18::jsonb)`,
        [
          record.id, record.documentKey, record.version, record.contentHash, record.format, record.mediaType, payload,
          record.documentType, record.status, record.senderOrg, record.clientId, record.bundleId, record.documentReferenceId,
          record.documentTimestamp.toISOString(), record.receivedAt.toISOString(), record.mapping ?? null, record.answerStatus,
          JSON.stringify(record.answer),
        ],
      );
    },
    async setStatus(id, status) {
      await db.query('UPDATE documents SET status = $2 WHERE id = $1', [id, status]);
    },
    async byReference(documentReferenceId) {
      const { rows } = await db.query<DocumentRow>(`SELECT ${COLUMNS} FROM documents WHERE document_reference_id = $1`, [documentReferenceId]);
      return rows[0] && toRecord(rows[0]);
    },
    async payload(id) {
      const { rows } = await db.query<{ payload: Uint8Array }>('SELECT payload FROM documents WHERE id = $1', [id]);
      return rows[0] && Buffer.from(rows[0].payload);
    },
  };
}
