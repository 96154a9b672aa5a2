import { isResourceLike, SYSTEM, type AnyResource } from '../shared/index.ts';
import { EntryResolver, readEntries, referenceOf, type MessageEntry } from './bundle-entries.ts';
import { idOfReference, isUuid, isValidGln, normaliseGlnIdentifier, readEpisodeOfCareIds } from './identifiers.ts';
import { IssueList, quoteCode } from './issues.ts';
import { ACTIVITY_SYSTEM, DESTINATION_USE_URL, EVENT_CODE, EVENT_SYSTEM, PATIENT_SYSTEM } from './medcom.constants.ts';
import type {
  AckResponseCode,
  MedComMessage,
  MessageEnvelope,
  MessageFocus,
  MessageKind,
  MessagePatient,
  MessageReadFailure,
  MessagingOrganization,
  ProvenanceLink,
} from './message.types.ts';
import { asArray, asObject, asString, type Json } from './json.ts';

/** HN activity bases (STAA, STIN, STOR, SLOR, SLHJ emer/imp); each also exists as `revise-` and `cancel-`. */
export const HN_BASE_ACTIVITIES = [
  'admit-emergency',
  'admit-inpatient',
  'start-leave-inpatient',
  'end-leave-inpatient',
  'discharge-emergency-home',
  'discharge-inpatient-home',
] as const;

const ALLOWED_ACTIVITIES: Record<MessageKind, ReadonlySet<string>> = {
  'hospital-notification': new Set(HN_BASE_ACTIVITIES.flatMap((a) => [a, `revise-${a}`, `cancel-${a}`])),
  'care-communication': new Set(['new-message', 'reply-message', 'forward-message']),
  acknowledgement: new Set(['acknowledgement']),
};

const ACK_CODES: ReadonlySet<string> = new Set<AckResponseCode>(['ok', 'transient-error', 'fatal-error']);

const KIND_OF_EVENT = new Map<string, MessageKind>(
  (Object.entries(EVENT_CODE) as [MessageKind, string][]).map(([kind, code]) => [code, kind]),
);


/** Milliseconds of a FHIR dateTime, NaN when absent or unreadable. */
export const timeOf = (value: string | undefined): number => (value === undefined ? Number.NaN : Date.parse(value));

/**
 * Reads a MedCom message Bundle (HospitalNotification, CareCommunication or Acknowledgement):
 * lenient about what MedCom's own examples get wrong (non-UUID ids, absolute or relative fullUrls,
 * dangling historic references, GLN system spellings), strict about what the exchange depends on
 * (medcom.md §2–§4): Bundle type `message`, the MessageHeader first, a known event, sender and primary
 * receiver Organizations with SOR and GLN, `source.endpoint`, the focus resource, a current
 * Provenance with an allowed activity, and exactly one Patient (CPR only in HN). Dispatch is on
 * `eventCoding`, never `meta.profile` (§10 #2).
 *
 * Returns the message, or every issue found plus, when the header, sender and source endpoint
 * were readable, the envelope needed to answer with a `fatal-error` Acknowledgement.
 */
