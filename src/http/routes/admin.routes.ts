import { Router } from 'express';
import { forbidden } from '../../shared/index.ts';
import type { Principal } from '../../auth/index.ts';
import type { AppDeps } from '../deps.ts';
import { authenticate, rateLimitPerClient } from '../middleware.ts';
import { setAuditIntent, type Auditor } from '../audit.ts';
import { deliveriesRouter } from './deliveries.routes.ts';

/** Operator API. Clients are configuration (CLIENTS_FILE); admin can see who is registered, never secrets. */
export function adminRouter(deps: AppDeps, auditor: Auditor): Router {
  const { config } = deps;
  const router = Router();
  router.use((req, res, next) => {
    // Delivery timelines, timeliness rows and responsibility answers are patient data: their refusals (401/403) are audited like /fhir's.
    if (req.path.startsWith('/deliveries')) setAuditIntent(res, { action: 'R', interaction: 'search-type', resourceType: 'DocumentReference', entities: [], query: undefined });
    if (req.path.startsWith('/responsibility') || req.path.startsWith('/timeliness')) setAuditIntent(res, { action: 'R', interaction: 'search-type', resourceType: 'Patient', entities: [], query: undefined });
    next();
  });
  router.use(authenticate({ secret: config.auth.tokenSigningSecret, issuer: config.publicBaseUrl, registry: deps.clients, clock: deps.clock }));
  router.use(rateLimitPerClient(config.limits.rateLimitPerMinute));
  router.use(deliveriesRouter(deps, auditor));
  router.get('/clients', (_req, res) => {
    const principal = res.locals.principal as Principal;
    if (principal.role !== 'admin') throw forbidden('Only admin clients may list clients');
    res.json({
      clients: deps.clients.list().map((c) => ({
        id: c.id,
        role: c.role,
        org: c.org,
        authMethods: [...(c.secretHash ? ['client_secret_basic', 'client_secret_post'] : []), ...(c.jwks ? ['private_key_jwt'] : [])],
        allowedScopes: c.allowedScopes,
        demo: c.demo,
      })),
    });
  });
  return router;
}
