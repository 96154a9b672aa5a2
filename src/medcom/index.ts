/**
 * MedCom messaging, pure: FHIR XML parsing behind a guard, lenient reading of HospitalNotification,
 * CareCommunication and Acknowledgement Bundles, HN event derivation, the stay reducer and its
 * domain events, and the Acknowledgement builder. No I/O; imports only `src/shared`.
 */
export { parseFhirXml } from './fhir-xml.parser.ts';
export type { XmlLimits } from './fhir-xml.parser.ts';

export { readMessage, isReadFailure, currentProvenance, resolveInMessage } from './message.reader.ts';
export type {
  AckResponseCode,
  MedComMessage,
  MessageEnvelope,
  MessageFocus,
  MessageKind,
  MessagePatient,
  MessageReadFailure,
  MessagingOrganization,
  PatientIdentifierKind,
  ProvenanceLink,
} from './message.types.ts';
export type { MessageEntry } from './bundle-entries.ts';

export { readHospitalNotification, deriveHnEvent } from './hospital-notification.reader.ts';
export type {
  EncounterClass,
  HnBaseEvent,
  HnChange,
  HnEncounter,
  HnEvent,
  HnEventDerivation,
  HnEventInput,
  HospitalNotification,
  LeavePeriod,
} from './hospital-notification.reader.ts';

export { applyHospitalNotification, applyHospitalNotificationWithEvents, deriveStay, stayEventsBetween } from './stay.reducer.ts';
export type { AppliedNotification, StayDomainEvent, StayNotification, StayState, TimelineEntry } from './stay.reducer.ts';

export { readCareCommunication } from './care-communication.reader.ts';
export type {
  CareCommunication,
  CareCommunicationAttachment,
  CareCommunicationPayload,
  CareCommunicationRelation,
} from './care-communication.reader.ts';

export { buildAcknowledgement, needsAcknowledgement, readAcknowledgement } from './acknowledgement.ts';
export type { AckContext, AckOutcome, AckSender, AcknowledgementIssue, ReceivedAcknowledgement } from './acknowledgement.ts';

export {
  GLN_SYSTEMS,
  idOfReference,
  isGlnSystem,
  isUuid,
  isValidGln,
  normaliseEpisodeOfCareId,
  normaliseGlnIdentifier,
  normaliseUuidValue,
  primaryEpisodeOfCareId,
  readEpisodeOfCareIds,
  referenceKey,
} from './identifiers.ts';
export type { EpisodeOfCareId, EpisodeOfCareIdKind, GlnIdentifier } from './identifiers.ts';

export { EVENT_CODE, EVENT_SYSTEM, ACTIVITY_SYSTEM, CATEGORY_SYSTEM, PROFILE, sorEndpoint } from './medcom.constants.ts';
export { formatDateTime } from './narrative.ts';
export { acknowledgementIn, acknowledgementReason, prepareForSend } from './outgoing.ts';
