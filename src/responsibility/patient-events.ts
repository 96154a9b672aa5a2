import { normaliseEpisodeOfCareId, type StayDomainEvent } from '../medcom/index.ts';
import { SYSTEM } from '../shared/index.ts';
import type { DomainEventRecord } from '../store/index.ts';
import { formatCopenhagenInstant, type BasisEntry } from './engine.ts';
import type { DischargedEvent, OrganizationUnit, ResponsibilityEvent } from './events.ts';
import type { CareCommunicationExtensionRule } from './rules.ts';

/**
 * From what the store holds about a patient (the stay facts HospitalNotifications left, discharge
 * documents sent to the municipality, CareCommunications) to the rule engine's event vocabulary.
 * Pure: the service reads the store and passes the facts in.
 */

/** A stored fact an answer rests on that is not an engine event: a skipped stay fact, a document, a message, the GP. */
export interface SourceEntry {
  kind: 'source';
  /** The domain event id (e.g. `discharge:<key>:<headerId>`) or a resource reference (`DocumentReference/<id>`). */
  id: string;
  /** What it is: the stay fact type, the document type, the message category. */
  type: string;
  at: string | null;
  note: string;
}

/** What the API's `basis` lists: the engine's events and rules, plus the stored facts behind them. */
export type ResponsibilityBasisEntry = BasisEntry | SourceEntry;

/** A basis entry from the mapping, and which answers it belongs in. */
export interface MappingNote {
  entry: ResponsibilityBasisEntry;
  /** The engine event this note explains: it belongs in every answer whose basis cites that event. */
  about?: string | undefined;
  /** When the noted fact happened: it belongs in the answer whose period contains that instant. */
  at?: Date | undefined;
}

/** The two document types sent to the municipality that imply municipal nursing after discharge. */
export const MUNICIPAL_CARE_DOCUMENT_TYPES = ['udskrivningsrapport', 'plejeforloebsplan'] as const;
export type MunicipalCareDocumentType = (typeof MUNICIPAL_CARE_DOCUMENT_TYPES)[number];

/** An udskrivningsrapport (discharge report, XDIS18) or plejeforløbsplan (care plan, XDIS21) stored for the patient. */
export interface MunicipalCareDocument {
  /** `DocumentReference/<id>`. */
  reference: string;
  type: MunicipalCareDocumentType;
  /** Normalised (see `normaliseEpisodeOfCareId`); undefined when the document carries none. */
  episodeOfCareId: string | undefined;
  /** The end of the document's encounter: the discharge it was written for. */
  dischargeAt: Date | undefined;
  /** The document's own date (Bundle.timestamp). */
  date: Date | undefined;
}

/** The domain event type of an extension of the window: a CareCommunication, or `POST /api/responsibility/extension`. */
export const EXTENSION_EVENT_TYPE = 'responsibility-extension';

/** What an extension's domain event carries (the record's `occurredAt` is when it was said, its `departmentSor` who said it). */
export type ExtensionPayload =
  | { source: 'care-communication'; communication: string }
  | { source: 'api'; until: string; clientId: string; reason?: string | undefined };

export function readExtensionPayload(payload: Record<string, unknown>): ExtensionPayload | undefined {
  if (payload.source === 'care-communication' && typeof payload.communication === 'string') {
    return { source: 'care-communication', communication: payload.communication };
  }
  if (payload.source === 'api' && typeof payload.until === 'string' && typeof payload.clientId === 'string') {
    return { source: 'api', until: payload.until, clientId: payload.clientId, reason: typeof payload.reason === 'string' ? payload.reason : undefined };
  }
  return undefined;
}

export interface PatientFacts {
  /** The patient's domain events, in the order they were recorded. */
  records: readonly DomainEventRecord[];
  /** Department units by SOR code, with name and telecom where the registry knows them. */
  departments: ReadonlyMap<string, OrganizationUnit>;
  documents: readonly MunicipalCareDocument[];
  /** How far a CareCommunication extends the window (it carries no end time). */
  careCommunicationExtension: CareCommunicationExtensionRule;
}

export interface MappedEvents {
  events: ResponsibilityEvent[];
  notes: MappingNote[];
  /** Engine event id → the stored fact it came from (the municipality is found from its message). */
  sources: Map<string, DomainEventRecord>;
}

