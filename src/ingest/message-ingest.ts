import { randomUUID } from 'node:crypto';
import {
  applyHospitalNotificationWithEvents,
  buildAcknowledgement,
  isReadFailure,
  primaryEpisodeOfCareId,
  readAcknowledgement,
  readCareCommunication,
  readHospitalNotification,
  readMessage,
  type MedComMessage,
  type MessageEnvelope,
  type StayDomainEvent,
  type StayState,
} from '../medcom/index.ts';
import {
  deterministicId,
  messageBundleId,
  forbidden,
  GatewayError,
  hasErrors,
  type AnyResource,
  type Clock,
  type Issue,
} from '../shared/index.ts';
import type { DomainEventRecord, MessageRecord, Store, StoreTx } from '../store/index.ts';
import { EXTENDED_CARE_CATEGORY, materializeResponsibility, recordCareCommunicationExtension } from '../responsibility/index.ts';
import { DEFAULT_TIMELINESS_SETTINGS, onDomainEvents, type TimelinessSettings } from '../timeliness/index.ts';
import type { Validator } from '../validation/index.ts';
import { idForEntry } from './deterministic-ids.ts';
import { keepDeathRecord, keepGeneralPractitioner } from './document-ingest.ts';
import { collectSors, EntryIndex, inLockOrder, rewriteReferences, storedFormOf, type BundleEntry } from './document-bundle.ts';

const LEAVE_EXTENSION = 'http://medcomfhir.dk/ig/hospitalnotification/StructureDefinition/medcom-hospitalnotifiation-leave-period-extension';

export interface MessageIngestDeps {
  store: Store;
  validator: Validator;
  clock: Clock;
  /** Validation against MedCom's own published profiles (base R4 included); base R4 alone when absent. */
  validateMedCom?: ((bundle: unknown) => Issue[]) | undefined;
  /** The timeliness indicator's settings for new expectations (default: the configured defaults). */
  timeliness?: TimelinessSettings | undefined;
}

/** Who submits: the sender's own system, or a relay (a VANS provider) for any sender. */
export interface MessageSubmitter {
  clientId: string;
  org: string;
  mayActForAnySender: boolean;
}

export interface MessagePayload {
  bytes: Buffer;
  mediaType: string;
  /** `oioxml`: a legacy XDIS91 letter mapped to a CareCommunication. */
  format: 'fhir-json' | 'fhir-xml' | 'oioxml';
}

type Audit = (tx: StoreTx, entities: string[], status: number) => Promise<void>;

/** What every step of handling one submitted message needs. */
interface Submission {
  deps: MessageIngestDeps;
  payload: MessagePayload;
  submitter: MessageSubmitter;
  audit: Audit;
}

const errorsOf = (issues: readonly Issue[]): Issue[] => issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');

export interface MessageResult {
  /** 200 with an `ok` acknowledgement (or for a recorded acknowledgement); 422 with a `fatal-error` one. */
  status: number;
  /** The Acknowledgement message Bundle, or an OperationOutcome when no acknowledgement is due. */
  body: Record<string, unknown>;
  replay: boolean;
}

/**
 * `$process-message` for MedCom messages (medcom.md §6): reads the message leniently, checks it
 * strictly, answers every message with an Acknowledgement (`ok`, or `fatal-error` naming what is
 * wrong and where), never acknowledges an Acknowledgement, and de-duplicates on MessageHeader.id
 * (governance 043): a repeated message gets the identical acknowledgement and changes nothing; a
 * reused Bundle.id under a new MessageHeader.id is refused. Content is stored as FHIR resources in
 * the same transaction as the message record, the stay state and the domain events.
 */
