import { formatCopenhagen, localDateOf } from '../shared/time.ts';
import type {
  CorrectedEvent,
  DischargedEvent,
  EventChanges,
  OrganizationUnit,
  ResponsibilityEvent,
  ResponsibilityEventType,
  TimelineEvent,
} from './events.ts';
import { windowRuleFor, type ResponsibilityRules, type WindowRule } from './rules.ts';

/**
 * The *udvidet behandlingsansvar* rule engine (domain.md §4): pure functions from a patient's
 * events and the rule configuration to the periods of who holds treatment responsibility.
 */

export type HolderKind = 'hospital-department' | 'general-practitioner' | 'none';

export interface Holder {
  kind: HolderKind;
  organization: { sor: string; name: string | null } | null;
  telecom: fhir4.ContactPoint[];
}

/** What an answer rests on: an event (with what it did) or a configured rule (with its version). */
export type BasisEntry =
  | { kind: 'event'; id: string; type: ResponsibilityEventType; at: string; note: string }
  | { kind: 'rule'; id: string; version: string; note: string };

/** One stretch of the timeline with one holder; `from` null is the beginning of time, `until` null is open-ended. */
export interface ResponsibilityPeriod {
  holder: Holder;
  from: Date | null;
  /** Exclusive: at exactly `until` the next period holds it. */
  until: Date | null;
  inferred: boolean;
  basis: BasisEntry[];
}

/** The answer object of the API and the CLI; times are Copenhagen ISO 8601 with milliseconds. */
export interface ResponsibilityAnswer {
  holder: Holder;
  from: string | null;
  until: string | null;
  inferred: boolean;
  basis: BasisEntry[];
}

const HOUR_MS = 3_600_000;

/** The Copenhagen wall clock with milliseconds and offset (the shared formatter under its old name). */
export const formatCopenhagenInstant = formatCopenhagen;

const eventEntry = (e: ResponsibilityEvent, note: string): BasisEntry => ({
  kind: 'event',
  id: e.id,
  type: e.type,
  at: formatCopenhagenInstant(e.at),
  note,
});

/** Structural rules of the engine; they are code, not configuration, but answers cite them all the same. */
const RULE = {
  beforeFirstDischarge: { kind: 'rule', id: 'before-first-discharge', version: '1', note: 'before the first known discharge the rule names no holder' },
  outsideWindow: { kind: 'rule', id: 'general-practitioner-outside-window', version: '1', note: "outside a window after a discharge the patient's GP holds it" },
  inpatient: { kind: 'rule', id: 'readmission-ends-window', version: '1', note: 'the patient is an inpatient again: no holder under this rule until the next discharge' },
  death: { kind: 'rule', id: 'death-ends-responsibility', version: '1', note: 'death ends the window; no holder from death on' },
} as const satisfies Record<string, BasisEntry>;

// ───────────────────────────── corrections ─────────────────────────────

/** A timeline event as it stands after corrections, with its input position (the tie-breaker) and the corrections applied. */
export interface AppliedEvent {
  event: TimelineEvent;
  order: number;
  corrections: BasisEntry[];
}

export interface CorrectionResult {
  /** Ordered by `at`, ties by input order. */
  events: AppliedEvent[];
  /** Removals and corrections that could not be applied (unknown target, cycle): they belong in every answer's basis. */
  notes: BasisEntry[];
}

/** Which fields a correction may set on each event type; others are reported and ignored. */
const SETTABLE: Record<TimelineEvent['type'], readonly (keyof EventChanges)[]> = {
  admitted: ['at', 'department'],
  discharged: ['at', 'department', 'receivesMunicipalCare', 'somatic', 'region', 'municipalCareInferred'],
  readmitted: ['at', 'department'],
  died: ['at'],
  extended: ['at', 'until'],
};

const isCorrection = (e: ResponsibilityEvent): e is CorrectedEvent => e.type === 'corrected';

const changedFields = (changes: EventChanges): (keyof EventChanges)[] =>
  (Object.keys(changes) as (keyof EventChanges)[]).filter((k) => changes[k] !== undefined);

/** The target with the changes merged in; a correction's changes merge into the target correction's `set`. */
function mergeChanges(target: ResponsibilityEvent, changes: EventChanges): { event: ResponsibilityEvent; ignored: string[] } {
  const fields = changedFields(changes);
  if (isCorrection(target)) {
    if (target.set === undefined) return { event: target, ignored: fields };
    return { event: { ...target, set: { ...target.set, ...changes } }, ignored: [] };
  }
  const allowed = SETTABLE[target.type];
  const merged: Record<string, unknown> = { ...target };
  const ignored: string[] = [];
  for (const field of fields) {
    if (allowed.includes(field)) merged[field] = changes[field];
    else ignored.push(field);
  }
  return { event: merged as unknown as ResponsibilityEvent, ignored };
}