/** Documents this close to a discharge count as written for it when an episode-of-care id cannot decide. */
export const MUNICIPAL_CARE_MATCH_HOURS = 48;
const HOUR_MS = 3_600_000;

const DOCUMENT_TYPE_SYSTEM = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-document-type';

const fmt = (d: Date | undefined): string | null => (d === undefined ? null : formatCopenhagenInstant(d));

/** Mapping rules cited in answers (code, not configuration, but versioned like the engine's). */
const RULE = {
  somatic: {
    kind: 'rule',
    id: 'somatic-assumed',
    version: '1',
    note: 'a HospitalNotification does not say whether the stay was somatic or psychiatric: assumed somatic',
  },
  inferred: {
    kind: 'rule',
    id: 'municipal-care-inferred',
    version: '1',
    note:
      `no feed carries an explicit municipal-nursing flag, so it is inferred from an udskrivningsrapport or plejeforløbsplan for the patient: ` +
      `matched on the episode-of-care id when the discharge and the document both carry one, otherwise when the document's discharge ` +
      `(or, without one, its date) is within ${String(MUNICIPAL_CARE_MATCH_HOURS)} h of the discharge`,
  },
  unknown: {
    kind: 'rule',
    id: 'municipal-care-unknown',
    version: '1',
    note:
      'the municipal-care fact is unknown: no explicit flag and no matching udskrivningsrapport or plejeforløbsplan, ' +
      'so the discharge is not counted as one to municipal nursing',
  },
  region: {
    kind: 'rule',
    id: 'region-default',
    version: '1',
    note: "a HospitalNotification names no region: the rules' default region applies",
  },
} as const satisfies Record<string, BasisEntry>;

const STAY_EVENT_TYPES: readonly string[] = ['admission', 'leave-start', 'leave-end', 'discharge', 'death', 'cancellation', 'correction'];

/** The stay fact in a domain event's payload, or undefined when the payload is not one. */
export function readStayEvent(payload: Record<string, unknown>): StayDomainEvent | undefined {
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const { id, type, event, key, headerId } = payload;
  if (typeof id !== 'string' || typeof type !== 'string' || !STAY_EVENT_TYPES.includes(type)) return undefined;
  if (typeof event !== 'string' || typeof key !== 'string' || typeof headerId !== 'string') return undefined;
  const cls = payload.class === 'IMP' || payload.class === 'EMER' ? payload.class : undefined;
  return {
    id,
    type: type as StayDomainEvent['type'],
    event: event as StayDomainEvent['event'],
    key,
    headerId,
    at: str(payload.at),
    previousAt: str(payload.previousAt),
    class: cls,
    departmentSor: str(payload.departmentSor),
    episodeOfCareId: str(payload.episodeOfCareId),
  };
}

const instant = (value: string | undefined): Date | undefined => {
  if (value === undefined) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
};

/** Acute ambulant (STAA, class EMER) is not an inpatient stay: its admission and discharge leave responsibility as it is. */
const isAmbulant = (e: StayDomainEvent): boolean => e.class === 'EMER' || (e.class === undefined && e.event === 'STAA');

export interface MunicipalCareFact {
  receivesMunicipalCare: boolean;
  /** True when the fact rests on a matched document rather than a flag from the sender. */
  inferred: boolean;
  basis: ResponsibilityBasisEntry[];
}

/**
 * Whether a discharge was to municipal nursing. No feed carries an explicit flag today (the
 * HospitalNotification has none, nor do the discharge document profiles), so the answer is
 * inferred from an udskrivningsrapport or plejeforløbsplan for the same patient: it matches on the
 * episode-of-care id when both the discharge and the document carry one (the id is returned in
 * every message of a flow, domain.md §5), and otherwise when the document's discharge (or, without
 * one, its date) lies within 48 h of the discharge.
 */
