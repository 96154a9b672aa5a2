import { createPublicKey } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ROLES } from './ports.ts';
import type { ClientRecord, Organisation, Role } from './ports.ts';
import { parseScope, ScopeError } from './scopes.ts';
import { hashSecretSync, parseSecretHash } from './secret-hash.ts';

/** The registered OAuth2 clients, loaded once at start-up and read-only afterwards. */
export interface ClientRegistry {
  get(id: string): ClientRecord | undefined;
  list(): readonly ClientRecord[];
}

export interface LoadClientsOptions {
  clientsFile: string | undefined;
  demoClients: boolean;
  production: boolean;
}

export type ReadFile = (path: string, encoding: 'utf8') => string;

/**
 * The most each role may be granted when the clients file gives no `allowedScopes`.
 * Reading roles get `system/*.rs`: the access policy and the per-row grants decide what they
 * really see (quality, for instance, reads only registry types until aggregates exist). Write
 * scopes for hospitals come with the document and message entry points; hospitals, municipalities
 * and GPs manage their own Subscriptions. Admin manages
 * everything. A relay submits MedCom messages (`system/Bundle.c`) and reads nothing.
 */
export const DEFAULT_SCOPES: Readonly<Record<Role, readonly string[]>> = {
  // EpisodeOfCare.u: a holding department extends its window (POST /api/responsibility/extension).
  hospital: ['system/*.rs', 'system/Bundle.c', 'system/Subscription.cud', 'system/EpisodeOfCare.u'],
  municipality: ['system/*.rs', 'system/Bundle.c', 'system/Subscription.cud'],
  gp: ['system/*.rs', 'system/Bundle.c', 'system/Subscription.cud'],
  quality: ['system/*.rs'],
  admin: ['system/*.cruds'],
  relay: ['system/Bundle.c'],
};

type DemoClient = Pick<ClientRecord, 'id' | 'role' | 'org'>;

/**
 * Demo clients, seeded only when `demoClients` is on and never in production. Their secret is
 * `<client-id>-secret`. Hospital, municipality and GP are the parties of the MedCom examples.
 * The SOR codes `9999990000000NN` of quality, admin and relay are made-up demo values that do not
 * exist in SOR; they carry no GLN.
 */
const DEMO_CLIENTS: readonly DemoClient[] = [
  {
    id: 'demo-hospital',
    role: 'hospital',
    org: { sor: '265161000016000', name: 'Hjerteafdelingen, Herlev og Gentofte Hospital', gln: '5790000209354' },
  },
  {
    id: 'demo-municipality',
    role: 'municipality',
    org: { sor: '953741000016009', name: 'Herlev Kommune', gln: '5790001348120', kommunekode: '0163' },
  },
  { id: 'demo-gp', role: 'gp', org: { sor: '1017421000016003', name: 'Lægehuset Østerbro', gln: '5790002408496' } },
  { id: 'demo-quality', role: 'quality', org: { sor: '999999000000001', name: 'Region Hovedstaden, kvalitetsenhed (demo)' } },
  { id: 'demo-admin', role: 'admin', org: { sor: '999999000000002', name: 'Region Hovedstaden, Sektorbro-drift (demo)' } },
  { id: 'demo-relay', role: 'relay', org: { sor: '999999000000003', name: 'Demo VANS relay' } },
];

export const DEMO_CLIENT_IDS: readonly string[] = DEMO_CLIENTS.map((c) => c.id);

/** The secret of a demo client: `<client-id>-secret`. */
export const demoSecretFor = (clientId: string): string => `${clientId}-secret`;

/**
 * Builds the client registry from the clients file and, outside production, the demo clients.
 * The file is checked completely before anything is used; every problem is reported at once
 * with the file name and the JSON path (e.g. `clients[2].org.sor`), and no secret is echoed.
 */
export function loadClients(opts: LoadClientsOptions, readFile: ReadFile = readFileSync): ClientRegistry {
  if (opts.production && opts.demoClients) throw new Error('Demo clients must not be enabled in production');
  const clients: ClientRecord[] = [];
  if (opts.demoClients) clients.push(...DEMO_CLIENTS.map(seedDemo));
  if (opts.clientsFile !== undefined) clients.push(...readClientsFile(opts.clientsFile, readFile, opts.production, new Set(clients.map((c) => c.id))));
  if (opts.production && clients.length === 0) {
    throw new Error('No clients are registered: production needs a clients file (CLIENTS_FILE)');
  }
  const byId = new Map(clients.map((c) => [c.id, deepFreeze(c)]));
  const all = Object.freeze([...byId.values()]);
  return { get: (id) => byId.get(id), list: () => all };
}

