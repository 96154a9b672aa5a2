/**
 * The pure part of timeliness tracking (issue #7, domain.md §2-3): which rule a document type is
 * measured by, what a row's deadline and measurement are, which state it is in at a moment, and
 * which expectation a document or a discharge belongs to. No store access here.
 */
import { deterministicId } from '../shared/index.ts';
import { formatCopenhagen, localDateOf } from '../shared/time.ts';
import type {
  ExclusionReason,
  ExpectationState,
  TimelinessClock,
  TimelinessDocumentType,
  TimelinessExpectation,
  TimelinessKpiRow,
} from '../store/index.ts';
import { DEFAULT_CALENDAR_ID, getCalendar, parseCalendarId } from './calendar.ts';
import type { CalendarId } from './calendar.ts';
import { DEFAULT_DEADLINE_RULE, computeDeadline, endOfLocalDay, parseDeadlineRule, versionedRef } from './deadline.ts';
import type { DeadlineRule } from './deadline.ts';

/** Configuration of the tracker and the indicator (Config.timeliness). */
export interface TimelinessSettings {
  /** Working-day calendar for new expectations (TIMELINESS_CALENDAR). */
  readonly calendar: CalendarId;
  /** The epikrise deadline rule for new expectations (TIMELINESS_RULE). */
  readonly rule: DeadlineRule;
  /** A row turns at-risk this many hours before it is due (TIMELINESS_AT_RISK_HOURS). */
  readonly atRiskHours: number;
  /** The indicator's target share, 0-1 (TIMELINESS_TARGET). */
  readonly target: number;
  /** Which time the indicator measures (TIMELINESS_CLOCK). */
  readonly clock: TimelinessClock;
  /** Where overdue alerts are POSTed; undefined: log only (TIMELINESS_ALERT_WEBHOOK). */
  readonly alertWebhook: string | undefined;
}

export const DEFAULT_TIMELINESS_SETTINGS: TimelinessSettings = {
  calendar: DEFAULT_CALENDAR_ID,
  rule: DEFAULT_DEADLINE_RULE,
  atRiskHours: 4,
  target: 0.9,
  clock: 'sent',
  alertWebhook: undefined,
};

export const TRACKED_DOCUMENT_TYPES: readonly TimelinessDocumentType[] = ['epikrise', 'udskrivningsrapport', 'genoptraeningsplan'];

export const isTrackedDocumentType = (type: string): type is TimelinessDocumentType => (TRACKED_DOCUMENT_TYPES as readonly string[]).includes(type);

export const EXCLUSION_REASONS: readonly ExclusionReason[] = ['death', 'transfer', 'no-gp', 'objection', 'cancelled'];

export const EXPECTATION_STATES: readonly ExpectationState[] = ['awaiting-discharge', 'pending', 'at-risk', 'overdue', 'on-time', 'late', 'excluded'];

/**
 * The udskrivningsrapport goes "at discharge" and the genoptræningsplan "by the discharge day"
 * (domain.md §3): both are due by the end of the local discharge day, whatever the calendar.
 */
export const DISCHARGE_DAY_RULE = { id: 'discharge-day', version: '2024.1' } as const;

const DAY_MS = 86_400_000;
/** A document matches a discharge up to this long after it (the brief's "up to 30 days before"). */
const MATCH_WINDOW_MS = 30 * DAY_MS;
/** Two sources telling one discharge (a document's Encounter end, the SLHJ) agree within this. */
const SAME_DISCHARGE_MS = DAY_MS;

/** The `id@version` of the rule a new expectation of this type is measured by. */
export function ruleFor(type: TimelinessDocumentType, settings: TimelinessSettings): string {
  return type === 'epikrise' ? versionedRef(settings.rule) : versionedRef(DISCHARGE_DAY_RULE);
}

const idOf = (ref: string): string => ref.slice(0, ref.lastIndexOf('@') < 0 ? ref.length : ref.lastIndexOf('@'));

/**
 * Measures with the rule and calendar stored on the row (by id; the code of the current version
 * computes), so a changed setting never re-measures old rows.
 */
