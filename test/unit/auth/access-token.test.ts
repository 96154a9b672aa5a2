import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { issueAccessToken, loadClients, OAuthError, verifyAccessToken } from '../../../src/auth/index.ts';
import type { ClientRecord, ClientRegistry } from '../../../src/auth/index.ts';
import { fixedClock, GatewayError } from '../../../src/shared/index.ts';
import { registryFrom } from './fixtures.ts';

const SECRET = 'unit-test-signing-secret-of-sufficient-length';
const ISSUER = 'https://sektorbro.example';
const clock = fixedClock('2026-03-02T10:00:00Z');
const later = (seconds: number) => fixedClock(new Date(Date.parse('2026-03-02T10:00:00Z') + seconds * 1000).toISOString());

const demo = loadClients({ clientsFile: undefined, demoClients: true, production: false });
const hospital = demo.get('demo-hospital') as ClientRecord;
const issueDeps = { secret: SECRET, ttlSeconds: 300, issuer: ISSUER, clock };
const verifyDeps = (over: Partial<{ secret: string; issuer: string; registry: ClientRegistry; clock: typeof clock }> = {}) => ({
  secret: SECRET,
  issuer: ISSUER,
  registry: demo,
  clock,
  ...over,
});

async function unauthenticatedBy(token: string, deps = verifyDeps()): Promise<GatewayError> {
  try {
    await verifyAccessToken(token, deps);
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected verification to fail');
}

/** Same secret, same shape, but any claims: what someone holding the key (or a bug) could produce. */
const forge = (claims: Record<string, unknown>, opts: { aud?: string; iss?: string; exp?: number; typ?: string } = {}) => {
  const iat = Math.floor(clock.now().getTime() / 1000);
  return new SignJWT({ scope: 'system/*.rs', role: 'hospital', org: '265161000016000', ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: opts.typ ?? 'at+jwt' })
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? ISSUER)
    .setSubject('demo-hospital')
    .setIssuedAt(iat)
    .setExpirationTime(opts.exp ?? iat + 300)
    .setJti('forged')
    .sign(new TextEncoder().encode(SECRET));
};

describe('issueAccessToken', () => {
  it('when a client asks for no scope, then it gets a token for all it is allowed', async () => {
    const res = await issueAccessToken(hospital, undefined, issueDeps);
    expect(res).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'system/*.rs system/Bundle.c system/Subscription.cud system/EpisodeOfCare.u' });
    expect(decodeProtectedHeader(res.access_token)).toEqual({ alg: 'HS256', typ: 'at+jwt' });
    const claims = decodeJwt(res.access_token);
    expect(claims).toMatchObject({
      iss: ISSUER,
      aud: ISSUER,
      sub: 'demo-hospital',
      client_id: 'demo-hospital',
      scope: 'system/*.rs system/Bundle.c system/Subscription.cud system/EpisodeOfCare.u',
      role: 'hospital',
      org: '265161000016000',
      iat: Date.parse('2026-03-02T10:00:00Z') / 1000,
      exp: Date.parse('2026-03-02T10:05:00Z') / 1000,
    });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('when two tokens are issued, then their jti differ', async () => {
    const a = decodeJwt((await issueAccessToken(hospital, undefined, issueDeps)).access_token);
    const b = decodeJwt((await issueAccessToken(hospital, undefined, issueDeps)).access_token);
    expect(a.jti).not.toBe(b.jti);
  });

  it('when a narrower scope is asked for, then only that is granted', async () => {
    expect((await issueAccessToken(hospital, 'system/Patient.read', issueDeps)).scope).toBe('system/Patient.rs');
  });

  it('when the relay asks to read, then invalid_scope', async () => {
    const relay = demo.get('demo-relay') as ClientRecord;
    await expect(issueAccessToken(relay, 'system/*.rs', issueDeps)).rejects.toMatchObject({ error: 'invalid_scope' });
    await expect(issueAccessToken(relay, 'system/*.rs', issueDeps)).rejects.toBeInstanceOf(OAuthError);
  });

  it('when the signing secret is too short, then issuing refuses', async () => {
    await expect(issueAccessToken(hospital, undefined, { ...issueDeps, secret: 'short' })).rejects.toThrow(/at least 32 characters/);
  });
});

