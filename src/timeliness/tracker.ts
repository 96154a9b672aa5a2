/**
 * Timeliness tracking (issue #7): keeps one expectation per (discharge, document type) up to date
 * from the facts the writers record. Every function runs INSIDE the writer's transaction, so an
 * expectation changes exactly when the fact that changes it commits.
 *
 * Which documents are expected:
 * - the epikrise, for every inpatient discharge (class IMP): from the HospitalNotification SLHJ, or,
 *   when no notification tells the discharge, from the Encounter end of the epikrise itself;
 * - the udskrivningsrapport and the genoptræningsplan only once such a document has been seen for
 *   the stay. Not every discharge needs one (only patients who need municipal care or training),
 *   and nothing in a HospitalNotification says which do, so expecting them from every SLHJ would
 *   fill the overdue list with letters nobody owes. Measured "by the discharge day", they still
 *   show a plan made or sent after the patient went home as late.
 */
import { normaliseEpisodeOfCareId } from '../medcom/index.ts';
import { systemClock } from '../shared/index.ts';
import type { DomainEventRecord, ExclusionReason, StoreTx, TimelinessDocumentType, TimelinessExpectation } from '../store/index.ts';
import {
  DEFAULT_TIMELINESS_SETTINGS,
  adoptable,
  atRiskMsOf,
  isTrackedDocumentType,
  matchDocument,
  newExpectation,
  remeasure,
  type KnownDischarge,
  type TimelinessSettings,
} from './expectation.ts';

/** Optional facts the writer knows and the events do not carry. */
export interface TrackerContext {
  /** The time of the writer's transaction (its clock); states are evaluated against it. */
  readonly now?: Date | undefined;
  /** SOR of the message's sender (the hospital): a HospitalNotification's domain events do not carry it. */
  readonly senderSor?: string | undefined;
}

/** A stored document, as ingest knows it. */
export interface StoredDocumentFacts {
  readonly documentReferenceId: string;
  readonly documentType: string;
  readonly patientId: string;
  /** As the document carries it; normalised here like the HospitalNotification's. */
  readonly episodeOfCareId?: string | undefined;
  /** `Encounter.period.end`: the discharge, as the document tells it. */
  readonly encounterEnd?: Date | undefined;
  readonly senderSor: string;
  /** SOR codes of the patient's GP(s); none for an epikrise excludes it ('no-gp'). */
  readonly generalPractitioners: readonly string[];
  readonly receivedAt: Date;
  /** The identity shared by the document's versions; looked up from the DocumentReference when absent. */
  readonly documentKey?: string | undefined;
  /** `Encounter.class` code; an epikrise expects nothing for EMER/AMB. Absent: taken as inpatient. */
  readonly encounterClass?: string | undefined;
  /** SOR of `Encounter.serviceProvider`: the discharging department. */
  readonly departmentSor?: string | undefined;
  /** `Encounter.hospitalization.dischargeDisposition` code; `other-hcf` (another hospital) excludes it ('transfer'). */
  readonly dischargeDisposition?: string | undefined;
}

export interface DeliveryProgress {
  readonly documentReferenceId: string;
  readonly recipientSor: string;
  /** `sent`: Sektorbro dispatched it (the receiver's transport took it); `delivered`: the receiver accepted or acknowledged it. */
  readonly event: 'sent' | 'delivered';
  readonly at: Date;
}

/** Reasons a person records (the patient's objection cannot be seen in any message). */
export type ManualExclusionReason = Extract<ExclusionReason, 'objection' | 'transfer' | 'no-gp'>;
export const MANUAL_EXCLUSION_REASONS: readonly ManualExclusionReason[] = ['objection', 'transfer', 'no-gp'];

/** HL7 discharge-disposition code for "other healthcare facility": a transfer, not a discharge home. */
const TRANSFER_DISPOSITION = 'other-hcf';
/** How many overdue items one refresh hands out for alerting, and how long it holds them. */
const ALERT_BATCH = 100;
const ALERT_LEASE_MS = 60_000;

/** Told of each row whose sent clock is set for the first time (the metrics' histogram, metrics.ts). */
export type FirstSentObserver = (e: TimelinessExpectation) => void;
const firstSentObservers = new Set<FirstSentObserver>();

/**
 * Registers an observer of first dispatches; returns its removal. Module-level rather than a
 * parameter: every writer (the deliverer, the import, tests) calls the tracker with the configured
 * settings only, and what it feeds (a histogram) counts this process's work anyway.
 */