function storedRule(ref: string): DeadlineRule | typeof DISCHARGE_DAY_RULE {
  const id = idOf(ref);
  return id === DISCHARGE_DAY_RULE.id ? DISCHARGE_DAY_RULE : parseDeadlineRule(id);
}

function storedCalendar(ref: string): CalendarId {
  const id = parseCalendarId(idOf(ref));
  if (id === undefined) throw new RangeError(`Unknown calendar "${ref}"`);
  return id;
}

export interface Measurement {
  dueAt: Date;
  workingDaysElapsed: number | undefined;
  withinThree: boolean | undefined;
  deliveredWorkingDaysElapsed: number | undefined;
  deliveredWithinThree: boolean | undefined;
}

/** Deadline and working days elapsed to each clock, from the discharge, with the row's rule and calendar. */
export function measure(input: { dischargedAt: Date; sentAt?: Date | undefined; deliveredAt?: Date | undefined; rule: string; calendar: string }): Measurement {
  const rule = storedRule(input.rule);
  const calendar = storedCalendar(input.calendar);
  const deadlineRule = 'kind' in rule ? rule : undefined;
  const sent = computeDeadline({ dischargedAt: input.dischargedAt, sentAt: input.sentAt, calendar, rule: deadlineRule });
  const delivered = computeDeadline({ dischargedAt: input.dischargedAt, sentAt: input.deliveredAt, calendar, rule: deadlineRule });
  return {
    dueAt: deadlineRule ? sent.dueBy : endOfLocalDay(localDateOf(input.dischargedAt)),
    workingDaysElapsed: sent.workingDaysElapsed ?? undefined,
    withinThree: sent.withinThreeWorkingDays ?? undefined,
    deliveredWorkingDaysElapsed: delivered.workingDaysElapsed ?? undefined,
    deliveredWithinThree: delivered.withinThreeWorkingDays ?? undefined,
  };
}

/** The time a row is measured by: when Sektorbro dispatched it, or when the receiver took it. */
export const clockTime = (e: Pick<TimelinessExpectation, 'clock' | 'sentAt' | 'deliveredAt'>): Date | undefined =>
  e.clock === 'delivered' ? e.deliveredAt : e.sentAt;

/**
 * A row's state at `now`. Sent exactly at the deadline is on time; nothing sent after it is
 * overdue; within `atRiskMs` before it, at risk.
 */
export function stateOf(
  e: Pick<TimelinessExpectation, 'exclusionReason' | 'dischargedAt' | 'dueAt' | 'clock' | 'sentAt' | 'deliveredAt'>,
  now: Date,
  atRiskMs: number,
): ExpectationState {
  if (e.exclusionReason !== undefined) return 'excluded';
  if (e.dischargedAt === undefined || e.dueAt === undefined) return 'awaiting-discharge';
  const at = clockTime(e);
  if (at !== undefined) return at.getTime() <= e.dueAt.getTime() ? 'on-time' : 'late';
  if (now.getTime() > e.dueAt.getTime()) return 'overdue';
  if (now.getTime() >= e.dueAt.getTime() - atRiskMs) return 'at-risk';
  return 'pending';
}

export const atRiskMsOf = (settings: Pick<TimelinessSettings, 'atRiskHours'>): number => Math.round(settings.atRiskHours * 3_600_000);

/** Recomputes the derived fields (deadline, working days, state) of a row after its inputs changed. */
export function remeasure(e: TimelinessExpectation, now: Date, atRiskMs: number): TimelinessExpectation {
  const m = e.dischargedAt === undefined ? undefined : measure({ dischargedAt: e.dischargedAt, sentAt: e.sentAt, deliveredAt: e.deliveredAt, rule: e.rule, calendar: e.calendar });
  const next: TimelinessExpectation = {
    ...e,
    dueAt: m?.dueAt,
    workingDaysElapsed: m?.workingDaysElapsed,
    withinThree: m?.withinThree,
    deliveredWorkingDaysElapsed: m?.deliveredWorkingDaysElapsed,
    deliveredWithinThree: m?.deliveredWithinThree,
  };
  return { ...next, state: stateOf(next, now, atRiskMs), updatedAt: now };
}

