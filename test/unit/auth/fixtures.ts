import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import type { ClientRegistry } from '../../../src/auth/index.ts';
import { loadClients } from '../../../src/auth/index.ts';
import type { JtiRepository } from '../../../src/store/ports.ts';

export type KeyAlg = 'RS384' | 'ES384' | 'RS256' | 'ES256';

export interface TestKey {
  alg: KeyAlg;
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function makeKey(alg: KeyAlg, kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid } };
}

/** A registry from a clients document, read through a fake file reader. */
export function registryFrom(doc: unknown, opts: { demoClients?: boolean; production?: boolean } = {}): ClientRegistry {
  return loadClients(
    { clientsFile: 'clients.json', demoClients: opts.demoClients ?? false, production: opts.production ?? false },
    () => JSON.stringify(doc),
  );
}

/** In-memory stand-in for the store's jti table: this is a unit test of auth, not of the store. */
export class MemoryJtiRepository implements JtiRepository {
  readonly claims = new Map<string, Date>();
  claim(clientId: string, jti: string, expiresAt: Date): Promise<boolean> {
    const key = `${clientId}\u0000${jti}`;
    if (this.claims.has(key)) return Promise.resolve(false);
    this.claims.set(key, expiresAt);
    return Promise.resolve(true);
  }
}

export interface AssertionClaims {
  iss?: string;
  sub?: string;
  aud?: string;
  /** Seconds since epoch; undefined leaves it out. */
  exp?: number | undefined;
  jti?: string | undefined;
}

/** Signs a SMART Backend Services client assertion; `kid: undefined` leaves the header without one. */
export async function signAssertion(
  key: { alg: string; privateKey: CryptoKey | Uint8Array },
  kid: string | undefined,
  claims: AssertionClaims,
): Promise<string> {
  const payload: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(claims)) if (v !== undefined) payload[k] = v;
  return new SignJWT(payload).setProtectedHeader(kid === undefined ? { alg: key.alg } : { alg: key.alg, kid }).sign(key.privateKey);
}
