import { primaryEpisodeOfCareId, type EpisodeOfCareId } from './identifiers.ts';
import type { EncounterClass, HnBaseEvent, HnChange, HnEvent, HospitalNotification, LeavePeriod } from './hospital-notification.reader.ts';

/** A HospitalNotification with the message facts the reducer orders by. */
export type StayNotification = HospitalNotification & { headerId: string; sentAt: string };

/** What the reducer keeps of each applied notification (plain JSON, so the state can be stored as is). */
export interface AppliedNotification {
  headerId: string;
  sentAt: string;
  event: HnEvent;
  baseEvent: HnBaseEvent;
  change: HnChange;
  revises: string | undefined;
  cancels: string | undefined;
  chain: string[];
  encounter: { status: string; class: EncounterClass; periodStart: string | undefined; periodEnd: string | undefined; leave: LeavePeriod[] };
  deceased: boolean;
  episodeOfCareIds: EpisodeOfCareId[];
  serviceProviderSor: string | undefined;
}

/** One event of the stay as it stands after cancellations and corrections. */
export interface TimelineEntry {
  /** MessageHeader id of the original event; corrections keep it. */
  key: string;
  event: HnBaseEvent;
  /** MessageHeader id of the notification whose content is in force (the latest correction, or the original). */
  headerId: string;
  /** When it happened: admission start, leave start or end, discharge or death time. */
  at: string | undefined;
  class: EncounterClass;
  serviceProviderSor: string | undefined;
  /** The correlation id the notification in force carries (local before LPR3), normalised. */
  episodeOfCareId: string | undefined;
}

/** The state of one stay (*sygehusophold*), derived only from the set of applied notifications. */
export interface StayState {
  /** By MessageHeader id: replaying a notification is a no-op. */
  applied: Record<string, AppliedNotification>;
  encounter: {
    status: string | undefined;
    class: EncounterClass | undefined;
    periodStart: string | undefined;
    periodEnd: string | undefined;
    leave: LeavePeriod[];
  };
  deceased: boolean;
  deathAt: string | undefined;
  episodeOfCareIds: EpisodeOfCareId[];
  serviceProviderSor: string | undefined;
  /** Events in force, in stay order. */
  timeline: TimelineEntry[];
  /** Original events withdrawn by an AN_, by their MessageHeader id, with the cancelling MessageHeader id. */
  cancelled: Record<string, { by: string; event: HnBaseEvent }>;
}

const toApplied = (n: StayNotification): AppliedNotification => ({
  headerId: n.headerId,
  sentAt: n.sentAt,
  event: n.event,
  baseEvent: n.baseEvent,
  change: n.change,
  revises: n.revises,
  cancels: n.cancels,
  chain: [...n.chain],
  encounter: {
    status: n.encounter.status,
    class: n.encounter.class,
    periodStart: n.encounter.periodStart,
    periodEnd: n.encounter.periodEnd,
    leave: n.encounter.leave.map((l) => ({ start: l.start, end: l.end })),
  },
  deceased: n.deceased,
  episodeOfCareIds: n.episodeOfCareIds.map((e) => ({ ...e })),
  serviceProviderSor: n.serviceProviderSor,
});

const timeOf = (value: string | undefined): number => {
  const t = value === undefined ? Number.NaN : Date.parse(value);
  return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
};

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Applies one HospitalNotification to a stay. The result depends only on the set of notifications
 * applied, never on their arrival order, and applying one twice changes nothing (the state object
 * is returned unchanged). A resend of the same MessageHeader id with other content keeps the
 * earlier-sent version, so even a changed resend cannot make the outcome order-dependent.
 *
 * Rules (medcom.md §4, §7.1):
 * - an RE_ replaces the content of the event it revises (following RE_ chains back to the original);
 *   a MORS revising a MORS is read as RE_MORS, since both keep the same activity;
 * - an AN_ withdraws the event it cancels, together with its corrections;
 * - the events in force are ordered by the Provenance chain (an event listed in another's stack
 *   comes first), then by send time; a correction takes its original's place;
 * - status and class come from the last event in force, `period.start` from the most recently sent
 *   notification that has one, `period.end` only when the last event ends the stay (SLHJ, MORS),
 *   leave periods from folding the events in order; death = a MORS in force;
 * - when every admission (STIN/STAA) is cancelled and none remains, the stay is `entered-in-error`.
 */
