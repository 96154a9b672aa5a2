import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACKNOWLEDGEMENT_EVENT, buildAcknowledgementOk, readEnvelope, type Organisation } from './acknowledgement.ts';
import { readNotification, SIGNATURE_HEADER, subscriptionSecret, verifySignature, type Notification, type NotificationEvent } from './notifications.ts';
import { createSektorbroClient, type PayloadContent, type SektorbroClient } from './sektorbro-client.ts';
import { createStateWriter, emptyState, loadState, pruneMessages, TOPIC_NAMES, type ReceiverState, type SubscriptionState, type TopicName } from './state.ts';

/**
 * A small municipal system (Herlev Kommune in the demo) on Sektorbro (issue #6): it subscribes to
 * discharge documents and hospital notifications, verifies each notification's signature, records
 * every event exactly once and in order, fills gaps and downtime from `$events`, and answers the
 * MedCom messages and documents Sektorbro pushes to it. It is an outside system: it knows Sektorbro
 * only through HTTP, and uses node built-ins and fhir-kit-client.
 */

const TOPICS: Record<TopicName, { url: string; content: PayloadContent }> = {
  'discharge-documents': { url: 'http://sektorbro.dk/fhir/SubscriptionTopic/discharge-documents', content: 'full-resource' },
  'hospital-notifications': { url: 'http://sektorbro.dk/fhir/SubscriptionTopic/hospital-notifications', content: 'id-only' },
};
const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
const SECRET_EXTENSION = 'http://sektorbro.dk/fhir/StructureDefinition/sektorbro-subscription-secret';
/** Sektorbro refuses shorter signing secrets; the master secret is held to the same. */
const MIN_SECRET_LENGTH = 16;
/** Nothing Sektorbro sends a receiver is near this; larger bodies are refused unread. */
const MAX_BODY_BYTES = 20 * 1024 * 1024;
/** How long `stop()` lets requests in progress finish before it cuts their connections. */
const STOP_GRACE_MS = 5_000;

export interface MunicipalReceiverOptions {
  /** Sektorbro's base URL, without `/fhir`, e.g. `http://localhost:8080`. */
  sektorbroUrl: string;
  clientId: string;
  clientSecret: string;
  /** The master secret each subscription's own signing secret is derived from (at least 16 characters). */
  secret: string;
  /** Where the receiver keeps its place between runs (JSON, written atomically). */
  stateFile: string;
  /** Who the receiver is: the sender of its acknowledgements. */
  organization: Organisation;
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** The base URL Sektorbro reaches the receiver at; default `http://127.0.0.1:<port>`. */
  publicUrl?: string;
  /** Seconds between heartbeats when nothing happens (default 60). */
  heartbeatSeconds?: number;
  /** When set, pushed messages and documents (`/fhir/...`) must carry `Authorization: Bearer <inboundToken>` (the registry Endpoint's header). */
  inboundToken?: string;
  /** Structured log lines (never payloads or patient identifiers). */
  log?: (event: string, detail?: Record<string, unknown>) => void;
}

/** One subscription event, recorded once. */
export interface ReceivedEvent {
  topic: TopicName;
  subscriptionId: string;
  eventNumber: number;
  /** The focus reference as Sektorbro sent it (absolute). */
  focus: string | undefined;
  /** The focus resource, for `full-resource` subscriptions. */
  resource: Record<string, unknown> | undefined;
  /** Pushed to us, or fetched from `$events` to fill a gap or catch up after downtime. */
  via: 'notification' | '$events';
  receivedAt: Date;
}

/** One MedCom message, recorded once per MessageHeader.id. */
export interface ReceivedMessage {
  messageHeaderId: string;
  bundleId: string;
  event: string;
  senderSor: string | undefined;
  receivedAt: Date;
  acknowledgement: fhir4.Bundle;
}

