import type { Clock } from '../shared/index.ts';
import type { Db, JtiRepository } from './ports.ts';

/** Expired jti rows are purged at most this often, piggybacking on a claim. */
const PURGE_INTERVAL_MS = 60_000;

/**
 * Replay protection for SMART `private_key_jwt` client assertions: a (client, jti) pair may be
 * claimed once until it expires. Expired pairs may be claimed again, and are purged opportunistically.
 */
export function createJtiRepository(db: Db, clock: Clock): JtiRepository {
  let lastPurge = Number.NEGATIVE_INFINITY;
  return {
    async claim(clientId, jti, expiresAt) {
      const now = clock.now();
      if (now.getTime() - lastPurge >= PURGE_INTERVAL_MS) {
        lastPurge = now.getTime();
        await db.query('DELETE FROM oauth_jti WHERE expires_at <= $1::timestamptz', [now.toISOString()]);
      }
      const { rows } = await db.query(
        `INSERT INTO oauth_jti (client_id, jti, expires_at) VALUES ($1, $2, $3::timestamptz)
         ON CONFLICT (client_id, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at
           WHERE oauth_jti.expires_at <= $4::timestamptz
         RETURNING jti`,
        [clientId, jti, expiresAt.toISOString(), now.toISOString()],
      );
      return rows.length > 0;
    },
  };
}
