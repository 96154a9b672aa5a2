import { randomUUID } from 'node:crypto';

/**
 * The municipality's side of MedCom messaging: reading the envelope of a message pushed to it and
 * answering with a MedCom Acknowledgement (medcom.md §6; the shape of MedCom's `ack-ok.json`).
 */

const EVENT_SYSTEM = 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes';
const ACTIVITY_SYSTEM = 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes';
const DESTINATION_USE_URL = 'http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-destinationUseExtension';
const DESTINATION_USE_SYSTEM = 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-destinationUse';
const PROFILE = {
  bundle: 'http://medcomfhir.dk/ig/acknowledgement/StructureDefinition/medcom-messaging-acknowledgement',
  header: 'http://medcomfhir.dk/ig/acknowledgement/StructureDefinition/medcom-messaging-acknowledgementHeader',
  provenance: 'http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-provenance',
  organization: 'http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-organization',
};
export const ACKNOWLEDGEMENT_EVENT = 'acknowledgement-message';
const SOR_SYSTEM = 'urn:oid:1.2.208.176.1.1';
const GLN_SYSTEM = 'https://www.gs1.org/gln';

/** A SOR unit with its messaging address (GLN). */
export interface Organisation {
  sor: string;
  gln: string;
  name: string;
}

/** What answering a message needs from it. */
export interface MessageEnvelope {
  bundleId: string;
  headerId: string;
  /** `MessageHeader.eventCoding.code`, e.g. `hospital-notification-message`. */
  event: string;
  /** The sender's Organization as the message carries it. */
  sender: { identifier: { system: string; value: string }[]; name: string | undefined; sor: string | undefined };
  /** Where the acknowledgement is addressed (`MessageHeader.source.endpoint`). */
  sourceEndpoint: string;
}

const asRecord = (x: unknown): Record<string, unknown> | undefined =>
  typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : undefined;
const asArray = (x: unknown): unknown[] => (Array.isArray(x) ? (x as unknown[]) : []);
const str = (x: unknown): string | undefined => (typeof x === 'string' && x !== '' ? x : undefined);
const tailOf = (ref: string): string => ref.split('/').slice(-2).join('/');

/**
 * The envelope of a MedCom message Bundle: its MessageHeader (the first entry), the sender
 * Organization it references and the source endpoint; or what is missing. A real system would
 * validate the whole message against the MedCom profiles before acknowledging it `ok`.
 */
export function readEnvelope(body: unknown): MessageEnvelope | { problem: string } {
  const bundle = asRecord(body);
  if (bundle?.resourceType !== 'Bundle' || bundle.type !== 'message') return { problem: 'The body is not a FHIR message Bundle' };
  const bundleId = str(bundle.id);
  if (bundleId === undefined) return { problem: 'Bundle.id is missing' };
  const entries = asArray(bundle.entry).flatMap((e) => {
    const entry = asRecord(e);
    const resource = asRecord(entry?.resource);
    return entry && resource ? [{ fullUrl: str(entry.fullUrl), resource }] : [];
  });
  const header = entries[0]?.resource;
  if (header?.resourceType !== 'MessageHeader') return { problem: 'The first entry is not a MessageHeader' };
  const headerId = str(header.id);
  if (headerId === undefined) return { problem: 'MessageHeader.id is missing' };
  const event = str(asRecord(header.eventCoding)?.code);
  if (event === undefined) return { problem: 'MessageHeader.eventCoding is missing' };
  const sourceEndpoint = str(asRecord(header.source)?.endpoint);
  if (sourceEndpoint === undefined) return { problem: 'MessageHeader.source.endpoint is missing' };
  const senderRef = str(asRecord(header.sender)?.reference);
  // References resolve by fullUrl as written or by the `Type/id` of the resource (MedCom's examples use both).
  const senderOrg = senderRef === undefined
    ? undefined
    : (entries.find((e) => e.fullUrl === senderRef) ?? entries.find((e) => `${str(e.resource.resourceType) ?? ''}/${str(e.resource.id) ?? ''}` === tailOf(senderRef)))?.resource;
  if (senderOrg?.resourceType !== 'Organization') return { problem: 'MessageHeader.sender does not resolve to an Organization in the Bundle' };
  const identifier = asArray(senderOrg.identifier).flatMap((i) => {
    const system = str(asRecord(i)?.system);
    const value = str(asRecord(i)?.value);
    return system !== undefined && value !== undefined ? [{ system, value }] : [];
  });
  return {
    bundleId,
    headerId,
    event,
    sender: { identifier, name: str(senderOrg.name), sor: identifier.find((i) => i.system === SOR_SYSTEM)?.value },
    sourceEndpoint,
  };
}