/** One document Bundle pushed by FHIR REST (`PUT /fhir/Bundle/<id>`). */
export interface ReceivedDocument {
  bundleId: string;
  bundle: Record<string, unknown>;
  receivedAt: Date;
  /** A redelivery overwrites under the same id: counted, not recorded twice. */
  puts: number;
}

export interface MunicipalReceiver {
  /** `http://127.0.0.1:<port>` while running; the registry Endpoint address is `<url>/fhir`. */
  readonly url: string;
  /** Listens, then creates or re-uses its Subscriptions and catches up on what it missed. */
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly received: ReceivedEvent[];
  readonly messages: ReceivedMessage[];
  readonly documents: ReceivedDocument[];
  /** The Subscription ids at Sektorbro, by topic. */
  readonly subscriptionIds: Partial<Record<TopicName, string>>;
  /** Redeliveries recognised and not recorded again. */
  readonly duplicates: { events: number; messages: number };
}

type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

const outcome = (severity: 'information' | 'error', code: string, diagnostics: string): fhir4.OperationOutcome => ({
  resourceType: 'OperationOutcome',
  issue: [{ severity, code: code as fhir4.OperationOutcomeIssue['code'], diagnostics }],
});
const ok = (diagnostics: string, status = 200): Answer => ({ status, body: outcome('information', 'informational', diagnostics) });
const refuse = (status: number, code: string, diagnostics: string): Answer => ({ status, body: outcome('error', code, diagnostics) });