/** Where a row's discharge time comes from, as a comparable point: the discharge, else (awaiting) the document. */
const anchorOf = (e: TimelinessExpectation): Date | undefined => e.dischargedAt ?? e.receivedAt;

const episodesConflict = (a: string | undefined, b: string | undefined): boolean => a !== undefined && b !== undefined && a !== b;
const episodesAgree = (a: string | undefined, b: string | undefined): boolean => a !== undefined && b !== undefined && a === b;

const closestTo = (target: Date, rows: readonly TimelinessExpectation[]): TimelinessExpectation | undefined =>
  [...rows].sort((a, b) => Math.abs((anchorOf(a)?.getTime() ?? 0) - target.getTime()) - Math.abs((anchorOf(b)?.getTime() ?? 0) - target.getTime()) || (a.id < b.id ? -1 : 1))[0];

const mostRecent = (rows: readonly TimelinessExpectation[]): TimelinessExpectation | undefined =>
  [...rows].sort((a, b) => (anchorOf(b)?.getTime() ?? 0) - (anchorOf(a)?.getTime() ?? 0) || (a.id < b.id ? -1 : 1))[0];

/** What a stored document tells the matcher. */
export interface DocumentFacts {
  documentKey: string;
  episodeOfCareId: string | undefined;
  encounterEnd: Date | undefined;
  receivedAt: Date;
}

/**
 * The expectation a document belongs to, among rows of its type (and patient): the one it was
 * matched to before (an earlier version); else one of the same episode of care; else, where
 * either lacks an episode id, the most recent discharge up to 30 days before the document arrived
 * (when the document states its Encounter end, the discharge within a day of it). Rows of another
 * episode, and cancelled discharges, never match. Rows not yet matched to another document come first.
 */
export function matchDocument(rows: readonly TimelinessExpectation[], doc: DocumentFacts): TimelinessExpectation | undefined {
  const same = rows.find((r) => r.documentKey === doc.documentKey);
  if (same) return same;
  const live = rows.filter((r) => r.exclusionReason !== 'cancelled' && !episodesConflict(r.episodeOfCareId, doc.episodeOfCareId));
  const pick = (candidates: TimelinessExpectation[]): TimelinessExpectation | undefined => {
    const free = candidates.filter((r) => r.documentKey === undefined);
    const pool = free.length > 0 ? free : candidates;
    return doc.encounterEnd ? closestTo(doc.encounterEnd, pool) : mostRecent(pool);
  };
  const byEpisode = live.filter((r) => episodesAgree(r.episodeOfCareId, doc.episodeOfCareId));
  if (byEpisode.length > 0) return pick(byEpisode);
  const received = doc.receivedAt.getTime();
  const byTime = live.filter((r) => {
    const anchor = anchorOf(r)?.getTime();
    if (anchor === undefined) return false;
    if (doc.encounterEnd !== undefined && r.dischargedAt !== undefined) return Math.abs(r.dischargedAt.getTime() - doc.encounterEnd.getTime()) <= SAME_DISCHARGE_MS;
    return anchor >= received - MATCH_WINDOW_MS && anchor <= received + SAME_DISCHARGE_MS;
  });
  return pick(byTime);
}

/** A discharge as a HospitalNotification tells it. */
export interface DischargeFacts {
  dischargeKey: string;
  at: Date;
  episodeOfCareId: string | undefined;
}

/**
 * Rows a notified discharge takes over, at most one per document type: rows made from a document
 * (or waiting for their discharge) of the same episode of care, else, without episode ids on both,
 * a document-made row whose discharge lies within a day of it, or a waiting row whose document
 * arrived within 30 days of it. The notification's discharge time then rules (the HN is the
 * real-time registration); rows of other notified discharges are never taken.
 */
