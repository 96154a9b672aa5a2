import { createHmac, randomUUID } from 'node:crypto';
import { deterministicId, GatewayError, type AnyResource, type Issue } from '../shared/index.ts';
import { parseSearch, type OutboxEntry, type StoreTx, type SubscriptionContent, type SubscriptionRecord } from '../store/index.ts';

/**
 * FHIR Subscriptions (issue #6): R4 criteria subscriptions (`DocumentReference?type=...`) and the R4
 * Subscriptions Backport's topic-based ones, with rest-hook channels only. Events are matched in the
 * outbox relay's transaction, numbered per subscription and delivered as deliveries like any other
 * (retries, ordering, circuit breaker, dead letters, replay); `$events` serves them again.
 */

const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
export const BACKPORT_EXTENSION = {
  filterCriteria: `${BACKPORT}/backport-filter-criteria`,
  payloadContent: `${BACKPORT}/backport-payload-content`,
  heartbeatPeriod: `${BACKPORT}/backport-heartbeat-period`,
} as const;
export const BACKPORT_STATUS_PROFILE = `${BACKPORT}/backport-subscription-status-r4`;
export const BACKPORT_NOTIFICATION_PROFILE = `${BACKPORT}/backport-subscription-notification-r4`;
/** The subscriber's HMAC key, set with the Subscription and never shown again (like a webhook secret). */
export const SECRET_EXTENSION = 'http://sektorbro.dk/fhir/StructureDefinition/sektorbro-subscription-secret';
/** The header that carries `sha256=<hex HMAC of the body>`. */
export const SIGNATURE_HEADER = 'X-Sektorbro-Signature';

export interface SubscriptionTopic {
  id: string;
  url: string;
  title: string;
  /** The focus resource of its events. */
  resourceType: string;
}

/** The topics Sektorbro publishes (the backport's canonical URLs; served by `Subscription/$topic-list`). */
export const SUBSCRIPTION_TOPICS: readonly SubscriptionTopic[] = [
  { id: 'discharge-documents', url: 'http://sektorbro.dk/fhir/SubscriptionTopic/discharge-documents', title: 'Discharge documents (epikrise, udskrivningsrapport, plejeforløbsplan, genoptræningsplan) stored', resourceType: 'DocumentReference' },
  { id: 'hospital-notifications', url: 'http://sektorbro.dk/fhir/SubscriptionTopic/hospital-notifications', title: 'Hospital stays changed by a HospitalNotification', resourceType: 'Encounter' },
  { id: 'responsibility-changes', url: 'http://sektorbro.dk/fhir/SubscriptionTopic/responsibility-changes', title: 'Events that may change who holds treatment responsibility (admission, discharge, death, cancellation, correction)', resourceType: 'Patient' },
];

/** Resource types an R4 criteria subscription may watch: the ones events are raised for. */
const CRITERIA_TYPES = ['DocumentReference', 'Encounter', 'Communication', 'Patient'];
const CONTENTS: readonly SubscriptionContent[] = ['empty', 'id-only', 'full-resource'];
const MIN_SECRET_LENGTH = 16;

const invalid = (diagnostics: string, expression: string): GatewayError =>
  new GatewayError('subscription.invalid', 422, [{ severity: 'error', code: 'invalid', diagnostics, expression: [expression] }]);

type Ext = { url?: string; valueString?: string; valueCode?: string; valueUnsignedInt?: number; valuePositiveInt?: number; valueInteger?: number };
const extensionsOf = (x: unknown): Ext[] => (Array.isArray((x as { extension?: unknown } | undefined)?.extension) ? ((x as { extension: Ext[] }).extension) : []);

/** A Subscription as submitted, checked and turned into what is stored: the resource (status `requested`, no secret) and the delivery row. */
export interface PreparedSubscription {
  resource: AnyResource & { id: string };
  record: Omit<SubscriptionRecord, 'eventsCount' | 'lastSentAt' | 'version'>;
}

