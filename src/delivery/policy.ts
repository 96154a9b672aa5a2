import type { DeliverySettings } from '../config/index.ts';

/**
 * The wait before attempt `attempt + 1` after `attempt` transient failures: exponential, capped,
 * with "equal jitter" (half fixed, half random) so that receivers coming back from an outage are
 * not hit by every waiting sender in the same second, and no retry ever fires at once.
 */
export function backoffMs(attempt: number, policy: Pick<DeliverySettings, 'retryBaseMs' | 'retryMaxDelayMs'>, random: () => number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 40);
  const ceiling = Math.min(policy.retryMaxDelayMs, policy.retryBaseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** `Retry-After` (seconds or an HTTP date) as milliseconds from `now`, when the receiver sent one. */
export function retryAfterMs(header: string | null, now: Date): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