export function adoptable(rows: readonly TimelinessExpectation[], d: DischargeFacts): TimelinessExpectation[] {
  const out: TimelinessExpectation[] = [];
  for (const type of TRACKED_DOCUMENT_TYPES) {
    const candidates = rows.filter(
      (r) =>
        r.documentType === type &&
        r.dischargeKey !== d.dischargeKey &&
        (r.source === 'document' || r.dischargedAt === undefined) &&
        r.exclusionReason !== 'cancelled' &&
        !episodesConflict(r.episodeOfCareId, d.episodeOfCareId),
    );
    const byEpisode = candidates.filter((r) => episodesAgree(r.episodeOfCareId, d.episodeOfCareId));
    const byTime = candidates.filter((r) =>
      r.dischargedAt !== undefined
        ? Math.abs(r.dischargedAt.getTime() - d.at.getTime()) <= SAME_DISCHARGE_MS
        : r.receivedAt !== undefined && Math.abs(r.receivedAt.getTime() - d.at.getTime()) <= MATCH_WINDOW_MS,
    );
    const chosen = closestTo(d.at, byEpisode.length > 0 ? byEpisode : byTime);
    if (chosen) out.push(chosen);
  }
  return out;
}

/** One group of the indicator as the API answers it. */
export interface KpiGroup {
  key: string;
  label: string;
  discharges: number;
  excluded: number;
  sent: number;
  onTime: number;
  late: number;
  pending: number;
  overdue: number;
  /** onTime / (onTime + late + overdue); null when nothing is measurable yet. */
  share: number | null;
  withinThreeWorkingDays: number;
  /** withinThreeWorkingDays / (onTime + late + overdue); null likewise. */
  shareWithinThree: number | null;
}

/**
 * The indicator of one group. The denominator is every discharge whose outcome is decided or
 * already missed: sent on time, sent late, and overdue (not sent, deadline passed). An overdue
 * row counts as not on time, so withholding a letter never improves the share; rows still within
 * their deadline (pending, at risk) and excluded rows are left out.
 */
export function kpiGroup(row: TimelinessKpiRow, label: string): KpiGroup {
  const measured = row.onTime + row.late + row.overdue;
  return {
    key: row.key,
    label,
    discharges: row.discharges,
    excluded: row.excluded,
    sent: row.sent,
    onTime: row.onTime,
    late: row.late,
    pending: row.pending,
    overdue: row.overdue,
    share: measured === 0 ? null : row.onTime / measured,
    withinThreeWorkingDays: row.withinThree,
    shareWithinThree: measured === 0 ? null : row.withinThree / measured,
  };
}

const MONTHS_DA = ['januar', 'februar', 'marts', 'april', 'maj', 'juni', 'juli', 'august', 'september', 'oktober', 'november', 'december'];

export const DOCUMENT_TYPE_LABELS: Readonly<Record<TimelinessDocumentType, string>> = {
  epikrise: 'Epikrise',
  udskrivningsrapport: 'Udskrivningsrapport',
  genoptraeningsplan: 'Genoptræningsplan',
};

/** `2024-03` → `marts 2024`; document types by their Danish names; anything else as it is. */
export function monthLabel(key: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(key);
  const name = m ? MONTHS_DA[Number(m[2]) - 1] : undefined;
  return m && name ? `${name} ${m[1] ?? ''}` : key;
}

/** One expectation as the API shows it; `state` is evaluated at `now`. Times on the Copenhagen clock with their offset. */
export function expectationView(e: TimelinessExpectation, now: Date, atRiskMs: number): Record<string, unknown> {
  const t = (d: Date | undefined): string | null => (d === undefined ? null : formatCopenhagen(d));
  return {
    id: e.id,
    documentType: e.documentType,
    patient: `Patient/${e.patientId}`,
    hospital: e.hospitalSor,
    department: e.departmentSor ?? null,
    episodeOfCare: e.episodeOfCareId ?? null,
    source: e.source,
    dischargedAt: t(e.dischargedAt),
    dueAt: t(e.dueAt),
    state: stateOf(e, now, atRiskMs),
    exclusionReason: e.exclusionReason ?? null,
    documentReference: e.documentReferenceId === undefined ? null : `DocumentReference/${e.documentReferenceId}`,
    receivedAt: t(e.receivedAt),
    sentAt: t(e.sentAt),
    deliveredAt: t(e.deliveredAt),
    workingDaysElapsed: e.workingDaysElapsed ?? null,
    withinThreeWorkingDays: e.withinThree ?? null,
    deliveredWorkingDaysElapsed: e.deliveredWorkingDaysElapsed ?? null,
    rule: e.rule,
    calendar: e.calendar,
    clock: e.clock,
  };
}