export async function processMessage(
  deps: MessageIngestDeps,
  input: unknown,
  payload: MessagePayload,
  submitter: MessageSubmitter,
  audit: Audit,
): Promise<MessageResult> {
  const s: Submission = { deps, payload, submitter, audit };
  const read = readMessage(input);
  if (isReadFailure(read)) {
    if (!read.envelope) {
      throw new GatewayError('medcom.unreadable', 400, read.issues.length > 0 ? read.issues : [{ severity: 'error', code: 'structure', diagnostics: 'Not a MedCom message Bundle' }]);
    }
    authorise(read.envelope, submitter);
    if (read.envelope.kind === 'acknowledgement') {
      throw new GatewayError('medcom.invalid-acknowledgement', 422, read.issues); // acknowledgements are never acknowledged
    }
    return reject(s, read.envelope, errorsOf(read.issues));
  }
  const msg = read;
  authorise(msg, submitter);

  if (msg.kind === 'acknowledgement') return recordAcknowledgement(s, msg);

  const issues = deps.validateMedCom ? deps.validateMedCom(input) : deps.validator.validate(input, { resourceType: 'Bundle' });
  if (hasErrors(issues)) return reject(s, msg, errorsOf(issues));

  const hn = msg.kind === 'hospital-notification' ? readHospitalNotification(msg) : undefined;
  if (hn && 'issues' in hn) return reject(s, msg, hn.issues);
  const cc = msg.kind === 'care-communication' ? readCareCommunication(msg) : undefined;
  if (cc && 'issues' in cc) return reject(s, msg, cc.issues);

  const now = deps.clock.now();
  try {
    return await storeProcessed(s, msg, hn, cc, now);
  } catch (err) {
    // A value the store cannot hold (a date beyond year 9999, ...) is the message's fault: answer it.
    if (err instanceof GatewayError && err.code === 'store.bad-value') return reject(s, msg, [...err.issues]);
    throw err;
  }
}

async function storeProcessed(
  s: Submission,
  msg: MedComMessage,
  hn: Exclude<ReturnType<typeof readHospitalNotification>, { issues: Issue[] }> | undefined,
  cc: Exclude<ReturnType<typeof readCareCommunication>, { issues: Issue[] }> | undefined,
  now: Date,
): Promise<MessageResult> {
  return s.deps.store.transaction(async (tx) => {
    await tx.messages.lock(msg.headerId);
    await tx.messages.lock(`bundle:${msg.bundleId}`); // two new letters racing with one Bundle.id
    const replay = await replayOf(tx, msg, s.audit);
    if (replay) return replay;
    const reused = await tx.messages.findByBundle(msg.bundleId);
    if (reused) {
      return rejectInTx(tx, s, msg, [
        { severity: 'error', code: 'duplicate', diagnostics: 'Bundle.id was already used by a message with another MessageHeader.id; every send needs a new Bundle.id', expression: ['Bundle.id'] },
      ]);
    }

    const written = hn
      ? await storeHospitalNotification(tx, msg, hn, now, s.deps.timeliness ?? DEFAULT_TIMELINESS_SETTINGS)
      : await storeMessageResources(tx, msg);
    const patientId = written.find((r) => r.startsWith('Patient/'))?.slice('Patient/'.length);
    const communication = written.find((r) => r.startsWith('Communication/'));
    if (cc?.category === EXTENDED_CARE_CATEGORY && patientId !== undefined && communication !== undefined) {
      // "We keep the responsibility": an extension said by the sender, in this transaction.
      const dates = cc.payloads.flatMap((p) => (p.date === undefined || Number.isNaN(Date.parse(p.date)) ? [] : [new Date(p.date)]));
      const saidAt = dates.sort((a, b) => a.getTime() - b.getTime()).at(-1);
      await recordCareCommunicationExtension(tx, { patientId, communication, headerId: msg.headerId, senderSor: msg.sender.sor, saidAt, now });
    }

    const ack = buildAcknowledgement(msg, { code: 'ok' }, ackContext(msg, now));
    await tx.outbox.append('message.processed', `MessageHeader/${msg.headerId}`, {
      headerId: msg.headerId,
      kind: msg.kind,
      senderSor: msg.sender.sor,
      receiverSor: msg.receiver.sor,
      patientId,
      // What subscriptions are notified about: the stay (Encounter) or the CareCommunication.
      focus: written.find((r) => r.startsWith(hn ? 'Encounter/' : 'Communication/')),
      ...(hn ? { hnEvent: hn.event } : {}),
    }, now);
    return answer(tx, s, msg, 'processed', 200, ack as unknown as Record<string, unknown>, written, now);
  });
}