/**
 * Checks a submitted Subscription: a rest-hook channel to an http(s) endpoint; criteria that name a
 * Sektorbro topic (with backport filter criteria) or an R4 search on a type events are raised for;
 * filters that are valid search parameters. Anything else is a 422 naming the element.
 */
export function prepareSubscription(
  input: AnyResource & { id: string },
  who: { org: string; clientId: string; previousSecret?: string | undefined },
): PreparedSubscription {
  const channel = input.channel as { type?: string; endpoint?: string; payload?: string; _payload?: unknown; header?: string[] } | undefined;
  if (channel?.type !== 'rest-hook') throw invalid('Only rest-hook channels are supported', 'Subscription.channel.type');
  let endpoint: URL;
  try {
    endpoint = new URL(channel.endpoint ?? '');
  } catch {
    throw invalid('channel.endpoint must be the absolute http(s) URL notifications are POSTed to', 'Subscription.channel.endpoint');
  }
  if (endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:') throw invalid('channel.endpoint must use http or https', 'Subscription.channel.endpoint');

  const criteria = typeof input.criteria === 'string' ? input.criteria.trim() : '';
  const topic = SUBSCRIPTION_TOPICS.find((t) => t.url === criteria);
  let resourceType: string;
  const filters: string[] = [];
  if (topic) {
    resourceType = topic.resourceType;
    for (const [i, x] of extensionsOf(input._criteria).entries()) {
      if (x.url !== BACKPORT_EXTENSION.filterCriteria) continue;
      const text = (x.valueString ?? '').trim();
      const m = /^(?:([A-Za-z]+)\?)?(.*)$/.exec(text);
      if (m?.[1] !== undefined && m[1] !== resourceType) {
        throw invalid(`The ${topic.id} topic's events are about ${resourceType}, not ${m[1]}`, `Subscription.criteria.extension[${String(i)}]`);
      }
      if (m?.[2]) filters.push(m[2]);
    }
  } else {
    const m = /^([A-Za-z]+)\?(.*)$/.exec(criteria) ?? /^([A-Za-z]+)$/.exec(criteria);
    if (!m?.[1] || !CRITERIA_TYPES.includes(m[1])) {
      throw invalid(
        `criteria must be a topic (${SUBSCRIPTION_TOPICS.map((t) => t.url).join(', ')}) or a search on ${CRITERIA_TYPES.join(', ')}`,
        'Subscription.criteria',
      );
    }
    resourceType = m[1];
    if (m[2]) filters.push(m[2]);
  }
  const filter = filters.join('&');
  try {
    parseSearch(resourceType, [...new URLSearchParams(filter)], { defaultCount: 1, maxCount: 1 });
  } catch (err) {
    const said = err instanceof GatewayError ? err.issues.map((i: Issue) => i.diagnostics).join('; ') : 'not a valid search';
    throw invalid(`The filter "${filter}" is not a valid ${resourceType} search: ${said}`, topic ? 'Subscription.criteria.extension' : 'Subscription.criteria');
  }

  const payloadExt = extensionsOf(channel._payload).find((x) => x.url === BACKPORT_EXTENSION.payloadContent);
  const content = (payloadExt?.valueCode ?? (topic ? 'id-only' : channel.payload ? 'full-resource' : 'empty')) as SubscriptionContent;
  if (!CONTENTS.includes(content)) throw invalid(`payload content must be one of ${CONTENTS.join(', ')}`, 'Subscription.channel.payload.extension');
  const heartbeatExt = extensionsOf(channel).find((x) => x.url === BACKPORT_EXTENSION.heartbeatPeriod);
  const heartbeat = heartbeatExt?.valueUnsignedInt ?? heartbeatExt?.valuePositiveInt ?? heartbeatExt?.valueInteger;
  if (heartbeat !== undefined && (!Number.isInteger(heartbeat) || heartbeat < 1)) throw invalid('The heartbeat period is a number of seconds, at least 1', 'Subscription.channel.extension');

  const secretExt = extensionsOf(input).find((x) => x.url === SECRET_EXTENSION);
  const secret = secretExt?.valueString ?? who.previousSecret;
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) throw invalid(`The signing secret must be at least ${String(MIN_SECRET_LENGTH)} characters`, 'Subscription.extension');
  const headers = (channel.header ?? []).flatMap((h): [string, string][] => {
    const at = h.indexOf(':');
    return at > 0 ? [[h.slice(0, at).trim(), h.slice(at + 1).trim()]] : [];
  });

  // Stored without the secret, and `requested` until the handshake succeeds.
  const { error: _error, ...rest } = input;
  const resource = { ...rest, status: 'requested', extension: extensionsOf(input).filter((x) => x.url !== SECRET_EXTENSION) } as AnyResource & { id: string };
  if ((resource.extension as unknown[]).length === 0) delete resource.extension;
  return {
    resource,
    record: {
      id: input.id, org: who.org, clientId: who.clientId, topic: topic?.url, resourceType, filter, endpoint: endpoint.toString(),
      headers, content, secret, heartbeatSeconds: heartbeat, status: 'requested', error: undefined,
    },
  };
}

