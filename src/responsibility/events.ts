import { parseFhirDateRange } from '../shared/time.ts';

/**
 * The event vocabulary the *behandlingsansvar* (treatment responsibility) rules run over, and its
 * validation. Times carry an offset: MedCom never leaves it out and we never guess one
 * (domain.md §1.3).
 */

/** A SOR unit as events and answers name it: a hospital department or a GP practice. */
export interface OrganizationUnit {
  sor: string;
  name?: string | undefined;
  telecom?: fhir4.ContactPoint[] | undefined;
}

interface EventBase {
  id: string;
  at: Date;
}

export interface AdmittedEvent extends EventBase {
  type: 'admitted';
  department?: OrganizationUnit | undefined;
}

export interface DischargedEvent extends EventBase {
  type: 'discharged';
  department: OrganizationUnit;
  /** Discharged to municipal nursing (temporary bed, plejecenter, home nursing, bosted). */
  receivesMunicipalCare: boolean;
  somatic: boolean;
  /** Region id in the rules; absent means the rules' default region. */
  region?: string | undefined;
  /** The municipal-care fact was inferred (from an udskrivningsrapport or plejeforløbsplan), not sent as a flag. */
  municipalCareInferred?: boolean | undefined;
}

export interface ReadmittedEvent extends EventBase {
  type: 'readmitted';
  department: OrganizationUnit;
}

export interface DiedEvent extends EventBase {
  type: 'died';
}

/** The hospital extends the current window (CareCommunication `extended-care-responsibility`, or explicitly). */
export interface ExtendedEvent extends EventBase {
  type: 'extended';
  until: Date;
  /** Who extends: only the department holding the window may; absent, the engine does not check. */
  department?: OrganizationUnit | undefined;
  /** The end comes from configuration, not from the sender (a CareCommunication carries no end time). */
  inferred?: boolean | undefined;
}

/** Fields a correction may change on its target. */
export interface EventChanges {
  at?: Date | undefined;
  until?: Date | undefined;
  department?: OrganizationUnit | undefined;
  receivesMunicipalCare?: boolean | undefined;
  somatic?: boolean | undefined;
  region?: string | undefined;
  municipalCareInferred?: boolean | undefined;
}

/** Cancels (`enteredInError`) or corrects (`set`) another event, retroactively. */
export type CorrectedEvent = EventBase & { type: 'corrected'; targetId: string } & (
    | { set: EventChanges; enteredInError?: undefined }
    | { set?: undefined; enteredInError: true }
  );

/** An event on the patient's timeline (everything but corrections). */
export type TimelineEvent = AdmittedEvent | DischargedEvent | ReadmittedEvent | DiedEvent | ExtendedEvent;

export type ResponsibilityEvent = TimelineEvent | CorrectedEvent;

export type ResponsibilityEventType = ResponsibilityEvent['type'];

export const EVENT_TYPES: readonly ResponsibilityEventType[] = ['admitted', 'discharged', 'readmitted', 'died', 'extended', 'corrected'];

/** The events plus, in the object form of the input, the patient's GP so the GP holder can be named. */
export interface EventsInput {
  events: ResponsibilityEvent[];
  generalPractitioner: OrganizationUnit | undefined;
}

/** Bad input, named by its path (`events[2].at: not an ISO 8601 date-time with offset`). */
export class ResponsibilityInputError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'ResponsibilityInputError';
  }
}

const DATE_TIME_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** An ISO 8601 date-time with an offset (`Z` or `±hh:mm`), or undefined when it is not one. */
export function parseInstant(value: string): Date | undefined {
  if (!DATE_TIME_WITH_OFFSET.test(value)) return undefined;
  return parseFhirDateRange(value)?.low;
}

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(path: string, problem: string): never {
  throw new ResponsibilityInputError(path, problem);
}

function readInstant(value: unknown, path: string): Date {
  const instant = typeof value === 'string' ? parseInstant(value) : undefined;
  return instant ?? fail(path, 'not an ISO 8601 date-time with offset');
}

function readString(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.trim() === '') fail(path, 'not a non-empty string');
  return value;
}

function readBoolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, 'not a boolean');
  return value;
}

function readTelecom(value: unknown, path: string): fhir4.ContactPoint[] {
  if (!Array.isArray(value)) fail(path, 'not a list of ContactPoints');
  return value.map((cp: unknown, i) => {
    const at = `${path}[${String(i)}]`;
    if (!isObject(cp)) fail(at, 'not a ContactPoint object');
    for (const key of ['system', 'value', 'use'] as const) {
      if (cp[key] !== undefined && typeof cp[key] !== 'string') fail(`${at}.${key}`, 'not a string');
    }
    return cp;
  });
}

/** A SOR code string, or `{ sor, name?, telecom? }`. */
export function parseOrganizationUnit(value: unknown, path: string): OrganizationUnit {
  if (typeof value === 'string') return { sor: readString(value, path) };
  if (!isObject(value)) fail(path, 'not a SOR code or an object with sor');
  const unit: OrganizationUnit = { sor: readString(value.sor, `${path}.sor`) };
  if (value.name !== undefined) unit.name = readString(value.name, `${path}.name`);
  if (value.telecom !== undefined) unit.telecom = readTelecom(value.telecom, `${path}.telecom`);
  return unit;
}