function authorise(envelope: MessageEnvelope, submitter: MessageSubmitter): void {
  if (!submitter.mayActForAnySender && envelope.sender.sor !== submitter.org) {
    throw forbidden(`The message's sender (SOR ${envelope.sender.sor}) is not your organisation (SOR ${submitter.org}); only relays submit for other senders`);
  }
}

async function replayOf(tx: StoreTx, envelope: MessageEnvelope, audit: Audit): Promise<MessageResult | undefined> {
  const seen = await tx.messages.findByHeader(envelope.headerId);
  if (!seen) return undefined;
  await audit(tx, [], seen.answerStatus);
  return { status: seen.answerStatus, body: seen.answer, replay: true };
}

/** A fatal-error acknowledgement, recorded so a resend gets the identical answer; nothing else is stored. */
async function reject(s: Submission, envelope: MessageEnvelope, issues: Issue[]): Promise<MessageResult> {
  return s.deps.store.transaction(async (tx) => {
    await tx.messages.lock(envelope.headerId);
    return (await replayOf(tx, envelope, s.audit)) ?? rejectInTx(tx, s, envelope, issues);
  });
}

async function rejectInTx(tx: StoreTx, s: Submission, envelope: MessageEnvelope, issues: Issue[]): Promise<MessageResult> {
  if (!envelope.receiver) {
    // Without a readable receiver there is no one to acknowledge from: answer over HTTP instead.
    throw new GatewayError('medcom.invalid', 422, issues);
  }
  const now = s.deps.clock.now();
  const ack = buildAcknowledgement(envelope, { code: 'fatal-error', issues }, ackContext(envelope, now));
  return answer(tx, s, envelope, 'rejected', 422, ack as unknown as Record<string, unknown>, [], now);
}

/** An Acknowledgement is recorded (delivery correlates it with what was sent) and never acknowledged. */
async function recordAcknowledgement(s: Submission, msg: MedComMessage): Promise<MessageResult> {
  const now = s.deps.clock.now();
  const outcome = {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'information', code: 'informational', diagnostics: 'Acknowledgement recorded; acknowledgements are not acknowledged' }],
  };
  const ack = readAcknowledgement(msg);
  return s.deps.store.transaction(async (tx) => {
    await tx.messages.lock(msg.headerId);
    const replay = await replayOf(tx, msg, s.audit);
    if (replay) return replay;
    // An acknowledgement of a message Sektorbro sent on: delivery settles it (resend, done, or a person).
    if ('ackOf' in ack) {
      await tx.outbox.append('acknowledgement.received', `MessageHeader/${msg.headerId}`, {
        headerId: msg.headerId, senderSor: msg.sender.sor, ackOf: ack.ackOf, code: ack.code, issues: ack.issues,
      }, now);
    }
    return answer(tx, s, msg, 'recorded', 200, outcome, [], now);
  });
}

/** Records the message with the answer given (so a resend gets it again, identical), audits, and answers. */
async function answer(
  tx: StoreTx,
  s: Submission,
  envelope: MessageEnvelope,
  status: MessageRecord['status'],
  httpStatus: number,
  body: Record<string, unknown>,
  entities: string[],
  now: Date,
): Promise<MessageResult> {
  await tx.messages.insert(record(envelope, status, s.submitter, now, httpStatus, body), s.payload.bytes, {
    format: s.payload.format,
    mediaType: s.payload.mediaType,
  });
  await s.audit(tx, entities, httpStatus);
  return { status: httpStatus, body, replay: false };
}