export function applyHospitalNotification(state: StayState | undefined, n: StayNotification): StayState {
  const incoming = toApplied(n);
  const existing = state?.applied[n.headerId];
  if (state !== undefined && existing !== undefined && !supersedes(incoming, existing)) return state;
  return deriveStay({ ...(state?.applied ?? {}), [n.headerId]: incoming });
}

/** Of two versions of one MessageHeader, the earlier-sent wins; ties by content, so the choice is order-free. */
function supersedes(candidate: AppliedNotification, existing: AppliedNotification): boolean {
  const d = timeOf(candidate.sentAt) - timeOf(existing.sentAt);
  if (d !== 0 && !Number.isNaN(d)) return d < 0;
  return compareStrings(JSON.stringify(candidate), JSON.stringify(existing)) < 0;
}

interface Lineage {
  key: string;
  kind: HnBaseEvent;
  /** The notification that fixes the lineage's place: the original, else its earliest correction. */
  position: AppliedNotification;
  /** The most recently sent member: its content is in force. */
  content: AppliedNotification;
}

const isCorrection = (r: AppliedNotification, applied: Record<string, AppliedNotification>): boolean =>
  r.change === 'correction' ||
  (r.baseEvent === 'MORS' && r.change === 'event' && r.revises !== undefined && applied[r.revises]?.baseEvent === 'MORS');

/** Builds the whole stay from the applied notifications (pure; the single source of derived fields). */
export function deriveStay(applied: Record<string, AppliedNotification>): StayState {
  const records = Object.values(applied).sort((a, b) => compareStrings(a.headerId, b.headerId));

  const rootOf = (headerId: string): string => {
    const seen = new Set<string>();
    let h = headerId;
    for (;;) {
      const r = applied[h];
      if (r === undefined || !isCorrection(r, applied) || r.revises === undefined || seen.has(h)) return h;
      seen.add(h);
      h = r.revises;
    }
  };

  const cancelled: Record<string, { by: string; event: HnBaseEvent }> = {};
  const members = new Map<string, AppliedNotification[]>();
  for (const r of records) {
    if (r.change === 'cancellation') {
      if (r.cancels === undefined) continue;
      const key = rootOf(r.cancels);
      const previous = cancelled[key];
      if (previous === undefined || compareStrings(r.headerId, previous.by) < 0) {
        cancelled[key] = { by: r.headerId, event: applied[key]?.baseEvent ?? r.baseEvent };
      }
      continue;
    }
    const key = isCorrection(r, applied) && r.revises !== undefined ? rootOf(r.revises) : r.headerId;
    members.set(key, [...(members.get(key) ?? []), r]);
  }

  const lineages: Lineage[] = [];
  for (const [key, group] of members) {
    if (cancelled[key] !== undefined) continue;
    const bySent = [...group].sort((a, b) => timeOf(a.sentAt) - timeOf(b.sentAt) || compareStrings(a.headerId, b.headerId));
    const original = applied[key];
    const position = original !== undefined && group.includes(original) ? original : bySent[0];
    const content = bySent.at(-1);
    if (position === undefined || content === undefined) continue;
    lineages.push({ key, kind: position.baseEvent, position, content });
  }
  const ordered = orderLineages(lineages);

  const last = ordered.at(-1);
  const admissions = new Set<HnBaseEvent>(['STIN', 'STAA']);
  const cancelledAdmission = records.find(
    (r) => r.change === 'cancellation' && r.cancels !== undefined && admissions.has(cancelled[rootOf(r.cancels)]?.event ?? r.baseEvent),
  );
  const latestCancellation = records
    .filter((r) => r.change === 'cancellation')
    .sort((a, b) => timeOf(a.sentAt) - timeOf(b.sentAt) || compareStrings(a.headerId, b.headerId))
    .at(-1);

  let status: string | undefined;
  let cls: EncounterClass | undefined;
  if (cancelledAdmission !== undefined && !ordered.some((l) => admissions.has(l.kind))) {
    status = 'entered-in-error';
    cls = cancelledAdmission.encounter.class;
  } else if (last !== undefined) {
    status = last.content.encounter.status;
    cls = last.content.encounter.class;
  } else if (latestCancellation !== undefined) {
    status = latestCancellation.encounter.status;
    cls = latestCancellation.encounter.class;
  }

  const inForce = ordered.map((l) => l.content);
  const freshestStart = [...inForce]
    .filter((r) => r.encounter.periodStart !== undefined)
    .sort((a, b) => timeOf(a.sentAt) - timeOf(b.sentAt) || compareStrings(a.headerId, b.headerId))
    .at(-1)?.encounter.periodStart;
  const ended = last !== undefined && (last.kind === 'SLHJ' || last.kind === 'MORS');
  const deaths = ordered.filter((l) => l.kind === 'MORS');

  return {
    applied: Object.fromEntries(records.map((r) => [r.headerId, r])),
    encounter: {
      status,
      class: cls,
      periodStart: freshestStart,
      periodEnd: ended ? last.content.encounter.periodEnd : undefined,
      leave: foldLeave(ordered),
    },
    deceased: deaths.length > 0,
    deathAt: deaths.at(-1)?.content.encounter.periodEnd,
    episodeOfCareIds: unionEpisodeOfCareIds(records),
    serviceProviderSor: last?.content.serviceProviderSor ?? latestCancellation?.serviceProviderSor,
    timeline: ordered.map((l) => ({
      key: l.key,
      event: l.kind,
      headerId: l.content.headerId,
      at: eventTime(l.kind, l.content),
      class: l.content.encounter.class,
      serviceProviderSor: l.content.serviceProviderSor,
      episodeOfCareId: primaryEpisodeOfCareId(l.content.episodeOfCareIds)?.normalised,
    })),
    cancelled,
  };
}