export function observeFirstSent(observer: FirstSentObserver): () => void {
  firstSentObservers.add(observer);
  return () => { firstSentObservers.delete(observer); };
}

const dischargeKeyOf = (e: DomainEventRecord): string => `${e.stayKey}|${stringField(e.payload, 'key') ?? e.headerId}`;

const stringField = (payload: Record<string, unknown>, key: string): string | undefined => {
  const v = payload[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
};

/** Class IMP, or no class told (every HospitalNotification carries one; a missing one is not evidence of an outpatient). */
const isInpatient = (e: DomainEventRecord): boolean => {
  const cls = stringField(e.payload, 'class');
  return cls === undefined || cls === 'IMP';
};

/** Creates a row, or (when one with its id or discharge already exists) returns that one. */
async function insertOrGet(tx: StoreTx, e: TimelinessExpectation): Promise<TimelinessExpectation | undefined> {
  if (await tx.timeliness.insert(e)) return e;
  return (await tx.timeliness.get(e.id)) ?? (await tx.timeliness.byPatient(e.patientId)).find((r) => r.dischargeKey === e.dischargeKey && r.documentType === e.documentType);
}

const exclude = (e: TimelinessExpectation, reason: ExclusionReason, source: string | undefined): TimelinessExpectation => ({ ...e, exclusionReason: reason, exclusionSource: source });
const include = (e: TimelinessExpectation): TimelinessExpectation => ({ ...e, exclusionReason: undefined, exclusionSource: undefined });

/**
 * Applies domain events (admission, discharge, death, cancellation, correction; medcom
 * stay.reducer) to the expectations of their patients. Idempotent: an event id already applied is
 * skipped, so a replay cannot undo what later events did.
 * - discharge of class IMP → an epikrise expectation (taking over one made from an epikrise that
 *   arrived first); any discharge also gives its time to the udskrivningsrapport/genoptræningsplan
 *   rows waiting for it;
 * - death → unsent expectations whose deadline had not passed (and those of the same stay) are
 *   excluded 'death'; a cancelled death (AN_MORS) takes that back;
 * - cancellation of the discharge, or of the admission before it → excluded 'cancelled';
 * - correction of the discharge time (RE_SLHJ) → the deadline moves, on-time/late is re-measured.
 */
export async function onDomainEvents(
  tx: StoreTx,
  events: readonly DomainEventRecord[],
  settings: TimelinessSettings = DEFAULT_TIMELINESS_SETTINGS,
  ctx: TrackerContext = {},
): Promise<void> {
  const now = ctx.now ?? systemClock.now();
  for (const e of events) {
    await tx.timeliness.lockPatient(e.patientId);
    if (!(await tx.timeliness.markApplied(e.id, now))) continue;
    switch (e.type) {
      case 'discharge':
        await onDischarge(tx, e, settings, now, ctx);
        break;
      case 'correction':
        await onCorrection(tx, e, settings, now, ctx);
        break;
      case 'cancellation':
        await onCancellation(tx, e, settings, now);
        break;
      case 'death':
        await onDeath(tx, e, settings, now);
        break;
      default:
        break; // admissions and leave change no expectation
    }
  }
}

async function dischargeOf(tx: StoreTx, e: DomainEventRecord, ctx: TrackerContext): Promise<KnownDischarge> {
  // The sender is the hospital; the message row is written after the events, so the writer passes it.
  const senderSor = ctx.senderSor ?? (await tx.messages.findByHeader(e.headerId))?.senderSor ?? e.departmentSor ?? 'unknown';
  return {
    dischargeKey: dischargeKeyOf(e),
    source: 'notification',
    stayKey: e.stayKey,
    episodeOfCareId: e.episodeOfCareId,
    hospitalSor: senderSor,
    departmentSor: e.departmentSor,
    at: e.occurredAt,
  };
}

async function onDischarge(tx: StoreTx, e: DomainEventRecord, settings: TimelinessSettings, now: Date, ctx: TrackerContext): Promise<void> {
  const d = await dischargeOf(tx, e, ctx);
  const at = d.at;
  if (at === undefined) return; // no time, no deadline: nothing can be measured
  const atRiskMs = atRiskMsOf(settings);
  const rows = await tx.timeliness.byPatient(e.patientId);
  const own = rows.filter((r) => r.dischargeKey === d.dischargeKey);
  for (const r of own) await tx.timeliness.save(remeasure(retimed(r, d), now, atRiskMs));
  const taken = adoptable(rows, { dischargeKey: d.dischargeKey, at, episodeOfCareId: d.episodeOfCareId });
  for (const r of taken) {
    if (own.some((o) => o.documentType === r.documentType)) continue;
    await tx.timeliness.save(remeasure({ ...retimed(r, d), source: 'notification', dischargeKey: d.dischargeKey, stayKey: d.stayKey, hospitalSor: d.hospitalSor }, now, atRiskMs));
  }
  const covered = [...own, ...taken].some((r) => r.documentType === 'epikrise');
  if (!covered && isInpatient(e)) {
    const created = await insertOrGet(tx, remeasure(newExpectation('epikrise', e.patientId, d, settings, now), now, atRiskMs));
    if (created && created.dischargedAt?.getTime() !== at.getTime()) await tx.timeliness.save(remeasure(retimed(created, d), now, atRiskMs));
  }
}

/** The discharge's time, department and episode from the notification; the deadline follows on remeasure. */
const retimed = (r: TimelinessExpectation, d: KnownDischarge): TimelinessExpectation => ({
  ...r,
  dischargedAt: d.at ?? r.dischargedAt,
  departmentSor: d.departmentSor ?? r.departmentSor,
  episodeOfCareId: r.episodeOfCareId ?? d.episodeOfCareId,
});

async function onCorrection(tx: StoreTx, e: DomainEventRecord, settings: TimelinessSettings, now: Date, ctx: TrackerContext): Promise<void> {
  if (stringField(e.payload, 'event') !== 'SLHJ') return; // only the discharge time moves a deadline
  const key = dischargeKeyOf(e);
  const own = (await tx.timeliness.byPatient(e.patientId)).filter((r) => r.dischargeKey === key);
  // A correction that is the first inpatient discharge we hear of (e.g. EMER corrected to IMP) creates it.
  if (own.length === 0 || (isInpatient(e) && !own.some((r) => r.documentType === 'epikrise'))) {
    await onDischarge(tx, e, settings, now, ctx);
    return;
  }
  const d = await dischargeOf(tx, e, ctx);
  for (const r of own) await tx.timeliness.save(remeasure(retimed(r, d), now, atRiskMsOf(settings)));
}

async function onCancellation(tx: StoreTx, e: DomainEventRecord, settings: TimelinessSettings, now: Date): Promise<void> {
  const event = stringField(e.payload, 'event');
  const key = stringField(e.payload, 'key');
  const rows = await tx.timeliness.byPatient(e.patientId);
  const atRiskMs = atRiskMsOf(settings);
  let affected: TimelinessExpectation[] = [];
  if (event === 'SLHJ') {
    affected = rows.filter((r) => r.dischargeKey === dischargeKeyOf(e)).map((r) => exclude(r, 'cancelled', key));
  } else if (event === 'STIN' || event === 'STAA') {
    // The admission never happened, so neither did the discharge that followed it in this stay.
    const admittedAt = e.occurredAt?.getTime();
    affected = rows
      .filter((r) => r.stayKey === e.stayKey && (admittedAt === undefined || r.dischargedAt === undefined || r.dischargedAt.getTime() >= admittedAt))
      .map((r) => exclude(r, 'cancelled', key));
  } else if (event === 'MORS') {
    affected = rows.filter((r) => r.exclusionReason === 'death' && r.exclusionSource === key).map(include);
  }
  for (const r of affected) await tx.timeliness.save(remeasure(r, now, atRiskMs));
}

/**
 * A death excuses the letters still owed when the patient died: unsent rows whose deadline had
 * not passed by then (and every unsent row of the stay that ended in death). A deadline already
 * missed stays missed, and a letter already sent keeps its measurement.
 */
async function onDeath(tx: StoreTx, e: DomainEventRecord, settings: TimelinessSettings, now: Date): Promise<void> {
  const diedAt = e.occurredAt?.getTime();
  const key = stringField(e.payload, 'key') ?? e.headerId;
  const rows = await tx.timeliness.byPatient(e.patientId);
  for (const r of rows) {
    if (r.exclusionReason !== undefined || r.sentAt !== undefined) continue;
    const sameStay = r.stayKey === e.stayKey;
    const owedThen = diedAt !== undefined && (r.dueAt === undefined || r.dueAt.getTime() > diedAt) && (r.dischargedAt === undefined || r.dischargedAt.getTime() <= diedAt);
    if (sameStay || owedThen) await tx.timeliness.save(remeasure(exclude(r, 'death', key), now, atRiskMsOf(settings)));
  }
}

/**
 * Matches a stored document to its expectation and records when it arrived; creates the
 * expectation from the document when no notification told the discharge (see the module comment
 * for which types). Records the GP(s) an epikrise must reach; none → excluded 'no-gp' (a later
 * version naming one takes that back). Returns the expectation, or undefined when none applies.
 */
export async function onDocumentStored(
  tx: StoreTx,
  doc: StoredDocumentFacts,
  settings: TimelinessSettings = DEFAULT_TIMELINESS_SETTINGS,
  ctx: TrackerContext = {},
): Promise<TimelinessExpectation | undefined> {
  const type = doc.documentType;
  if (!isTrackedDocumentType(type)) return undefined;
  const now = ctx.now ?? doc.receivedAt;
  const atRiskMs = atRiskMsOf(settings);
  await tx.timeliness.lockPatient(doc.patientId);
  const documentKey = doc.documentKey ?? (await tx.documents.byReference(doc.documentReferenceId))?.documentKey ?? `DocumentReference/${doc.documentReferenceId}`;
  const facts = {
    documentKey,
    episodeOfCareId: doc.episodeOfCareId === undefined || doc.episodeOfCareId.trim() === '' ? undefined : normaliseEpisodeOfCareId(doc.episodeOfCareId),
    encounterEnd: doc.encounterEnd !== undefined && !Number.isNaN(doc.encounterEnd.getTime()) ? doc.encounterEnd : undefined,
    receivedAt: doc.receivedAt,
  };
  const rows = await tx.timeliness.byPatient(doc.patientId);
  let row = matchDocument(rows.filter((r) => r.documentType === type), facts);
  if (!row) {
    const d = dischargeForDocument(type, rows, facts, doc);
    if (!d) return undefined;
    row = await insertOrGet(tx, newExpectation(type, doc.patientId, d, settings, now));
    if (!row) return undefined;
  }

  let next: TimelinessExpectation = {
    ...row,
    documentKey: row.documentKey ?? documentKey,
    documentReferenceId: doc.documentReferenceId,
    documentReferenceIds: row.documentReferenceIds.includes(doc.documentReferenceId) ? row.documentReferenceIds : [...row.documentReferenceIds, doc.documentReferenceId],
    receivedAt: row.receivedAt === undefined || doc.receivedAt < row.receivedAt ? doc.receivedAt : row.receivedAt,
    episodeOfCareId: row.episodeOfCareId ?? facts.episodeOfCareId,
    departmentSor: row.departmentSor ?? doc.departmentSor,
  };
  // A row made from this document (or waiting) takes the discharge time its latest version states; a notified one keeps the notification's.
  if (next.source === 'document' && facts.encounterEnd !== undefined && (next.dischargeKey === `document:${documentKey}` || next.dischargedAt === undefined)) {
    next = { ...next, dischargedAt: facts.encounterEnd };
  }
  if (type === 'epikrise') {
    next = { ...next, expectedRecipients: [...doc.generalPractitioners] };
    if (doc.generalPractitioners.length === 0 && next.exclusionReason === undefined) next = exclude(next, 'no-gp', documentKey);
    if (doc.generalPractitioners.length > 0 && next.exclusionReason === 'no-gp') next = include(next);
  }
  if (doc.dischargeDisposition === TRANSFER_DISPOSITION && next.exclusionReason === undefined) next = exclude(next, 'transfer', documentKey);
  next = remeasure(next, now, atRiskMs);
  await tx.timeliness.save(next);
  return next;
}

/** The discharge a document without a matching expectation hangs on, or undefined when it expects nothing. */
function dischargeForDocument(
  type: TimelinessDocumentType,
  rows: readonly TimelinessExpectation[],
  facts: Parameters<typeof matchDocument>[1],
  doc: StoredDocumentFacts,
): KnownDischarge | undefined {
  const fromDocument = (at: Date | undefined): KnownDischarge => ({
    dischargeKey: `document:${facts.documentKey}`,
    source: 'document',
    stayKey: facts.episodeOfCareId === undefined ? undefined : `eoc:${facts.episodeOfCareId}`,
    episodeOfCareId: facts.episodeOfCareId,
    hospitalSor: doc.senderSor,
    departmentSor: doc.departmentSor,
    at,
  });
  if (type === 'epikrise') {
    // Only an inpatient discharge expects an epikrise (domain.md §2.2 scope); its Encounter end is the discharge.
    const inpatient = doc.encounterClass === undefined || doc.encounterClass === 'IMP';
    return inpatient && facts.encounterEnd !== undefined ? fromDocument(facts.encounterEnd) : undefined;
  }
  // The stay's discharge, as its epikrise expectation knows it; else the document's own Encounter end; else wait for the SLHJ.
  const epikrise = matchDocument(rows.filter((r) => r.documentType === 'epikrise' && r.dischargedAt !== undefined), { ...facts, documentKey: '' });
  if (epikrise) {
    return {
      dischargeKey: epikrise.dischargeKey,
      source: epikrise.source,
      stayKey: epikrise.stayKey,
      episodeOfCareId: epikrise.episodeOfCareId ?? facts.episodeOfCareId,
      hospitalSor: epikrise.hospitalSor,
      departmentSor: epikrise.departmentSor ?? doc.departmentSor,
      at: epikrise.dischargedAt,
    };
  }
  return fromDocument(facts.encounterEnd);
}

/**
 * Records a dispatch (`sent`) or a receipt (`delivered`) of a matched document, the first (earliest)
 * time only, and measures it with the row's stored rule and calendar. A delivery implies a dispatch.
 * For an epikrise only a delivery to the patient's GP counts (when the document named one).
 */
export async function onDeliveryProgress(
  tx: StoreTx,
  p: DeliveryProgress,
  settings: TimelinessSettings = DEFAULT_TIMELINESS_SETTINGS,
  ctx: TrackerContext = {},
): Promise<TimelinessExpectation[]> {
  const now = ctx.now ?? p.at;
  const updated: TimelinessExpectation[] = [];
  for (const found of await tx.timeliness.byDocumentReference(p.documentReferenceId)) {
    await tx.timeliness.lockPatient(found.patientId);
    const r = await tx.timeliness.get(found.id); // after the lock: the current row
    if (!r) continue;
    if (r.documentType === 'epikrise' && r.expectedRecipients.length > 0 && !r.expectedRecipients.includes(p.recipientSor)) continue;
    const earlier = (current: Date | undefined): Date => (current === undefined || p.at < current ? p.at : current);
    const next = { ...r, sentAt: earlier(r.sentAt), deliveredAt: p.event === 'delivered' ? earlier(r.deliveredAt) : r.deliveredAt };
    if (next.sentAt.getTime() === r.sentAt?.getTime() && next.deliveredAt?.getTime() === r.deliveredAt?.getTime()) continue;
    const measured = remeasure(next, now, atRiskMsOf(settings));
    await tx.timeliness.save(measured);
    if (r.sentAt === undefined) for (const observe of firstSentObservers) observe(measured);
    updated.push(measured);
  }
  return updated;
}

/**
 * Moves open rows along pending → at-risk → overdue by time (and back, when a correction moved a
 * deadline later), then hands out the overdue rows whose alert has not fired, oldest due first,
 * each leased for a minute so that two pollers never alert one row together. The caller sets
 * `alertedAt` when the alert went out (repository `markAlerted`) or gives the row back (`releaseAlert`).
 */
export async function refreshStates(tx: StoreTx, now: Date, settings: TimelinessSettings = DEFAULT_TIMELINESS_SETTINGS): Promise<TimelinessExpectation[]> {
  await tx.timeliness.refreshStates(now, atRiskMsOf(settings));
  return tx.timeliness.claimAlerts(now, new Date(now.getTime() + ALERT_LEASE_MS), ALERT_BATCH);
}

/**
 * A person's exclusion (the patient's objection, a transfer, no GP) or its withdrawal (`reason`
 * undefined). Only a row without an exclusion, or with one a person made, changes. Returns the
 * row, or undefined when there is none.
 */
export async function setManualExclusion(
  tx: StoreTx,
  id: string,
  reason: ManualExclusionReason | undefined,
  by: string,
  settings: TimelinessSettings = DEFAULT_TIMELINESS_SETTINGS,
  now: Date = systemClock.now(),
): Promise<TimelinessExpectation | undefined> {
  const found = await tx.timeliness.get(id);
  if (!found) return undefined;
  await tx.timeliness.lockPatient(found.patientId);
  const r = await tx.timeliness.get(id);
  if (!r) return undefined;
  // A person changes only what a person decided: an exclusion the messages made (death, cancelled, ...) stays.
  const open = r.exclusionReason === undefined || r.exclusionSource?.startsWith('client:') === true;
  let next = r;
  if (open && reason !== undefined) next = exclude(r, reason, `client:${by}`);
  if (open && reason === undefined && r.exclusionReason !== undefined) next = include(r);
  if (next === r) return r;
  const saved = remeasure(next, now, atRiskMsOf(settings));
  await tx.timeliness.save(saved);
  return saved;
}
