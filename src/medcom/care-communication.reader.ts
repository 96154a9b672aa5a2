import type { Issue } from '../shared/index.ts';
import { EntryResolver, referenceOf } from './bundle-entries.ts';
import { normaliseUuidValue, readEpisodeOfCareIds, type EpisodeOfCareId } from './identifiers.ts';
import { IssueList } from './issues.ts';
import { CATEGORY_SYSTEM, EXTENSION } from './medcom.constants.ts';
import { currentProvenance, timeOf } from './message.reader.ts';
import type { MedComMessage } from './message.types.ts';
import { asArray, asObject, asString, type Json } from './json.ts';

export interface CareCommunicationAttachment {
  contentType: string | undefined;
  title: string | undefined;
  creation: string | undefined;
  url: string | undefined;
  size: number | undefined;
  hash: string | undefined;
  /** Base64 content as sent; replies carry metadata only (medcom.md §8), so it may be absent. */
  data: string | undefined;
}

export interface CareCommunicationPayload {
  /** Position in `Communication.payload`. */
  index: number;
  kind: 'text' | 'attachment';
  /** The payload identifier extension (`urn:uuid:…`), as sent. */
  identifier: string | undefined;
  /** The date extension: when "send" was pressed; the order receivers show payloads in. */
  date: string | undefined;
  /** The author extension (PractitionerRole reference). */
  author: string | undefined;
  text: string | undefined;
  attachment: CareCommunicationAttachment | undefined;
  /** Added by this message: its identifier is a `source` entity of the current Provenance. */
  isNew: boolean;
  expression: string;
}

export type CareCommunicationRelation = 'new' | 'reply' | 'forward';

/** A CareCommunication (*korrespondancemeddelelse*), read for storage and threading. */
export interface CareCommunication {
  /** `Communication.identifier`: the thread id (unchanged on replies, new on forwards), as sent. */
  threadId: string;
  /** The thread id normalised for matching (no `urn:uuid:`, lower case). */
  threadKey: string;
  category: string;
  categorySystem: string | undefined;
  priority: string | undefined;
  topic: string | undefined;
  /** The Encounter referenced by `Communication.encounter`, with its episode-of-care ids. */
  encounter: { reference: string; episodeOfCareIds: EpisodeOfCareId[] } | undefined;
  /** All payloads, ordered by their date extension (undated last, then by position). */
  payloads: CareCommunicationPayload[];
  /** The text payloads' texts, in date order. */
  texts: string[];
  attachments: CareCommunicationPayload[];
  /** Specific sender (extension) and recipients (`Communication.recipient`), as references. */
  specificSender: string | undefined;
  specificRecipients: string[];
  relation: {
    kind: CareCommunicationRelation;
    activity: string;
    /** The MessageHeader id answered or forwarded (entity revision). */
    previousHeaderId: string | undefined;
    /** A legacy OIOXML/EDIFACT letter answered, `<lokationsnummer>#<brevid>` (entity revision identifier). */
    previousLetter: string | undefined;
    /** Payload identifiers this message added (entity source). */
    newPayloadIds: string[];
  };
  warnings: Issue[];
}


const RELATION: Record<string, CareCommunicationRelation> = {
  'new-message': 'new',
  'reply-message': 'reply',
  'forward-message': 'forward',
};

/**
 * Reads a CareCommunication message that {@link readMessage} accepted: thread id, category
 * (including `extended-care-responsibility`), topic, payloads ordered by their date extension with
 * attachments kept (metadata and data), and the reply/forward relation from the current Provenance.
 */