/**
 * Stay order: Kahn's topological sort over "A is in B's Provenance stack", always taking the
 * available lineage with the earliest send time (then the shorter stack, then the header id), so the
 * order is a function of the set alone. A cycle (never legitimate) falls back to the same key.
 */
function orderLineages(lineages: readonly Lineage[]): Lineage[] {
  const keyOrder = (a: Lineage, b: Lineage): number =>
    timeOf(a.position.sentAt) - timeOf(b.position.sentAt) ||
    a.position.chain.length - b.position.chain.length ||
    compareStrings(a.key, b.key);
  const before = (a: Lineage, b: Lineage): boolean =>
    a !== b && (b.position.chain.includes(a.position.headerId) || b.content.chain.includes(a.key));
  const remaining = [...lineages].sort(keyOrder);
  const out: Lineage[] = [];
  while (remaining.length > 0) {
    const free = remaining.find((l) => !remaining.some((other) => before(other, l))) ?? remaining[0];
    if (free === undefined) break;
    out.push(free);
    remaining.splice(remaining.indexOf(free), 1);
  }
  return out;
}

/** Leave periods in stay order: matched by start; an end with no matching start closes the open leave. */
function foldLeave(ordered: readonly Lineage[]): LeavePeriod[] {
  const leaves: LeavePeriod[] = [];
  for (const l of ordered) {
    for (const p of l.content.encounter.leave) {
      const same = leaves.find((x) => x.start !== undefined && p.start !== undefined && timeOf(x.start) === timeOf(p.start));
      if (same !== undefined) {
        if (p.end !== undefined) same.end = p.end;
        continue;
      }
      const open = leaves.find((x) => x.end === undefined);
      if (p.end !== undefined && open !== undefined && (l.kind === 'SLOR' || p.start === undefined)) {
        open.end = p.end;
        continue;
      }
      leaves.push({ start: p.start, end: p.end });
    }
  }
  return leaves;
}

function eventTime(kind: HnBaseEvent, r: AppliedNotification): string | undefined {
  switch (kind) {
    case 'STAA':
    case 'STIN':
      return r.encounter.periodStart;
    case 'STOR':
      return r.encounter.leave.at(-1)?.start;
    case 'SLOR':
      return r.encounter.leave.filter((l) => l.end !== undefined).at(-1)?.end;
    case 'SLHJ':
    case 'MORS':
      return r.encounter.periodEnd;
  }
}

