import { badRequest } from '../shared/index.ts';
import { localDateOf, localToInstant } from '../shared/time.ts';
import { SqlParams } from './cursor.ts';
import type {
  Db,
  ExclusionReason,
  ExpectationState,
  TimelinessClock,
  TimelinessDocumentType,
  TimelinessExpectation,
  TimelinessFilter,
  TimelinessGroupBy,
  TimelinessRepository,
} from './ports.ts';

interface ExpectationRow {
  id: string;
  document_type: string;
  source: string;
  discharge_key: string;
  patient_id: string;
  stay_key: string | null;
  episode_of_care_id: string | null;
  hospital_sor: string;
  department_sor: string | null;
  discharged_at: Date | null;
  due_at: Date | null;
  rule: string;
  calendar: string;
  clock: string;
  state: string;
  exclusion_reason: string | null;
  exclusion_source: string | null;
  expected_recipients: string[];
  document_key: string | null;
  document_reference_id: string | null;
  document_reference_ids: string[];
  received_at: Date | null;
  sent_at: Date | null;
  delivered_at: Date | null;
  working_days_elapsed: number | null;
  within_three: boolean | null;
  delivered_working_days_elapsed: number | null;
  delivered_within_three: boolean | null;
  alerted_at: Date | null;
  alert_attempts: number;
  created_at: Date;
  updated_at: Date;
}

/** Mutable columns in the order `save` and `insert` bind them (after id). */
const FIELDS = [
  'document_type', 'source', 'discharge_key', 'patient_id', 'stay_key', 'episode_of_care_id', 'hospital_sor', 'department_sor',
  'discharged_at', 'due_at', 'rule', 'calendar', 'clock', 'state', 'exclusion_reason', 'exclusion_source', 'expected_recipients',
  'document_key', 'document_reference_id', 'document_reference_ids', 'received_at', 'sent_at', 'delivered_at', 'working_days_elapsed',
  'within_three', 'delivered_working_days_elapsed', 'delivered_within_three', 'alerted_at', 'alert_attempts', 'created_at', 'updated_at',
] as const;

const CASTS: Partial<Record<(typeof FIELDS)[number], string>> = {
  discharged_at: '::timestamptz', due_at: '::timestamptz', received_at: '::timestamptz', sent_at: '::timestamptz',
  delivered_at: '::timestamptz', alerted_at: '::timestamptz', created_at: '::timestamptz', updated_at: '::timestamptz',
  expected_recipients: '::text[]', document_reference_ids: '::text[]',
};

const COLUMNS = `id, ${FIELDS.join(', ')}`;

const u = <T>(v: T | null): T | undefined => v ?? undefined;
const iso = (d: Date | undefined): string | null => d?.toISOString() ?? null;