const isTopic = (x: string): x is TopicName => (TOPIC_NAMES as readonly string[]).includes(x);
const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Reads a request body up to `limit` bytes; undefined when it is larger. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => {
      resolve(size > limit ? undefined : Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export function createMunicipalReceiver(options: MunicipalReceiverOptions): MunicipalReceiver {
  if (options.secret.length < MIN_SECRET_LENGTH) throw new Error(`The receiver's secret must be at least ${String(MIN_SECRET_LENGTH)} characters`);
  const host = '127.0.0.1';
  const log = options.log ?? (() => undefined);
  const heartbeatSeconds = options.heartbeatSeconds ?? 60;
  const sektorbro: SektorbroClient = createSektorbroClient({ url: options.sektorbroUrl, clientId: options.clientId, clientSecret: options.clientSecret });
  const writer = createStateWriter(options.stateFile);
  const received: ReceivedEvent[] = [];
  const messages: ReceivedMessage[] = [];
  const documents: ReceivedDocument[] = [];
  const duplicates = { events: 0, messages: 0 };
  let state: ReceiverState = emptyState();
  let server: Server | undefined;
  let port: number | undefined;
  let publicUrl = '';

  /** Work on one topic (or on messages) runs one at a time, in arrival order: events are recorded in order. */
  const queues = new Map<string, Promise<unknown>>();
  const serial = <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const next = (queues.get(key) ?? Promise.resolve()).then(work);
    queues.set(key, next.catch(() => undefined));
    return next;
  };

  const record = (topic: TopicName, sub: SubscriptionState, e: NotificationEvent, via: ReceivedEvent['via']): void => {
    sub.lastEventNumber = e.eventNumber;
    received.push({ topic, subscriptionId: sub.id, eventNumber: e.eventNumber, focus: e.focus, resource: e.resource, via, receivedAt: new Date() });
    log('event.recorded', { topic, eventNumber: e.eventNumber, via });
  };

  /** Fetches and records the events after the last one recorded, up to `upTo`, in order (Sektorbro numbers them without gaps). */
  const catchUp = async (topic: TopicName, sub: SubscriptionState, upTo: number): Promise<void> => {
    while (sub.lastEventNumber < upTo) {
      const want = sub.lastEventNumber + 1;
      const page = await sektorbro.events(sub.id, want, upTo, TOPICS[topic].content);
      const fresh = page.events.filter((e) => e.eventNumber >= want);
      if (fresh[0]?.eventNumber !== want) throw new Error(`$events did not serve event ${String(want)} of the ${topic} subscription`);
      for (const e of fresh) {
        if (e.eventNumber !== sub.lastEventNumber + 1) break;
        record(topic, sub, e, '$events');
      }
    }
  };

  const subscriptionResource = (topic: TopicName, endpoint: string, secret: string): fhir4.Subscription => ({
    resourceType: 'Subscription',
    meta: { profile: [`${BACKPORT}/backport-subscription`] },
    status: 'requested',
    reason: `${options.organization.name}: ${topic}`,
    criteria: TOPICS[topic].url,
    extension: [{ url: SECRET_EXTENSION, valueString: secret }],
    channel: {
      type: 'rest-hook',
      endpoint,
      payload: 'application/fhir+json',
      _payload: { extension: [{ url: `${BACKPORT}/backport-payload-content`, valueCode: TOPICS[topic].content }] },
      extension: [{ url: `${BACKPORT}/backport-heartbeat-period`, valueUnsignedInt: heartbeatSeconds }],
    },
  });

  /**
   * Re-uses the Subscription the state file names when Sektorbro still has it: catches up on its
   * events, and renews it (a PUT, which re-runs the handshake) when it is in `error`, points at an
   * old address, or carries another secret. Otherwise creates a new one, numbered from 1.
   */
  const ensureSubscription = async (topic: TopicName): Promise<void> => {
    const secret = subscriptionSecret(options.secret, topic);
    const endpoint = `${publicUrl}/notifications/${topic}`;
    const known = state.subscriptions[topic];
    if (known) {
      const status = await sektorbro.status(known.id);
      if (status && status.status !== 'off') {
        try {
          await catchUp(topic, known, status.eventsSinceStart);
        } finally {
          await writer.save(state);
        }
        const current = await sektorbro.readSubscription(known.id);
        if (status.status === 'error' || current?.channel.endpoint !== endpoint || known.secret !== secret) {
          await sektorbro.updateSubscription(known.id, subscriptionResource(topic, endpoint, secret));
          known.secret = secret;
          await writer.save(state);
          log('subscription.renewed', { topic, subscriptionId: known.id, was: status.status });
        } else {
          log('subscription.reused', { topic, subscriptionId: known.id, lastEventNumber: known.lastEventNumber });
        }
        return;
      }
      log('subscription.gone', { topic, subscriptionId: known.id });
    }
    const created = await sektorbro.createSubscription(subscriptionResource(topic, endpoint, secret));
    if (created.id === undefined) throw new Error(`Sektorbro created the ${topic} subscription without an id`);
    state.subscriptions[topic] = { id: created.id, secret, lastEventNumber: 0 };
    await writer.save(state);
    log('subscription.created', { topic, subscriptionId: created.id });
  };

  /** Records a notification's events once each, in order, fetching any gap before them from `$events`. */
  const onEvents = async (topic: TopicName, n: Notification): Promise<Answer> => {
    const sub = state.subscriptions[topic];
    // Not yet known: we are still creating it. Sektorbro retries, and by then we know it.
    if (!sub) return refuse(503, 'transient', `The ${topic} subscription is being set up`);
    if (n.subscriptionId !== sub.id) return refuse(410, 'not-found', `Subscription ${n.subscriptionId ?? '(none)'} is not one of ours (any more)`);
    try {
      for (const e of n.events) {
        if (e.eventNumber <= sub.lastEventNumber) {
          duplicates.events++;
          log('event.duplicate', { topic, eventNumber: e.eventNumber });
          continue;
        }
        if (e.eventNumber > sub.lastEventNumber + 1) {
          log('event.gap', { topic, from: sub.lastEventNumber + 1, to: e.eventNumber - 1 });
          await catchUp(topic, sub, e.eventNumber - 1);
        }
        record(topic, sub, e, 'notification');
      }
    } finally {
      await writer.save(state);
    }
    return ok('recorded');
  };

  const onNotification = async (topic: TopicName, req: IncomingMessage, body: Buffer): Promise<Answer> => {
    const registered = state.subscriptions[topic]?.secret;
    const secrets = [...new Set([subscriptionSecret(options.secret, topic), ...(registered === undefined ? [] : [registered])])];
    if (!verifySignature(secrets, body, req.headers[SIGNATURE_HEADER])) {
      log('notification.refused', { topic, reason: req.headers[SIGNATURE_HEADER] === undefined ? 'no signature' : 'bad signature' });
      return refuse(401, 'security', 'The notification signature is missing or wrong');
    }
    const n = readNotification(parseJson(body));
    if (!n) return refuse(400, 'structure', 'Not a subscription notification Bundle');
    switch (n.type) {
      case 'handshake':
        log('notification.handshake', { topic, subscriptionId: n.subscriptionId });
        return ok('handshake accepted');
      case 'heartbeat': {
        // A heartbeat also tells how many events there were: a lost last notification shows here.
        const sub = state.subscriptions[topic];
        if (sub && sub.id === n.subscriptionId && n.eventsSinceStart > sub.lastEventNumber) {
          await serial(topic, async () => {
            try {
              await catchUp(topic, sub, n.eventsSinceStart);
            } finally {
              await writer.save(state);
            }
          }).catch((err: unknown) => {
            log('catch-up.failed', { topic, error: message(err) });
          });
        }
        return ok('heartbeat');
      }
      case 'event-notification':
        return serial(topic, () => onEvents(topic, n));
      case 'query-status':
      case 'query-event':
        return refuse(400, 'invalid', `A ${n.type} Bundle is an answer, not a notification`);
    }
  };

  const onMessage = async (body: Buffer): Promise<Answer> => {
    const envelope = readEnvelope(parseJson(body));
    if ('problem' in envelope) return refuse(400, 'structure', envelope.problem);
    // Acknowledgements are never acknowledged (medcom.md §6).
    if (envelope.event === ACKNOWLEDGEMENT_EVENT) return ok('acknowledgement received');
    const ack = await serial('messages', async () => {
      const seen = state.messages[envelope.headerId];
      if (seen) {
        // A resend (new Bundle.id) or a lost answer: the same answer again, recorded once.
        duplicates.messages++;
        log('message.duplicate', { messageEvent: envelope.event });
        return seen.acknowledgement;
      }
      const receivedAt = new Date();
      const acknowledgement = buildAcknowledgementOk(envelope, options.organization, receivedAt);
      state.messages[envelope.headerId] = { bundleId: envelope.bundleId, event: envelope.event, receivedAt: receivedAt.toISOString(), acknowledgement };
      pruneMessages(state);
      try {
        await writer.save(state); // `ok` means we have it: only once it is kept
      } catch (err) {
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a map keyed by MessageHeader.id
        delete state.messages[envelope.headerId];
        throw err;
      }
      messages.push({ messageHeaderId: envelope.headerId, bundleId: envelope.bundleId, event: envelope.event, senderSor: envelope.sender.sor, receivedAt, acknowledgement });
      log('message.acknowledged', { messageEvent: envelope.event, code: 'ok' });
      return acknowledgement;
    });
    return { status: 200, body: ack };
  };

  const onDocument = (bundleId: string, body: Buffer): Answer => {
    const bundle = parseJson(body) as Record<string, unknown> | undefined;
    if (bundle?.resourceType !== 'Bundle' || bundle.type !== 'document') return refuse(400, 'structure', 'Not a FHIR document Bundle');
    if (bundle.id !== bundleId) return refuse(400, 'invalid', 'Bundle.id differs from the id in the URL');
    const existing = documents.find((d) => d.bundleId === bundleId);
    if (existing) {
      existing.bundle = bundle;
      existing.puts++;
      log('document.updated', { puts: existing.puts });
      return ok('updated');
    }
    documents.push({ bundleId, bundle, receivedAt: new Date(), puts: 1 });
    log('document.received', {});
    return ok('created', 201);
  };

  const mayPush = (req: IncomingMessage): boolean => {
    if (options.inboundToken === undefined) return true;
    // Compared as digests: constant time whatever the lengths.
    return timingSafeEqual(digest(req.headers.authorization ?? ''), digest(`Bearer ${options.inboundToken}`));
  };

  const route = async (req: IncomingMessage): Promise<Answer> => {
    const path = new URL(req.url ?? '/', 'http://receiver').pathname;
    const topic = /^\/notifications\/([a-z-]+)$/.exec(path)?.[1];
    const bundleId = /^\/fhir\/Bundle\/([A-Za-z0-9\-.]{1,64})$/.exec(path)?.[1];
    const known = (req.method === 'POST' && topic !== undefined && isTopic(topic)) || (req.method === 'POST' && path === '/fhir/$process-message') || (req.method === 'PUT' && bundleId !== undefined);
    if (!known) return refuse(404, 'not-found', `${req.method ?? ''} ${path} is not served here`);
    if (path.startsWith('/fhir/') && !mayPush(req)) return refuse(401, 'login', 'Missing or wrong bearer token');
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === undefined) return refuse(413, 'too-long', 'The body is too large');
    if (topic !== undefined && isTopic(topic)) return onNotification(topic, req, body);
    if (bundleId !== undefined) return onDocument(bundleId, body);
    return onMessage(body);
  };

  const respond = (res: ServerResponse, a: Answer): void => {
    const text = a.body === undefined ? '' : JSON.stringify(a.body);
    res.writeHead(a.status, { 'Content-Type': 'application/fhir+json', 'Content-Length': String(Buffer.byteLength(text)), ...a.headers }).end(text);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    route(req)
      .catch((err: unknown): Answer => {
        log('request.failed', { method: req.method, error: message(err) });
        // 5xx: Sektorbro tries again later, by when the cause (usually Sektorbro itself being away) may be gone.
        return refuse(503, 'transient', 'Could not handle this now; try again');
      })
      .then((a) => {
        respond(res, a);
      }, () => undefined);
  };

  const stop = async (): Promise<void> => {
    const s = server;
    if (!s) return;
    server = undefined;
    const cut = setTimeout(() => {
      s.closeAllConnections();
    }, STOP_GRACE_MS);
    cut.unref();
    await new Promise<void>((resolve) => {
      s.close(() => {
        resolve();
      });
      s.closeIdleConnections();
    });
    clearTimeout(cut);
    await Promise.all(queues.values());
    await writer.idle();
    port = undefined;
    log('receiver.stopped', {});
  };

  return {
    get url() {
      if (port === undefined) throw new Error('The receiver is not running');
      return `http://${host}:${String(port)}`;
    },
    async start() {
      if (server) throw new Error('The receiver is already running');
      state = await loadState(options.stateFile);
      const s = createServer(handle);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(options.port ?? 0, host, () => {
          s.off('error', reject);
          resolve();
        });
      });
      server = s;
      port = (s.address() as AddressInfo).port;
      publicUrl = (options.publicUrl ?? `http://${host}:${String(port)}`).replace(/\/+$/, '');
      log('receiver.listening', { url: `http://${host}:${String(port)}`, publicUrl });
      try {
        for (const topic of TOPIC_NAMES) await serial(topic, () => ensureSubscription(topic));
      } catch (err) {
        await stop();
        throw err;
      }
    },
    stop,
    received,
    messages,
    documents,
    get subscriptionIds() {
      return Object.fromEntries(TOPIC_NAMES.flatMap((t) => {
        const id = state.subscriptions[t]?.id;
        return id === undefined ? [] : [[t, id]];
      })) as Partial<Record<TopicName, string>>;
    },
    duplicates,
  };
}
