import { createConnection } from 'node:net';
import { it } from 'vitest';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/** True when something answers on the Redis URL's port. */
async function reachable(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: u.hostname, port: Number(u.port || 6379) });
    socket.setTimeout(2000);
    socket.once('connect', () => { socket.end(); resolve(true); });
    socket.once('error', () => { resolve(false); });
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
}

/**
 * Whether Redis suites run. Unreachable Redis skips them with a note, unless
 * SEKTORBRO_REQUIRE_SERVICES=1 (CI), where a failing test is registered instead of a silent skip.
 */
export async function redisAvailable(): Promise<boolean> {
  if (await reachable(TEST_REDIS_URL)) return true;
  if (process.env.SEKTORBRO_REQUIRE_SERVICES === '1') {
    it(`when SEKTORBRO_REQUIRE_SERVICES=1, then Redis answers at ${TEST_REDIS_URL}`, () => {
      throw new Error(`Redis is required but not reachable at ${TEST_REDIS_URL}`);
    });
  } else {
    console.warn(`[redis tests] Redis is not reachable at ${TEST_REDIS_URL}: BullMQ runs skipped`);
  }
  return false;
}