export function municipalCareFor(
  discharge: { at: Date; episodeOfCareId: string | undefined },
  documents: readonly MunicipalCareDocument[],
): MunicipalCareFact {
  const matches: { doc: MunicipalCareDocument; how: string }[] = [];
  for (const doc of documents) {
    if (discharge.episodeOfCareId !== undefined && doc.episodeOfCareId !== undefined) {
      if (doc.episodeOfCareId === discharge.episodeOfCareId) matches.push({ doc, how: 'for the same episode of care' });
      continue;
    }
    const when = doc.dischargeAt ?? doc.date;
    if (when !== undefined && Math.abs(when.getTime() - discharge.at.getTime()) <= MUNICIPAL_CARE_MATCH_HOURS * HOUR_MS) {
      const what = doc.dischargeAt === undefined ? 'dated' : 'with its discharge';
      matches.push({ doc, how: `${what} ${formatCopenhagenInstant(when)}, within ${String(MUNICIPAL_CARE_MATCH_HOURS)} h of the discharge` });
    }
  }
  if (matches.length === 0) return { receivesMunicipalCare: false, inferred: false, basis: [RULE.unknown] };
  return {
    receivesMunicipalCare: true,
    inferred: true,
    basis: [
      ...matches.map(({ doc, how }): SourceEntry => ({
        kind: 'source',
        id: doc.reference,
        type: doc.type,
        at: fmt(doc.dischargeAt ?? doc.date),
        note: `${doc.type} sent to the municipality ${how}: discharged to municipal nursing (inferred)`,
      })),
      RULE.inferred,
    ],
  };
}

/** Reads an udskrivningsrapport or plejeforløbsplan from its stored DocumentReference; undefined for other documents. */
export function readMunicipalCareDocument(ref: fhir4.DocumentReference): MunicipalCareDocument | undefined {
  const code = ref.type?.coding?.find((c) => c.system === DOCUMENT_TYPE_SYSTEM)?.code;
  const type = MUNICIPAL_CARE_DOCUMENT_TYPES.find((t) => t === code);
  if (type === undefined || ref.id === undefined) return undefined;
  const episode = ref.context?.related?.map((r) => r.identifier?.value).find((v) => v !== undefined && v.trim() !== '');
  return {
    reference: `DocumentReference/${ref.id}`,
    type,
    episodeOfCareId: episode === undefined ? undefined : normaliseEpisodeOfCareId(episode),
    dischargeAt: instant(ref.context?.period?.end),
    date: instant(ref.date),
  };
}

/** The SOR code a `Patient.generalPractitioner` reference names directly (its identifier), if any. */
export function sorOfReference(ref: fhir4.Reference): string | undefined {
  const id = ref.identifier;
  return id?.system === SYSTEM.sor && id.value !== undefined && /^\d+$/.test(id.value.trim()) ? id.value.trim() : undefined;
}

/**
 * Maps a patient's stored facts to engine events, with notes for what the engine does not see:
 * - admission (STIN, class IMP) → `admitted`; after a discharge the engine reads it as a readmission;
 * - an acute ambulant stay (STAA, class EMER) is not an inpatient one: its admission does not end a
 *   window and its discharge starts none, so neither becomes an engine event (a note says so);
 * - discharge (SLHJ, IMP) → `discharged` from the department (registry name and telecom), somatic
 *   assumed, municipal nursing inferred from documents ({@link municipalCareFor});
 * - leave (STOR, SLOR) changes nothing: the hospital keeps responsibility during leave;
 * - death (MORS) → `died`;
 * - cancellation of X → `corrected` with `enteredInError`, targeting X's engine event;
 * - correction of X → `corrected` with `set: { at }` (and the department if it changed); only the
 *   latest correction of X counts, since each one carries X's whole content as it now stands;
 * - an extension (domain event `responsibility-extension`) → `extended` by its sender's department:
 *   from `POST /api/responsibility/extension` until the time given; from a CareCommunication
 *   `extended-care-responsibility` until the configured hours after it was sent, marked inferred,
 *   because MedCom gives the message no structured end time and none is guessed from its text.
 */