/**
 * Applies corrections retroactively: `enteredInError` removes the target, `set` merges fields into
 * it (several corrections of one target apply in their own `at` order). A correction can itself be
 * cancelled or amended. Unknown targets and cycles are reported in `notes`, never thrown.
 */
export function applyCorrections(events: readonly ResponsibilityEvent[]): CorrectionResult {
  const index = new Map<string, number>();
  events.forEach((e, i) => {
    if (!index.has(e.id)) index.set(e.id, i);
  });
  const byId = (id: string): ResponsibilityEvent | undefined => {
    const i = index.get(id);
    return i === undefined ? undefined : events[i];
  };
  const notes: BasisEntry[] = [];
  const corrections = events.filter(isCorrection);

  // A correction that leads back to itself through its targets has no meaning: ignore the cycle.
  const cyclic = new Set<string>();
  for (const c of corrections) {
    const seen = new Set<string>();
    let target = byId(c.targetId);
    while (target !== undefined && isCorrection(target) && !seen.has(target.id)) {
      if (target.id === c.id) {
        cyclic.add(c.id);
        break;
      }
      seen.add(target.id);
      target = byId(target.targetId);
    }
  }

  const byTarget = new Map<string, CorrectedEvent[]>();
  for (const c of corrections) {
    if (cyclic.has(c.id)) notes.push(eventEntry(c, `part of a cycle of corrections (targets "${c.targetId}"): ignored`));
    else if (!index.has(c.targetId)) notes.push(eventEntry(c, `targets "${c.targetId}", which is not a known event: ignored`));
    else byTarget.set(c.targetId, [...(byTarget.get(c.targetId) ?? []), c]);
  }
  const position = (e: ResponsibilityEvent): number => index.get(e.id) ?? 0;
  const chronological = (a: ResponsibilityEvent, b: ResponsibilityEvent): number => a.at.getTime() - b.at.getTime() || position(a) - position(b);
  for (const list of byTarget.values()) list.sort(chronological);

  interface Resolved {
    event: ResponsibilityEvent;
    corrections: BasisEntry[];
  }
  const memo = new Map<string, Resolved | null>();
  const resolve = (original: ResponsibilityEvent): Resolved | null => {
    const cached = memo.get(original.id);
    if (cached !== undefined) return cached;
    let result: Resolved | null = null;
    if (!cyclic.has(original.id)) {
      let current = original;
      const applied: BasisEntry[] = [];
      let removed = false;
      for (const c of byTarget.get(original.id) ?? []) {
        const inForce = resolve(c);
        if (inForce === null || !isCorrection(inForce.event)) continue;
        const correction = inForce.event;
        const what = `${original.type} "${original.id}"`;
        if (removed) {
          notes.push(eventEntry(correction, `${what} was already removed: ignored`), ...inForce.corrections);
        } else if (correction.enteredInError === true) {
          removed = true;
          notes.push(eventEntry(correction, `removes ${what} (entered in error)`), ...inForce.corrections);
        } else {
          const { event, ignored } = mergeChanges(current, correction.set);
          current = event;
          const set = changedFields(correction.set).filter((f) => !ignored.includes(f));
          const skipped = ignored.length > 0 ? `; ${ignored.join(', ')} not applicable to ${original.type}: ignored` : '';
          const note = set.length > 0 ? `sets ${set.join(', ')} on ${what}${skipped}` : `changes nothing on ${what}${skipped}`;
          applied.push(eventEntry(correction, note), ...inForce.corrections);
        }
      }
      result = removed ? null : { event: current, corrections: applied };
    }
    memo.set(original.id, result);
    return result;
  };

  const timeline: AppliedEvent[] = [];
  events.forEach((e, order) => {
    if (isCorrection(e)) return;
    const r = resolve(e);
    if (r === null || isCorrection(r.event)) return;
    timeline.push({ event: r.event, order, corrections: r.corrections });
  });
  timeline.sort((a, b) => a.event.at.getTime() - b.event.at.getTime() || a.order - b.order);
  return { events: timeline, notes };
}

// ───────────────────────────── periods ─────────────────────────────

const NONE: Holder = { kind: 'none', organization: null, telecom: [] };

const unitHolder = (kind: HolderKind, unit: OrganizationUnit): Holder => ({
  kind,
  organization: { sor: unit.sor, name: unit.name ?? null },
  telecom: unit.telecom ?? [],
});