export function readMessage(bundle: unknown): MedComMessage | MessageReadFailure {
  if (!isResourceLike(bundle) || bundle.resourceType !== 'Bundle') {
    return { issues: [{ severity: 'error', code: 'structure', diagnostics: 'The message is not a FHIR Bundle', expression: ['Bundle'] }] };
  }
  const issues = new IssueList();
  if (bundle.type !== 'message') issues.error('value', `Bundle.type must be 'message', not ${quoteCode(bundle.type)}`, 'Bundle.type');
  const bundleId = asString(bundle.id);
  if (bundleId === undefined) issues.error('required', 'Bundle.id is missing', 'Bundle.id');
  else if (!isUuid(bundleId)) issues.warning('value', 'Bundle.id is not a UUID', 'Bundle.id');
  const bundleTimestamp = asString(bundle.timestamp);
  if (bundleTimestamp === undefined) issues.warning('required', 'Bundle.timestamp is missing', 'Bundle.timestamp');

  const entries = readEntries(bundle);
  const resolver = new EntryResolver(entries);
  const headers = entries.filter((e) => e.resource.resourceType === 'MessageHeader');
  const headerEntry = headers[0];
  if (headerEntry === undefined) {
    issues.error('required', 'The Bundle has no MessageHeader', 'Bundle.entry[0].resource');
    return { issues: issues.items };
  }
  if (headerEntry.index !== 0) issues.error('structure', 'The MessageHeader must be the first entry', 'Bundle.entry[0].resource');
  if (headers.length > 1) issues.error('structure', 'The Bundle has more than one MessageHeader', headers[1]?.expression ?? 'Bundle.entry');

  const header = headerEntry.resource;
  const hx = headerEntry.expression;
  const headerId = asString(header.id);
  if (headerId === undefined) issues.error('required', 'MessageHeader.id is missing', `${hx}.id`);

  const kind = readKind(header, hx, resolver, issues);
  const sender = readOrganization(header.sender, `${hx}.sender`, 'sender', resolver, issues);
  const { receiver, receiverEndpoint } = readDestination(header, hx, resolver, issues);
  const sourceEndpoint = asString(asObject(header.source)?.endpoint);
  if (sourceEndpoint === undefined) issues.error('required', 'MessageHeader.source.endpoint is missing', `${hx}.source.endpoint`);

  const provenance = readProvenanceStack(entries, headerId, kind, issues);
  const current = provenance.at(-1);
  const patient = kind === 'acknowledgement' || kind === undefined ? undefined : readPatient(entries, kind, issues);
  const focus = kind === undefined ? undefined : readFocus(kind, header, hx, resolver, entries, issues);
  if (kind === 'acknowledgement' && focus?.kind === 'acknowledgement' && current?.entityRevisionOf !== undefined) {
    if (current.entityRevisionOf !== focus.response.identifier) {
      issues.warning(
        'invariant',
        'MessageHeader.response.identifier differs from the MessageHeader the acknowledgement Provenance revises',
        `${hx}.response.identifier`,
      );
    }
  }
  const sentAt = current?.occurred ?? current?.recorded ?? bundleTimestamp;
  if (sentAt === undefined) issues.error('required', 'The send time is missing (Provenance.occurredDateTime)', current?.expression ?? 'Bundle.timestamp');

  checkIds(entries, issues);
  checkReferences(entries, resolver, issues);

  const envelope: MessageEnvelope | undefined =
    bundleId !== undefined && headerId !== undefined && sender !== undefined && sourceEndpoint !== undefined
      ? { kind, bundleId, headerId, sender, sourceEndpoint, provenance, receiver, receiverEndpoint }
      : undefined;

  if (
    issues.hasErrors() ||
    envelope === undefined ||
    kind === undefined ||
    receiver === undefined ||
    receiverEndpoint === undefined ||
    focus === undefined ||
    sentAt === undefined
  ) {
    return envelope === undefined ? { issues: issues.items } : { issues: issues.items, envelope };
  }
  return {
    ...envelope,
    kind,
    bundle,
    entries,
    bundleTimestamp,
    definition: asString(header.definition),
    sentAt,
    receiver,
    receiverEndpoint,
    patient,
    focus,
    warnings: issues.items,
  };
}

/** Narrows {@link readMessage}'s result. */
export const isReadFailure = (r: MedComMessage | MessageReadFailure): r is MessageReadFailure => 'issues' in r;

/** The current Provenance: the one targeting the message's own MessageHeader. */
export const currentProvenance = (msg: MessageEnvelope): ProvenanceLink | undefined => msg.provenance.at(-1);

/** The entry a reference points at inside the message's Bundle. */
export function resolveInMessage(msg: MedComMessage, reference: string | undefined): MessageEntry | undefined {
  return new EntryResolver(msg.entries).resolve(reference);
}

function readKind(header: AnyResource, hx: string, resolver: EntryResolver, issues: IssueList): MessageKind | undefined {
  const coding = asObject(header.eventCoding);
  let kind: MessageKind | undefined;
  if (coding === undefined) {
    issues.error('required', 'MessageHeader.event[x] (eventCoding) is missing', `${hx}.event`);
  } else {
    if (coding.system !== EVENT_SYSTEM) issues.error('value', `The event code system ${quoteCode(coding.system)} is not MedCom's`, `${hx}.event.system`);
    kind = typeof coding.code === 'string' ? KIND_OF_EVENT.get(coding.code) : undefined;
    if (kind === undefined) issues.error('not-supported', `The event code ${quoteCode(coding.code)} is not a supported MedCom message`, `${hx}.event.code`);
  }
  if (kind !== undefined) return kind;
  // Keep checking the rest of a message whose event is wrong, so one answer names every fault.
  if (header.response !== undefined) return 'acknowledgement';
  const focusType = resolver.resolveRef(asArray(header.focus)[0])?.resource.resourceType;
  if (focusType === 'Encounter') return 'hospital-notification';
  if (focusType === 'Communication') return 'care-communication';
  return undefined;
}