/** A FHIR dateTime with an offset, as MedCom requires (UTC, whole seconds). */
const dateTime = (at: Date): string => at.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * A MedCom Acknowledgement `ok` message Bundle answering `received`: a MessageHeader (event
 * `acknowledgement-message`, `response.identifier` = the received MessageHeader.id, code `ok`),
 * sent by `us` to the received sender at its `source.endpoint`; a Provenance with activity
 * `acknowledgement` that revises the received MessageHeader; both Organizations with SOR and GLN.
 * An `ok` needs no OperationOutcome (medcom.md §6).
 */
export function buildAcknowledgementOk(received: MessageEnvelope, us: Organisation, now: Date): fhir4.Bundle {
  const ids = { bundle: randomUUID(), header: randomUUID(), provenance: randomUUID(), ours: randomUUID(), theirs: randomUUID() };
  const at = dateTime(now);
  const ourOrganization: fhir4.Organization = {
    resourceType: 'Organization',
    id: ids.ours,
    meta: { profile: [PROFILE.organization] },
    identifier: [{ system: GLN_SYSTEM, value: us.gln }, { system: SOR_SYSTEM, value: us.sor }],
    name: us.name,
  };
  const theirOrganization: fhir4.Organization = {
    resourceType: 'Organization',
    id: ids.theirs,
    meta: { profile: [PROFILE.organization] },
    identifier: received.sender.identifier,
    ...(received.sender.name === undefined ? {} : { name: received.sender.name }),
  };
  const header: fhir4.MessageHeader = {
    resourceType: 'MessageHeader',
    id: ids.header,
    meta: { profile: [PROFILE.header] },
    eventCoding: { system: EVENT_SYSTEM, code: ACKNOWLEDGEMENT_EVENT },
    destination: [
      {
        extension: [{ url: DESTINATION_USE_URL, valueCoding: { system: DESTINATION_USE_SYSTEM, code: 'primary' } }],
        endpoint: received.sourceEndpoint,
        receiver: { reference: `Organization/${ids.theirs}` },
      },
    ],
    sender: { reference: `Organization/${ids.ours}` },
    source: { endpoint: `https://sor2.sum.dsdn.dk/#id=${us.sor}` },
    response: { identifier: received.headerId, code: 'ok' },
  };
  const provenance: fhir4.Provenance = {
    resourceType: 'Provenance',
    id: ids.provenance,
    meta: { profile: [PROFILE.provenance] },
    target: [{ reference: `MessageHeader/${ids.header}` }],
    occurredDateTime: at,
    recorded: at,
    activity: { coding: [{ system: ACTIVITY_SYSTEM, code: 'acknowledgement' }] },
    agent: [{ who: { reference: `Organization/${ids.ours}` } }],
    entity: [{ role: 'revision', what: { reference: `MessageHeader/${received.headerId}` } }],
  };
  const resources: fhir4.FhirResource[] = [header, provenance, ourOrganization, theirOrganization];
  return {
    resourceType: 'Bundle',
    id: ids.bundle,
    meta: { profile: [PROFILE.bundle] },
    type: 'message',
    timestamp: at,
    // Relative fullUrls, as in MedCom's own acknowledgement examples.
    entry: resources.map((resource) => ({ fullUrl: `${resource.resourceType}/${resource.id ?? ''}`, resource })),
  };
}