function seedDemo(c: DemoClient): ClientRecord {
  return {
    id: c.id,
    role: c.role,
    org: { ...c.org },
    secretHash: hashSecretSync(demoSecretFor(c.id)),
    allowedScopes: [...DEFAULT_SCOPES[c.role]],
    demo: true,
  };
}

function readClientsFile(file: string, readFile: ReadFile, production: boolean, taken: ReadonlySet<string>): ClientRecord[] {
  let text: string;
  try {
    text = readFile(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new Error(`Clients file ${file} cannot be read${typeof code === 'string' ? ` (${code})` : ''}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`Clients file ${file} is not valid JSON`);
  }
  const problems: string[] = [];
  const clients = checkDocument(doc, problems);
  const seen = new Set<string>(taken);
  clients.forEach(({ client, path }) => {
    if (production && DEMO_CLIENT_IDS.includes(client.id)) problems.push(`${path}.id: "${client.id}" is a demo client id, refused in production`);
    else if (seen.has(client.id)) problems.push(`${path}.id: "${client.id}" is already registered (by a demo client or an earlier entry)`);
    seen.add(client.id);
  });
  if (problems.length > 0) throw new Error(`Invalid clients file ${file}:\n- ${problems.join('\n- ')}`);
  return clients.map((c) => c.client);
}

const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** SOR ids are SNOMED-style numbers of at least 11 digits (domain.md §5). */
const SOR = /^\d{11,18}$/;
const KOMMUNEKODE = /^\d{4}$/;
const CLIENT_KEYS = new Set(['id', 'role', 'org', 'secretHash', 'jwks', 'allowedScopes']);
const ORG_KEYS = new Set(['sor', 'name', 'gln', 'kommunekode']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function unknownKeys(obj: Record<string, unknown>, known: ReadonlySet<string>, path: string, problems: string[]): void {
  for (const k of Object.keys(obj)) if (!known.has(k)) problems.push(`${path}.${k}: unknown member`);
}

function checkDocument(doc: unknown, problems: string[]): { client: ClientRecord; path: string }[] {
  if (!isObject(doc) || !Array.isArray(doc.clients)) {
    problems.push('(root): must be an object with a "clients" array');
    return [];
  }
  unknownKeys(doc, new Set(['clients']), '(root)', problems);
  const out: { client: ClientRecord; path: string }[] = [];
  doc.clients.forEach((raw: unknown, i) => {
    const path = `clients[${i}]`;
    const client = checkClient(raw, path, problems);
    if (client) out.push({ client, path });
  });
  return out;
}

function checkClient(raw: unknown, path: string, problems: string[]): ClientRecord | undefined {
  if (!isObject(raw)) {
    problems.push(`${path}: must be an object`);
    return undefined;
  }
  const before = problems.length;
  unknownKeys(raw, CLIENT_KEYS, path, problems);
  const { id, role, secretHash } = raw;
  if (typeof id !== 'string' || !CLIENT_ID.test(id)) {
    problems.push(`${path}.id: must be 1–64 characters of letters, digits, ".", "_" or "-", starting with a letter or digit`);
  }
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
    problems.push(`${path}.role: unknown role ${JSON.stringify(role)} (expected one of ${ROLES.join(', ')})`);
  }
  const org = checkOrg(raw.org, `${path}.org`, role, problems);
  if (secretHash !== undefined && (typeof secretHash !== 'string' || !parseSecretHash(secretHash))) {
    problems.push(`${path}.secretHash: must be a hash made by "sektorbro hash-secret" (scrypt$<salt>$<hash>)`);
  }
  const jwks = raw.jwks === undefined ? undefined : checkJwks(raw.jwks, `${path}.jwks`, problems);
  if (secretHash === undefined && raw.jwks === undefined) {
    problems.push(`${path}: has no credential (give "secretHash", "jwks" or both)`);
  }
  const allowedScopes = checkScopes(raw.allowedScopes, `${path}.allowedScopes`, problems);
  if (problems.length > before || typeof id !== 'string' || !org) return undefined;
  const r = role as Role;
  return {
    id,
    role: r,
    org,
    secretHash: secretHash as string | undefined,
    jwks,
    allowedScopes: allowedScopes ?? [...DEFAULT_SCOPES[r]],
    demo: false,
  };
}

function checkOrg(raw: unknown, path: string, role: unknown, problems: string[]): Organisation | undefined {
  if (!isObject(raw)) {
    problems.push(`${path}: must be an object with "sor" and "name"`);
    return undefined;
  }
  const before = problems.length;
  unknownKeys(raw, ORG_KEYS, path, problems);
  const { sor, name, gln, kommunekode } = raw;
  if (typeof sor !== 'string' || !SOR.test(sor)) problems.push(`${path}.sor: must be a SOR code of 11–18 digits`);
  if (typeof name !== 'string' || name.trim() === '') problems.push(`${path}.name: must be a non-empty string`);
  if (gln !== undefined && (typeof gln !== 'string' || !isGln(gln))) {
    problems.push(`${path}.gln: must be a GLN of 13 digits with a valid GS1 check digit`);
  }
  if (kommunekode !== undefined) {
    if (typeof kommunekode !== 'string' || !KOMMUNEKODE.test(kommunekode)) problems.push(`${path}.kommunekode: must be 4 digits, e.g. "0163"`);
    else if (role !== 'municipality') problems.push(`${path}.kommunekode: only municipality clients have a kommunekode`);
  }
  if (problems.length > before) return undefined;
  const org: Organisation = { sor: sor as string, name: (name as string).trim() };
  if (gln !== undefined) org.gln = gln as string;
  if (kommunekode !== undefined) org.kommunekode = kommunekode as string;
  return org;
}

/** GS1 mod-10 check over the 13 digits of a GLN. */
function isGln(gln: string): boolean {
  if (!/^\d{13}$/.test(gln)) return false;
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(gln[i]) * (i % 2 === 0 ? 1 : 3);
  return (10 - (sum % 10)) % 10 === Number(gln[12]);
}

function checkScopes(raw: unknown, path: string, problems: string[]): string[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push(`${path}: must be a non-empty array of SMART system scopes`);
    return undefined;
  }
  const out: string[] = [];
  raw.forEach((s: unknown, i) => {
    if (typeof s !== 'string') {
      problems.push(`${path}[${i}]: must be a string`);
      return;
    }
    try {
      parseScope(s);
      out.push(s);
    } catch (err) {
      if (!(err instanceof ScopeError)) throw err;
      problems.push(`${path}[${i}]: ${err.message}`);
    }
  });
  return out;
}

/** JWK members that only private or symmetric keys have. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const KEY_ALGS = new Set(['RS256', 'RS384', 'ES256', 'ES384']);
const EC_CURVES = new Set(['P-256', 'P-384']);
/** RSA keys shorter than this are refused (NIST SP 800-57). */
const MIN_RSA_BITS = 2048;

function checkJwks(raw: unknown, path: string, problems: string[]): { keys: Record<string, unknown>[] } | undefined {
  if (!isObject(raw) || !Array.isArray(raw.keys) || raw.keys.length === 0) {
    problems.push(`${path}: must be a JWK set {"keys": [...]} with at least one public key`);
    return undefined;
  }
  const keys: Record<string, unknown>[] = [];
  const kids = new Set<string>();
  raw.keys.forEach((key: unknown, i) => {
    const at = `${path}.keys[${i}]`;
    if (!isObject(key)) {
      problems.push(`${at}: must be a JWK object`);
      return;
    }
    const privateMember = PRIVATE_MEMBERS.find((m) => m in key);
    if (privateMember !== undefined) {
      problems.push(`${at}.${privateMember}: private or symmetric key material must never be registered; give the public key only`);
      return;
    }
    const problem = checkPublicKey(key);
    if (problem !== undefined) problems.push(`${at}${problem}`);
    else if (typeof key.kid === 'string') {
      if (kids.has(key.kid)) problems.push(`${at}.kid: "${key.kid}" is used by more than one key`);
      kids.add(key.kid);
      keys.push({ ...key });
    }
  });
  return { keys };
}

/** Returns a problem (starting with the member path) or undefined for a usable public signing key. */
function checkPublicKey(key: Record<string, unknown>): string | undefined {
  if (typeof key.kid !== 'string' || key.kid === '') return '.kid: every key needs a "kid" so assertions can name it';
  if (key.kty !== 'RSA' && key.kty !== 'EC') return '.kty: must be "RSA" or "EC"';
  if (key.kty === 'EC' && (typeof key.crv !== 'string' || !EC_CURVES.has(key.crv))) return '.crv: must be "P-256" or "P-384"';
  if (key.use !== undefined && key.use !== 'sig') return '.use: must be "sig"';
  if (key.alg !== undefined && (typeof key.alg !== 'string' || !KEY_ALGS.has(key.alg))) {
    return `.alg: must be one of ${[...KEY_ALGS].join(', ')}`;
  }
  if (key.key_ops !== undefined && (!Array.isArray(key.key_ops) || !key.key_ops.includes('verify'))) {
    return '.key_ops: must include "verify"';
  }
  try {
    const publicKey = createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
    const bits = publicKey.asymmetricKeyDetails?.modulusLength;
    if (key.kty === 'RSA' && (bits === undefined || bits < MIN_RSA_BITS)) return `: RSA keys must have at least ${MIN_RSA_BITS} bits`;
  } catch {
    return ': is not a valid public key';
  }
  return undefined;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