/** What an outbox entry is about, for subscriptions: focus resources and the topics they belong to. */
interface Candidate {
  resourceType: string;
  id: string;
  patientId: string | undefined;
  topics: string[];
}

const idOf = (ref: unknown, type: string): string | undefined =>
  typeof ref === 'string' && ref.startsWith(`${type}/`) ? ref.slice(type.length + 1) : undefined;

function candidatesOf(entry: OutboxEntry): Candidate[] {
  const p = entry.payload;
  const patientId = typeof p.patientId === 'string' ? p.patientId : undefined;
  const topic = (id: string): string => SUBSCRIPTION_TOPICS.find((t) => t.id === id)?.url ?? id;
  if (entry.eventType === 'document.stored' && typeof p.documentReferenceId === 'string') {
    return [{ resourceType: 'DocumentReference', id: p.documentReferenceId, patientId, topics: [topic('discharge-documents')] }];
  }
  // The handover at a window's end has no message behind it; message-caused changes are raised from the message itself.
  if (entry.eventType === 'responsibility.changed' && p.reason === 'handover' && patientId) {
    return [{ resourceType: 'Patient', id: patientId, patientId, topics: [topic('responsibility-changes')] }];
  }
  if (entry.eventType !== 'message.processed') return [];
  const out: Candidate[] = [];
  const encounter = idOf(p.focus, 'Encounter');
  const communication = idOf(p.focus, 'Communication');
  if (encounter) out.push({ resourceType: 'Encounter', id: encounter, patientId, topics: [topic('hospital-notifications')] });
  if (communication) out.push({ resourceType: 'Communication', id: communication, patientId, topics: [] });
  // Leave (STOR, SLOR and their corrections) does not move responsibility: the hospital keeps it.
  const hnEvent = typeof p.hnEvent === 'string' ? p.hnEvent : undefined;
  if (patientId && hnEvent && !/STOR|SLOR/.test(hnEvent)) out.push({ resourceType: 'Patient', id: patientId, patientId, topics: [topic('responsibility-changes')] });
  return out;
}

/** The delivery a subscription event, handshake or heartbeat travels as. */
export const subscriptionRecipient = (subscriptionId: string): string => `Subscription/${subscriptionId}`;
export const eventSource = (subscriptionId: string, n: number): string => `Subscription/${subscriptionId}/$events/${String(n)}`;
export const handshakeSource = (subscriptionId: string, version: number): string => `Subscription/${subscriptionId}/$handshake/${String(version)}`;
export const heartbeatSource = (subscriptionId: string, at: Date): string => `Subscription/${subscriptionId}/$heartbeat/${String(at.getTime())}`;

/**
 * Records the events an outbox entry raises for active subscriptions, each with its delivery, in the
 * relay's transaction. A subscription matches when its topic (or criteria type) fits and the focus is
 * found by the subscription's filter **as its own organisation would search**: a subscriber is never
 * told of a resource its organisation may not read.
 */
