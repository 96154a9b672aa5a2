import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, SignJWT } from 'jose';
import type { JWTPayload } from 'jose';
import { unauthenticated } from '../shared/index.ts';
import type { Clock } from '../shared/index.ts';
import type { JtiRepository } from '../store/ports.ts';
import type { ClientRegistry } from './clients.ts';
import { OAuthError } from './oauth-error.ts';
import type { ClientRecord, Principal } from './ports.ts';
import { grantScopes } from './scopes.ts';
import { verifySecret } from './secret-hash.ts';

/** RFC 7523 client assertion type used by SMART Backend Services. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** SMART Backend Services requires RS384 and ES384; RS256 and ES256 are accepted for older clients. */
export const ASSERTION_ALGORITHMS = ['RS384', 'ES384', 'RS256', 'ES256'] as const;

/** SMART Backend Services: an assertion's `exp` is no more than five minutes in the future. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;

/** Allowed drift between the client's clock and ours when checking assertion times. */
export const CLOCK_SKEW_SECONDS = 10;

/** Longer assertions or access tokens are refused unparsed. */
const MAX_JWT_LENGTH = 16_384;
const MAX_JTI_LENGTH = 255;
const ACCESS_TOKEN_TYP = 'at+jwt';
const MIN_SIGNING_SECRET_LENGTH = 32;

export interface TokenRequest {
  grantType?: string | undefined;
  /** The `application/x-www-form-urlencoded` body, decoded. */
  form: Record<string, string>;
  /** The raw Authorization header, if any. */
  authorization?: string | undefined;
}

export interface ClientAuthDeps {
  registry: ClientRegistry;
  jti: JtiRepository;
  /** The absolute token endpoint URL: the only `aud` a client assertion may carry. */
  tokenEndpointUrl: string;
  clock: Clock;
}

const fail = (description = 'client authentication failed'): OAuthError => new OAuthError('invalid_client', description);

/**
 * Authenticates the client of a client-credentials token request by exactly one of
 * `client_secret_basic` (RFC 6749 §2.3.1), `client_secret_post`, or `private_key_jwt`
 * (SMART Backend Services, RFC 7523). Throws {@link OAuthError}. An unknown client and a wrong
 * secret or signature fail alike, so answers do not reveal which client ids exist.
 * @see https://hl7.org/fhir/smart-app-launch/backend-services.html
 */
export async function authenticateClient(req: TokenRequest, deps: ClientAuthDeps): Promise<ClientRecord> {
  const grantType = req.grantType ?? req.form.grant_type;
  if (grantType === undefined || grantType === '') throw new OAuthError('invalid_request', 'grant_type is required');
  if (grantType !== 'client_credentials') {
    throw new OAuthError('unsupported_grant_type', 'only the client_credentials grant is supported');
  }
  const { form, authorization } = req;
  const basic = authorization !== undefined && authorization !== '';
  const post = form.client_secret !== undefined;
  const jwt = form.client_assertion !== undefined || form.client_assertion_type !== undefined;
  const methods = [basic, post, jwt].filter(Boolean).length;
  if (methods > 1) throw new OAuthError('invalid_request', 'use exactly one client authentication method');
  if (methods === 0) throw fail('client authentication is required');

  if (basic) {
    const { id, secret } = parseBasic(authorization);
    if (form.client_id !== undefined && form.client_id !== id) {
      throw new OAuthError('invalid_request', 'client_id in the body does not match the authenticated client');
    }
    return authenticateWithSecret(id, secret, deps.registry);
  }
  if (post) {
    const id = form.client_id;
    if (id === undefined || id === '') throw new OAuthError('invalid_request', 'client_id is required with client_secret');
    return authenticateWithSecret(id, form.client_secret ?? '', deps.registry);
  }
  return authenticateWithAssertion(form, deps);
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding. */
function parseBasic(header: string): { id: string; secret: string } {
  const m = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header);
  if (!m?.[1]) throw new OAuthError('invalid_request', 'the Authorization header must be HTTP Basic with base64 credentials');
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OAuthError('invalid_request', 'Basic credentials must be client_id:client_secret');
  try {
    const id = formDecode(decoded.slice(0, colon));
    const secret = formDecode(decoded.slice(colon + 1));
    if (id === '') throw new OAuthError('invalid_request', 'Basic credentials lack the client id');
    return { id, secret };
  } catch (err) {
    if (err instanceof URIError) throw new OAuthError('invalid_request', 'Basic credentials are not correctly URL-encoded');
    throw err;
  }
}