const optional = <T>(value: unknown, read: (v: unknown, path: string) => T, path: string): T | undefined =>
  value === undefined ? undefined : read(value, path);

const CHANGE_READERS: { [K in keyof Required<EventChanges>]: (v: unknown, path: string) => NonNullable<EventChanges[K]> } = {
  at: readInstant,
  until: readInstant,
  department: parseOrganizationUnit,
  receivesMunicipalCare: readBoolean,
  somatic: readBoolean,
  region: readString,
  municipalCareInferred: readBoolean,
};

const isChangeField = (key: string): key is keyof EventChanges => Object.hasOwn(CHANGE_READERS, key);

function readChanges(value: unknown, path: string): EventChanges {
  if (!isObject(value)) fail(path, 'not an object of fields to change');
  const keys = Object.keys(value);
  if (keys.length === 0) fail(path, 'changes nothing');
  const changes: Record<string, unknown> = {};
  for (const key of keys) {
    if (key === 'id' || key === 'type') fail(`${path}.${key}`, 'cannot be changed by a correction');
    if (!isChangeField(key)) fail(`${path}.${key}`, `not a field a correction can set (${Object.keys(CHANGE_READERS).join(', ')})`);
    changes[key] = CHANGE_READERS[key](value[key], `${path}.${key}`);
  }
  return changes;
}

function parseEvent(value: unknown, path: string): ResponsibilityEvent {
  if (!isObject(value)) fail(path, 'not an event object');
  const id = readString(value.id, `${path}.id`);
  const type = value.type;
  if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) {
    fail(`${path}.type`, `unknown event type (expected one of ${EVENT_TYPES.join(', ')})`);
  }
  const at = readInstant(value.at, `${path}.at`);
  const t = type as ResponsibilityEventType;
  switch (t) {
    case 'admitted': {
      const department = optional(value.department, parseOrganizationUnit, `${path}.department`);
      return department === undefined ? { id, type: t, at } : { id, type: t, at, department };
    }
    case 'discharged': {
      const event: DischargedEvent = {
        id,
        type: t,
        at,
        department: parseOrganizationUnit(value.department, `${path}.department`),
        receivesMunicipalCare: readBoolean(value.receivesMunicipalCare, `${path}.receivesMunicipalCare`),
        somatic: readBoolean(value.somatic, `${path}.somatic`),
      };
      const region = optional(value.region, readString, `${path}.region`);
      if (region !== undefined) event.region = region;
      const inferred = optional(value.municipalCareInferred, readBoolean, `${path}.municipalCareInferred`);
      if (inferred !== undefined) event.municipalCareInferred = inferred;
      return event;
    }
    case 'readmitted':
      return { id, type: t, at, department: parseOrganizationUnit(value.department, `${path}.department`) };
    case 'died':
      return { id, type: t, at };
    case 'extended': {
      const department = optional(value.department, parseOrganizationUnit, `${path}.department`);
      const until = readInstant(value.until, `${path}.until`);
      return department === undefined ? { id, type: t, at, until } : { id, type: t, at, until, department };
    }
    case 'corrected': {
      const targetId = readString(value.targetId, `${path}.targetId`);
      if (targetId === id) fail(`${path}.targetId`, 'a correction cannot target itself');
      if (value.enteredInError !== undefined && value.enteredInError !== true) fail(`${path}.enteredInError`, 'must be true when present');
      const cancels = value.enteredInError === true;
      if (cancels && value.set !== undefined) fail(path, 'has both set and enteredInError; use one correction for each');
      if (cancels) return { id, type: t, at, targetId, enteredInError: true };
      if (value.set === undefined) fail(path, 'needs set (fields to change) or enteredInError: true');
      return { id, type: t, at, targetId, set: readChanges(value.set, `${path}.set`) };
    }
  }
}

/** Validates a JSON list of events; errors name the index and field. Ids must be unique (corrections point at them). */
export function parseEvents(json: unknown, path = 'events'): ResponsibilityEvent[] {
  if (!Array.isArray(json)) fail(path, 'not a list of events');
  const seen = new Map<string, number>();
  return json.map((value: unknown, i) => {
    const event = parseEvent(value, `${path}[${String(i)}]`);
    const first = seen.get(event.id);
    if (first !== undefined) fail(`${path}[${String(i)}].id`, `duplicate of ${path}[${String(first)}].id`);
    seen.set(event.id, i);
    return event;
  });
}

/** Either a plain list of events, or `{ "events": [...], "generalPractitioner": { "sor", "name", "telecom" } }`. */
export function parseEventsInput(json: unknown): EventsInput {
  if (Array.isArray(json)) return { events: parseEvents(json), generalPractitioner: undefined };
  if (!isObject(json)) fail('input', 'not a list of events or an object with events');
  return {
    events: parseEvents(json.events),
    generalPractitioner: optional(json.generalPractitioner, parseOrganizationUnit, 'generalPractitioner'),
  };
}
