import express, { type Express } from 'express';
import { forbidden, GatewayError } from '../shared/index.ts';
import { createAuditor } from './audit.ts';
import { buildSmartConfiguration } from './capability-statement.ts';
import type { AppDeps } from './deps.ts';
import { createErrorHandler } from './error-handler.ts';
import { authenticate, requestContext } from './middleware.ts';
import type { Principal } from '../auth/index.ts';
import { adminRouter } from './routes/admin.routes.ts';
import { fhirRouter } from './routes/fhir.routes.ts';
import { healthRouter } from './routes/health.routes.ts';
import { ingestRouter } from './routes/ingest.routes.ts';
import { oauthRouter } from './routes/oauth.routes.ts';
import { pagesRouter } from './pages/pages.routes.ts';
import { demoReceiverRouter } from './routes/demo-receiver.routes.ts';
import { responsibilityRouter } from './routes/responsibility.routes.ts';
import { timelinessRouter } from './routes/timeliness.routes.ts';

/** The express application: thin routes over the capabilities, one error handler at the end. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  const auditor = createAuditor(deps);
  app.disable('x-powered-by');
  app.set('etag', false); // FHIR ETags are version ids, set by the routes
  app.use(requestContext(deps.logger));
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.use('/health', healthRouter(deps));
  const smart = buildSmartConfiguration(deps.config.publicBaseUrl);
  app.get(['/.well-known/smart-configuration', '/fhir/.well-known/smart-configuration'], (_req, res) => {
    res.json(smart);
  });
  app.use('/oauth', oauthRouter(deps));
  app.use('/fhir', fhirRouter(deps, auditor));
  app.use('/ingest', ingestRouter(deps, auditor));
  app.use('/api', adminRouter(deps, auditor));
  app.use('/api', timelinessRouter(deps, auditor));
  app.use('/api', responsibilityRouter(deps, auditor));
  // Prometheus scrapes with a token too (its scrape config supports OAuth2 client credentials).
  app.get('/metrics', authenticate({ secret: deps.config.auth.tokenSigningSecret, issuer: deps.config.publicBaseUrl, registry: deps.clients, clock: deps.clock }), async (_req, res) => {
    const principal = res.locals.principal as Principal;
    if (principal.role !== 'admin' && principal.role !== 'quality') throw forbidden('Only admin and quality clients may read metrics');
    res.type(deps.metrics.contentType).send(await deps.metrics.metrics());
  });
  app.use(pagesRouter(deps));
  if (deps.demoReceiverToken) app.use(demoReceiverRouter(deps, deps.demoReceiverToken));
  app.use((req, _res, next) => {
    next(new GatewayError('http.no-route', 404, [{ severity: 'error', code: 'not-found', diagnostics: `No route for ${req.method} ${req.path}` }]));
  });
  app.use(createErrorHandler(deps.logger, auditor));
  return app;
}