function ackContext(envelope: MessageEnvelope, now: Date) {
  const receiver = envelope.receiver;
  if (!receiver) throw new GatewayError('medcom.invalid', 422, [{ severity: 'error', code: 'required', diagnostics: 'The message has no readable primary receiver' }]);
  return {
    // Sektorbro receives on behalf of the message's receiver, so the acknowledgement comes from it.
    us: { sor: receiver.sor, gln: receiver.gln, name: receiver.name ?? receiver.sor, ...(envelope.receiverEndpoint ? { endpoint: envelope.receiverEndpoint } : {}) },
    now,
    // A stable MessageHeader id per acknowledged message; a new Bundle id per send.
    ids: {
      bundleId: randomUUID(),
      headerId: deterministicId(`ack|${envelope.headerId}|header`),
      provenanceId: deterministicId(`ack|${envelope.headerId}|provenance`),
      outcomeId: deterministicId(`ack|${envelope.headerId}|outcome`),
    },
  };
}

function record(envelope: MessageEnvelope, status: MessageRecord['status'], submitter: MessageSubmitter, now: Date, answerStatus: number, answer: Record<string, unknown>): MessageRecord {
  return {
    headerId: envelope.headerId,
    bundleId: envelope.bundleId,
    kind: envelope.kind,
    status,
    senderSor: envelope.sender.sor,
    clientId: submitter.clientId,
    receivedAt: now,
    answerStatus,
    answer,
  };
}

/** Resource ids for a message's entries: business identifiers where there are any, else per message. */
function messageIds(index: EntryIndex, headerId: string): Map<BundleEntry, string> {
  const ids = new Map<BundleEntry, string>();
  for (const e of index.entries) {
    const target = (e.resource.target as { reference?: string }[] | undefined)?.[0]?.reference;
    // A Provenance is about one MessageHeader and is carried again by every later message of the flow.
    ids.set(e, e.resource.resourceType === 'Provenance' && target ? deterministicId(`Provenance|${target}`) : idForEntry(e.resource, `message:${headerId}`, e.fullUrl));
  }
  return ids;
}

/** Stores each entry of the message (ids and references rewritten) and the Bundle; returns `Type/id`s. */
async function storeMessageResources(
  tx: StoreTx,
  msg: MedComMessage,
  prepared?: { index: EntryIndex; ids: Map<BundleEntry, string>; overrides: Map<BundleEntry, AnyResource & { id: string }> },
): Promise<string[]> {
  const index = prepared?.index ?? new EntryIndex(msg.bundle);
  const ids = prepared?.ids ?? messageIds(index, msg.headerId);
  const overrides = prepared?.overrides ?? new Map<BundleEntry, AnyResource & { id: string }>();
  const audience = new Set<string>([msg.sender.sor, msg.receiver.sor]);
  collectSors(msg.bundle, audience);
  const write = { writerOrg: msg.sender.sor, grantOrgs: [...audience] };
  const written: string[] = [];
  for (const e of inLockOrder(index.entries, ids)) {
    const resource = overrides.get(e) ?? storedFormOf(e, index, ids);
    const stored = await tx.resources.update(resource, write);
    written.push(`${stored.stored.type}/${stored.stored.id}`);
  }
  const bundleId = messageBundleId(msg.headerId);
  await tx.resources.update({ ...msg.bundle, id: bundleId }, write);
  written.push(`Bundle/${bundleId}`);
  return written;
}

/**
 * A HospitalNotification updates its stay: the reducer's state decides the Encounter (status,
 * class, period, leave) and the Patient's deceased flag, whatever order the messages came in.
 */
