import type { ErrorRequestHandler, Response } from 'express';
import { OAuthError } from '../auth/index.ts';
import { GatewayError, toOperationOutcome, type Issue, type Logger } from '../shared/index.ts';
import type { Auditor } from './audit.ts';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** Errors thrown by body-parser/raw-body carry a `type` and a status. */
interface HttpParserError {
  type: string;
  status: number;
}
const isParserError = (e: unknown): e is HttpParserError =>
  typeof e === 'object' && e !== null && typeof (e as { type?: unknown }).type === 'string' && typeof (e as { status?: unknown }).status === 'number';

/** Normalises anything thrown into a GatewayError; unknown throwables become a bare 500. */
export function toGatewayError(err: unknown, requestId: string): GatewayError {
  if (err instanceof GatewayError) return err;
  if (isParserError(err)) {
    if (err.type === 'entity.too.large') {
      return new GatewayError('http.too-large', 413, [{ severity: 'error', code: 'too-long', diagnostics: 'The request body is larger than this server accepts' }]);
    }
    if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported') {
      return new GatewayError('http.unsupported-media-type', 415, [{ severity: 'error', code: 'not-supported', diagnostics: 'The body encoding or charset is not supported' }]);
    }
    if (err.status >= 400 && err.status < 500) {
      return new GatewayError('http.bad-request', err.status, [{ severity: 'error', code: 'structure', diagnostics: 'The request body could not be read' }]);
    }
  }
  const sqlState = typeof (err as { code?: unknown } | null)?.code === 'string' ? (err as { code: string }).code : '';
  if (sqlState === '40P01' || sqlState === '40001') {
    // Deadlock or serialisation failure: nothing was stored; the client may simply retry.
    return new GatewayError('store.conflict', 503, [{ severity: 'error', code: 'conflict', diagnostics: 'A concurrent write got in the way; nothing was stored, retry the request' }], { cause: err, headers: { 'Retry-After': '1' } });
  }
  const issues: Issue[] = [{ severity: 'fatal', code: 'exception', diagnostics: `Internal error; quote request id ${requestId} when reporting it` }];
  return new GatewayError('http.unhandled', 500, issues, { cause: err });
}

export function sendOperationOutcome(res: Response, err: GatewayError): void {
  for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  res.status(err.status).type(FHIR_JSON).send(JSON.stringify(toOperationOutcome(err.issues)));
}

/** The single place errors become responses (OperationOutcome, or the OAuth error shape on /oauth). */
export function createErrorHandler(log: Logger, auditor: Auditor): ErrorRequestHandler {
  return async (err: unknown, _req, res, _next) => {
    const requestId = String(res.locals.requestId ?? 'unknown');
    if (err instanceof OAuthError) {
      log.warn('oauth.failed', { error: err.error, status: err.status });
      if (err.status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="sektorbro"');
      res.status(err.status).setHeader('Cache-Control', 'no-store').json({ error: err.error, error_description: err.description });
      return;
    }
    const gw = toGatewayError(err, requestId);
    if (gw.status >= 500) log.error('request.failed', { code: gw.code, status: gw.status, err: gw.cause ?? err });
    else log.warn('request.rejected', { code: gw.code, status: gw.status });
    await auditor.failure(res, gw.status);
    if (res.headersSent) return;
    sendOperationOutcome(res, gw);
  };
}
