import type { Db, DomainEventRecord, MessageRecord, MessageRepository, StayRecord } from './ports.ts';

interface MessageRow {
  header_id: string;
  bundle_id: string;
  kind: string | null;
  status: string;
  sender_sor: string | null;
  client_id: string;
  received_at: Date;
  answer_status: number;
  answer: Record<string, unknown>;
}

const COLUMNS = 'header_id, bundle_id, kind, status, sender_sor, client_id, received_at, answer_status, answer';

const toRecord = (r: MessageRow): MessageRecord => ({
  headerId: r.header_id,
  bundleId: r.bundle_id,
  kind: r.kind ?? undefined,
  status: r.status as MessageRecord['status'],
  senderSor: r.sender_sor ?? undefined,
  clientId: r.client_id,
  receivedAt: r.received_at,
  answerStatus: r.answer_status,
  answer: r.answer,
});

/** Received MedCom messages, stays and domain events (the MedCom side of the store). */
export function createMessageRepository(db: Db): MessageRepository {
  return {
    async lock(key) {
      await db.query("SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':' || $1, 0))", [`message:${key}`]);
    },
    async findByHeader(headerId) {
      const { rows } = await db.query<MessageRow>(`SELECT ${COLUMNS} FROM messages WHERE header_id = $1`, [headerId]);
      return rows[0] && toRecord(rows[0]);
    },
    async findByBundle(bundleId) {
      const { rows } = await db.query<MessageRow>(`SELECT ${COLUMNS} FROM messages WHERE bundle_id = $1 ORDER BY received_at LIMIT 1`, [bundleId]);
      return rows[0] && toRecord(rows[0]);
    },
    async payload(headerId) {
      const { rows } = await db.query<{ payload: Uint8Array; format: 'fhir-json' | 'fhir-xml' | 'oioxml'; media_type: string }>(
        'SELECT payload, format, media_type FROM messages WHERE header_id = $1',
        [headerId],
      );
      const r = rows[0];
      return r && { bytes: Buffer.from(r.payload), format: r.format, mediaType: r.media_type };
    },
    async insert(r, payload, meta) {
      await db.query(
        `INSERT INTO messages (header_id, bundle_id, kind, status, sender_sor, client_id, format, media_type, payload, received_at, answer_status, answer)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::timestamptz, $11, $12::jsonb)`,
        [r.headerId, r.bundleId, r.kind ?? null, r.status, r.senderSor ?? null, r.clientId, meta.format, meta.mediaType, payload,
          r.receivedAt.toISOString(), r.answerStatus, JSON.stringify(r.answer)],
      );
    },
    async stay(key) {
      const { rows } = await db.query<{ stay_key: string; encounter_id: string; patient_id: string; state: unknown }>(
        'SELECT stay_key, encounter_id, patient_id, state FROM stays WHERE stay_key = $1',
        [key],
      );
      const row = rows[0];
      return row && { key: row.stay_key, encounterId: row.encounter_id, patientId: row.patient_id, state: row.state };
    },
    async putStay(s: StayRecord, at) {
      await db.query(
        `INSERT INTO stays (stay_key, encounter_id, patient_id, state, updated_at) VALUES ($1, $2, $3, $4::jsonb, $5::timestamptz)
         ON CONFLICT (stay_key) DO UPDATE SET state = EXCLUDED.state, patient_id = EXCLUDED.patient_id, updated_at = EXCLUDED.updated_at`,
        [s.key, s.encounterId, s.patientId, JSON.stringify(s.state), at.toISOString()],
      );
    },
    async appendEvents(events: readonly DomainEventRecord[], at) {
      for (const e of events) {
        await db.query(
          `INSERT INTO domain_events (id, type, occurred_at, patient_id, stay_key, department_sor, episode_of_care_id, header_id, payload, recorded_at)
           VALUES ($1, $2, $3::timestamptz, $4, $5, $6, $7, $8, $9::jsonb, $10::timestamptz) ON CONFLICT (id) DO NOTHING`,
          [e.id, e.type, e.occurredAt?.toISOString() ?? null, e.patientId, e.stayKey, e.departmentSor ?? null, e.episodeOfCareId ?? null,
            e.headerId, JSON.stringify(e.payload), at.toISOString()],
        );
      }
    },
    async events(patientId) {
      const { rows } = await db.query<{ id: string; type: string; occurred_at: Date | null; patient_id: string; stay_key: string; department_sor: string | null; episode_of_care_id: string | null; header_id: string; payload: Record<string, unknown> }>(
        `SELECT id, type, occurred_at, patient_id, stay_key, department_sor, episode_of_care_id, header_id, payload
         FROM domain_events WHERE patient_id = $1 ORDER BY seq`,
        [patientId],
      );
      return rows.map((r) => ({
        id: r.id, type: r.type, occurredAt: r.occurred_at ?? undefined, patientId: r.patient_id, stayKey: r.stay_key,
        departmentSor: r.department_sor ?? undefined, episodeOfCareId: r.episode_of_care_id ?? undefined, headerId: r.header_id, payload: r.payload,
      }));
    },
    async discharges({ from, to, departmentSor }) {
      // A correction's occurred_at is the corrected time, so a discharge moved into the range is found too.
      const { rows } = await db.query<DomainEventRow>(
        `SELECT id, type, occurred_at, patient_id, stay_key, department_sor, episode_of_care_id, header_id, payload
         FROM domain_events
         WHERE type IN ('discharge', 'correction') AND payload->>'event' = 'SLHJ'
           AND occurred_at >= $1::timestamptz AND occurred_at < $2::timestamptz
           AND ($3::text IS NULL OR department_sor = $3::text)
         ORDER BY occurred_at, seq`,
        [from.toISOString(), to.toISOString(), departmentSor ?? null],
      );
      return rows.map(toDomainEventRecord);
    },
    async recordedBy({ type, departmentSor, since }) {
      const { rows } = await db.query<DomainEventRow>(
        `SELECT id, type, occurred_at, patient_id, stay_key, department_sor, episode_of_care_id, header_id, payload
         FROM domain_events WHERE type = $1 AND department_sor = $2 AND occurred_at >= $3::timestamptz ORDER BY seq`,
        [type, departmentSor, since.toISOString()],
      );
      return rows.map(toDomainEventRecord);
    },
  };
}

interface DomainEventRow {
  id: string;
  type: string;
  occurred_at: Date | null;
  patient_id: string;
  stay_key: string;
  department_sor: string | null;
  episode_of_care_id: string | null;
  header_id: string;
  payload: Record<string, unknown>;
}

const toDomainEventRecord = (r: DomainEventRow): DomainEventRecord => ({
  id: r.id, type: r.type, occurredAt: r.occurred_at ?? undefined, patientId: r.patient_id, stayKey: r.stay_key,
  departmentSor: r.department_sor ?? undefined, episodeOfCareId: r.episode_of_care_id ?? undefined, headerId: r.header_id, payload: r.payload,
});