interface Identifier {
  system?: unknown;
  value?: unknown;
}

/** A resource's identifiers, skipping entries that are not objects. */
export const identifiersOf = (resource: AnyResource | undefined): Identifier[] =>
  asArray(resource?.identifier).flatMap((i) => {
    const o = asObject(i);
    return o === undefined ? [] : [o];
  });

function readOrganization(
  ref: unknown,
  expression: string,
  role: string,
  resolver: EntryResolver,
  issues: IssueList,
): MessagingOrganization | undefined {
  if (referenceOf(ref) === undefined) {
    issues.error('required', `The ${role} reference is missing`, expression);
    return undefined;
  }
  const entry = resolver.resolveRef(ref);
  if (entry === undefined) {
    issues.error('not-found', `The ${role} does not resolve to a resource in the Bundle`, expression);
    return undefined;
  }
  if (entry.resource.resourceType !== 'Organization') {
    issues.error('value', `The ${role} must be an Organization`, expression);
    return undefined;
  }
  const identifiers = identifiersOf(entry.resource);
  const sor = identifiers.find((i) => i.system === SYSTEM.sor && asString(i.value) !== undefined)?.value as string | undefined;
  const gln = identifiers.map(normaliseGlnIdentifier).find((g) => g !== undefined);
  if (sor === undefined) issues.error('required', `The ${role} Organization has no SOR identifier`, `${entry.expression}.identifier`);
  if (gln === undefined) issues.error('required', `The ${role} Organization has no GLN (EAN) identifier`, `${entry.expression}.identifier`);
  else if (!isValidGln(gln.value)) issues.warning('value', `The ${role} Organization's GLN fails its check digit`, `${entry.expression}.identifier`);
  if (sor === undefined || gln === undefined) return undefined;
  return { reference: entry.key, sor: sor.trim(), gln: gln.value, name: asString(entry.resource.name) };
}

function readDestination(
  header: AnyResource,
  hx: string,
  resolver: EntryResolver,
  issues: IssueList,
): { receiver: MessagingOrganization | undefined; receiverEndpoint: string | undefined } {
  const destinations = asArray(header.destination).map(asObject);
  if (destinations.length === 0) {
    issues.error('required', 'MessageHeader.destination is missing', `${hx}.destination`);
    return { receiver: undefined, receiverEndpoint: undefined };
  }
  const useOf = (d: Json | undefined): string | undefined => {
    const ext = asArray(d?.extension).map(asObject).find((e) => e?.url === DESTINATION_USE_URL);
    const code = asObject(ext?.valueCoding)?.code;
    return typeof code === 'string' ? code : undefined;
  };
  const primaries = destinations.flatMap((d, i) => (useOf(d) === 'primary' ? [i] : []));
  destinations.forEach((d, i) => {
    if (useOf(d) === 'cc') issues.warning('invariant', 'Carbon-copy destinations are not allowed in this message', `${hx}.destination[${i}]`);
  });
  let index = primaries[0];
  if (primaries.length > 1) issues.error('structure', 'More than one primary destination', `${hx}.destination`);
  if (index === undefined) {
    if (destinations.length === 1 && useOf(destinations[0]) === undefined) {
      issues.warning('required', 'The destination has no destinationUse extension; read as primary', `${hx}.destination[0].extension`);
      index = 0;
    } else {
      issues.error('required', 'No primary destination (destinationUse extension)', `${hx}.destination`);
      return { receiver: undefined, receiverEndpoint: undefined };
    }
  }
  const destination = destinations[index];
  const dx = `${hx}.destination[${index}]`;
  const receiverEndpoint = asString(destination?.endpoint);
  if (receiverEndpoint === undefined) issues.error('required', 'The primary destination has no endpoint', `${dx}.endpoint`);
  const receiver = readOrganization(destination?.receiver, `${dx}.receiver`, 'primary receiver', resolver, issues);
  return { receiver, receiverEndpoint };
}

