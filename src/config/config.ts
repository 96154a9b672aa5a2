/**
 * Configuration: read from the environment once, at start-up, checked, then passed down.
 * This is the only module that reads `process.env` (house-style §2).
 */
export type NodeEnv = 'development' | 'production' | 'test';

export interface Config {
  nodeEnv: NodeEnv;
  host: string;
  port: number;
  /** Base URL clients see; used in paging links and as the token endpoint audience. */
  publicBaseUrl: string;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  storage: { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; url: string };
  queue: { kind: 'inprocess' } | { kind: 'bullmq'; url: string };
  auth: {
    tokenSigningSecret: string;
    tokenTtlSeconds: number;
    clientsFile: string | undefined;
    demoClients: boolean;
  };
  limits: {
    bodyBytes: number;
    jsonMaxDepth: number;
    rateLimitPerMinute: number;
    searchDefaultCount: number;
    searchMaxCount: number;
  };
  shutdownTimeoutMs: number;
}

/** The development signing secret. Production refuses to start with it. */
export const DEV_TOKEN_SIGNING_SECRET = 'sektorbro-development-only-signing-secret-do-not-use';

export interface Setting {
  name: string;
  doc: string;
  default: string;
}

/** Every environment variable Sektorbro reads, with its default; the README table mirrors this list. */
export const SETTINGS: readonly Setting[] = [
  { name: 'NODE_ENV', doc: '`development`, `test` or `production`. Production refuses demo clients and default secrets.', default: 'development' },
  { name: 'HOST', doc: 'Interface the HTTP server binds to.', default: '127.0.0.1' },
  { name: 'PORT', doc: 'HTTP port.', default: '8080' },
  { name: 'PUBLIC_BASE_URL', doc: 'Base URL as clients reach the gateway (paging links, token audience).', default: 'http://localhost:<PORT>' },
  { name: 'LOG_LEVEL', doc: '`error`, `warn`, `info` or `debug`.', default: 'info' },
  { name: 'DATABASE_URL', doc: 'PostgreSQL connection string. When unset, embedded PGlite is used.', default: '(unset: PGlite)' },
  { name: 'DATA_DIR', doc: 'Folder for the embedded PGlite database.', default: './data' },
  { name: 'REDIS_URL', doc: 'Redis connection string for BullMQ. When unset, an in-process queue is used.', default: '(unset: in-process)' },
  { name: 'TOKEN_SIGNING_SECRET', doc: 'HMAC secret (at least 32 characters) that signs access tokens. Must be set in production.', default: '(development secret)' },
  { name: 'TOKEN_TTL_SECONDS', doc: 'Access-token lifetime (SMART Backend Services recommends 300).', default: '300' },
  { name: 'CLIENTS_FILE', doc: 'JSON file with the registered OAuth2 clients (see README, "Clients").', default: '(unset)' },
  { name: 'DEMO_CLIENTS', doc: 'Seed the demo clients (`true`/`false`). Not allowed in production.', default: 'true outside production' },
  { name: 'BODY_LIMIT_BYTES', doc: 'Largest accepted request body.', default: '10485760 (10 MB)' },
  { name: 'JSON_MAX_DEPTH', doc: 'Deepest accepted JSON nesting.', default: '100' },
  { name: 'RATE_LIMIT_PER_MINUTE', doc: 'Requests per minute per client (per IP on /oauth/token).', default: '1200' },
  { name: 'SEARCH_DEFAULT_COUNT', doc: 'Page size when a search gives no `_count`.', default: '50' },
  { name: 'SEARCH_MAX_COUNT', doc: 'Largest accepted `_count`.', default: '1000' },
  { name: 'SHUTDOWN_TIMEOUT_MS', doc: 'How long a graceful shutdown waits for open requests.', default: '10000' },
];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n- ${problems.join('\n- ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const problems: string[] = [];
  const str = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (/^(true|1|yes)$/i.test(raw)) return true;
    if (/^(false|0|no)$/i.test(raw)) return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
    return fallback;
  };
  const url = (name: string, protocols: string[]): string | undefined => {
    const raw = str(name);
    if (raw === undefined) return undefined;
    try {
      const u = new URL(raw);
      if (!protocols.includes(u.protocol)) problems.push(`${name} must use ${protocols.join(' or ')}`);
    } catch {
      problems.push(`${name} is not a valid URL`);
    }
    return raw;
  };

  const nodeEnv = oneOf<NodeEnv>('NODE_ENV', ['development', 'production', 'test'], 'development');
  const production = nodeEnv === 'production';
  const port = int('PORT', 8080, 0, 65535);
  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = url('REDIS_URL', ['redis:', 'rediss:']);
  const publicBaseUrl = (url('PUBLIC_BASE_URL', ['http:', 'https:']) ?? `http://localhost:${port}`).replace(/\/+$/, '');

  const secret = str('TOKEN_SIGNING_SECRET') ?? DEV_TOKEN_SIGNING_SECRET;
  if (secret.length < 32) problems.push('TOKEN_SIGNING_SECRET must be at least 32 characters');
  if (production && secret === DEV_TOKEN_SIGNING_SECRET) {
    problems.push('TOKEN_SIGNING_SECRET must be set to a secret of your own in production');
  }
  const demoClients = bool('DEMO_CLIENTS', !production);
  if (production && demoClients) problems.push('DEMO_CLIENTS must not be enabled in production');

  const config: Config = {
    nodeEnv,
    host: str('HOST') ?? '127.0.0.1',
    port,
    publicBaseUrl,
    logLevel: oneOf('LOG_LEVEL', ['error', 'warn', 'info', 'debug'], 'info'),
    storage: databaseUrl ? { kind: 'postgres', url: databaseUrl } : { kind: 'pglite', dataDir: str('DATA_DIR') ?? './data' },
    queue: redisUrl ? { kind: 'bullmq', url: redisUrl } : { kind: 'inprocess' },
    auth: {
      tokenSigningSecret: secret,
      tokenTtlSeconds: int('TOKEN_TTL_SECONDS', 300, 30, 86_400),
      clientsFile: str('CLIENTS_FILE'),
      demoClients,
    },
    limits: {
      bodyBytes: int('BODY_LIMIT_BYTES', 10 * 1024 * 1024, 1024, 512 * 1024 * 1024),
      jsonMaxDepth: int('JSON_MAX_DEPTH', 100, 8, 10_000),
      rateLimitPerMinute: int('RATE_LIMIT_PER_MINUTE', 1200, 1, 10_000_000),
      searchDefaultCount: int('SEARCH_DEFAULT_COUNT', 50, 1, 10_000),
      searchMaxCount: int('SEARCH_MAX_COUNT', 1000, 1, 10_000),
    },
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
  };
  if (config.limits.searchDefaultCount > config.limits.searchMaxCount) {
    problems.push('SEARCH_DEFAULT_COUNT must not exceed SEARCH_MAX_COUNT');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