export function readCareCommunication(msg: MedComMessage): CareCommunication | { issues: Issue[] } {
  const issues = new IssueList();
  if (msg.focus.kind !== 'care-communication') {
    issues.error('not-supported', 'The message is not a CareCommunication', 'Bundle.entry[0].resource.event');
    return { issues: issues.items };
  }
  const c = msg.focus.communication as unknown as Json;
  const cx = msg.focus.expression;
  const current = currentProvenance(msg);
  const resolver = new EntryResolver(msg.entries);

  const threadId = asString(asObject(asArray(c.identifier)[0])?.value) ?? '';
  const coding = asArray(asObject(asArray(c.category)[0])?.coding).map(asObject);
  const categoryCoding = coding.find((x) => x?.system === CATEGORY_SYSTEM) ?? coding[0];
  const category = asString(categoryCoding?.code) ?? '';
  if (categoryCoding?.system !== CATEGORY_SYSTEM) issues.warning('value', 'The category is not from the CareCommunication category codes', `${cx}.category`);

  const topicObject = asObject(c.topic);
  const topic = asString(topicObject?.text);
  if (topicObject !== undefined && topic === undefined) issues.warning('value', 'Communication.topic is present but empty', `${cx}.topic`);
  if (category === 'other' && topic === undefined) issues.warning('required', "Category 'other' requires a topic", `${cx}.topic`);

  const encounterRef = referenceOf(c.encounter);
  const encounterEntry = resolver.resolve(encounterRef);
  if (encounterRef !== undefined && encounterEntry?.resource.resourceType !== 'Encounter') {
    issues.warning('not-found', 'Communication.encounter does not resolve to an Encounter in the Bundle', `${cx}.encounter`);
  }

  const newPayloadIds = current?.payloadIds ?? [];
  const newKeys = new Set(newPayloadIds.map(normaliseUuidValue));
  const payloads = asArray(c.payload).map((raw, index): CareCommunicationPayload => {
    const p = asObject(raw) ?? {};
    const ext = asArray(p.extension).map(asObject);
    const extension = (url: string): Json | undefined => ext.find((e) => e?.url === url);
    const identifier = asString(asObject(extension(EXTENSION.payloadIdentifier)?.valueIdentifier)?.value);
    const date = asString(extension(EXTENSION.payloadDateTime)?.valueDateTime);
    const px = `${cx}.payload[${index}]`;
    if (date === undefined) issues.warning('required', 'A payload has no date extension', `${px}.extension`);
    if (identifier === undefined) issues.warning('required', 'A payload has no identifier extension', `${px}.extension`);
    const a = asObject(p.contentAttachment);
    return {
      index,
      kind: a === undefined ? 'text' : 'attachment',
      identifier,
      date,
      author: referenceOf(extension(EXTENSION.payloadAuthor)?.valueReference),
      text: typeof p.contentString === 'string' ? p.contentString : undefined,
      attachment:
        a === undefined
          ? undefined
          : {
              contentType: asString(a.contentType),
              title: asString(a.title),
              creation: asString(a.creation),
              url: asString(a.url),
              size: typeof a.size === 'number' ? a.size : undefined,
              hash: asString(a.hash),
              data: asString(a.data),
            },
      isNew: identifier !== undefined && newKeys.has(normaliseUuidValue(identifier)),
      expression: px,
    };
  });
  const ordered = [...payloads].sort((a, b) => {
    const ta = timeOf(a.date);
    const tb = timeOf(b.date);
    if (Number.isNaN(ta) !== Number.isNaN(tb)) return Number.isNaN(ta) ? 1 : -1;
    return (Number.isNaN(ta) ? 0 : ta - tb) || a.index - b.index;
  });

  const activity = current?.activity ?? '';
  const kind = RELATION[activity] ?? 'new';
  const previousHeaderId = current?.entityRevisionOf;
  const previousLetter = current?.revisionOfLetter;
  if (kind !== 'new' && previousHeaderId === undefined && previousLetter === undefined) {
    issues.warning('required', `A ${kind} that does not name the message it answers (entity revision)`, `${current?.expression ?? 'Bundle.entry'}.entity`);
  }

  return {
    threadId,
    threadKey: normaliseUuidValue(threadId),
    category,
    categorySystem: asString(categoryCoding?.system),
    priority: asString(c.priority),
    topic,
    encounter:
      encounterEntry?.resource.resourceType === 'Encounter'
        ? { reference: encounterEntry.key, episodeOfCareIds: readEpisodeOfCareIds(encounterEntry.resource) }
        : undefined,
    payloads: ordered,
    texts: ordered.flatMap((p) => (p.text === undefined ? [] : [p.text])),
    attachments: ordered.filter((p) => p.kind === 'attachment'),
    specificSender: referenceOf(asArray(c.extension).map(asObject).find((e) => e?.url === EXTENSION.specificSender)?.valueReference),
    specificRecipients: asArray(c.recipient).flatMap((r) => {
      const ref = referenceOf(r);
      return ref === undefined ? [] : [ref];
    }),
    relation: { kind, activity, previousHeaderId, previousLetter, newPayloadIds: [...newPayloadIds] },
    warnings: [...msg.warnings, ...issues.items],
  };
}