function readPatient(entries: readonly MessageEntry[], kind: MessageKind, issues: IssueList): MessagePatient | undefined {
  const patients = entries.filter((e) => e.resource.resourceType === 'Patient');
  if (patients.length !== 1) {
    issues.error(patients.length === 0 ? 'required' : 'structure', `The message must carry exactly one Patient, not ${patients.length}`, 'Bundle.entry');
  }
  const entry = patients[0];
  if (entry === undefined) return undefined;
  const identifiers = identifiersOf(entry.resource);
  const pick = (match: (system: string) => boolean): Identifier | undefined =>
    identifiers.find((i) => typeof i.system === 'string' && match(i.system) && asString(i.value) !== undefined);
  const cpr = pick((s) => s === PATIENT_SYSTEM.cpr);
  const xEcpr = pick((s) => s === PATIENT_SYSTEM.xEcpr);
  const dEcpr = pick((s) => s === PATIENT_SYSTEM.dEcpr || s.startsWith(`${PATIENT_SYSTEM.dEcpr}.`));
  const chosen = cpr ?? xEcpr ?? dEcpr;
  if (chosen === undefined) {
    issues.error('required', 'The Patient has no CPR or replacement CPR identifier', `${entry.expression}.identifier`);
    return undefined;
  }
  if (kind === 'hospital-notification' && cpr === undefined) {
    issues.error('value', 'A HospitalNotification requires a CPR number; a replacement CPR (eCPR) is not allowed', `${entry.expression}.identifier`);
  }
  const idKind = chosen === cpr ? 'cpr' : chosen === xEcpr ? 'x-ecpr' : 'd-ecpr';
  const r = entry.resource;
  return {
    reference: entry.key,
    identifier: { kind: idKind, system: chosen.system as string, value: (chosen.value as string).trim() },
    deceased: r.deceasedBoolean === true || asString(r.deceasedDateTime) !== undefined,
    expression: entry.expression,
  };
}

function readFocus(
  kind: MessageKind,
  header: AnyResource,
  hx: string,
  resolver: EntryResolver,
  entries: readonly MessageEntry[],
  issues: IssueList,
): MessageFocus | undefined {
  if (kind === 'acknowledgement') return readAckResponse(header, hx, resolver, entries, issues);
  const type = kind === 'hospital-notification' ? 'Encounter' : 'Communication';
  const focus = asArray(header.focus);
  if (focus.length === 0) {
    issues.error('required', `MessageHeader.focus (the ${type}) is missing`, `${hx}.focus`);
    return undefined;
  }
  if (focus.length > 1) issues.error('structure', 'MessageHeader.focus must reference exactly one resource', `${hx}.focus`);
  const entry = resolver.resolveRef(focus[0]);
  if (entry === undefined) {
    issues.error('not-found', `MessageHeader.focus does not resolve to a resource in the Bundle`, `${hx}.focus[0]`);
    return undefined;
  }
  if (entry.resource.resourceType !== type) {
    issues.error('value', `MessageHeader.focus must be ${type === 'Encounter' ? 'an' : 'a'} ${type}`, `${hx}.focus[0]`);
    return undefined;
  }
  const r = entry.resource;
  const x = entry.expression;
  if (kind === 'hospital-notification') {
    if (asString(r.status) === undefined) issues.error('required', 'Encounter.status is missing', `${x}.status`);
    if (asString(asObject(r.class)?.code) === undefined) issues.error('required', 'Encounter.class is missing', `${x}.class`);
    if (readEpisodeOfCareIds(r).length === 0) issues.error('required', 'Encounter.episodeOfCare.identifier is missing', `${x}.episodeOfCare`);
    return { kind, reference: entry.key, expression: x, encounter: r as unknown as fhir4.Encounter };
  }
  if (asString(asObject(asArray(r.identifier)[0])?.value) === undefined) {
    issues.error('required', 'Communication.identifier (the thread id) is missing', `${x}.identifier`);
  }
  const category = asArray(asObject(asArray(r.category)[0])?.coding).map(asObject)[0];
  if (asString(category?.code) === undefined) issues.error('required', 'Communication.category is missing', `${x}.category`);
  if (asArray(r.payload).length === 0) issues.error('required', 'Communication.payload is missing', `${x}.payload`);
  return { kind, reference: entry.key, expression: x, communication: r as unknown as fhir4.Communication };
}