export async function raiseSubscriptionEvents(tx: StoreTx, entry: OutboxEntry, now: Date): Promise<number> {
  let raised = 0;
  for (const c of candidatesOf(entry)) {
    for (const sub of await tx.subscriptions.active(c.resourceType)) {
      if (sub.topic !== undefined && !c.topics.includes(sub.topic)) continue;
      if (!(await matches(tx, sub, c))) continue;
      const n = await tx.subscriptions.addEvent(sub.id, { focus: `${c.resourceType}/${c.id}`, patientId: c.patientId, occurredAt: now });
      await tx.deliveries.create({
        id: deterministicId(`subscription-event|${sub.id}|${String(n)}`),
        source: eventSource(sub.id, n),
        recipientSor: subscriptionRecipient(sub.id),
        patientId: c.patientId,
        basis: `${sub.topic ? `topic ${sub.topic}` : `criteria ${sub.resourceType}?${sub.filter}`} (Subscription/${sub.id} of SOR ${sub.org})`,
        status: 'pending',
        outboxId: entry.id,
      }, now);
      raised++;
    }
  }
  return raised;
}

async function matches(tx: StoreTx, sub: SubscriptionRecord, c: Candidate): Promise<boolean> {
  const params: [string, string][] = [...new URLSearchParams(sub.filter), ['_id', c.id], ['_count', '1']];
  let query;
  try {
    query = parseSearch(c.resourceType, params, { defaultCount: 1, maxCount: 1 });
  } catch {
    return false; // checked when the subscription was made; a filter that no longer parses matches nothing
  }
  const page = await tx.resources.search({ ...query, total: false }, { kind: 'orgs', orgs: [sub.org] });
  return page.items.some((i) => !i.deleted);
}

/** Creates the handshake delivery of a requested subscription (version: the Subscription resource version). */
export async function requestHandshake(tx: StoreTx, sub: { id: string; org: string }, version: number, outboxId: number, now: Date): Promise<void> {
  await tx.deliveries.create({
    id: deterministicId(`subscription-handshake|${sub.id}|${String(version)}`),
    source: handshakeSource(sub.id, version),
    recipientSor: subscriptionRecipient(sub.id),
    patientId: undefined,
    basis: `handshake of Subscription/${sub.id} (SOR ${sub.org})`,
    status: 'pending',
    outboxId,
  }, now);
}

/** Heartbeats for active subscriptions that have had nothing for their heartbeat period. */
export async function scheduleHeartbeats(tx: StoreTx, now: Date): Promise<number> {
  const due = await tx.subscriptions.dueHeartbeats(now);
  for (const sub of due) {
    await tx.subscriptions.markSent(sub.id, now);
    await tx.deliveries.create({
      id: deterministicId(`subscription-heartbeat|${sub.id}|${String(now.getTime())}`),
      source: heartbeatSource(sub.id, now),
      recipientSor: subscriptionRecipient(sub.id),
      patientId: undefined,
      basis: `heartbeat of Subscription/${sub.id} every ${String(sub.heartbeatSeconds)} s`,
      status: 'pending',
      outboxId: 0,
    }, now);
  }
  return due.length;
}

export type NotificationType = 'handshake' | 'heartbeat' | 'event-notification' | 'query-status' | 'query-event';

/** The backport SubscriptionStatus (R4: a Parameters resource) that opens every notification and answers `$status`. */
export function subscriptionStatus(sub: SubscriptionRecord, type: NotificationType, base: string, events: { eventNumber: number; occurredAt: Date; focus: string }[], content: SubscriptionContent): AnyResource {
  return {
    resourceType: 'Parameters',
    id: randomUUID(),
    meta: { profile: [BACKPORT_STATUS_PROFILE] },
    parameter: [
      { name: 'subscription', valueReference: { reference: `${base}/Subscription/${sub.id}` } },
      ...(sub.topic ? [{ name: 'topic', valueCanonical: sub.topic }] : []),
      { name: 'status', valueCode: sub.status === 'requested' && type === 'handshake' ? 'requested' : sub.status },
      { name: 'type', valueCode: type },
      { name: 'events-since-subscription-start', valueString: String(sub.eventsCount) },
      ...events.map((e) => ({
        name: 'notification-event',
        part: [
          { name: 'event-number', valueString: String(e.eventNumber) },
          { name: 'timestamp', valueInstant: e.occurredAt.toISOString() },
          ...(content === 'empty' ? [] : [{ name: 'focus', valueReference: { reference: `${base}/${e.focus}` } }]),
        ],
      })),
      ...(sub.error ? [{ name: 'error', valueCodeableConcept: { text: sub.error } }] : []),
    ],
  };
}