export function toResponsibilityEvents(facts: PatientFacts): MappedEvents {
  const events: ResponsibilityEvent[] = [];
  const notes: MappingNote[] = [];
  const sources = new Map<string, DomainEventRecord>();
  /** Lineage (stay key + original MessageHeader id) → its engine event id, or why it has none. */
  const lineages = new Map<string, { engineId: string; skipped: string | undefined; discharge: DischargedEvent | undefined; episodeOfCareId: string | undefined }>();
  const corrections = new Map<string, { record: DomainEventRecord; fact: StayDomainEvent }[]>();
  const cancellations: { record: DomainEventRecord; fact: StayDomainEvent }[] = [];
  /** The municipal-care basis of each discharge; a correction that moves the discharge replaces it. */
  const careBasis = new Map<string, ResponsibilityBasisEntry[]>();

  const source = (fact: StayDomainEvent, at: Date | undefined, note: string): SourceEntry => ({ kind: 'source', id: fact.id, type: fact.type, at: fmt(at), note });
  const unit = (sor: string): OrganizationUnit => facts.departments.get(sor) ?? { sor };

  for (const record of facts.records) {
    if (record.type === EXTENSION_EVENT_TYPE) {
      const extension = toExtendedEvent(record, facts, unit);
      if ('note' in extension) notes.push({ entry: extension.note, at: record.occurredAt });
      else {
        events.push(extension.event);
        sources.set(extension.event.id, record);
        if (extension.rule !== undefined) notes.push({ entry: extension.rule, about: extension.event.id });
      }
      continue;
    }
    const fact = readStayEvent(record.payload);
    if (fact === undefined) {
      notes.push({ entry: { kind: 'source', id: record.id, type: record.type, at: fmt(record.occurredAt), note: 'an unreadable stored fact: ignored' } });
      continue;
    }
    const lineage = `${record.stayKey}|${fact.key}`;
    const at = instant(fact.at);
    if (fact.type === 'correction') {
      corrections.set(lineage, [...(corrections.get(lineage) ?? []), { record, fact }]);
      continue;
    }
    if (fact.type === 'cancellation') {
      cancellations.push({ record, fact });
      continue;
    }
    const skip = (why: string): void => {
      lineages.set(lineage, { engineId: fact.id, skipped: why, discharge: undefined, episodeOfCareId: fact.episodeOfCareId });
      notes.push({ entry: source(fact, at, why), at });
    };
    if (at === undefined) {
      skip(`${fact.type} (${fact.event}) without a time: it cannot be placed on the timeline`);
      continue;
    }
    switch (fact.type) {
      case 'admission':
        if (isAmbulant(fact)) {
          skip(`acute ambulant admission (${fact.event}, class EMER): not an inpatient stay, so it does not end a window`);
          break;
        }
        events.push({ id: fact.id, type: 'admitted', at, ...(fact.departmentSor === undefined ? {} : { department: unit(fact.departmentSor) }) });
        lineages.set(lineage, { engineId: fact.id, skipped: undefined, discharge: undefined, episodeOfCareId: fact.episodeOfCareId });
        sources.set(fact.id, record);
        break;
      case 'discharge': {
        if (isAmbulant(fact)) {
          skip(`discharge from an acute ambulant stay (class EMER): not an inpatient discharge, so it starts no window`);
          break;
        }
        if (fact.departmentSor === undefined) {
          skip('discharge without the department’s SOR code: no department can be named, so it starts no window');
          break;
        }
        const care = municipalCareFor({ at, episodeOfCareId: fact.episodeOfCareId }, facts.documents);
        const discharge: DischargedEvent = {
          id: fact.id,
          type: 'discharged',
          at,
          department: unit(fact.departmentSor),
          somatic: true,
          receivesMunicipalCare: care.receivesMunicipalCare,
          municipalCareInferred: care.inferred,
        };
        events.push(discharge);
        lineages.set(lineage, { engineId: fact.id, skipped: undefined, discharge, episodeOfCareId: fact.episodeOfCareId });
        sources.set(fact.id, record);
        careBasis.set(fact.id, care.basis);
        for (const entry of [RULE.somatic, RULE.region]) notes.push({ entry, about: fact.id });
        break;
      }
      case 'death':
        events.push({ id: fact.id, type: 'died', at });
        lineages.set(lineage, { engineId: fact.id, skipped: undefined, discharge: undefined, episodeOfCareId: fact.episodeOfCareId });
        sources.set(fact.id, record);
        break;
      case 'leave-start':
      case 'leave-end':
        skip(`${fact.type} (${fact.event}): the hospital keeps responsibility during leave, so nothing changes`);
        break;
    }
  }

  for (const [lineage, list] of corrections) {
    const latest = list.at(-1);
    if (latest === undefined) continue;
    for (const { fact } of list.slice(0, -1)) {
      notes.push({ entry: source(fact, instant(fact.at), 'correction superseded by a later correction of the same event'), at: instant(fact.at) });
    }
    const { fact, record } = latest;
    const at = instant(fact.at);
    const target = lineages.get(lineage);
    if (target === undefined) {
      notes.push({ entry: source(fact, at, 'corrects an event that is not on record: ignored') });
      continue;
    }
    if (target.skipped !== undefined || at === undefined) {
      const why = at === undefined ? 'the correction gives no time' : 'the corrected event does not change responsibility';
      notes.push({ entry: source(fact, at, `correction of ${fact.event}: ${why}`), at });
      continue;
    }
    const set: Changes = { at };
    const original = target.discharge;
    if (original !== undefined) {
      if (fact.departmentSor !== undefined && fact.departmentSor !== original.department.sor) set.department = unit(fact.departmentSor);
      // The discharge moved: the documents that match it may be others now.
      const care = municipalCareFor({ at, episodeOfCareId: fact.episodeOfCareId ?? target.episodeOfCareId }, facts.documents);
      set.receivesMunicipalCare = care.receivesMunicipalCare;
      set.municipalCareInferred = care.inferred;
      careBasis.set(target.engineId, care.basis);
    }
    events.push(correctedWith(fact.id, set, target.engineId));
    sources.set(fact.id, record);
  }

  for (const { fact, record } of cancellations) {
    const target = lineages.get(`${record.stayKey}|${fact.key}`);
    const at = instant(fact.at);
    if (target === undefined || target.skipped !== undefined) {
      const why = target === undefined ? 'the cancelled event is not on record' : 'the cancelled event did not change responsibility';
      notes.push({ entry: source(fact, at, `cancellation of ${fact.event}: ${why}`), at });
      continue;
    }
    const targetEvent = events.find((e) => e.id === target.engineId);
    events.push({ id: fact.id, type: 'corrected', at: at ?? targetEvent?.at ?? new Date(0), targetId: target.engineId, enteredInError: true });
    sources.set(fact.id, record);
  }

  for (const [about, entries] of careBasis) for (const entry of entries) notes.push({ entry, about });
  return { events, notes, sources };
}

