import { SYSTEM, type Issue } from '../shared/index.ts';
import { EntryResolver, referenceOf } from './bundle-entries.ts';
import { readEpisodeOfCareIds, type EpisodeOfCareId } from './identifiers.ts';
import { IssueList, quoteCode } from './issues.ts';
import { EXTENSION } from './medcom.constants.ts';
import { currentProvenance, identifiersOf } from './message.reader.ts';
import type { MedComMessage, ProvenanceLink } from './message.types.ts';
import { asArray, asObject, asString, type Json } from './json.ts';

/** The HN events of medcom.md §7.1 that change a stay. */
export type HnBaseEvent = 'STAA' | 'STIN' | 'STOR' | 'SLOR' | 'SLHJ' | 'MORS';
/** An HN event code: the event itself, its correction (RE_) or its cancellation (AN_). */
export type HnEvent = HnBaseEvent | `RE_${HnBaseEvent}` | `AN_${HnBaseEvent}`;
export type HnChange = 'event' | 'correction' | 'cancellation';
export type EncounterClass = 'IMP' | 'EMER';

export interface LeavePeriod {
  start: string | undefined;
  end: string | undefined;
}

export interface HnEncounter {
  reference: string;
  status: string;
  class: EncounterClass;
  periodStart: string | undefined;
  periodEnd: string | undefined;
  /** From the leave-period extension (URL with MedCom's own spelling, medcom.md §10 #10). */
  leave: LeavePeriod[];
}

/** What a HospitalNotification (*advis om sygehusophold*) says, derived per medcom.md §7.1. */
export interface HospitalNotification {
  event: HnEvent;
  baseEvent: HnBaseEvent;
  change: HnChange;
  /** The current Provenance's activity code. */
  activity: string;
  encounter: HnEncounter;
  /** Patient.deceased: the only death signal. */
  deceased: boolean;
  episodeOfCareIds: EpisodeOfCareId[];
  /** SOR of `Encounter.serviceProvider`: the unit in charge (for SLHJ, the discharging department). */
  serviceProviderSor: string | undefined;
  /** MessageHeader asks the municipality for an admission report (XDIS16). */
  admissionReportRequested: boolean;
  admissionReportRecipient: string | undefined;
  /** The MessageHeader id the current Provenance names with `role = revision`: the previous message, or the corrected one for RE_. */
  revises: string | undefined;
  /** The MessageHeader id this AN_ cancels. */
  cancels: string | undefined;
  /** MessageHeader ids of the Provenance stack, oldest first; the last is this message. */
  chain: string[];
  warnings: Issue[];
}

interface ActivityBase {
  event: Exclude<HnBaseEvent, 'MORS'>;
  class: EncounterClass;
}

const ACTIVITY_BASE: Record<string, ActivityBase> = {
  'admit-emergency': { event: 'STAA', class: 'EMER' },
  'admit-inpatient': { event: 'STIN', class: 'IMP' },
  'start-leave-inpatient': { event: 'STOR', class: 'IMP' },
  'end-leave-inpatient': { event: 'SLOR', class: 'IMP' },
  'discharge-emergency-home': { event: 'SLHJ', class: 'EMER' },
  'discharge-inpatient-home': { event: 'SLHJ', class: 'IMP' },
};

/** Encounter.status each event requires (medcom.md §7.1). */
const EVENT_STATUS: Record<Exclude<HnBaseEvent, 'MORS'>, readonly string[]> = {
  STAA: ['in-progress'],
  STIN: ['in-progress'],
  STOR: ['onleave'],
  SLOR: ['in-progress'],
  SLHJ: ['finished'],
};

/** Encounter.status after each cancellation; MedCom's overview also allows `cancelled` for AN_STAA/AN_STIN. */
const CANCEL_STATUS: Record<Exclude<HnBaseEvent, 'MORS'>, readonly string[]> = {
  STAA: ['entered-in-error', 'cancelled'],
  STIN: ['entered-in-error', 'cancelled'],
  STOR: ['in-progress'],
  SLOR: ['onleave'],
  SLHJ: ['in-progress'],
};

/** The facts the event derivation looks at. */
export interface HnEventInput {
  class: string | undefined;
  status: string | undefined;
  activity: string | undefined;
  deceased: boolean;
  /**
   * How many Provenances in a row, ending with the current one, carry the current activity
   * (1 = the previous message had another activity). MORS, RE_MORS and AN_MORS keep the
   * "current activity", so only this run tells them apart.
   */
  activityRun: number;
  /** `period.start == period.end`: dead on arrival. */
  deadOnArrival: boolean;
}

