/**
 * Configuration: read from the environment once, at start-up, checked, then passed down.
 * This is the only module that reads `process.env` (house-style §2).
 */
import { parseCalendarId, parseDeadlineRule, DEFAULT_TIMELINESS_SETTINGS, DEADLINE_RULE_SPECS, type TimelinessSettings } from '../timeliness/index.ts';

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
  delivery: DeliverySettings;
  /** The epikrise timeliness indicator and its alerts (issue #7). */
  timeliness: TimelinessSettings;
}

/** How deliveries are pushed, retried and paused (issue #6; MedCom resend rules from medcom.md §6). */
export interface DeliverySettings {
  /** One HTTP attempt's time limit. */
  timeoutMs: number;
  /** First retry delay; doubled per attempt, with jitter. */
  retryBaseMs: number;
  retryMaxDelayMs: number;
  /** Transient failures are retried this long after routing (or replay), then dead-lettered. */
  giveUpAfterMs: number;
  /** No MedCom acknowledgement by then: resend with the same MessageHeader.id. */
  ackTimeoutMs: number;
  /** Resends of a message the receiver already had (missing ack, transient-error) before it is dead-lettered. */
  maxResends: number;
  /** Consecutive transient failures that pause a recipient, and for how long. */
  circuitFailureThreshold: number;
  circuitOpenMs: number;
  /** How often a dispatcher looks for due deliveries. */
  pollMs: number;
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
  { name: 'DELIVERY_TIMEOUT_MS', doc: 'Time limit of one push to a receiver.', default: '30000' },
  { name: 'DELIVERY_RETRY_BASE_MS', doc: 'First retry delay after a transient failure; doubled per attempt (with jitter) up to `DELIVERY_RETRY_MAX_DELAY_MS`.', default: '30000' },
  { name: 'DELIVERY_RETRY_MAX_DELAY_MS', doc: 'Longest delay between two attempts.', default: '3600000 (1 h)' },
  { name: 'DELIVERY_GIVE_UP_AFTER_HOURS', doc: 'How long transient failures are retried before the delivery is dead-lettered.', default: '72' },
  { name: 'MEDCOM_ACK_TIMEOUT_MS', doc: 'No MedCom acknowledgement within this time: resend with the same MessageHeader.id.', default: '1800000 (30 min)' },
  { name: 'MEDCOM_MAX_RESENDS', doc: 'Resends after a missing acknowledgement or a `transient-error` before a person is asked.', default: '2' },
  { name: 'CIRCUIT_FAILURE_THRESHOLD', doc: 'Consecutive transient failures that pause a receiver.', default: '5' },
  { name: 'CIRCUIT_OPEN_MS', doc: 'How long a failing receiver is paused before one probe is let through.', default: '60000' },
  { name: 'DELIVERY_POLL_MS', doc: 'How often due deliveries are looked for.', default: '250' },
  { name: 'TIMELINESS_CALENDAR', doc: 'Working-day calendar of new timeliness expectations: `dk-strict` (also 5/6, 24/12, 31/12 off) or `dk-public`.', default: 'dk-strict' },
  { name: 'TIMELINESS_RULE', doc: 'Epikrise deadline rule of new expectations: `next-working-day`, `rh-2015` or `working-days:N`.', default: 'next-working-day' },
  { name: 'TIMELINESS_AT_RISK_HOURS', doc: 'An unsent document is *at risk* this many hours before it is due.', default: '4' },
  { name: 'TIMELINESS_TARGET', doc: 'The indicator\'s target share on time, from 0 to 1.', default: '0.9' },
  { name: 'TIMELINESS_CLOCK', doc: 'What the indicator measures: `sent` (Sektorbro dispatched it) or `delivered` (the receiver acknowledged it).', default: 'sent' },
  { name: 'TIMELINESS_ALERT_WEBHOOK', doc: 'URL that gets a JSON POST once per overdue document; unset: the log line only.', default: '(unset: log only)' },
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

  const calendarRaw = str('TIMELINESS_CALENDAR');
  const calendar = calendarRaw === undefined ? DEFAULT_TIMELINESS_SETTINGS.calendar : parseCalendarId(calendarRaw);
  if (calendar === undefined) problems.push(`TIMELINESS_CALENDAR must be dk-strict or dk-public (got "${calendarRaw ?? ''}")`);
  const ruleRaw = str('TIMELINESS_RULE');
  let rule = DEFAULT_TIMELINESS_SETTINGS.rule;
  if (ruleRaw !== undefined) {
    try {
      rule = parseDeadlineRule(ruleRaw);
    } catch {
      problems.push(`TIMELINESS_RULE must be ${DEADLINE_RULE_SPECS} (got "${ruleRaw}")`);
    }
  }
  const targetRaw = str('TIMELINESS_TARGET');
  const target = targetRaw === undefined ? DEFAULT_TIMELINESS_SETTINGS.target : Number(targetRaw);
  if (!Number.isFinite(target) || target <= 0 || target > 1) problems.push(`TIMELINESS_TARGET must be a number above 0 and at most 1 (got "${targetRaw ?? ''}")`);

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
    delivery: {
      timeoutMs: int('DELIVERY_TIMEOUT_MS', 30_000, 100, 600_000),
      retryBaseMs: int('DELIVERY_RETRY_BASE_MS', 30_000, 1, 86_400_000),
      retryMaxDelayMs: int('DELIVERY_RETRY_MAX_DELAY_MS', 3_600_000, 1, 7 * 86_400_000),
      giveUpAfterMs: int('DELIVERY_GIVE_UP_AFTER_HOURS', 72, 1, 24 * 90) * 3_600_000,
      ackTimeoutMs: int('MEDCOM_ACK_TIMEOUT_MS', 1_800_000, 100, 7 * 86_400_000),
      maxResends: int('MEDCOM_MAX_RESENDS', 2, 0, 100),
      circuitFailureThreshold: int('CIRCUIT_FAILURE_THRESHOLD', 5, 1, 10_000),
      circuitOpenMs: int('CIRCUIT_OPEN_MS', 60_000, 10, 86_400_000),
      pollMs: int('DELIVERY_POLL_MS', 250, 10, 60_000),
    },
    timeliness: {
      calendar: calendar ?? DEFAULT_TIMELINESS_SETTINGS.calendar,
      rule,
      atRiskHours: int('TIMELINESS_AT_RISK_HOURS', DEFAULT_TIMELINESS_SETTINGS.atRiskHours, 0, 24 * 30),
      target: Number.isFinite(target) ? target : DEFAULT_TIMELINESS_SETTINGS.target,
      clock: oneOf('TIMELINESS_CLOCK', ['sent', 'delivered'], DEFAULT_TIMELINESS_SETTINGS.clock),
      alertWebhook: url('TIMELINESS_ALERT_WEBHOOK', ['http:', 'https:']),
    },
  };
  if (config.delivery.retryBaseMs > config.delivery.retryMaxDelayMs) {
    problems.push('DELIVERY_RETRY_BASE_MS must not exceed DELIVERY_RETRY_MAX_DELAY_MS');
  }
  if (config.limits.searchDefaultCount > config.limits.searchMaxCount) {
    problems.push('SEARCH_DEFAULT_COUNT must not exceed SEARCH_MAX_COUNT');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
