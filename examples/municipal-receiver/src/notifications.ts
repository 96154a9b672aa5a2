import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Reading Sektorbro's subscription notifications: the R4 Subscriptions Backport's notification
 * Bundle (a `history` Bundle whose first entry is the SubscriptionStatus, an R4 `Parameters`), the
 * same shape `$status` and `$events` answer with, and the `X-Sektorbro-Signature` header.
 */

/** Lower case, as node:http gives header names. */
export const SIGNATURE_HEADER = 'x-sektorbro-signature';

/**
 * The signing secret of one subscription, derived from the receiver's master secret: each
 * subscription has its own, and a restart with the same master secret finds the same ones.
 */
export const subscriptionSecret = (masterSecret: string, topic: string): string =>
  createHmac('sha256', masterSecret).update(`sektorbro-subscription|${topic}`, 'utf8').digest('hex');

/**
 * Whether `header` is `sha256=<hex HMAC-SHA256 of the exact body>` under one of `secrets`. The
 * comparison is constant-time, so a forger learns nothing from how long a refusal takes.
 */
export function verifySignature(secrets: readonly string[], body: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string') return false;
  const hex = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim())?.[1];
  if (hex === undefined) return false;
  const given = Buffer.from(hex, 'hex');
  let ok = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(body).digest();
    // Every secret is tried, whichever matches, so timing does not tell which one did.
    if (timingSafeEqual(given, expected)) ok = true;
  }
  return ok;
}

export type NotificationType = 'handshake' | 'heartbeat' | 'event-notification' | 'query-status' | 'query-event';
const NOTIFICATION_TYPES: readonly string[] = ['handshake', 'heartbeat', 'event-notification', 'query-status', 'query-event'];

export interface NotificationEvent {
  eventNumber: number;
  /** The focus reference as sent (absolute), absent with `empty` content. */
  focus: string | undefined;
  timestamp: string | undefined;
  /** The focus resource itself, with `full-resource` content (when the subscriber may still read it). */
  resource: Record<string, unknown> | undefined;
}

export interface Notification {
  type: NotificationType;
  /** `Subscription/<id>` as the status names it (absolute). */
  subscription: string | undefined;
  subscriptionId: string | undefined;
  /** The subscription's status at Sektorbro: requested, active, error or off. */
  status: string | undefined;
  /** How many events the subscription has had in all (`events-since-subscription-start`). */
  eventsSinceStart: number;
  /** By event number, lowest first. */
  events: NotificationEvent[];
}

interface Parameter {
  name?: unknown;
  valueString?: unknown;
  valueCode?: unknown;
  valueInstant?: unknown;
  valueReference?: { reference?: unknown };
  part?: unknown;
}

const asRecord = (x: unknown): Record<string, unknown> | undefined =>
  typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : undefined;
const asArray = (x: unknown): unknown[] => (Array.isArray(x) ? (x as unknown[]) : []);
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
const params = (x: unknown): Parameter[] => asArray(x).flatMap((p) => (asRecord(p) ? [p as Parameter] : []));
const findParam = (ps: Parameter[], name: string): Parameter | undefined => ps.find((p) => p.name === name);
const wholeNumber = (x: unknown): number | undefined => {
  const s = str(x);
  return s !== undefined && /^\d{1,15}$/.test(s) ? Number(s) : undefined;
};

/** `Type/id` at the end of a reference or fullUrl. */
const tailOf = (ref: string): string => ref.split('/').slice(-2).join('/');

/**
 * Reads a notification, `$status` or `$events` Bundle; undefined when it is not one. Event
 * numbers that are not whole numbers make the whole Bundle unreadable: guessing would lose events.
 */
export function readNotification(body: unknown): Notification | undefined {
  const bundle = asRecord(body);
  if (bundle?.resourceType !== 'Bundle') return undefined;
  const entries = asArray(bundle.entry).flatMap((e) => {
    const entry = asRecord(e);
    const resource = asRecord(entry?.resource);
    return entry && resource ? [{ fullUrl: str(entry.fullUrl), resource }] : [];
  });
  const status = entries[0]?.resource;
  if (status?.resourceType !== 'Parameters') return undefined;
  const ps = params(status.parameter);
  const type = str(findParam(ps, 'type')?.valueCode);
  if (type === undefined || !NOTIFICATION_TYPES.includes(type)) return undefined;
  const subscription = str(findParam(ps, 'subscription')?.valueReference?.reference);
  const eventsSinceStart = wholeNumber(findParam(ps, 'events-since-subscription-start')?.valueString) ?? 0;

  const events: NotificationEvent[] = [];
  for (const p of ps.filter((x) => x.name === 'notification-event')) {
    const parts = params(p.part);
    const eventNumber = wholeNumber(findParam(parts, 'event-number')?.valueString);
    if (eventNumber === undefined) return undefined;
    const focus = str(findParam(parts, 'focus')?.valueReference?.reference);
    const carried = focus === undefined ? undefined : entries.slice(1).find((e) => e.fullUrl === focus) ?? entries.slice(1).find((e) => `${str(e.resource.resourceType) ?? ''}/${str(e.resource.id) ?? ''}` === tailOf(focus));
    events.push({ eventNumber, focus, timestamp: str(findParam(parts, 'timestamp')?.valueInstant), resource: carried?.resource });
  }
  events.sort((a, b) => a.eventNumber - b.eventNumber);
  return {
    type: type as NotificationType,
    subscription,
    subscriptionId: subscription === undefined ? undefined : /(?:^|\/)Subscription\/([A-Za-z0-9\-.]{1,64})$/.exec(subscription)?.[1],
    status: str(findParam(ps, 'status')?.valueCode),
    eventsSinceStart,
    events,
  };
}