export type HnEventDerivation =
  | { ok: true; event: HnEvent; baseEvent: HnBaseEvent; change: HnChange; warnings: string[] }
  | { ok: false; problem: string };

/**
 * The HN event of (class, Encounter.status, current activity, Patient.deceased), per MedCom's
 * code overview (medcom.md §7.1):
 * - a `cancel-X` activity is AN_X and a `revise-X` activity RE_X, with the status the table gives;
 * - otherwise, deceased = true is a death: MORS, or RE_MORS when the activity already repeats
 *   twice before (or once, for a dead-on-arrival stay whose only earlier message was the MORS);
 * - otherwise an activity repeating the previous message's one is AN_MORS (death withdrawn,
 *   "previous status");
 * - otherwise the activity's own event, whose class and status must match the table. SLHJ while
 *   `onleave` (a discharge straight from leave, MedCom test SLHJ_I) and MORS while not `finished`
 *   (MORS_J) are accepted with a warning.
 * Anything else is a problem naming what was seen.
 */
export function deriveHnEvent(input: HnEventInput): HnEventDerivation {
  const seen = `class ${quoteCode(input.class)}, status ${quoteCode(input.status)}, activity ${quoteCode(input.activity)}, deceased ${input.deceased}`;
  const unknown = (): HnEventDerivation => ({ ok: false, problem: `No HospitalNotification event has ${seen}` });
  if (input.class !== 'IMP' && input.class !== 'EMER') return { ok: false, problem: `Encounter.class must be IMP or EMER, not ${quoteCode(input.class)}` };
  if (input.activity === undefined) return unknown();
  const change: HnChange = input.activity.startsWith('revise-') ? 'correction' : input.activity.startsWith('cancel-') ? 'cancellation' : 'event';
  const base = ACTIVITY_BASE[input.activity.replace(/^(revise|cancel)-/, '')];
  if (base === undefined) return unknown();
  const status = input.status ?? '';
  const warnings: string[] = [];

  if (change === 'event' && input.deceased) {
    const corrected = input.activityRun >= 3 || (input.activityRun === 2 && input.deadOnArrival);
    if (status !== 'finished') warnings.push(`A death (MORS) with Encounter.status ${quoteCode(input.status)} instead of 'finished'`);
    return { ok: true, event: corrected ? 'RE_MORS' : 'MORS', baseEvent: 'MORS', change: corrected ? 'correction' : 'event', warnings };
  }
  if (change === 'event' && input.activityRun >= 2) {
    return { ok: true, event: 'AN_MORS', baseEvent: 'MORS', change: 'cancellation', warnings };
  }
  if (input.deceased) return unknown();
  if (base.class !== input.class) return unknown();
  const allowed = change === 'cancellation' ? CANCEL_STATUS[base.event] : EVENT_STATUS[base.event];
  if (!allowed.includes(status)) {
    if (base.event === 'SLHJ' && change !== 'cancellation' && status === 'onleave') {
      warnings.push("A discharge (SLHJ) with Encounter.status 'onleave': read as a discharge from leave");
    } else {
      return unknown();
    }
  }
  const event: HnEvent = change === 'correction' ? `RE_${base.event}` : change === 'cancellation' ? `AN_${base.event}` : base.event;
  return { ok: true, event, baseEvent: base.event, change, warnings };
}


/** Consecutive Provenances (following revision links back) that share the current activity. */
function activityRun(stack: readonly ProvenanceLink[]): number {
  const current = stack.at(-1);
  if (current?.activity === undefined) return 0;
  const byTarget = new Map(stack.map((p) => [p.target, p]));
  let run = 1;
  const seen = new Set([current]);
  for (let p = current; p.entityRevisionOf !== undefined; ) {
    const previous = byTarget.get(p.entityRevisionOf);
    if (previous === undefined || seen.has(previous) || previous.activity !== current.activity) break;
    seen.add(previous);
    run += 1;
    p = previous;
  }
  return run;
}

/** Leave periods from the Encounter's leave-period extension(s). */
function readLeave(encounter: Json): LeavePeriod[] {
  return asArray(encounter.extension)
    .map(asObject)
    .filter((e) => e?.url === EXTENSION.leavePeriod)
    .map((e) => asObject(e?.valuePeriod))
    .filter((p): p is Json => p !== undefined)
    .map((p) => ({ start: asString(p.start), end: asString(p.end) }));
}

/**
 * Reads the HospitalNotification semantics of a message that {@link readMessage} accepted: the
 * event (see {@link deriveHnEvent}), the stay as the Encounter now describes it, the death flag,
 * the episode-of-care ids, the department in charge, the admission-report request, and which
 * earlier message it follows, corrects or cancels.
 */