function readAckResponse(
  header: AnyResource,
  hx: string,
  resolver: EntryResolver,
  entries: readonly MessageEntry[],
  issues: IssueList,
): MessageFocus | undefined {
  const response = asObject(header.response);
  if (response === undefined) {
    issues.error('required', 'MessageHeader.response is missing', `${hx}.response`);
    return undefined;
  }
  const identifier = asString(response.identifier);
  if (identifier === undefined) issues.error('required', 'MessageHeader.response.identifier is missing', `${hx}.response.identifier`);
  const code = typeof response.code === 'string' && ACK_CODES.has(response.code) ? (response.code as AckResponseCode) : undefined;
  if (code === undefined) issues.error('value', `MessageHeader.response.code ${quoteCode(response.code)} is not ok, transient-error or fatal-error`, `${hx}.response.code`);
  let outcomeEntry = resolver.resolveRef(response.details);
  if (referenceOf(response.details) !== undefined && outcomeEntry?.resource.resourceType !== 'OperationOutcome') {
    issues.error('not-found', 'MessageHeader.response.details does not resolve to an OperationOutcome in the Bundle', `${hx}.response.details`);
    outcomeEntry = undefined;
  }
  if (outcomeEntry === undefined && code !== undefined && code !== 'ok') {
    outcomeEntry = entries.find((e) => e.resource.resourceType === 'OperationOutcome');
    if (outcomeEntry === undefined) {
      issues.error('required', 'A non-ok acknowledgement must carry an OperationOutcome', `${hx}.response.details`);
    } else if (referenceOf(response.details) === undefined) {
      issues.warning('required', 'MessageHeader.response.details does not reference the OperationOutcome', `${hx}.response.details`);
    }
  }
  if (identifier === undefined || code === undefined) return undefined;
  return {
    kind: 'acknowledgement',
    response: {
      identifier,
      code,
      outcome:
        outcomeEntry === undefined
          ? undefined
          : { expression: outcomeEntry.expression, resource: outcomeEntry.resource as unknown as fhir4.OperationOutcome },
    },
  };
}

function readProvenance(entry: MessageEntry, issues: IssueList, resolver: EntryResolver): ProvenanceLink | undefined {
  const p = entry.resource;
  const x = entry.expression;
  const targets = asArray(p.target);
  // The current target may be the header's fullUrl (`urn:uuid:`, as converters emit); historic ones are `MessageHeader/<id>` and dangle.
  const targetRef = referenceOf(targets[0]);
  const resolved = resolver.resolve(targetRef);
  const target = resolved?.resource.resourceType === 'MessageHeader' && typeof resolved.resource.id === 'string'
    ? resolved.resource.id
    : idOfReference(targetRef, 'MessageHeader');
  if (target === undefined) {
    issues.error('required', 'Provenance.target must reference a MessageHeader', `${x}.target`);
    return undefined;
  }
  if (targets.length > 1) issues.warning('structure', 'Provenance.target has more than one reference', `${x}.target`);
  const codings = asArray(asObject(p.activity)?.coding).map(asObject);
  const coding = codings.find((c) => c?.system === ACTIVITY_SYSTEM) ?? codings[0];
  const link: ProvenanceLink = {
    reference: entry.key,
    target,
    activity: asString(coding?.code),
    occurred: asString(p.occurredDateTime),
    recorded: asString(p.recorded),
    agent: referenceOf(asObject(asArray(p.agent)[0])?.who),
    payloadIds: [],
    expression: x,
    resource: p,
  };
  for (const raw of asArray(p.entity)) {
    const entity = asObject(raw);
    const what = asObject(entity?.what);
    const headerId = idOfReference(referenceOf(what), 'MessageHeader');
    const identifierValue = asString(asObject(what?.identifier)?.value);
    if (entity?.role === 'revision') {
      if (headerId !== undefined) link.entityRevisionOf ??= headerId;
      else if (identifierValue !== undefined) link.revisionOfLetter ??= identifierValue;
    } else if (entity?.role === 'removal' && headerId !== undefined) {
      link.entityRemovalOf ??= headerId;
    } else if (entity?.role === 'source' && identifierValue !== undefined) {
      link.payloadIds.push(identifierValue);
    }
  }
  return link;
}

function byTime(a: ProvenanceLink, b: ProvenanceLink): number {
  const d = timeOf(a.occurred ?? a.recorded) - timeOf(b.occurred ?? b.recorded);
  return Number.isNaN(d) ? 0 : d;
}

