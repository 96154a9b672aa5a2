/** RFC 6749 §5.2 error codes the token endpoint answers with. */
export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type' | 'invalid_scope';

/**
 * A token-endpoint failure. Not a FHIR OperationOutcome: RFC 6749 §5.2 prescribes the JSON body
 * `{ error, error_description }`, 401 for `invalid_client` (with `WWW-Authenticate`) and 400 otherwise.
 * `description` is meant for the client developer and never carries secrets or token contents.
 */
export class OAuthError extends Error {
  readonly status: 400 | 401;
  readonly headers: Record<string, string>;

  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
    this.name = 'OAuthError';
    this.status = error === 'invalid_client' ? 401 : 400;
    this.headers = error === 'invalid_client' ? { 'WWW-Authenticate': 'Basic realm="sektorbro"' } : {};
  }

  /** The response body (RFC 6749 §5.2). */
  toBody(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}
