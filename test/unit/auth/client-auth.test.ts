import { generateSecret } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { authenticateClient, CLIENT_ASSERTION_TYPE, hashSecret, OAuthError } from '../../../src/auth/index.ts';
import type { ClientAuthDeps, ClientRegistry, TokenRequest } from '../../../src/auth/index.ts';
import { fixedClock } from '../../../src/shared/index.ts';
import { makeKey, MemoryJtiRepository, registryFrom, signAssertion } from './fixtures.ts';
import type { AssertionClaims, KeyAlg, TestKey } from './fixtures.ts';

const TOKEN_URL = 'https://sektorbro.example/oauth/token';
const NOW = Date.parse('2026-03-02T10:00:00Z') / 1000;
const clock = fixedClock('2026-03-02T10:00:00Z');
/** A secret with characters that RFC 6749 §2.3.1 makes clients URL-encode in Basic credentials. */
const ODD_SECRET = 'p@ss:w0rd+ü/%&=';

const keys = {} as Record<KeyAlg, TestKey>;
let other: TestKey;
let single: TestKey;
let registry: ClientRegistry;

beforeAll(async () => {
  for (const alg of ['RS384', 'ES384', 'RS256', 'ES256'] as const) keys[alg] = await makeKey(alg, `key-${alg.toLowerCase()}`);
  other = await makeKey('RS384', 'key-rs384');
  single = await makeKey('ES384', 'only');
  const org = { sor: '265161000016000', name: 'Hjerteafdelingen' };
  registry = registryFrom({
    clients: [
      { id: 'secret-client', role: 'hospital', org, secretHash: await hashSecret('right-secret') },
      { id: 'odd.client', role: 'hospital', org, secretHash: await hashSecret(ODD_SECRET) },
      { id: 'backend', role: 'municipality', org, jwks: { keys: Object.values(keys).map((k) => k.publicJwk) } },
      { id: 'one-key', role: 'gp', org, jwks: { keys: [single.publicJwk] } },
    ],
  });
});

const deps = (jti = new MemoryJtiRepository()): ClientAuthDeps => ({ registry, jti, tokenEndpointUrl: TOKEN_URL, clock });
const basic = (id: string, secret: string): string => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const formBasic = (id: string, secret: string): string => basic(encodeURIComponent(id), encodeURIComponent(secret));
const good = (over: AssertionClaims = {}): AssertionClaims => ({ iss: 'backend', sub: 'backend', aud: TOKEN_URL, exp: NOW + 240, jti: 'jti-1', ...over });
const jwtForm = (assertion: string): Record<string, string> => ({
  grant_type: 'client_credentials',
  client_assertion_type: CLIENT_ASSERTION_TYPE,
  client_assertion: assertion,
});

/** A JWT with any header and a made-up signature, for algorithms we refuse before verifying. */
const unsigned = (header: Record<string, string>, signature: string): string =>
  `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(good())).toString('base64url')}.${signature}`;

async function failure(req: TokenRequest, d = deps()): Promise<OAuthError> {
  try {
    await authenticateClient(req, d);
  } catch (err) {
    if (err instanceof OAuthError) return err;
    throw err;
  }
  throw new Error('expected authentication to fail');
}

describe('authenticateClient: success', () => {
  it('when client_secret_basic is right, then the client is returned', async () => {
    const client = await authenticateClient({ form: { grant_type: 'client_credentials' }, authorization: basic('secret-client', 'right-secret') }, deps());
    expect(client.id).toBe('secret-client');
  });

  it('when client_secret_post is right, then the client is returned', async () => {
    const form = { grant_type: 'client_credentials', client_id: 'secret-client', client_secret: 'right-secret' };
    expect((await authenticateClient({ form }, deps())).id).toBe('secret-client');
  });

  it('when the grant type comes as a separate field, then it is used', async () => {
    const form = { client_id: 'secret-client', client_secret: 'right-secret' };
    expect((await authenticateClient({ grantType: 'client_credentials', form }, deps())).id).toBe('secret-client');
  });

  it('when Basic credentials are URL-encoded as RFC 6749 §2.3.1 says, then they are decoded', async () => {
    const req = { form: { grant_type: 'client_credentials' }, authorization: formBasic('odd.client', ODD_SECRET) };
    expect((await authenticateClient(req, deps())).id).toBe('odd.client');
  });

  it('when Basic credentials use + for a space, then it is decoded as a space', async () => {
    const reg = registryFrom({ clients: [{ id: 'spacey', role: 'gp', org: { sor: '265161000016000', name: 'X' }, secretHash: await hashSecret('a b') }] });
    const req = { form: { grant_type: 'client_credentials' }, authorization: basic('spacey', 'a+b') };
    expect((await authenticateClient(req, { ...deps(), registry: reg })).id).toBe('spacey');
  });

  it('when Basic credentials are sent without URL-encoding special characters, then they do not match', async () => {
    const err = await failure({ form: { grant_type: 'client_credentials' }, authorization: basic('odd.client', ODD_SECRET) });
    expect(err.error).toMatch(/invalid_client|invalid_request/);
  });

  it.each(['RS384', 'ES384', 'RS256', 'ES256'] as const)('when a private_key_jwt assertion is signed %s, then the client is returned', async (alg) => {
    const jti = new MemoryJtiRepository();
    const key = keys[alg];
    const client = await authenticateClient({ form: jwtForm(await signAssertion(key, key.kid, good())) }, deps(jti));
    expect(client.id).toBe('backend');
    expect([...jti.claims.entries()]).toEqual([[`backend\u0000jti-1`, new Date((NOW + 240) * 1000)]]);
  });

  it('when the client has a single key and the assertion names no kid, then that key is used', async () => {
    const assertion = await signAssertion(single, undefined, good({ iss: 'one-key', sub: 'one-key' }));
    expect((await authenticateClient({ form: jwtForm(assertion) }, deps())).id).toBe('one-key');
  });

  it('when the assertion also carries a matching client_id, then it is accepted', async () => {
    const form = { ...jwtForm(await signAssertion(keys.RS384, keys.RS384.kid, good())), client_id: 'backend' };
    expect((await authenticateClient({ form }, deps())).id).toBe('backend');
  });

  it('when exp is a little beyond 5 minutes but within the allowed clock skew, then it is accepted', async () => {
    const assertion = await signAssertion(keys.ES384, keys.ES384.kid, good({ exp: NOW + 305 }));
    expect((await authenticateClient({ form: jwtForm(assertion) }, deps())).id).toBe('backend');
  });
});