export function readHospitalNotification(msg: MedComMessage): HospitalNotification | { issues: Issue[] } {
  const issues = new IssueList();
  if (msg.focus.kind !== 'hospital-notification') {
    issues.error('not-supported', 'The message is not a HospitalNotification', 'Bundle.entry[0].resource.event');
    return { issues: issues.items };
  }
  const focus = msg.focus;
  const encounter = focus.encounter as unknown as Json;
  const ex = focus.expression;
  const current = currentProvenance(msg);
  const activity = current?.activity;
  const deceased = msg.patient?.deceased ?? false;
  const period = asObject(encounter.period);
  const periodStart = asString(period?.start);
  const periodEnd = asString(period?.end);
  const cls = asString(asObject(encounter.class)?.code);
  const status = asString(encounter.status);

  const derived = deriveHnEvent({
    class: cls,
    status,
    activity,
    deceased,
    activityRun: activityRun(msg.provenance),
    deadOnArrival: periodStart !== undefined && periodStart === periodEnd,
  });
  const where = [`${ex}.class`, `${ex}.status`, `${current?.expression ?? 'Bundle.entry'}.activity`, `${msg.patient?.expression ?? 'Bundle.entry'}.deceased`];
  if (!derived.ok) {
    return { issues: [...msg.warnings, { severity: 'error', code: 'value', diagnostics: derived.problem, expression: where }] };
  }
  for (const w of derived.warnings) issues.add('warning', 'value', w, `${ex}.status`);

  const leave = readLeave(encounter);
  if (derived.baseEvent === 'STOR' && derived.change !== 'cancellation' && !leave.some((l) => l.start !== undefined)) {
    issues.warning('required', 'A leave (STOR) without the leave-period extension', `${ex}.extension`);
  }
  if ((derived.baseEvent === 'SLHJ' || derived.baseEvent === 'MORS') && derived.change !== 'cancellation' && periodEnd === undefined) {
    issues.warning('required', 'The stay has ended but Encounter.period.end is missing', `${ex}.period.end`);
  }

  const resolver = new EntryResolver(msg.entries);
  const provider = resolver.resolveRef(encounter.serviceProvider);
  const serviceProviderSor = identifiersOf(provider?.resource).find((i) => i.system === SYSTEM.sor && typeof i.value === 'string')?.value as
    | string
    | undefined;
  if (serviceProviderSor === undefined) issues.warning('required', 'Encounter.serviceProvider has no resolvable SOR identifier', `${ex}.serviceProvider`);

  const header = msg.entries.find((e) => e.resource.resourceType === 'MessageHeader')?.resource;
  const headerExtensions = asArray(header?.extension).map(asObject);
  const reportFlag = headerExtensions.find((e) => e?.url === EXTENSION.reportOfAdmission);
  const reportRecipient = headerExtensions.find((e) => e?.url === EXTENSION.reportOfAdmissionRecipient);

  // AN_MORS keeps the activity, so MedCom leaves its entity role open; for the others a revision
  // link standing in for the removal link is tolerated with a warning.
  const cancels = derived.change === 'cancellation' ? (current?.entityRemovalOf ?? current?.entityRevisionOf) : undefined;
  if (derived.change === 'cancellation' && cancels === undefined) {
    issues.warning('required', 'A cancellation that does not name the cancelled MessageHeader (entity removal)', `${current?.expression ?? 'Bundle.entry'}.entity`);
  } else if (derived.change === 'cancellation' && derived.baseEvent !== 'MORS' && current?.entityRemovalOf === undefined) {
    issues.warning('value', "A cancellation names the cancelled MessageHeader with role 'revision' instead of 'removal'", `${current?.expression ?? 'Bundle.entry'}.entity`);
  }
  if (derived.change === 'correction' && current?.entityRevisionOf === undefined) {
    issues.warning('required', 'A correction that does not name the corrected MessageHeader (entity revision)', `${current?.expression ?? 'Bundle.entry'}.entity`);
  }

  return {
    event: derived.event,
    baseEvent: derived.baseEvent,
    change: derived.change,
    activity: activity ?? '',
    encounter: {
      reference: focus.reference,
      status: status ?? '',
      class: cls === 'EMER' ? 'EMER' : 'IMP',
      periodStart,
      periodEnd,
      leave,
    },
    deceased,
    episodeOfCareIds: readEpisodeOfCareIds(encounter),
    serviceProviderSor,
    admissionReportRequested: reportFlag?.valueBoolean === true,
    admissionReportRecipient: referenceOf(reportRecipient?.valueReference),
    revises: current?.entityRevisionOf,
    cancels,
    chain: msg.provenance.map((p) => p.target),
    warnings: [...msg.warnings, ...issues.items],
  };
}
