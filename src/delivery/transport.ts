import { retryAfterMs } from './policy.ts';
import type { ReceiverEndpoint } from './endpoints.ts';

/** What one push to a receiver came to, before any MedCom acknowledgement is read. */
export type TransportResult =
  | { kind: 'answered'; status: number; body: unknown; retryAfterMs?: number | undefined }
  | { kind: 'unreachable'; reason: string };

export interface PushRequest {
  method: 'PUT' | 'POST';
  url: string;
  body: string;
  headers: [string, string][];
}

export type Fetch = typeof fetch;

const FHIR_JSON = 'application/fhir+json';
/** Answers larger than this are not read: only an acknowledgement or an OperationOutcome is expected. */
const MAX_ANSWER_BYTES = 10 * 1024 * 1024;

/** The HTTP request for a push: FHIR REST `PUT <base>/<Type>/<id>`, MedCom `POST <base>/$process-message`, or a subscription notification. */
export function pushRequest(endpoint: ReceiverEndpoint, what: { resourceType: string; id: string }, body: string, restHook = false): PushRequest {
  const headers: [string, string][] = [['Content-Type', FHIR_JSON], ['Accept', FHIR_JSON], ...endpoint.headers];
  // A subscription's rest-hook: POST the notification to the channel endpoint exactly as given.
  if (restHook) return { method: 'POST', url: endpoint.address, body, headers };
  return endpoint.connectionType === 'hl7-fhir-msg'
    ? { method: 'POST', url: `${endpoint.address}/$process-message`, body, headers }
    : { method: 'PUT', url: `${endpoint.address}/${what.resourceType}/${encodeURIComponent(what.id)}`, body, headers };
}

/** Sends one push with a time limit. Network failures and timeouts come back as `unreachable`, never thrown. */
export async function push(request: PushRequest, opts: { timeoutMs: number; fetch: Fetch; now: () => Date }): Promise<TransportResult> {
  let res: Response;
  try {
    res = await opts.fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: 'manual', // a receiver that moved must be re-registered, not followed blindly with patient data
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (err) {
    const e = err as { name?: string; message?: string; cause?: { code?: string } };
    const reason = e.name === 'TimeoutError' ? `no answer within ${String(opts.timeoutMs)} ms` : `${e.cause?.code ?? e.name ?? 'error'}: ${e.message ?? 'request failed'}`;
    return { kind: 'unreachable', reason };
  }
  let body: unknown;
  try {
    const text = Number(res.headers.get('content-length') ?? 0) > MAX_ANSWER_BYTES ? '' : await res.text();
    body = /json/.test(res.headers.get('content-type') ?? '') && text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined; // an unreadable answer is judged by its status alone
  }
  return { kind: 'answered', status: res.status, body, retryAfterMs: retryAfterMs(res.headers.get('retry-after'), opts.now()) };
}

/** 408, 425, 429 and 5xx are worth retrying; other 4xx (and 3xx, which we do not follow) are not. */
export const isTransientStatus = (status: number): boolean => status >= 500 || status === 408 || status === 425 || status === 429;