const toRecord = (r: ExpectationRow): TimelinessExpectation => ({
  id: r.id,
  documentType: r.document_type as TimelinessDocumentType,
  source: r.source as TimelinessExpectation['source'],
  dischargeKey: r.discharge_key,
  patientId: r.patient_id,
  stayKey: u(r.stay_key),
  episodeOfCareId: u(r.episode_of_care_id),
  hospitalSor: r.hospital_sor,
  departmentSor: u(r.department_sor),
  dischargedAt: u(r.discharged_at),
  dueAt: u(r.due_at),
  rule: r.rule,
  calendar: r.calendar,
  clock: r.clock as TimelinessClock,
  state: r.state as ExpectationState,
  exclusionReason: u(r.exclusion_reason) as ExclusionReason | undefined,
  exclusionSource: u(r.exclusion_source),
  expectedRecipients: r.expected_recipients,
  documentKey: u(r.document_key),
  documentReferenceId: u(r.document_reference_id),
  documentReferenceIds: r.document_reference_ids,
  receivedAt: u(r.received_at),
  sentAt: u(r.sent_at),
  deliveredAt: u(r.delivered_at),
  workingDaysElapsed: u(r.working_days_elapsed),
  withinThree: u(r.within_three),
  deliveredWorkingDaysElapsed: u(r.delivered_working_days_elapsed),
  deliveredWithinThree: u(r.delivered_within_three),
  alertedAt: u(r.alerted_at),
  alertAttempts: r.alert_attempts,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const values = (e: TimelinessExpectation): unknown[] => [
  e.id, e.documentType, e.source, e.dischargeKey, e.patientId, e.stayKey ?? null, e.episodeOfCareId ?? null, e.hospitalSor,
  e.departmentSor ?? null, iso(e.dischargedAt), iso(e.dueAt), e.rule, e.calendar, e.clock, e.state, e.exclusionReason ?? null,
  e.exclusionSource ?? null, e.expectedRecipients, e.documentKey ?? null, e.documentReferenceId ?? null, e.documentReferenceIds,
  iso(e.receivedAt), iso(e.sentAt), iso(e.deliveredAt), e.workingDaysElapsed ?? null, e.withinThree ?? null,
  e.deliveredWorkingDaysElapsed ?? null, e.deliveredWithinThree ?? null, iso(e.alertedAt), e.alertAttempts,
  e.createdAt.toISOString(), e.updatedAt.toISOString(),
];

const placeholders = (offset = 0): string => [`$${String(offset + 1)}`, ...FIELDS.map((f, i) => `$${String(offset + i + 2)}${CASTS[f] ?? ''}`)].join(', ');

/** The time that decides a row's on-time under a clock; column names from this fixed list only. */
const CLOCK_COLUMN: Readonly<Record<TimelinessClock, { at: string; withinThree: string }>> = {
  sent: { at: 'sent_at', withinThree: 'within_three' },
  delivered: { at: 'delivered_at', withinThree: 'delivered_within_three' },
};

/** The row's own clock time (a row keeps the clock it was created under, like its rule and calendar). */
const ROW_CLOCK_AT = "(CASE clock WHEN 'delivered' THEN delivered_at ELSE sent_at END)";

/**
 * A row's state at a moment, in SQL (the stored `state` may lag until the next refresh):
 * the same decision as the tracker's `stateOf`.
 */
const liveState = (now: string, atRisk: string): string => `(CASE
  WHEN exclusion_reason IS NOT NULL THEN 'excluded'
  WHEN discharged_at IS NULL OR due_at IS NULL THEN 'awaiting-discharge'
  WHEN ${ROW_CLOCK_AT} IS NOT NULL THEN (CASE WHEN ${ROW_CLOCK_AT} <= due_at THEN 'on-time' ELSE 'late' END)
  WHEN due_at < ${now} THEN 'overdue'
  WHEN due_at <= ${now} + ${atRisk} THEN 'at-risk'
  ELSE 'pending' END)`;

/**
 * Group keys. Months are Copenhagen calendar months (domain.md §1.3): a discharge at 00:30 on
 * 1 April local time belongs to April whatever the server's zone.
 */
const GROUP_KEY: Readonly<Record<TimelinessGroupBy, string>> = {
  month: "to_char(date_trunc('month', discharged_at AT TIME ZONE 'Europe/Copenhagen'), 'YYYY-MM')",
  hospital: 'hospital_sor',
  department: "coalesce(department_sor, 'unknown')",
  documentType: 'document_type',
};

/** The same keys over the daily totals (`day` is already the Copenhagen date; '' is an unknown department). */
const DAILY_GROUP_KEY: Readonly<Record<TimelinessGroupBy, string>> = {
  month: "to_char(day, 'YYYY-MM')",
  hospital: 'hospital_sor',
  department: "coalesce(nullif(department_sor, ''), 'unknown')",
  documentType: 'document_type',
};

/** The daily totals' columns for each clock. */
const DAILY_COLUMNS: Readonly<Record<TimelinessClock, { onTime: string; late: string; withinThree: string }>> = {
  sent: { onTime: 'sent_on_time', late: 'sent_late', withinThree: 'sent_within_three' },
  delivered: { onTime: 'delivered_on_time', late: 'delivered_late', withinThree: 'delivered_within_three' },
};

/** The hospital, department and document type filters (the columns are named alike in the rows and the totals). */
function dimensionConditions(q: TimelinessFilter, p: SqlParams): string[] {
  const where: string[] = [];
  if (q.hospitalSor !== undefined) where.push(`hospital_sor = ${p.add(q.hospitalSor)}`);
  if (q.departmentSor !== undefined) where.push(`department_sor = ${p.add(q.departmentSor)}`);
  if (q.documentType !== undefined) where.push(`document_type = ${p.add(q.documentType)}`);
  return where;
}

const dimensionSql = (q: TimelinessFilter, p: SqlParams): string => dimensionConditions(q, p).map((w) => ` AND ${w}`).join('');

const addDay = (date: string): string => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
const midnight = (date: string): Date => {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return localToInstant({ year, month, day });
};

/**
 * The whole Copenhagen days inside [from, to]: [firstDay, endDay) as dates, [from, to) as instants.
 * None (from = to) when the range holds no whole day; then every row is counted from the table.
 */
export function wholeDays(from: Date, to: Date): { firstDay: string; endDay: string; from: Date; to: Date } {
  let firstDay = localDateOf(from);
  if (midnight(firstDay).getTime() < from.getTime()) firstDay = addDay(firstDay);
  const endDay = localDateOf(to);
  const start = midnight(firstDay);
  const end = midnight(endDay);
  return start.getTime() < end.getTime() ? { firstDay, endDay, from: start, to: end } : { firstDay: endDay, endDay, from: end, to: end };
}

function filterSql(q: TimelinessFilter, p: SqlParams): string[] {
  return [`discharged_at >= ${p.add(q.from.toISOString())}::timestamptz`, `discharged_at <= ${p.add(q.to.toISOString())}::timestamptz`, ...dimensionConditions(q, p)];
}

/** Drill-down pages run in (discharged_at, id) order; the cursor holds the last row served. */
function encodeListCursor(e: TimelinessExpectation): string {
  return Buffer.from(`d${String(e.dischargedAt?.getTime() ?? 0)}|${e.id}`, 'utf8').toString('base64url');
}

function decodeListCursor(cursor: string): { at: Date; id: string } {
  const m = /^d(\d{1,15})\|([A-Za-z0-9-]{1,64})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m?.[1] || !m[2]) throw badRequest('_cursor is not a cursor this server issued', ['_cursor'], 'value');
  return { at: new Date(Number(m[1])), id: m[2] };
}

/** Timeliness expectations (issue #7): the tracker writes them inside the writers' transactions; the indicator reads them. */
export function createTimelinessRepository(db: Db): TimelinessRepository {
  const select = async (where: string, params: unknown[], tail = ''): Promise<TimelinessExpectation[]> => {
    const { rows } = await db.query<ExpectationRow>(`SELECT ${COLUMNS} FROM timeliness_expectations WHERE ${where} ${tail}`, params);
    return rows.map(toRecord);
  };
  return {
    async lockPatient(patientId) {
      await db.query("SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':' || $1, 0))", [`timeliness:${patientId}`]);
    },
    async markApplied(eventId, at) {
      const { rows } = await db.query<{ event_id: string }>(
        'INSERT INTO timeliness_applied_events (event_id, applied_at) VALUES ($1, $2::timestamptz) ON CONFLICT (event_id) DO NOTHING RETURNING event_id',
        [eventId, at.toISOString()],
      );
      return rows.length > 0;
    },
    async insert(e) {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO timeliness_expectations (${COLUMNS}) VALUES (${placeholders()}) ON CONFLICT DO NOTHING RETURNING id`,
        values(e),
      );
      return rows.length > 0;
    },
    async save(e) {
      const sets = FIELDS.filter((f) => f !== 'created_at').map((f) => `${f} = EXCLUDED.${f}`).join(', ');
      await db.query(
        `INSERT INTO timeliness_expectations (${COLUMNS}) VALUES (${placeholders()}) ON CONFLICT (id) DO UPDATE SET ${sets}`,
        values(e),
      );
    },
    async get(id) {
      return (await select('id = $1', [id]))[0];
    },
    async getMany(ids) {
      return ids.length === 0 ? [] : select('id = ANY($1::text[])', [[...ids]], 'ORDER BY id');
    },
    async insertMany(rows) {
      if (rows.length === 0) return 0;
      const width = FIELDS.length + 1;
      const tuples = rows.map((_, k) => `(${placeholders(k * width)})`).join(', ');
      const { rows: created } = await db.query<{ id: string }>(
        `INSERT INTO timeliness_expectations (${COLUMNS}) VALUES ${tuples} ON CONFLICT DO NOTHING RETURNING id`,
        rows.flatMap(values),
      );
      return created.length;
    },
    async byPatient(patientId) {
      return select('patient_id = $1', [patientId], 'ORDER BY created_at, id');
    },
    async byDocumentReference(documentReferenceId) {
      return select('document_reference_ids @> ARRAY[$1]::text[]', [documentReferenceId], 'ORDER BY id');
    },
    async refreshStates(now, atRiskMs) {
      const next = `(CASE WHEN due_at < $1::timestamptz THEN 'overdue' WHEN due_at <= $1::timestamptz + $2::interval THEN 'at-risk' ELSE 'pending' END)`;
      const { rows } = await db.query<{ id: string }>(
        `UPDATE timeliness_expectations SET state = ${next}, updated_at = $1::timestamptz
         WHERE state IN ('pending', 'at-risk', 'overdue') AND state <> ${next} RETURNING id`,
        [now.toISOString(), `${String(atRiskMs)} milliseconds`],
      );
      return rows.length;
    },
    async claimAlerts(now, leaseUntil, limit) {
      const { rows } = await db.query<ExpectationRow>(
        `UPDATE timeliness_expectations SET alert_lease_until = $2::timestamptz, alert_attempts = alert_attempts + 1
         WHERE id IN (
           SELECT id FROM timeliness_expectations
           WHERE state = 'overdue' AND alerted_at IS NULL AND (alert_lease_until IS NULL OR alert_lease_until < $1::timestamptz)
           ORDER BY due_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING ${COLUMNS}`,
        [now.toISOString(), leaseUntil.toISOString(), limit],
      );
      return rows.map(toRecord).sort((a, b) => (a.dueAt?.getTime() ?? 0) - (b.dueAt?.getTime() ?? 0) || (a.id < b.id ? -1 : 1));
    },
    async markAlerted(id, at) {
      await db.query('UPDATE timeliness_expectations SET alerted_at = $2::timestamptz, alert_lease_until = NULL WHERE id = $1', [id, at.toISOString()]);
    },
    async releaseAlert(id) {
      await db.query('UPDATE timeliness_expectations SET alert_lease_until = NULL WHERE id = $1', [id]);
    },
    async kpi(q) {
      // Whole Copenhagen days of the range come from the daily totals (migration 0009); the partial days at
      // its ends, and pending/overdue (they depend on `now`), are counted from the rows. One statement.
      const days = wholeDays(q.from, q.to);
      const p = new SqlParams();
      const from = `${p.add(q.from.toISOString())}::timestamptz`;
      const to = `${p.add(q.to.toISOString())}::timestamptz`;
      const wholeFrom = `${p.add(days.from.toISOString())}::timestamptz`;
      const wholeTo = `${p.add(days.to.toISOString())}::timestamptz`;
      const now = `${p.add(q.now.toISOString())}::timestamptz`;
      const dims = dimensionSql(q, p);
      const { at, withinThree } = CLOCK_COLUMN[q.clock];
      const totals = DAILY_COLUMNS[q.clock];
      const counted = 'exclusion_reason IS NULL';
      const { rows } = await db.query<{ key: string; discharges: number; excluded: number; sent: number; on_time: number; late: number; pending: number; overdue: number; within_three: number }>(
        `WITH parts AS (
           SELECT ${GROUP_KEY[q.groupBy]} AS key,
             count(*) AS discharges,
             count(*) FILTER (WHERE exclusion_reason IS NOT NULL) AS excluded,
             count(*) FILTER (WHERE ${counted} AND sent_at IS NOT NULL) AS sent,
             count(*) FILTER (WHERE ${counted} AND ${at} <= due_at) AS on_time,
             count(*) FILTER (WHERE ${counted} AND ${at} > due_at) AS late,
             count(*) FILTER (WHERE ${counted} AND ${at} IS NULL AND due_at >= ${now}) AS pending,
             count(*) FILTER (WHERE ${counted} AND ${at} IS NULL AND due_at < ${now}) AS overdue,
             count(*) FILTER (WHERE ${counted} AND ${at} IS NOT NULL AND ${withinThree}) AS within_three
           FROM timeliness_expectations
           WHERE discharged_at >= ${from} AND discharged_at <= ${to} AND (discharged_at < ${wholeFrom} OR discharged_at >= ${wholeTo})${dims}
           GROUP BY 1
         UNION ALL
           SELECT ${DAILY_GROUP_KEY[q.groupBy]}, sum(discharges), sum(excluded), sum(sent), sum(${totals.onTime}), sum(${totals.late}), 0, 0, sum(${totals.withinThree})
           FROM (SELECT * FROM timeliness_daily UNION ALL SELECT * FROM timeliness_daily_delta) AS d
           WHERE day >= ${p.add(days.firstDay)}::date AND day < ${p.add(days.endDay)}::date${dims}
           GROUP BY 1
         UNION ALL
           SELECT ${GROUP_KEY[q.groupBy]}, 0, 0, 0, 0, 0,
             count(*) FILTER (WHERE due_at >= ${now}), count(*) FILTER (WHERE due_at < ${now}), 0
           FROM timeliness_expectations
           WHERE ${counted} AND ${at} IS NULL AND discharged_at >= ${wholeFrom} AND discharged_at < ${wholeTo}${dims}
           GROUP BY 1
         )
         SELECT key, sum(discharges)::int AS discharges, sum(excluded)::int AS excluded, sum(sent)::int AS sent,
           sum(on_time)::int AS on_time, sum(late)::int AS late, sum(pending)::int AS pending, sum(overdue)::int AS overdue,
           sum(within_three)::int AS within_three
         FROM parts GROUP BY key HAVING sum(discharges) > 0 ORDER BY key`,
        p.values,
      );
      return rows.map((r) => ({
        key: r.key, discharges: r.discharges, excluded: r.excluded, sent: r.sent, onTime: r.on_time, late: r.late,
        pending: r.pending, overdue: r.overdue, withinThree: r.within_three,
      }));
    },
    async compactDaily() {
      const { rows } = await db.query<{ folded: number }>('SELECT timeliness_compact_daily() AS folded');
      return rows[0]?.folded ?? 0;
    },
    async list(q) {
      const p = new SqlParams();
      const where = filterSql(q, p);
      if (q.state !== undefined) {
        where.push(`${liveState(`${p.add(q.now.toISOString())}::timestamptz`, `${p.add(`${String(q.atRiskMs)} milliseconds`)}::interval`)} = ${p.add(q.state)}`);
      }
      if (q.cursor !== undefined) {
        const c = decodeListCursor(q.cursor);
        where.push(`(discharged_at, id) > (${p.add(c.at.toISOString())}::timestamptz, ${p.add(c.id)})`);
      }
      const items = await select(where.join(' AND '), p.values, `ORDER BY discharged_at, id LIMIT ${p.add(q.count + 1)}`);
      const page = items.slice(0, q.count);
      const last = page.at(-1);
      return { items: page, next: items.length > q.count && last ? encodeListCursor(last) : undefined };
    },
    async open(q) {
      const p = new SqlParams();
      const now = `${p.add(q.now.toISOString())}::timestamptz`;
      // The (state, due_at) index finds the candidates; the row's own clock and `now` decide.
      const where = [
        "state IN ('pending', 'at-risk', 'overdue')",
        `due_at <= ${now} + ${p.add(`${String(q.atRiskMs)} milliseconds`)}::interval`,
        'exclusion_reason IS NULL',
        `${ROW_CLOCK_AT} IS NULL`,
      ];
      if (q.hospitalSor !== undefined) where.push(`hospital_sor = ${p.add(q.hospitalSor)}`);
      return select(where.join(' AND '), p.values, `ORDER BY due_at, id LIMIT ${p.add(q.limit)}`);
    },
    async stateCounts(now, atRiskMs) {
      // Counting every row's state took about a second per scrape at a million rows: settled states come from
      // the daily totals (migration 0009), the rest from the rows without a discharge and the unsent rows' index
      // (timeliness_open_own_clock: its predicate is written exactly as here, or PostgreSQL will not use it).
      const byDeadline = `CASE WHEN due_at < $1::timestamptz THEN 'overdue' WHEN due_at <= $1::timestamptz + $2::interval THEN 'at-risk' ELSE 'pending' END`;
      const totals = '(SELECT * FROM timeliness_daily UNION ALL SELECT * FROM timeliness_daily_delta) AS d';
      const { rows } = await db.query<{ state: ExpectationState; document_type: TimelinessDocumentType; count: number }>(
        `WITH parts AS (
           SELECT 'excluded' AS state, document_type, sum(excluded) AS n FROM ${totals} GROUP BY 2
           UNION ALL SELECT 'awaiting-discharge', document_type, sum(no_deadline) FROM ${totals} GROUP BY 2
           UNION ALL SELECT 'on-time', document_type, sum(own_on_time) FROM ${totals} GROUP BY 2
           UNION ALL SELECT 'late', document_type, sum(own_late) FROM ${totals} GROUP BY 2
           UNION ALL SELECT ${liveState('$1::timestamptz', '$2::interval')}, document_type, count(*)
             FROM timeliness_expectations WHERE discharged_at IS NULL GROUP BY 1, 2
           UNION ALL SELECT ${byDeadline}, document_type, count(*) FROM timeliness_expectations
             WHERE exclusion_reason IS NULL AND discharged_at IS NOT NULL AND ${ROW_CLOCK_AT} IS NULL AND due_at IS NOT NULL GROUP BY 1, 2
         )
         SELECT state, document_type, sum(n)::int AS count FROM parts GROUP BY 1, 2 HAVING sum(n) > 0 ORDER BY 1, 2`,
        [now.toISOString(), `${String(atRiskMs)} milliseconds`],
      );
      return rows.map((r) => ({ state: r.state, documentType: r.document_type, count: r.count }));
    },
  };
}