const hoursText = (ms: number): string => String(Math.round((ms / HOUR_MS) * 100) / 100);

const windowRuleEntry = (rule: WindowRule, region: string): BasisEntry => ({
  kind: 'rule',
  id: rule.id,
  version: rule.version,
  note: `${String(rule.hours)} h window for discharges in ${region} from ${rule.effectiveFrom}${rule.effectiveTo === undefined ? '' : ` until ${rule.effectiveTo}`}`,
});

type Phase = 'before-discharge' | 'window' | 'general-practitioner' | 'inpatient' | 'dead';

interface OpenPeriod {
  phase: Phase;
  holder: Holder;
  from: Date | null;
  inferred: boolean;
  basis: BasisEntry[];
  /** Only in a window: its current (possibly extended) exclusive end. */
  windowEnd: Date | undefined;
}

/**
 * The ordered periods covering the patient's whole timeline (the first from null, the last until
 * null). `generalPractitioner` names the GP holder; without it the GP holder's organization is null.
 */
export function computePeriods(
  events: readonly ResponsibilityEvent[],
  rules: ResponsibilityRules,
  generalPractitioner?: OrganizationUnit,
): ResponsibilityPeriod[] {
  const { events: timeline, notes } = applyCorrections(events);
  const gpHolder: Holder =
    generalPractitioner === undefined ? { kind: 'general-practitioner', organization: null, telecom: [] } : unitHolder('general-practitioner', generalPractitioner);

  const periods: ResponsibilityPeriod[] = [];
  let open: OpenPeriod = { phase: 'before-discharge', holder: NONE, from: null, inferred: false, basis: [RULE.beforeFirstDischarge], windowEnd: undefined };
  /** The latest admission since the previous discharge: the stay's start. */
  let admission: AppliedEvent | undefined;

  const close = (until: Date | null, ending: BasisEntry[]): void => {
    // A period of no length (two changes at one instant) holds nothing; drop it.
    if (until !== null && open.from !== null && until.getTime() <= open.from.getTime()) return;
    periods.push({ holder: open.holder, from: open.from, until, inferred: open.inferred, basis: [...open.basis, ...ending, ...notes] });
  };
  const start = (next: Omit<OpenPeriod, 'windowEnd'> & { windowEnd?: Date }, ending: BasisEntry[]): void => {
    close(next.from, ending);
    open = { ...next, windowEnd: next.windowEnd };
  };

  /** Half-open windows: at exactly the end the GP holds it, so an event at the end sees the window closed. */
  const expireWindow = (now: Date | null): void => {
    const end = open.windowEnd;
    if (open.phase !== 'window' || end === undefined || (now !== null && now.getTime() < end.getTime())) return;
    const windowBasis = open.basis;
    start(
      {
        phase: 'general-practitioner',
        holder: gpHolder,
        from: end,
        inferred: false,
        basis: [...windowBasis, { ...RULE.outsideWindow, note: `the window ended at ${formatCopenhagenInstant(end)}; ${RULE.outsideWindow.note}` }],
      },
      [],
    );
  };

  const discharge = (applied: AppliedEvent & { event: DischargedEvent }): void => {
    const e = applied.event;
    const region = e.region ?? rules.defaultRegion;
    const localDate = localDateOf(e.at);
    const failures: string[] = [];
    const ruleBasis: BasisEntry[] = [];

    const windowRule = windowRuleFor(rules, region, localDate);
    if (!Object.hasOwn(rules.regions, region)) failures.push(`no rules for region "${region}"`);
    else if (windowRule === undefined) failures.push(`no window rule in force in ${region} on ${localDate}`);
    else ruleBasis.push(windowRuleEntry(windowRule, region));

    if (!e.somatic) failures.push('not a somatic stay');
    const inferredCare = e.municipalCareInferred === true;
    if (!e.receivesMunicipalCare) failures.push(`not discharged to municipal nursing${inferredCare ? ' (inferred)' : ''}`);

    const min = rules.minimumStay;
    const minNote = `a stay of at least ${String(min.hours)} h counts; an unknown admission time counts as eligible`;
    ruleBasis.push({ kind: 'rule', id: min.id, version: min.version, note: minNote });
    const stayBasis: BasisEntry[] = [];
    let stay = 'length of stay unknown (no admission since the previous discharge), counts as eligible';
    if (admission !== undefined) {
      const stayMs = e.at.getTime() - admission.event.at.getTime();
      stay = `stay of ${hoursText(stayMs)} h`;
      if (stayMs < min.hours * HOUR_MS) failures.push(`${stay} is shorter than ${String(min.hours)} h`);
      stayBasis.push(eventEntry(admission.event, `start of the stay: ${stay}`), ...admission.corrections);
    }

    const care = e.receivesMunicipalCare && inferredCare ? '; municipal nursing inferred' : '';
    if (windowRule !== undefined && failures.length === 0) {
      const until = new Date(e.at.getTime() + windowRule.hours * HOUR_MS);
      start(
        {
          phase: 'window',
          holder: unitHolder('hospital-department', e.department),
          from: e.at,
          inferred: inferredCare,
          basis: [
            eventEntry(e, `eligible discharge from ${e.department.sor} (${stay}${care}): window until ${formatCopenhagenInstant(until)}`),
            ...applied.corrections,
            ...stayBasis,
            ...ruleBasis,
          ],
          windowEnd: until,
        },
        [eventEntry(e, 'discharged: ends this period')],
      );
    } else {
      // The answer rests on an inferred fact only when municipal care was the sole failing condition.
      const onlyCareFailed = failures.length === 1 && !e.receivesMunicipalCare;
      start(
        {
          phase: 'general-practitioner',
          holder: gpHolder,
          from: e.at,
          inferred: inferredCare && onlyCareFailed,
          basis: [eventEntry(e, `not an eligible discharge: ${failures.join('; ')}`), ...applied.corrections, ...stayBasis, ...ruleBasis, RULE.outsideWindow],
        },
        [eventEntry(e, 'discharged: ends this period')],
      );
    }
    admission = undefined;
  };

  for (const applied of timeline) {
    const e = applied.event;
    expireWindow(e.at);
    const entry = (note: string): BasisEntry[] => [eventEntry(e, note), ...applied.corrections];
    if (open.phase === 'dead') {
      open.basis.push(...entry('after death: ignored'));
      continue;
    }
    switch (e.type) {
      case 'admitted':
      case 'readmitted':
        if (open.phase === 'window' || open.phase === 'general-practitioner') {
          const ends = open.phase === 'window' ? 'ends the window' : "ends the GP's period";
          start(
            { phase: 'inpatient', holder: NONE, from: e.at, inferred: false, basis: [...entry(`${e.type}: an inpatient again`), RULE.inpatient] },
            entry(`${e.type}: ${ends}`),
          );
        }
        admission = applied;
        break;
      case 'discharged':
        discharge({ ...applied, event: e });
        break;
      case 'died':
        start({ phase: 'dead', holder: NONE, from: e.at, inferred: false, basis: [...entry('death'), RULE.death] }, entry('died: ends this period'));
        break;
      case 'extended': {
        const end = open.windowEnd;
        if (open.phase !== 'window' || end === undefined) {
          const why = open.phase === 'general-practitioner' ? 'the window had already ended' : 'no window is current';
          open.basis.push(...entry(`extension at ${formatCopenhagenInstant(e.at)}: ${why}: ignored`));
        } else if (e.department !== undefined && open.holder.kind === 'hospital-department' && open.holder.organization?.sor !== e.department.sor) {
          open.basis.push(...entry(`extension by ${e.department.sor}, which does not hold the window (${open.holder.organization?.sor ?? 'unknown'}): ignored`));
        } else if (e.until.getTime() > end.getTime()) {
          open.windowEnd = e.until;
          // An end taken from configuration rather than from the sender is an inference, and the answer says so.
          if (e.inferred === true) open.inferred = true;
          const how = e.inferred === true ? ' (the end is the configured extension length, not sent)' : '';
          open.basis.push(...entry(`extends the window from ${formatCopenhagenInstant(end)} to ${formatCopenhagenInstant(e.until)}${how}`));
        } else {
          open.basis.push(...entry(`until ${formatCopenhagenInstant(e.until)} would not lengthen the window (ends ${formatCopenhagenInstant(end)}): ignored`));
        }
        break;
      }
    }
  }
  expireWindow(null);
  close(null, []);
  return periods;
}

/** The answer at an instant: the period with from ≤ at < until. */
export function responsibilityAt(periods: readonly ResponsibilityPeriod[], at: Date): ResponsibilityAnswer {
  const t = at.getTime();
  const period = periods.find((p) => (p.from === null || p.from.getTime() <= t) && (p.until === null || t < p.until.getTime()));
  if (period === undefined) throw new Error('responsibility periods do not cover the timeline');
  return {
    holder: period.holder,
    from: period.from === null ? null : formatCopenhagenInstant(period.from),
    until: period.until === null ? null : formatCopenhagenInstant(period.until),
    inferred: period.inferred,
    basis: period.basis,
  };
}
