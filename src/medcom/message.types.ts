import type { AnyResource, Issue } from '../shared/index.ts';
import type { MessageEntry } from './bundle-entries.ts';

/** The MedCom message standards Sektorbro reads (by `MessageHeader.eventCoding`). */
export type MessageKind = 'hospital-notification' | 'care-communication' | 'acknowledgement';

/** A MedComMessagingOrganization: a SOR unit with its own GLN (EAN), the messaging address. */
export interface MessagingOrganization {
  /** `Organization/<id>` inside the Bundle. */
  reference: string;
  sor: string;
  /** Digits only; the system is always emitted as `https://www.gs1.org/gln`. */
  gln: string;
  name: string | undefined;
}

/** CPR, the national replacement CPR (X-eCPR) or a regional replacement CPR (D-eCPR). */
export type PatientIdentifierKind = 'cpr' | 'x-ecpr' | 'd-ecpr';

export interface MessagePatient {
  reference: string;
  identifier: { kind: PatientIdentifierKind; system: string; value: string };
  /** `Patient.deceasedBoolean = true` or a `deceasedDateTime`: in HN, the death signal (medcom.md §7.1). */
  deceased: boolean;
  expression: string;
}

/** One Provenance of the message's history, read from the Bundle. */
export interface ProvenanceLink {
  /** `Provenance/<id>`. */
  reference: string;
  /** The MessageHeader id this Provenance is about; historic targets are not in the Bundle. */
  target: string;
  activity: string | undefined;
  occurred: string | undefined;
  recorded: string | undefined;
  /** `agent.who` reference, as written (may dangle). */
  agent: string | undefined;
  /** `entity` with `role = revision` → the MessageHeader id it answers, follows or corrects. */
  entityRevisionOf?: string;
  /** `entity` with `role = removal` → the MessageHeader id it cancels. */
  entityRemovalOf?: string;
  /** `entity.what.identifier` of a revision: a legacy letter, `<lokationsnummer>#<brevid>`. */
  revisionOfLetter?: string;
  /** `entity` with `role = source`: the CareCommunication payload identifiers this message added. */
  payloadIds: string[];
  expression: string;
  /** The Provenance as received (an Acknowledgement carries the latest one over). */
  resource: AnyResource;
}

export type AckResponseCode = 'ok' | 'transient-error' | 'fatal-error';

export type MessageFocus =
  | { kind: 'hospital-notification'; reference: string; expression: string; encounter: fhir4.Encounter }
  | { kind: 'care-communication'; reference: string; expression: string; communication: fhir4.Communication }
  | {
      kind: 'acknowledgement';
      response: {
        /** The acknowledged MessageHeader id. */
        identifier: string;
        code: AckResponseCode;
        outcome: { expression: string; resource: fhir4.OperationOutcome } | undefined;
      };
    };

/**
 * What is needed to address an Acknowledgement: available even when the message itself is
 * rejected, as long as its header, sender and source endpoint could be read.
 */
export interface MessageEnvelope {
  /** Undefined only when neither the event code nor the Bundle's shape tells the kind. */
  kind: MessageKind | undefined;
  bundleId: string;
  headerId: string;
  sender: MessagingOrganization;
  /** `MessageHeader.source.endpoint`: where the Acknowledgement goes. */
  sourceEndpoint: string;
  /** Oldest first; the last one is the current Provenance (the one targeting this MessageHeader). */
  provenance: ProvenanceLink[];
  /** The primary receiver, when it could be read: the organisation an Acknowledgement is sent from. */
  receiver?: MessagingOrganization | undefined;
  receiverEndpoint?: string | undefined;
}

/** A MedCom message Bundle read leniently: typed views of what matters, plus the warnings found. */
export interface MedComMessage extends MessageEnvelope {
  kind: MessageKind;
  bundle: AnyResource;
  entries: MessageEntry[];
  bundleTimestamp: string | undefined;
  /** `MessageHeader.definition`, when present (CC 5.0, Ack 2.0). */
  definition: string | undefined;
  /** Send time: the current Provenance's `occurredDateTime`, else `recorded`, else `Bundle.timestamp`. */
  sentAt: string;
  receiver: MessagingOrganization;
  /** `destination[primary].endpoint`. */
  receiverEndpoint: string;
  /** Exactly one in HN and CC; none in an Acknowledgement. */
  patient: MessagePatient | undefined;
  focus: MessageFocus;
  warnings: Issue[];
}

/** A Bundle that cannot be read as a MedCom message; `envelope` when an Acknowledgement can still be addressed. */
export interface MessageReadFailure {
  issues: Issue[];
  envelope?: MessageEnvelope;
}