const formDecode = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));

async function authenticateWithSecret(id: string, secret: string, registry: ClientRegistry): Promise<ClientRecord> {
  const client = registry.get(id);
  const ok = await verifySecret(secret, client?.secretHash);
  if (!client || !ok) throw fail();
  return client;
}

async function authenticateWithAssertion(form: Record<string, string>, deps: ClientAuthDeps): Promise<ClientRecord> {
  if (form.client_assertion_type !== CLIENT_ASSERTION_TYPE) {
    throw new OAuthError('invalid_request', `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`);
  }
  const assertion = form.client_assertion;
  if (assertion === undefined || assertion === '') throw new OAuthError('invalid_request', 'client_assertion is required');
  if (assertion.length > MAX_JWT_LENGTH) throw new OAuthError('invalid_request', 'client_assertion is too long');

  let alg: unknown;
  let unverified: JWTPayload;
  try {
    alg = decodeProtectedHeader(assertion).alg;
    unverified = decodeJwt(assertion);
  } catch {
    throw fail('client_assertion is not a valid signed JWT');
  }
  if (typeof alg !== 'string' || !(ASSERTION_ALGORITHMS as readonly string[]).includes(alg)) {
    throw fail(`client_assertion must be signed with one of ${ASSERTION_ALGORITHMS.join(', ')}`);
  }
  const { iss, sub } = unverified;
  if (typeof iss !== 'string' || iss === '' || iss !== sub) throw fail('client_assertion iss and sub must both be the client id');
  if (form.client_id !== undefined && form.client_id !== iss) {
    throw new OAuthError('invalid_request', 'client_id in the body does not match the client_assertion issuer');
  }
  const client = deps.registry.get(iss);
  if (!client?.jwks) throw fail();

  const now = deps.clock.now();
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(assertion, createLocalJWKSet(client.jwks), {
      algorithms: [...ASSERTION_ALGORITHMS],
      issuer: client.id,
      subject: client.id,
      audience: deps.tokenEndpointUrl,
      requiredClaims: ['exp', 'jti'],
      currentDate: now,
      clockTolerance: CLOCK_SKEW_SECONDS,
    }));
  } catch (err) {
    throw assertionFailure(err, deps.tokenEndpointUrl);
  }

  const exp = payload.exp ?? 0;
  if (exp - now.getTime() / 1000 > MAX_ASSERTION_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS) {
    throw fail('client_assertion exp must be at most 5 minutes in the future');
  }
  const { jti } = payload;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
    throw fail(`client_assertion jti must be a string of 1–${MAX_JTI_LENGTH} characters`);
  }
  if (!(await deps.jti.claim(client.id, jti, new Date(exp * 1000)))) {
    throw fail('client_assertion jti has already been used');
  }
  return client;
}

function assertionFailure(err: unknown, tokenEndpointUrl: string): OAuthError {
  if (err instanceof errors.JWTExpired) return fail('client_assertion has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return fail(`client_assertion aud must be the token endpoint URL ${tokenEndpointUrl}`);
    return fail(`client_assertion claim "${err.claim}" is missing or invalid`);
  }
  if (err instanceof errors.JWKSMultipleMatchingKeys) {
    return fail('client_assertion has no kid and several registered keys fit; name the key with kid');
  }
  if (err instanceof errors.JWKSNoMatchingKey) return fail('no registered key matches the kid and alg of the client_assertion');
  if (err instanceof errors.JOSEAlgNotAllowed) return fail(`client_assertion must be signed with one of ${ASSERTION_ALGORITHMS.join(', ')}`);
  if (err instanceof errors.JOSEError) return fail();
  throw err;
}

