import type { Writable } from 'node:stream';
import winston from 'winston';
import { currentContext } from './context.ts';

export type Logger = winston.Logger;
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/**
 * A CPR number (DDMMYY-SSSS or DDMMYYSSSS, also the replacement-CPR shapes) anywhere in a string.
 * Logs must never carry one (DEVELOPERS.md); call sites log ids and codes only, and this is
 * the safety net for what slips through, e.g. an identifier inside an error message.
 */
const CPR_LIKE = /(?<!\d)(0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])\d{2}-?[\dA-Z]{4}(?![\dA-Za-z])/g;

/** Keys whose values are payload or free text: dropped whole rather than scrubbed. */
const PAYLOAD_KEYS = new Set(['body', 'content', 'text', 'div', 'data', 'payload', 'resource', 'query', 'params']);

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(CPR_LIKE, '[cpr]');
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return { name: value.name, message: redact(value.message, depth + 1), code: (value as { code?: unknown }).code };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = PAYLOAD_KEYS.has(k) ? '[omitted]' : redact(v, depth + 1);
  return out;
}

const redactFormat = winston.format((info) => {
  const ctx = currentContext();
  if (ctx) {
    info.requestId ??= ctx.requestId;
    if (ctx.clientId) info.clientId ??= ctx.clientId;
  }
  for (const key of Object.keys(info)) {
    info[key] = PAYLOAD_KEYS.has(key) ? '[omitted]' : redact(info[key]);
  }
  return info;
});

export interface LoggerOptions {
  level: LogLevel;
  /** Tests pass a stream to read what was logged; otherwise stdout. */
  stream?: Writable;
  silent?: boolean;
}

export function createLogger(opts: LoggerOptions): Logger {
  const transport = new winston.transports.Stream({ stream: opts.stream ?? process.stdout });
  return winston.createLogger({
    level: opts.level,
    silent: opts.silent ?? false,
    defaultMeta: { service: 'sektorbro' },
    format: winston.format.combine(winston.format.timestamp(), redactFormat(), winston.format.json()),
    // winston's typings declare StreamTransportInstance apart from TransportStream though it extends it at runtime.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    transports: [transport],
  });
}
