import express, { Router } from 'express';
import { authenticateClient, issueAccessToken, OAuthError } from '../../auth/index.ts';
import type { AppDeps } from '../deps.ts';
import { rateLimitPerClient } from '../middleware.ts';

/** OAuth2 client-credentials token endpoint (RFC 6749 §4.4; SMART Backend Services). */
export function oauthRouter(deps: AppDeps): Router {
  const { config, clients, store, clock, logger } = deps;
  const router = Router();
  const tokenEndpointUrl = `${config.publicBaseUrl}/oauth/token`;
  router.post('/token', rateLimitPerClient(config.limits.rateLimitPerMinute), express.urlencoded({ extended: false, limit: '64kb' }), async (req, res) => {
    const ct = (req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (ct !== 'application/x-www-form-urlencoded') {
      throw new OAuthError('invalid_request', 'The token request must be application/x-www-form-urlencoded');
    }
    const form = Object.fromEntries(
      Object.entries((req.body ?? {}) as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
    const client = await authenticateClient(
      { grantType: form.grant_type, form, authorization: req.header('authorization') },
      { registry: clients, jti: store.jti, tokenEndpointUrl, clock },
    );
    const token = await issueAccessToken(client, form.scope, {
      secret: config.auth.tokenSigningSecret,
      ttlSeconds: config.auth.tokenTtlSeconds,
      issuer: config.publicBaseUrl,
      clock,
    });
    logger.info('oauth.token-issued', { clientId: client.id, role: client.role });
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    res.status(200).json(token);
  });
  return router;
}