/**
 * A notification Bundle (backport `history` Bundle): the status first, then, with `full-resource`
 * content, each focus resource the subscriber's organisation may still read.
 */
export async function notificationBundle(
  tx: StoreTx,
  sub: SubscriptionRecord,
  type: NotificationType,
  base: string,
  events: { eventNumber: number; occurredAt: Date; focus: string }[],
  now: Date,
): Promise<AnyResource> {
  const status = subscriptionStatus(sub, type, base, events, sub.content);
  const entries: Record<string, unknown>[] = [
    { fullUrl: `urn:uuid:${String(status.id)}`, resource: status, request: { method: 'GET', url: `${base}/Subscription/${sub.id}/$status` }, response: { status: '200' } },
  ];
  if (sub.content === 'full-resource') {
    for (const e of events) {
      const [type_, id] = e.focus.split('/') as [string, string];
      const stored = await tx.resources.read(type_, id);
      // Access is checked again at send time: a grant withdrawn since the event means no content.
      if (!stored?.resource || stored.deleted || !stored.grants.includes(sub.org)) continue;
      entries.push({ fullUrl: `${base}/${e.focus}`, resource: stored.resource, request: { method: 'PUT', url: e.focus }, response: { status: '200' } });
    }
  }
  return { resourceType: 'Bundle', id: randomUUID(), meta: { profile: [BACKPORT_NOTIFICATION_PROFILE] }, type: 'history', timestamp: now.toISOString(), entry: entries };
}

/** `sha256=<hex>`: the HMAC-SHA256 of the exact body with the subscriber's secret. */
export const signature = (secret: string, body: string): string => `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;

/**
 * What a finished subscription delivery means for its subscription: a handshake answered makes it
 * `active`; a handshake or notification that cannot be delivered puts it in `error` (its events are
 * still recorded, for `$events` once the subscriber has put it right). The Subscription resource
 * shows the same status.
 */
export async function settleSubscription(tx: StoreTx, source: string, outcome: { ok: true } | { ok: false; reason: string }, now: Date): Promise<void> {
  const m = /^Subscription\/([A-Za-z0-9\-.]{1,64})\/\$(events|handshake|heartbeat)\//.exec(source);
  if (!m?.[1]) return;
  const id = m[1];
  const sub = await tx.subscriptions.get(id);
  if (!sub || sub.status === 'off') return;
  if (outcome.ok) {
    await tx.subscriptions.markSent(id, now);
    if (m[2] !== 'handshake' || sub.status === 'active') return;
    await tx.subscriptions.setStatus(id, 'active', undefined, now);
    await mirrorStatus(tx, sub, 'active', undefined);
    return;
  }
  await tx.subscriptions.setStatus(id, 'error', outcome.reason, now);
  await mirrorStatus(tx, sub, 'error', outcome.reason);
}

async function mirrorStatus(tx: StoreTx, sub: SubscriptionRecord, status: string, error: string | undefined): Promise<void> {
  const stored = await tx.resources.readForUpdate('Subscription', sub.id);
  if (!stored?.resource || stored.deleted) return;
  const { error: _previous, ...rest } = stored.resource;
  await tx.resources.update({ ...rest, id: sub.id, status, ...(error ? { error } : {}) }, { writerOrg: sub.org, grantOrgs: [] });
}
