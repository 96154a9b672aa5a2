import { Client, type FhirResource } from 'fhir-kit-client';
import { readNotification, type Notification } from './notifications.ts';

/**
 * The receiver's way into Sektorbro's FHIR API: an OAuth2 client-credentials token, renewed before
 * it runs out, and fhir-kit-client for the Subscription calls. fhir-kit-client answers with
 * untyped records and rejects with `{ response: { status, data } }`; this wrapper gives typed
 * results and turns "not there" into `undefined`.
 */

export interface SektorbroClientOptions {
  /** Sektorbro's base URL, without `/fhir` (the token endpoint is `<url>/oauth/token`). */
  url: string;
  clientId: string;
  clientSecret: string;
  /** Milliseconds since the epoch (a test may move it). */
  now?: () => number;
}

export type PayloadContent = 'empty' | 'id-only' | 'full-resource';

export interface SektorbroClient {
  createSubscription(subscription: fhir4.Subscription): Promise<fhir4.Subscription>;
  updateSubscription(id: string, subscription: fhir4.Subscription): Promise<fhir4.Subscription>;
  /** undefined when there is no such Subscription (any more). */
  readSubscription(id: string): Promise<fhir4.Subscription | undefined>;
  /** `Subscription/<id>/$status`; undefined when there is no such Subscription. */
  status(id: string): Promise<Notification | undefined>;
  /** `Subscription/<id>/$events` from `since` to `until` (Sektorbro serves at most a page of them). */
  events(id: string, since: number, until: number, content: PayloadContent): Promise<Notification>;
}

/** The HTTP status of a rejected fhir-kit-client call, if it got an answer. */
export const statusOf = (err: unknown): number | undefined => {
  const status = (err as { response?: { status?: unknown } } | undefined)?.response?.status;
  return typeof status === 'number' ? status : undefined;
};

/** A token is renewed this long before it expires (at most a fifth of its life), so no call goes out with a stale one. */
const RENEW_EARLY_SECONDS = 60;

export function createSektorbroClient(options: SektorbroClientOptions): SektorbroClient {
  const base = options.url.replace(/\/+$/, '');
  const now = options.now ?? Date.now;
  const fhir = new Client({ baseUrl: `${base}/fhir` });
  let token: { value: string; renewAt: number } | undefined;
  let fetching: Promise<string> | undefined;

  const fetchToken = async (): Promise<string> => {
    // client_secret_basic: id and secret are form-encoded before the Basic encoding (RFC 6749 §2.3.1).
    const basic = Buffer.from(`${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`, 'utf8').toString('base64');
    const res = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
    });
    const body = (await res.json().catch(() => undefined)) as { access_token?: unknown; expires_in?: unknown; error?: unknown } | undefined;
    if (!res.ok || typeof body?.access_token !== 'string') {
      throw new Error(`Sektorbro refused a token for ${options.clientId}: HTTP ${String(res.status)}${typeof body?.error === 'string' ? ` ${body.error}` : ''}`);
    }
    const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 300;
    token = { value: body.access_token, renewAt: now() + (lifetime - Math.min(RENEW_EARLY_SECONDS, lifetime / 5)) * 1000 };
    return body.access_token;
  };

  const accessToken = async (renew: boolean): Promise<string> => {
    if (!renew && token && now() < token.renewAt) return token.value;
    // Calls that find the token due at the same time share one renewal.
    fetching ??= fetchToken().finally(() => {
      fetching = undefined;
    });
    return fetching;
  };

  /** One call with a fresh token; a 401 (the token was revoked or the gateway restarted with a new key) renews it once. */
  const call = async <T>(run: () => Promise<FhirResource>): Promise<T> => {
    fhir.bearerToken = await accessToken(false);
    try {
      return (await run()) as unknown as T;
    } catch (err) {
      if (statusOf(err) !== 401) throw err;
      fhir.bearerToken = await accessToken(true);
      return (await run()) as unknown as T;
    }
  };
  const unlessGone = async <T>(run: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await run();
    } catch (err) {
      const status = statusOf(err);
      if (status === 404 || status === 410) return undefined;
      throw err;
    }
  };
  const asNotification = (bundle: unknown, what: string): Notification => {
    const read = readNotification(bundle);
    if (!read) throw new Error(`Sektorbro's ${what} answer is not a subscription status Bundle`);
    return read;
  };

  return {
    createSubscription: (subscription) =>
      call(() => fhir.create({ resourceType: 'Subscription', body: subscription as unknown as FhirResource })),
    updateSubscription: (id, subscription) =>
      call(() => fhir.update({ resourceType: 'Subscription', id, body: { ...(subscription as unknown as FhirResource), id } })),
    readSubscription: (id) => unlessGone(() => call<fhir4.Subscription>(() => fhir.read({ resourceType: 'Subscription', id }))),
    status: (id) =>
      unlessGone(async () => asNotification(await call(() => fhir.operation({ name: '$status', resourceType: 'Subscription', id, method: 'GET' })), '$status')),
    events: async (id, since, until, content) =>
      asNotification(
        await call(() =>
          fhir.operation({
            name: '$events',
            resourceType: 'Subscription',
            id,
            method: 'GET',
            input: { eventsSinceNumber: since, eventsUntilNumber: until, content },
          }),
        ),
        '$events',
      ),
  };
}