async function storeHospitalNotification(
  tx: StoreTx,
  msg: MedComMessage,
  hn: Exclude<ReturnType<typeof readHospitalNotification>, { issues: Issue[] }>,
  now: Date,
  timeliness: TimelinessSettings,
): Promise<string[]> {
  const episode = primaryEpisodeOfCareId(hn.episodeOfCareIds);
  const patientKey = `${msg.patient?.identifier.system ?? ''}|${msg.patient?.identifier.value ?? ''}`;
  const stayKey = episode ? `eoc:${episode.normalised}` : `patient:${patientKey}|${msg.sender.sor}`;
  await tx.messages.lock(`stay:${stayKey}`);
  const previous = await tx.messages.stay(stayKey);
  const { state, events } = applyHospitalNotificationWithEvents(previous?.state as StayState | undefined, {
    ...hn,
    headerId: msg.headerId,
    sentAt: msg.sentAt,
  });

  const index = new EntryIndex(msg.bundle);
  const ids = messageIds(index, msg.headerId);
  const encounterEntry = index.entries.find((e) => e.resource.resourceType === 'Encounter');
  const patientEntry = index.entries.find((e) => e.resource.resourceType === 'Patient');
  const encounterId = deterministicId(`Encounter|stay|${stayKey}`);
  if (encounterEntry) ids.set(encounterEntry, encounterId);
  const patientId = patientEntry ? (ids.get(patientEntry) ?? '') : '';

  const overrides = new Map<BundleEntry, AnyResource & { id: string }>();
  if (encounterEntry) {
    const base = rewriteReferences(encounterEntry.resource, index, ids) as AnyResource;
    const others = ((base.extension ?? []) as fhir4.Extension[]).filter((x) => x.url !== LEAVE_EXTENSION);
    const leave = state.encounter.leave.map((l) => ({ url: LEAVE_EXTENSION, valuePeriod: { ...(l.start ? { start: l.start } : {}), ...(l.end ? { end: l.end } : {}) } }));
    const { period: _period, extension: _extension, ...rest } = base;
    overrides.set(encounterEntry, {
      ...rest,
      id: encounterId,
      ...(others.length + leave.length > 0 ? { extension: [...others, ...leave] } : {}),
      status: state.encounter.status ?? base.status,
      class: state.encounter.class ? { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: state.encounter.class } : base.class,
      ...(state.encounter.periodStart || state.encounter.periodEnd
        ? { period: { ...(state.encounter.periodStart ? { start: state.encounter.periodStart } : {}), ...(state.encounter.periodEnd ? { end: state.encounter.periodEnd } : {}) } }
        : {}),
    });
  }
  if (patientEntry) {
    const base = rewriteReferences(patientEntry.resource, index, ids) as AnyResource;
    const { deceasedBoolean: _b, deceasedDateTime: _d, ...rest } = base;
    // This stay speaks for death only when it recorded one, or withdrew one (AN_MORS); another stay's
    // silence must not bring the patient back to life.
    const staySays = state.deceased ? true : (previous?.state as StayState | undefined)?.deceased ? false : undefined;
    const existing = (await tx.resources.readForUpdate('Patient', patientId))?.resource; // lock, then read: no lost update
    const stored = { ...rest, id: patientId, ...(staySays === undefined ? {} : { deceasedBoolean: staySays }) };
    overrides.set(patientEntry, keepGeneralPractitioner(existing, staySays === undefined ? keepDeathRecord(existing, stored) : stored));
  }

  const written = await storeMessageResources(tx, msg, { index, ids, overrides });
  await tx.messages.putStay({ key: stayKey, encounterId, patientId, state }, now);
  const records = events.map((e) => toDomainEvent(e, stayKey, patientId));
  await tx.messages.appendEvents(records, now);
  // The FHIR view of behandlingsansvar (EpisodeOfCare, CareTeam, CarePlan, Provenance), in this transaction.
  await materializeResponsibility(tx, patientId, now);
  // Discharges start (and deaths, cancellations, corrections change) the epikrise clock, in this transaction.
  await onDomainEvents(tx, records, timeliness, { now, senderSor: msg.sender.sor });
  return written;
}

function toDomainEvent(e: StayDomainEvent, stayKey: string, patientId: string): DomainEventRecord {
  const at = e.at ? new Date(e.at) : undefined;
  return {
    id: deterministicId(`domain-event|${e.id}`),
    type: e.type,
    occurredAt: at && !Number.isNaN(at.getTime()) ? at : undefined,
    patientId,
    stayKey,
    departmentSor: e.departmentSor,
    episodeOfCareId: e.episodeOfCareId,
    headerId: e.headerId,
    payload: { ...e },
  };
}