/**
 * The Provenance stack, oldest first (medcom.md §2.4): walked back from the current Provenance
 * (the one targeting this MessageHeader) through `entity` revision/removal links; Provenances the
 * walk does not reach come first, by time. Historic targets are not in the Bundle, by design.
 */
function readProvenanceStack(
  entries: readonly MessageEntry[],
  headerId: string | undefined,
  kind: MessageKind | undefined,
  issues: IssueList,
): ProvenanceLink[] {
  const resolver = new EntryResolver(entries);
  const links = entries
    .filter((e) => e.resource.resourceType === 'Provenance')
    .map((e) => readProvenance(e, issues, resolver))
    .filter((l): l is ProvenanceLink => l !== undefined);
  if (!entries.some((e) => e.resource.resourceType === 'Provenance')) {
    issues.error('required', 'The message must carry at least one Provenance', 'Bundle.entry');
    return [];
  }
  if (headerId === undefined) return links;
  const currents = links.filter((l) => l.target === headerId).sort(byTime);
  const current = currents.at(-1);
  if (current === undefined) {
    issues.error('required', 'No Provenance targets this MessageHeader', 'Bundle.entry');
    return [...links].sort(byTime);
  }
  if (currents.length > 1) issues.warning('structure', 'More than one Provenance targets this MessageHeader; the latest is current', current.expression);

  const byTarget = new Map<string, ProvenanceLink>();
  for (const l of [...links].sort(byTime)) byTarget.set(l.target, l);
  const chain = [current];
  const seen = new Set(chain);
  let cursor = current;
  for (;;) {
    const previousHeader = cursor.entityRevisionOf ?? cursor.entityRemovalOf;
    const previous = previousHeader === undefined ? undefined : byTarget.get(previousHeader);
    if (previous === undefined || seen.has(previous)) break;
    chain.unshift(previous);
    seen.add(previous);
    cursor = previous;
  }
  const rest = links.filter((l) => !seen.has(l)).sort(byTime);

  if (current.activity === undefined) {
    issues.error('required', 'The current Provenance has no activity code', `${current.expression}.activity`);
  } else if (kind !== undefined && !ALLOWED_ACTIVITIES[kind].has(current.activity)) {
    issues.error('value', `The activity ${quoteCode(current.activity)} is not allowed in this message`, `${current.expression}.activity`);
  }
  const system = asObject(asArray(asObject(current.resource.activity)?.coding)[0])?.system;
  if (current.activity !== undefined && system !== ACTIVITY_SYSTEM) {
    issues.warning('value', 'The activity code system is not MedCom messaging activityCodes', `${current.expression}.activity`);
  }
  if (current.occurred === undefined) issues.warning('required', 'The current Provenance has no occurredDateTime', `${current.expression}.occurred`);
  return [...rest, ...chain];
}

function checkIds(entries: readonly MessageEntry[], issues: IssueList): void {
  for (const e of entries) {
    const id = e.resource.id;
    if (id === undefined) issues.warning('required', `${e.resource.resourceType}.id is missing`, `${e.expression}.id`);
    else if (!isUuid(id)) issues.warning('value', `${e.resource.resourceType}.id is not a UUID`, `${e.expression}.id`);
  }
}

/** Unresolvable references are warnings; the ones the exchange depends on are already errors. */
function checkReferences(entries: readonly MessageEntry[], resolver: EntryResolver, issues: IssueList): void {
  const visit = (node: unknown, path: string, skip: ReadonlySet<string>): void => {
    if (Array.isArray(node)) {
      node.forEach((n, i) => {
        visit(n, `${path}[${i}]`, skip);
      });
      return;
    }
    const obj = asObject(node);
    if (obj === undefined) return;
    const ref = obj.reference;
    if (typeof ref === 'string' && !ref.startsWith('#') && resolver.resolve(ref) === undefined && !issues.has(path)) {
      issues.warning('not-found', 'A reference does not resolve inside the Bundle', path);
    }
    for (const [k, v] of Object.entries(obj)) {
      if (k === 'text' || k === 'contained' || skip.has(k)) continue;
      visit(v, `${path}.${k}`, new Set());
    }
  };
  for (const e of entries) {
    // Provenance targets and entities point at earlier messages, which are never bundled.
    const skip = e.resource.resourceType === 'Provenance' ? new Set(['target', 'entity']) : new Set<string>();
    visit(e.resource, e.expression, skip);
  }
}