/** An extension's engine event, with the rule its end rests on; or why it cannot be one. */
function toExtendedEvent(
  record: DomainEventRecord,
  facts: PatientFacts,
  unit: (sor: string) => OrganizationUnit,
): { event: ResponsibilityEvent; rule?: BasisEntry | undefined } | { note: SourceEntry } {
  const payload = readExtensionPayload(record.payload);
  const at = record.occurredAt;
  const ignored = (why: string): { note: SourceEntry } => ({ note: { kind: 'source', id: record.id, type: EXTENSION_EVENT_TYPE, at: fmt(at), note: `${why}: ignored` } });
  if (payload === undefined) return ignored('an unreadable stored extension');
  if (at === undefined) return ignored('an extension without a time');
  const department = record.departmentSor === undefined ? undefined : unit(record.departmentSor);
  if (payload.source === 'api') {
    const until = instant(payload.until);
    if (until === undefined) return ignored('an extension without a readable end');
    return { event: { id: record.id, type: 'extended', at, until, department } };
  }
  const rule = facts.careCommunicationExtension;
  return {
    event: { id: record.id, type: 'extended', at, until: new Date(at.getTime() + rule.hours * HOUR_MS), department, inferred: true },
    rule: {
      kind: 'rule',
      id: rule.id,
      version: rule.version,
      note: `${payload.communication}: a CareCommunication extended-care-responsibility carries no end time, so it extends the window to ${String(rule.hours)} h after it was sent`,
    },
  };
}

type Changes = { at: Date } & Partial<Pick<DischargedEvent, 'department' | 'receivesMunicipalCare' | 'municipalCareInferred'>>;

/** A correction's `at` orders several corrections of one target; there is only ever one here (the latest). */
function correctedWith(id: string, set: Changes, targetId: string): ResponsibilityEvent {
  return { id, type: 'corrected', at: set.at, targetId, set };
}