describe('authenticateClient: the request shape', () => {
  const secretForm = { client_id: 'secret-client', client_secret: 'right-secret' };
  const shapes: [string, TokenRequest, string, number][] = [
    ['no grant_type', { form: secretForm }, 'invalid_request', 400],
    ['grant_type authorization_code', { form: { ...secretForm, grant_type: 'authorization_code' } }, 'unsupported_grant_type', 400],
    ['grant_type password', { grantType: 'password', form: secretForm }, 'unsupported_grant_type', 400],
    ['no client authentication', { form: { grant_type: 'client_credentials', client_id: 'secret-client' } }, 'invalid_client', 401],
    [
      'Basic and client_secret together',
      { form: { grant_type: 'client_credentials', ...secretForm }, authorization: basic('secret-client', 'right-secret') },
      'invalid_request',
      400,
    ],
    [
      'client_secret and client_assertion together',
      { form: { grant_type: 'client_credentials', ...secretForm, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: 'x.y.z' } },
      'invalid_request',
      400,
    ],
    ['client_secret without client_id', { form: { grant_type: 'client_credentials', client_secret: 'right-secret' } }, 'invalid_request', 400],
    [
      'Basic with a different client_id in the body',
      { form: { grant_type: 'client_credentials', client_id: 'backend' }, authorization: basic('secret-client', 'right-secret') },
      'invalid_request',
      400,
    ],
    ['a Bearer Authorization header', { form: { grant_type: 'client_credentials' }, authorization: 'Bearer abc' }, 'invalid_request', 400],
    ['Basic without a colon', { form: { grant_type: 'client_credentials' }, authorization: `Basic ${Buffer.from('secret-client').toString('base64')}` }, 'invalid_request', 400],
    ['Basic with broken percent-encoding', { form: { grant_type: 'client_credentials' }, authorization: basic('secret-client', '%E0%A4%A') }, 'invalid_request', 400],
    [
      'a client_assertion of the wrong type',
      { form: { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer', client_assertion: 'x' } },
      'invalid_request',
      400,
    ],
    ['a client_assertion_type without assertion', { form: { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE } }, 'invalid_request', 400],
    ['a client_assertion that is not a JWT', { form: jwtForm('not-a-jwt') }, 'invalid_client', 401],
  ];
  it.each(shapes.map(([name, req, error, status]) => [name, error, status, req] as const))(
    'when the request has %s, then %s (%i)',
    async (_name, error, status, req) => {
      const err = await failure(req);
      expect(err.error).toBe(error);
      expect(err.status).toBe(status);
    },
  );

  it('when client authentication fails, then the error asks for credentials with WWW-Authenticate', async () => {
    const err = await failure({ form: { grant_type: 'client_credentials', client_id: 'secret-client', client_secret: 'wrong' } });
    expect(err.headers['WWW-Authenticate']).toMatch(/^Basic /);
    expect(err.toBody()).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
  });
});

describe('authenticateClient: secrets', () => {
  it.each<[string, TokenRequest]>([
    ['a wrong secret by Basic', { form: { grant_type: 'client_credentials' }, authorization: basic('secret-client', 'wrong-secret') }],
    ['a wrong secret by post', { form: { grant_type: 'client_credentials', client_id: 'secret-client', client_secret: 'wrong-secret' } }],
    ['an empty secret', { form: { grant_type: 'client_credentials', client_id: 'secret-client', client_secret: '' } }],
    ['the right secret with different case', { form: { grant_type: 'client_credentials', client_id: 'secret-client', client_secret: 'Right-secret' } }],
    ['an unknown client', { form: { grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'right-secret' } }],
    ['a client that has keys but no secret', { form: { grant_type: 'client_credentials', client_id: 'backend', client_secret: 'right-secret' } }],
    ['a huge secret', { form: { grant_type: 'client_credentials', client_id: 'secret-client', client_secret: 'right-secret'.repeat(1000) } }],
  ])('when the request has %s, then invalid_client with the same plain message', async (_name, req) => {
    const err = await failure(req);
    expect(err.toBody()).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
  });
});

describe('authenticateClient: private_key_jwt assertions', () => {
  const cases: [string, () => Promise<string>, string][] = [
    ['an expired exp', () => signAssertion(keys.RS384, keys.RS384.kid, good({ exp: NOW - 60 })), 'client_assertion has expired'],
    ['exp 10 minutes ahead', () => signAssertion(keys.RS384, keys.RS384.kid, good({ exp: NOW + 600 })), 'at most 5 minutes in the future'],
    ['no exp', () => signAssertion(keys.RS384, keys.RS384.kid, good({ exp: undefined })), 'claim "exp" is missing or invalid'],
    ['no jti', () => signAssertion(keys.RS384, keys.RS384.kid, good({ jti: undefined })), 'claim "jti" is missing or invalid'],
    ['aud of another server', () => signAssertion(keys.RS384, keys.RS384.kid, good({ aud: 'https://other.example/token' })), `aud must be the token endpoint URL ${TOKEN_URL}`],
    ['aud of the FHIR base', () => signAssertion(keys.RS384, keys.RS384.kid, good({ aud: 'https://sektorbro.example/fhir' })), 'aud must be the token endpoint URL'],
    ['iss and sub that differ', () => signAssertion(keys.RS384, keys.RS384.kid, good({ sub: 'one-key' })), 'iss and sub must both be the client id'],
    ['no iss', () => signAssertion(keys.RS384, keys.RS384.kid, good({ iss: undefined })), 'iss and sub must both be the client id'],
    ['an unknown client', () => signAssertion(keys.RS384, keys.RS384.kid, good({ iss: 'nobody', sub: 'nobody' })), 'client authentication failed'],
    ['a client without keys', () => signAssertion(keys.RS384, keys.RS384.kid, good({ iss: 'secret-client', sub: 'secret-client' })), 'client authentication failed'],
    ['an unknown kid', () => signAssertion(keys.RS384, 'key-nope', good()), 'no registered key matches the kid and alg'],
    ['no kid while the client has several keys', () => signAssertion(keys.RS384, undefined, good()), 'has no kid and several registered keys fit'],
    ['a signature by an unregistered key under a registered kid', () => signAssertion(other, 'key-rs384', good()), 'client authentication failed'],
    ['a kid whose key does not fit the alg', () => signAssertion(keys.ES384, 'key-rs384', good()), 'no registered key matches the kid and alg'],
    ['alg PS384', () => Promise.resolve(unsigned({ alg: 'PS384', kid: 'key-rs384' }, 'c2ln')), 'must be signed with one of RS384, ES384, RS256, ES256'],
    ['alg HS256', async () => signAssertion({ alg: 'HS256', privateKey: await generateSecret('HS256') }, keys.RS384.kid, good()), 'must be signed with one of'],
    ['alg none', () => Promise.resolve(unsigned({ alg: 'none' }, '')), 'must be signed with one of'],
  ];

  it.each(cases)('when the assertion has %s, then invalid_client', async (_name, make, message) => {
    const err = await failure({ form: jwtForm(await make()) });
    expect(err.error).toBe('invalid_client');
    expect(err.status).toBe(401);
    expect(err.description).toContain(message);
  });

  it('when a jti is replayed, then the second use is refused', async () => {
    const d = deps();
    const assertion = await signAssertion(keys.ES384, keys.ES384.kid, good({ jti: 'once' }));
    await authenticateClient({ form: jwtForm(assertion) }, d);
    const again = await signAssertion(keys.RS384, keys.RS384.kid, good({ jti: 'once' }));
    const err = await failure({ form: jwtForm(again) }, d);
    expect(err.toBody()).toEqual({ error: 'invalid_client', error_description: 'client_assertion jti has already been used' });
  });

  it('when an assertion fails its signature, then its jti is not used up', async () => {
    const d = deps();
    await failure({ form: jwtForm(await signAssertion(other, 'key-rs384', good({ jti: 'precious' }))) }, d);
    const assertion = await signAssertion(keys.RS384, keys.RS384.kid, good({ jti: 'precious' }));
    expect((await authenticateClient({ form: jwtForm(assertion) }, d)).id).toBe('backend');
  });

  it('when the body client_id differs from the assertion issuer, then invalid_request', async () => {
    const form = { ...jwtForm(await signAssertion(keys.RS384, keys.RS384.kid, good())), client_id: 'one-key' };
    expect((await failure({ form })).error).toBe('invalid_request');
  });

  it('when the assertion is absurdly long, then it is refused unparsed', async () => {
    expect((await failure({ form: jwtForm('a'.repeat(20_000)) })).error).toBe('invalid_request');
  });
});
