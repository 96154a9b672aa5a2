import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

/** Node's scrypt defaults (N=16384, r=8, p=1): about 16 MB and tens of ms per hash, on purpose. */
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const HASH = /^scrypt\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

/** Client secrets are compared as UTF-8 bytes; longer ones are refused before hashing. */
export const MAX_SECRET_LENGTH = 1024;

const format = (salt: Buffer, key: Buffer): string => `scrypt$${salt.toString('base64')}$${key.toString('base64')}`;

function derive(secret: string, salt: Buffer, keylen: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret.normalize('NFC'), salt, keylen, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

/**
 * Hashes a client secret into the `secretHash` form of the clients file:
 * `scrypt$<salt base64>$<hash base64>`. Operators run it through `sektorbro hash-secret`.
 */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  return format(salt, await derive(secret, salt, KEY_BYTES));
}

/** Synchronous twin of {@link hashSecret}, for the demo clients hashed once while loading. */
export function hashSecretSync(secret: string): string {
  const salt = randomBytes(SALT_BYTES);
  return format(salt, scryptSync(secret.normalize('NFC'), salt, KEY_BYTES));
}

/** Splits a stored hash, or undefined when it is not in the expected form. */
export function parseSecretHash(hash: string): { salt: Buffer; key: Buffer } | undefined {
  const m = HASH.exec(hash);
  if (!m?.[1] || !m[2]) return undefined;
  const salt = Buffer.from(m[1], 'base64');
  const key = Buffer.from(m[2], 'base64');
  if (salt.length < SALT_BYTES || key.length < KEY_BYTES || key.length > 64) return undefined;
  return { salt, key };
}

/** A hash of nothing anyone knows, so unknown clients cost as much time as known ones. */
const DUMMY = { salt: Buffer.alloc(SALT_BYTES, 1), key: Buffer.alloc(KEY_BYTES, 2) };

/**
 * Constant-time check of `secret` against a stored hash. With `hash` undefined (unknown client,
 * or a client without a secret) it still spends one scrypt and answers false, so response time
 * does not reveal which client ids exist.
 */
export async function verifySecret(secret: string, hash: string | undefined): Promise<boolean> {
  const parsed = (hash === undefined ? undefined : parseSecretHash(hash)) ?? DUMMY;
  const candidate = await derive(secret.slice(0, MAX_SECRET_LENGTH), parsed.salt, parsed.key.length);
  const equal = timingSafeEqual(candidate, parsed.key);
  return equal && parsed !== DUMMY && secret.length <= MAX_SECRET_LENGTH;
}