const KIND_ORDER: Record<EpisodeOfCareId['kind'], number> = { local: 0, lpr3: 1, other: 2 };

function unionEpisodeOfCareIds(records: readonly AppliedNotification[]): EpisodeOfCareId[] {
  const byKey = new Map<string, EpisodeOfCareId>();
  for (const r of records) {
    for (const id of r.episodeOfCareIds) {
      const key = `${id.kind}|${id.normalised}`;
      const seen = byKey.get(key);
      if (seen === undefined || compareStrings(`${id.system}|${id.value}`, `${seen.system}|${seen.value}`) < 0) byKey.set(key, { ...id });
    }
  }
  return [...byKey.values()].sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || compareStrings(a.normalised, b.normalised));
}

/** A fact other capabilities consume (timeliness, responsibility): what the stay change means. */
export interface StayDomainEvent {
  /** Deterministic, so consumers can de-duplicate: `<type>:<key>:<headerId>`. */
  id: string;
  type: 'admission' | 'leave-start' | 'leave-end' | 'discharge' | 'death' | 'cancellation' | 'correction';
  /** The HN event the fact is about (for cancellation/correction: the withdrawn or corrected one). */
  event: HnBaseEvent;
  /** MessageHeader id of the original event. */
  key: string;
  /** MessageHeader id of the notification that brought this fact (the AN_ for a cancellation, the RE_ for a correction). */
  headerId: string;
  /** When it happened, as sent (for a cancellation: the withdrawn time). */
  at: string | undefined;
  /** For a correction: the time that was in force before. */
  previousAt?: string | undefined;
  class: EncounterClass | undefined;
  /** SOR of the department in charge; for a discharge, the discharging department. */
  departmentSor: string | undefined;
  /** The flow's correlation id as the notification carries it (local before LPR3), normalised. */
  episodeOfCareId: string | undefined;
}

const FACT: Record<HnBaseEvent, StayDomainEvent['type']> = {
  STAA: 'admission',
  STIN: 'admission',
  STOR: 'leave-start',
  SLOR: 'leave-end',
  SLHJ: 'discharge',
  MORS: 'death',
};

/**
 * The domain events a state change means, as a pure function of (before, after): an event newly
 * in force gives its fact (admission, leave-start, leave-end, discharge, death); one whose content
 * changed gives a correction; one no longer in force gives a cancellation. Replays give none.
 */
export function stayEventsBetween(before: StayState | undefined, after: StayState): StayDomainEvent[] {
  const previous = new Map((before?.timeline ?? []).map((t) => [t.key, t]));
  const now = new Set(after.timeline.map((t) => t.key));
  const events: StayDomainEvent[] = [];
  const make = (type: StayDomainEvent['type'], t: TimelineEntry, headerId: string): StayDomainEvent => ({
    id: `${type}:${t.key}:${headerId}`,
    type,
    event: t.event,
    key: t.key,
    headerId,
    at: t.at,
    class: t.class,
    departmentSor: t.serviceProviderSor,
    episodeOfCareId: t.episodeOfCareId,
  });
  for (const t of after.timeline) {
    const p = previous.get(t.key);
    if (p === undefined) events.push(make(FACT[t.event], t, t.headerId));
    else if (p.headerId !== t.headerId || p.at !== t.at) events.push({ ...make('correction', t, t.headerId), previousAt: p.at });
  }
  for (const p of before?.timeline ?? []) {
    if (!now.has(p.key)) events.push(make('cancellation', p, after.cancelled[p.key]?.by ?? p.key));
  }
  return events;
}

/** {@link applyHospitalNotification} plus the domain events of the change. */
export function applyHospitalNotificationWithEvents(
  state: StayState | undefined,
  n: StayNotification,
): { state: StayState; events: StayDomainEvent[] } {
  const next = applyHospitalNotification(state, n);
  return { state: next, events: next === state ? [] : stayEventsBetween(state, next) };
}
