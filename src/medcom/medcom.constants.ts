import { SYSTEM } from '../shared/index.ts';

/**
 * Canonical URLs, code systems and codes of MedCom messaging (medcom.md §2–§6). One place, so that a
 * renamed URL in a later IG version is a one-line change.
 */

export const EVENT_SYSTEM = 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes';
export const ACTIVITY_SYSTEM = 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes';
export const DESTINATION_USE_URL = 'http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-destinationUseExtension';
export const DESTINATION_USE_SYSTEM = 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-destinationUse';
export const CATEGORY_SYSTEM = 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-careCommunication-categoryCodes';
export const ACK_ERROR_CODES_SYSTEM = 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-acknowledgement-error-codes';
/** Issue-details system of the 2023 Ack examples; read, never emitted (medcom.md §10 #8). */
export const ACK_LEGACY_ISSUE_DETAILS_SYSTEM = 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-acknowledgement-issue-details';
export const HL7_OPERATION_OUTCOME_SYSTEM = 'http://terminology.hl7.org/CodeSystem/operation-outcome';
export const V3_ACT_CODE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

/** The event code of each message kind Sektorbro understands. */
export const EVENT_CODE = {
  'hospital-notification': 'hospital-notification-message',
  'care-communication': 'care-communication-message',
  acknowledgement: 'acknowledgement-message',
} as const;

export const EXTENSION = {
  reportOfAdmission: 'http://medcomfhir.dk/ig/hospitalnotification/StructureDefinition/medcom-messaging-reportOfAdmissionExtension',
  reportOfAdmissionRecipient:
    'http://medcomfhir.dk/ig/hospitalnotification/StructureDefinition/medcom-messaging-reportOfAdmissionRecipientExtension',
  /** Sic: "hospitalnotifiation" is the published URL (medcom.md §10 #10). */
  leavePeriod: 'http://medcomfhir.dk/ig/hospitalnotification/StructureDefinition/medcom-hospitalnotifiation-leave-period-extension',
  payloadDateTime: 'http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-datetime-extension',
  payloadIdentifier: 'http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-identifier-extension',
  payloadAuthor: 'http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-practitioner-extension',
  payloadContact: 'http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-contact-extension',
  specificSender: 'http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-sender-extension',
} as const;

export const PROFILE = {
  ackBundle: 'http://medcomfhir.dk/ig/acknowledgement/StructureDefinition/medcom-messaging-acknowledgement',
  ackHeader: 'http://medcomfhir.dk/ig/acknowledgement/StructureDefinition/medcom-messaging-acknowledgementHeader',
  ackOutcome: 'http://medcomfhir.dk/ig/acknowledgement/StructureDefinition/medcom-acknowledgement-operationoutcome',
  provenance: 'http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-provenance',
  organization: 'http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-organization',
} as const;

/** `MessageHeader.definition` of an Acknowledgement 2.0 (as in the 2024 reference examples). */
export const ACK_DEFINITION = 'http://medcomfhir.dk/ig/acknowledgement/medcom-acknowledgement-message-definition|2.0.0';

/** Base of the absolute `fullUrl`s Sektorbro emits in an Acknowledgement (the style of `ack-v2-*`). */
export const ACK_FULL_URL_BASE = 'https://medcomfhir.dk/ig/acknowledgement/';

/** SOR endpoint URI of a SOR unit: where messages and acknowledgements for it are addressed. */
export const sorEndpoint = (sor: string): string => `https://sor2.sum.dsdn.dk/#id=${sor}`;

export const PATIENT_SYSTEM = {
  cpr: SYSTEM.cpr,
  xEcpr: 'urn:oid:1.2.208.176.1.6.1.1',
  /** D-eCPR; regional sub-OIDs (`.177`, `.179`, …) extend it. */
  dEcpr: 'urn:oid:1.2.208.176.1.6.1.3',
} as const;

export const LPR3_SYSTEM = 'https://www.esundhed.dk/Registre/Landspatientregisteret';