describe('verifyAccessToken', () => {
  it('when a fresh token is verified, then it gives the principal', async () => {
    const { access_token } = await issueAccessToken(hospital, 'system/Patient.rs system/Encounter.r', issueDeps);
    const principal = await verifyAccessToken(access_token, verifyDeps({ clock: later(299) }));
    expect(principal).toMatchObject({ clientId: 'demo-hospital', role: 'hospital', org: hospital.org, scope: 'system/Patient.rs system/Encounter.r' });
    expect(principal.scopes.map((s) => [s.resourceType, [...s.interactions]])).toEqual([
      ['Patient', ['r', 's']],
      ['Encounter', ['r']],
    ]);
  });

  it('when the token has expired by the clock, then 401 expired', async () => {
    const { access_token } = await issueAccessToken(hospital, undefined, issueDeps);
    const err = await unauthenticatedBy(access_token, verifyDeps({ clock: later(300) }));
    expect(err).toMatchObject({ status: 401, code: 'auth.unauthenticated' });
    expect(err.issues[0]).toMatchObject({ code: 'login', diagnostics: 'The access token has expired' });
    expect(err.headers['WWW-Authenticate']).toMatch(/^Bearer /);
  });

  it('when the signature part is replaced, then 401 invalid signature', async () => {
    const { access_token } = await issueAccessToken(hospital, undefined, issueDeps);
    const [h, p] = access_token.split('.');
    const other = (await issueAccessToken(hospital, undefined, { ...issueDeps, secret: `${SECRET}-other` })).access_token.split('.')[2];
    const err = await unauthenticatedBy(`${h}.${p}.${other}`);
    expect(err.issues[0]?.diagnostics).toBe('The access token signature is invalid');
  });

  it('when the payload is edited to raise the role, then 401 invalid signature', async () => {
    const { access_token } = await issueAccessToken(hospital, undefined, issueDeps);
    const [h, p, sig] = access_token.split('.');
    const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    const edited = Buffer.from(JSON.stringify({ ...claims, role: 'admin', scope: 'system/*.cruds' })).toString('base64url');
    expect((await unauthenticatedBy(`${h}.${edited}.${sig}`)).issues[0]?.diagnostics).toBe('The access token signature is invalid');
  });

  it.each([
    ['another audience', { aud: 'https://other.example' }],
    ['another issuer', { iss: 'https://other.example' }],
    ['a different typ', { typ: 'JWT' }],
  ])('when the token has %s, then 401 not issued for this gateway', async (_name, opts) => {
    expect((await unauthenticatedBy(await forge({}, opts))).issues[0]?.diagnostics).toBe('The access token was not issued for this gateway');
  });

  it('when the gateway runs under another base URL, then its earlier tokens are refused', async () => {
    const { access_token } = await issueAccessToken(hospital, undefined, issueDeps);
    const err = await unauthenticatedBy(access_token, verifyDeps({ issuer: 'https://moved.example' }));
    expect(err.issues[0]?.diagnostics).toBe('The access token was not issued for this gateway');
  });

  it('when the client has been removed, then its token stops working', async () => {
    const { access_token } = await issueAccessToken(hospital, undefined, issueDeps);
    const without = registryFrom({ clients: [] });
    expect((await unauthenticatedBy(access_token, verifyDeps({ registry: without }))).issues[0]?.diagnostics).toBe(
      'The access token belongs to a client that is no longer registered',
    );
  });

  it.each([
    ['role', { role: 'gp', org: { sor: '265161000016000', name: 'X' } }],
    ['organisation', { role: 'hospital', org: { sor: '953741000016009', name: 'X' } }],
    ['allowed scopes', { role: 'hospital', org: { sor: '265161000016000', name: 'X' }, allowedScopes: ['system/Organization.rs'] }],
  ])('when the client has been re-registered with another %s, then its token is refused', async (_name, registration) => {
    const { access_token } = await issueAccessToken(hospital, 'system/Patient.rs', issueDeps);
    const changed = registryFrom({ clients: [{ id: 'demo-hospital', secretHash: hospital.secretHash, ...registration }] });
    expect((await unauthenticatedBy(access_token, verifyDeps({ registry: changed }))).issues[0]?.diagnostics).toMatch(/no longer matches/);
  });

  it('when the client lost some allowed scopes, then the token keeps only what is still allowed', async () => {
    const { access_token } = await issueAccessToken(hospital, undefined, issueDeps);
    const narrower = registryFrom({
      clients: [{ id: 'demo-hospital', role: 'hospital', org: hospital.org, secretHash: hospital.secretHash, allowedScopes: ['system/Organization.rs'] }],
    });
    expect((await verifyAccessToken(access_token, verifyDeps({ registry: narrower }))).scope).toBe('system/Organization.rs');
  });

  it.each([
    ['garbage', 'not-a-token'],
    ['an empty string', ''],
    ['an unsigned token', `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${Buffer.from('{"sub":"demo-admin"}').toString('base64url')}.`],
    ['a huge string', 'a'.repeat(20_000)],
  ])('when the token is %s, then 401 malformed', async (_name, token) => {
    expect((await unauthenticatedBy(token)).issues[0]?.diagnostics).toBe('The access token is malformed');
  });

  it('when a signed token lacks the scope claim, then 401 malformed', async () => {
    expect((await unauthenticatedBy(await forge({ scope: undefined }))).issues[0]?.diagnostics).toBe('The access token is malformed');
  });

  it('when a token is refused, then the message carries nothing from the token', async () => {
    const { access_token } = await issueAccessToken(hospital, undefined, issueDeps);
    const err = await unauthenticatedBy(access_token, verifyDeps({ clock: later(3600) }));
    const text = JSON.stringify(err.issues);
    for (const leak of ['demo-hospital', '265161000016000', 'system/*.rs', access_token.slice(0, 20)]) expect(text).not.toContain(leak);
  });
});
