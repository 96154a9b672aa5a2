import type { Issue, IssueCode } from './outcome.ts';

/**
 * The one error type that crosses capability boundaries. `code` is `<stage>.<reason>`
 * (house-style §2.2); `status` is the HTTP status the edge answers with; `issues` become
 * the OperationOutcome. Messages in `issues` must never carry payload fragments or CPR numbers.
 */
export class GatewayError extends Error {
  constructor(
    readonly code: `${string}.${string}`,
    readonly status: number,
    readonly issues: readonly Issue[],
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(code, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.headers = options?.headers ?? {};
  }
  readonly headers: Record<string, string>;
}

function issue(code: IssueCode, diagnostics: string, expression?: string[]): Issue {
  return expression ? { severity: 'error', code, diagnostics, expression } : { severity: 'error', code, diagnostics };
}

export const badRequest = (diagnostics: string, expression?: string[], code: IssueCode = 'invalid'): GatewayError =>
  new GatewayError('http.bad-request', 400, [issue(code, diagnostics, expression)]);

export const unauthenticated = (diagnostics: string): GatewayError =>
  new GatewayError('auth.unauthenticated', 401, [issue('login', diagnostics)], {
    headers: { 'WWW-Authenticate': 'Bearer realm="sektorbro"' },
  });

export const forbidden = (diagnostics: string): GatewayError =>
  new GatewayError('auth.forbidden', 403, [issue('forbidden', diagnostics)]);

export const notFound = (what: string): GatewayError =>
  new GatewayError('store.not-found', 404, [issue('not-found', `${what} is not known`)]);

export const gone = (what: string): GatewayError =>
  new GatewayError('store.deleted', 410, [issue('deleted', `${what} has been deleted`)]);

export const preconditionFailed = (diagnostics: string): GatewayError =>
  new GatewayError('store.version-conflict', 412, [issue('conflict', diagnostics)]);

export const unsupportedMediaType = (diagnostics: string): GatewayError =>
  new GatewayError('http.unsupported-media-type', 415, [issue('not-supported', diagnostics)]);

export const unprocessable = (issues: readonly Issue[]): GatewayError =>
  new GatewayError('validation.failed', 422, issues);

export const tooManyRequests = (retryAfterSeconds: number): GatewayError =>
  new GatewayError('http.rate-limited', 429, [issue('throttled', 'Too many requests; slow down and retry later')], {
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