/** The calendar a settings object names, as stored (`id@version`). */
export const calendarRef = (settings: Pick<TimelinessSettings, 'calendar'>): string => versionedRef(getCalendar(settings.calendar));

export type CsvValue = string | number | boolean | null | undefined;

/**
 * RFC 4180: CRLF line ends; a field holding a comma, quote, CR or LF is quoted, quotes doubled;
 * null and undefined are empty fields. `header` undefined: rows only (a continued export).
 */
export function toCsv(header: readonly string[] | undefined, rows: readonly (readonly CsvValue[])[]): string {
  const field = (v: CsvValue): string => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [...(header ? [header] : []), ...rows].map((r) => `${r.map(field).join(',')}\r\n`).join('');
}

/** The columns of the KPI export, in order. */
export const KPI_CSV_COLUMNS = ['key', 'label', 'discharges', 'excluded', 'sent', 'onTime', 'late', 'pending', 'overdue', 'share', 'withinThreeWorkingDays', 'shareWithinThree'] as const;

export const kpiCsvRow = (g: KpiGroup): CsvValue[] => KPI_CSV_COLUMNS.map((c) => g[c]);

/** The columns of the discharges export: the keys of {@link expectationView}, in order. */
export const DISCHARGE_CSV_COLUMNS = [
  'id', 'documentType', 'patient', 'hospital', 'department', 'episodeOfCare', 'source', 'dischargedAt', 'dueAt', 'state', 'exclusionReason',
  'documentReference', 'receivedAt', 'sentAt', 'deliveredAt', 'workingDaysElapsed', 'withinThreeWorkingDays', 'deliveredWorkingDaysElapsed',
  'rule', 'calendar', 'clock',
] as const;

export const dischargeCsvRow = (view: Record<string, unknown>): CsvValue[] =>
  DISCHARGE_CSV_COLUMNS.map((c) => {
    const v = view[c];
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : null;
  });

/** Where a discharge is known from: the facts a new expectation starts with. */
export interface KnownDischarge {
  dischargeKey: string;
  source: TimelinessExpectation['source'];
  stayKey: string | undefined;
  episodeOfCareId: string | undefined;
  hospitalSor: string;
  departmentSor: string | undefined;
  at: Date | undefined;
}

/**
 * A new, pending row for one document type after one discharge, with the configured rule and
 * calendar and nothing sent yet. Its id is deterministic in (discharge, document type), so a
 * replayed message or a second import finds the row it made before.
 */
export function newExpectation(type: TimelinessDocumentType, patientId: string, d: KnownDischarge, settings: TimelinessSettings, now: Date): TimelinessExpectation {
  return {
    id: deterministicId(`timeliness|${d.dischargeKey}|${type}`),
    documentType: type,
    source: d.source,
    dischargeKey: d.dischargeKey,
    patientId,
    stayKey: d.stayKey,
    episodeOfCareId: d.episodeOfCareId,
    hospitalSor: d.hospitalSor,
    departmentSor: d.departmentSor,
    dischargedAt: d.at,
    dueAt: undefined,
    rule: ruleFor(type, settings),
    calendar: calendarRef(settings),
    clock: settings.clock,
    state: 'pending',
    exclusionReason: undefined,
    exclusionSource: undefined,
    expectedRecipients: [],
    documentKey: undefined,
    documentReferenceId: undefined,
    documentReferenceIds: [],
    receivedAt: undefined,
    sentAt: undefined,
    deliveredAt: undefined,
    workingDaysElapsed: undefined,
    withinThree: undefined,
    deliveredWorkingDaysElapsed: undefined,
    deliveredWithinThree: undefined,
    alertedAt: undefined,
    alertAttempts: 0,
    createdAt: now,
    updatedAt: now,
  };
}