export interface IssueDeps {
  /** HMAC secret (TOKEN_SIGNING_SECRET). */
  secret: string;
  ttlSeconds: number;
  /** The gateway base URL: issuer and audience of its tokens. */
  issuer: string;
  clock: Clock;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

function signingKey(secret: string): Uint8Array {
  if (secret.length < MIN_SIGNING_SECRET_LENGTH) {
    throw new Error(`The token signing secret must be at least ${MIN_SIGNING_SECRET_LENGTH} characters`);
  }
  return new TextEncoder().encode(secret);
}

/**
 * Issues an HS256 JWT access token (RFC 9068 shape, `typ: at+jwt`) for an authenticated client.
 * The scope is narrowed to the client's allowed scopes; throws `invalid_scope` when nothing remains.
 */
export async function issueAccessToken(client: ClientRecord, requestedScope: string | undefined, deps: IssueDeps): Promise<TokenResponse> {
  const { scope } = grantScopes(requestedScope, client.allowedScopes);
  const iat = Math.floor(deps.clock.now().getTime() / 1000);
  const key = signingKey(deps.secret);
  const accessToken = await new SignJWT({ scope, role: client.role, org: client.org.sor, client_id: client.id })
    .setProtectedHeader({ alg: 'HS256', typ: ACCESS_TOKEN_TYP })
    .setIssuer(deps.issuer)
    .setSubject(client.id)
    .setAudience(deps.issuer)
    .setIssuedAt(iat)
    .setExpirationTime(iat + deps.ttlSeconds)
    .setJti(randomUUID())
    .sign(key);
  return { access_token: accessToken, token_type: 'Bearer', expires_in: deps.ttlSeconds, scope };
}

export interface VerifyDeps {
  secret: string;
  issuer: string;
  registry: ClientRegistry;
  clock: Clock;
}

/**
 * Turns a bearer token into a {@link Principal}. Besides signature, issuer, audience and expiry,
 * the client must still be registered with the same role and organisation, and its scopes are
 * re-narrowed to what it is allowed now: removing or restricting a client takes effect at once.
 * Every failure is a 401 GatewayError with a plain reason and nothing from the token.
 */
export async function verifyAccessToken(token: string, deps: VerifyDeps): Promise<Principal> {
  if (token === '' || token.length > MAX_JWT_LENGTH) throw unauthenticated('The access token is malformed');
  const key = signingKey(deps.secret);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      issuer: deps.issuer,
      audience: deps.issuer,
      typ: ACCESS_TOKEN_TYP,
      requiredClaims: ['exp', 'iat', 'sub', 'jti'],
      currentDate: deps.clock.now(),
    }));
  } catch (err) {
    throw accessTokenFailure(err);
  }
  const { sub, role, org, scope } = payload;
  if (typeof sub !== 'string' || typeof role !== 'string' || typeof org !== 'string' || typeof scope !== 'string' || scope.trim() === '') {
    throw unauthenticated('The access token is malformed');
  }
  const client = deps.registry.get(sub);
  if (!client) throw unauthenticated('The access token belongs to a client that is no longer registered');
  const stale = unauthenticated("The access token no longer matches the client's registration; request a new one");
  if (client.role !== role || client.org.sor !== org) throw stale;
  let granted: ReturnType<typeof grantScopes>;
  try {
    granted = grantScopes(scope, client.allowedScopes);
  } catch (err) {
    if (err instanceof OAuthError) throw stale;
    throw err;
  }
  return { clientId: client.id, role: client.role, org: client.org, scopes: granted.scopes, scope: granted.scope };
}

function accessTokenFailure(err: unknown): Error {
  if (err instanceof errors.JWTExpired) return unauthenticated('The access token has expired');
  if (err instanceof errors.JWSSignatureVerificationFailed) return unauthenticated('The access token signature is invalid');
  if (err instanceof errors.JWTClaimValidationFailed && ['iss', 'aud', 'typ'].includes(err.claim)) {
    return unauthenticated('The access token was not issued for this gateway');
  }
  if (err instanceof errors.JOSEError) return unauthenticated('The access token is malformed');
  return err instanceof Error ? err : new Error('access token verification failed');
}
