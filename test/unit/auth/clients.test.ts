import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SCOPES, DEMO_CLIENT_IDS, hashSecret, loadClients } from '../../../src/auth/index.ts';
import { verifySecret } from '../../../src/auth/secret-hash.ts';
import { makeKey, registryFrom } from './fixtures.ts';
import type { TestKey } from './fixtures.ts';

let secretHash: string;
let rsa: TestKey;
let ec: TestKey;

beforeAll(async () => {
  secretHash = await hashSecret('s3cret-for-tests');
  rsa = await makeKey('RS384', 'rsa-1');
  ec = await makeKey('ES384', 'ec-1');
});

const client = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 'herlev-ehr',
  role: 'hospital',
  org: { sor: '265161000016000', name: 'Hjerteafdelingen', gln: '5790000209354' },
  secretHash,
  ...over,
});

const failureOf = (doc: unknown, opts: { demoClients?: boolean; production?: boolean } = {}): string => {
  try {
    registryFrom(doc, opts);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected loading to fail');
};

describe('loadClients: a valid clients file', () => {
  it('when a client has a secret and a JWK set, then both are kept and role defaults fill allowedScopes', () => {
    const registry = registryFrom({ clients: [client({ jwks: { keys: [rsa.publicJwk, ec.publicJwk] } })] });
    const c = registry.get('herlev-ehr');
    expect(c).toMatchObject({ id: 'herlev-ehr', role: 'hospital', demo: false, secretHash, allowedScopes: ['system/*.rs', 'system/Bundle.c', 'system/Subscription.cud', 'system/EpisodeOfCare.u'] });
    expect(c?.org).toEqual({ sor: '265161000016000', name: 'Hjerteafdelingen', gln: '5790000209354' });
    expect(c?.jwks?.keys.map((k) => k.kid)).toEqual(['rsa-1', 'ec-1']);
    expect(registry.list()).toHaveLength(1);
  });

  it.each(Object.entries(DEFAULT_SCOPES))('when a %s client gives no allowedScopes, then it gets %j', (role, scopes) => {
    const org = role === 'municipality' ? { sor: '953741000016009', name: 'Herlev Kommune', kommunekode: '0163' } : { sor: '953741000016009', name: 'X' };
    const registry = registryFrom({ clients: [client({ role, org })] });
    expect(registry.get('herlev-ehr')?.allowedScopes).toEqual(scopes);
  });

  it('when allowedScopes are given, then they replace the role default', () => {
    const registry = registryFrom({ clients: [client({ allowedScopes: ['system/Patient.rs', 'system/Encounter.read'] })] });
    expect(registry.get('herlev-ehr')?.allowedScopes).toEqual(['system/Patient.rs', 'system/Encounter.read']);
  });

  it('when a client is looked up that is not registered, then get gives undefined', () => {
    expect(registryFrom({ clients: [client()] }).get('nobody')).toBeUndefined();
  });

  it('when the registry is loaded, then its records cannot be changed', () => {
    const c = registryFrom({ clients: [client()] }).get('herlev-ehr');
    expect(() => {
      (c as { role: string }).role = 'admin';
    }).toThrow(TypeError);
    expect(() => {
      (c?.allowedScopes as string[]).push('system/*.cruds');
    }).toThrow(TypeError);
  });
});

describe('loadClients: validation names the file and the path of each problem', () => {
  const cases: [string, () => Record<string, unknown>, string][] = [
    ['an unknown role', () => client({ role: 'doctor' }), 'clients[0].role: unknown role "doctor"'],
    ['a SOR code with letters', () => client({ org: { sor: '2651610000AB000', name: 'X' } }), 'clients[0].org.sor: must be a SOR code'],
    ['a SOR code that is too short', () => client({ org: { sor: '2651610', name: 'X' } }), 'clients[0].org.sor'],
    ['an organisation without a name', () => client({ org: { sor: '265161000016000', name: ' ' } }), 'clients[0].org.name'],
    ['no organisation', () => client({ org: undefined }), 'clients[0].org: must be an object'],
    ['a GLN with a wrong check digit', () => client({ org: { sor: '265161000016000', name: 'X', gln: '5790000209355' } }), 'clients[0].org.gln'],
    ['a kommunekode on a hospital', () => client({ org: { sor: '265161000016000', name: 'X', kommunekode: '0163' } }), 'only municipality clients'],
    ['a kommunekode that is not 4 digits', () => client({ role: 'municipality', org: { sor: '265161000016000', name: 'X', kommunekode: '163' } }), 'clients[0].org.kommunekode: must be 4 digits'],
    ['no credential', () => client({ secretHash: undefined }), 'clients[0]: has no credential'],
    ['a plain-text secret in secretHash', () => client({ secretHash: 'hunter2' }), 'clients[0].secretHash: must be a hash'],
    ['a misspelt member', () => client({ secrethash: 'x' }), 'clients[0].secrethash: unknown member'],
    ['an id with spaces', () => client({ id: 'herlev ehr' }), 'clients[0].id'],
    ['a patient/ scope', () => client({ allowedScopes: ['patient/*.rs'] }), 'clients[0].allowedScopes[0]: scope "patient/*.rs": patient/ scopes need a user context'],
    ['an empty allowedScopes', () => client({ allowedScopes: [] }), 'clients[0].allowedScopes: must be a non-empty array'],
    ['an empty JWK set', () => client({ jwks: { keys: [] } }), 'clients[0].jwks: must be a JWK set'],
    ['a private RSA key in jwks', () => client({ jwks: { keys: [{ ...rsa.publicJwk, d: 'AAAA' }] } }), 'clients[0].jwks.keys[0].d: private or symmetric key material'],
    ['a symmetric key in jwks', () => client({ jwks: { keys: [{ kty: 'oct', kid: 'k1', k: 'c2VjcmV0' }] } }), 'clients[0].jwks.keys[0].k: private or symmetric'],
    ['an OKP key', () => client({ jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AAAA', kid: 'o' }] } }), 'clients[0].jwks.keys[0].kty: must be "RSA" or "EC"'],
    ['a key without kid', () => client({ jwks: { keys: [{ ...rsa.publicJwk, kid: undefined }] } }), 'clients[0].jwks.keys[0].kid'],
    ['two keys with one kid', () => client({ jwks: { keys: [rsa.publicJwk, { ...ec.publicJwk, kid: 'rsa-1' }] } }), 'clients[0].jwks.keys[1].kid: "rsa-1" is used by more than one key'],
    ['an encryption key', () => client({ jwks: { keys: [{ ...rsa.publicJwk, use: 'enc' }] } }), 'clients[0].jwks.keys[0].use'],
    ['a key with an HMAC alg', () => client({ jwks: { keys: [{ ...rsa.publicJwk, alg: 'HS256' }] } }), 'clients[0].jwks.keys[0].alg'],
    ['an EC key on an unsupported curve', () => client({ jwks: { keys: [{ ...ec.publicJwk, crv: 'P-521' }] } }), 'clients[0].jwks.keys[0].crv'],
    ['an EC key whose point is garbage', () => client({ jwks: { keys: [{ ...ec.publicJwk, x: 'AAAA' }] } }), 'clients[0].jwks.keys[0]: is not a valid public key'],
  ];

  it.each(cases)('when a client has %s, then loading fails naming it', (_name, make, expected) => {
    const message = failureOf({ clients: [make()] });
    expect(message).toContain('clients.json');
    expect(message).toContain(expected);
  });

  it('when an RSA key is shorter than 2048 bits, then loading fails', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'weak' };
    expect(failureOf({ clients: [client({ jwks: { keys: [jwk] } })] })).toContain('clients[0].jwks.keys[0]: RSA keys must have at least 2048 bits');
  });

  it('when two clients share an id, then loading fails naming the second', () => {
    expect(failureOf({ clients: [client(), client()] })).toContain('clients[1].id: "herlev-ehr" is already registered');
  });

  it('when several clients are wrong, then every problem is reported at once', () => {
    const message = failureOf({ clients: [client({ role: 'doctor' }), client({ id: 'b', org: { sor: 'x', name: 'X' } })] });
    expect(message).toContain('clients[0].role');
    expect(message).toContain('clients[1].org.sor');
  });

  it('when a secretHash is wrong, then the message does not echo it', () => {
    expect(failureOf({ clients: [client({ secretHash: 'hunter2-plaintext' })] })).not.toContain('hunter2');
  });

  it.each([
    ['the root is an array', []],
    ['clients is missing', { client: [] }],
    ['clients[0] is a string', { clients: ['demo'] }],
  ])('when %s, then loading fails', (_name, doc) => {
    expect(failureOf(doc)).toMatch(/Invalid clients file clients\.json/);
  });

  it('when the file is not JSON, then loading fails naming the file', () => {
    expect(() => loadClients({ clientsFile: 'x.json', demoClients: false, production: false }, () => '{"clients": [')).toThrow(/x\.json is not valid JSON/);
  });

  it('when the file cannot be read, then loading fails naming the file and the reason', () => {
    expect(() => loadClients({ clientsFile: '/nonexistent/clients.json', demoClients: false, production: false })).toThrow(
      /\/nonexistent\/clients\.json cannot be read \(ENOENT\)/,
    );
  });
});

describe('loadClients: demo clients', () => {
  const demo = loadClients({ clientsFile: undefined, demoClients: true, production: false });

  it('when demo clients are on, then all six are there with their organisations', () => {
    expect(DEMO_CLIENT_IDS).toEqual(['demo-hospital', 'demo-municipality', 'demo-gp', 'demo-quality', 'demo-admin', 'demo-relay']);
    expect(demo.list().map((c) => c.id)).toEqual(DEMO_CLIENT_IDS);
    expect(demo.get('demo-hospital')).toMatchObject({
      role: 'hospital',
      demo: true,
      org: { sor: '265161000016000', gln: '5790000209354', name: 'Hjerteafdelingen, Herlev og Gentofte Hospital' },
    });
    expect(demo.get('demo-municipality')).toMatchObject({
      role: 'municipality',
      org: { sor: '953741000016009', gln: '5790001348120', name: 'Herlev Kommune', kommunekode: '0163' },
    });
    expect(demo.get('demo-gp')).toMatchObject({ role: 'gp', org: { sor: '1017421000016003', gln: '5790002408496', name: 'Lægehuset Østerbro' } });
    expect(demo.get('demo-quality')?.role).toBe('quality');
    expect(demo.get('demo-admin')?.allowedScopes).toEqual(['system/*.cruds']);
    expect(demo.get('demo-relay')).toMatchObject({ role: 'relay', allowedScopes: ['system/Bundle.c'], org: { name: 'Demo VANS relay' } });
  });

  it('when demo clients are on, then each one has a distinct SOR code', () => {
    expect(new Set(demo.list().map((c) => c.org.sor)).size).toBe(DEMO_CLIENT_IDS.length);
  });

  it('when demo clients are on, then only a hash of <id>-secret is held', async () => {
    const hospital = demo.get('demo-hospital');
    expect(hospital?.secretHash).toMatch(/^scrypt\$/);
    expect(JSON.stringify(demo.list())).not.toContain('demo-hospital-secret');
    expect(await verifySecret('demo-hospital-secret', hospital?.secretHash)).toBe(true);
    expect(await verifySecret('demo-gp-secret', hospital?.secretHash)).toBe(false);
  });

  it('when demo clients are off, then none is registered', () => {
    const registry = registryFrom({ clients: [client()] }, { demoClients: false });
    expect(DEMO_CLIENT_IDS.map((id) => registry.get(id))).toEqual(DEMO_CLIENT_IDS.map(() => undefined));
  });

  it('when demo clients and a clients file are both given, then both are registered', () => {
    const registry = registryFrom({ clients: [client()] }, { demoClients: true });
    expect(registry.list().map((c) => c.id)).toEqual([...DEMO_CLIENT_IDS, 'herlev-ehr']);
  });

  it('when the clients file reuses a demo id while demo clients are on, then loading fails', () => {
    expect(failureOf({ clients: [client({ id: 'demo-gp' })] }, { demoClients: true })).toContain('clients[0].id: "demo-gp" is already registered');
  });
});

describe('loadClients: production', () => {
  it('when production asks for demo clients, then loading refuses', () => {
    expect(() => loadClients({ clientsFile: undefined, demoClients: true, production: true })).toThrow(/Demo clients must not be enabled in production/);
  });

  it('when production has no clients file, then loading refuses', () => {
    expect(() => loadClients({ clientsFile: undefined, demoClients: false, production: true })).toThrow(/production needs a clients file/);
  });

  it('when a production clients file registers a demo client id, then loading refuses', () => {
    expect(failureOf({ clients: [client({ id: 'demo-admin' })] }, { production: true })).toContain('"demo-admin" is a demo client id, refused in production');
  });

  it('when production has a valid clients file, then it loads', () => {
    expect(registryFrom({ clients: [client()] }, { production: true }).get('herlev-ehr')?.demo).toBe(false);
  });
});

describe('hashSecret', () => {
  it('when the same secret is hashed twice, then the salts differ and both verify', async () => {
    const a = await hashSecret('correct horse');
    const b = await hashSecret('correct horse');
    expect(a).not.toBe(b);
    expect(await verifySecret('correct horse', a)).toBe(true);
    expect(await verifySecret('correct horse', b)).toBe(true);
    expect(await verifySecret('correct horsE', a)).toBe(false);
  });

  it('when a hash made by hashSecret is put in a clients file, then it is accepted', () => {
    expect(registryFrom({ clients: [client()] }).get('herlev-ehr')?.secretHash).toBe(secretHash);
  });

  it('when there is no hash to compare with, then verification fails', async () => {
    expect(await verifySecret('anything', undefined)).toBe(false);
  });
});
