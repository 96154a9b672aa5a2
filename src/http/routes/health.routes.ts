import { Router } from 'express';
import type { AppDeps } from '../deps.ts';

/** Liveness and readiness; open to all, and they reveal nothing but the backends in use. */
export function healthRouter(deps: AppDeps): Router {
  const router = Router();
  router.get('/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/ready', async (_req, res) => {
    const problems: string[] = [];
    if (!deps.isAcceptingTraffic()) problems.push('shutting down');
    await deps.store.ping().catch(() => problems.push('storage unreachable'));
    await deps.queue.ping().catch(() => problems.push('queue unreachable'));
    res.status(problems.length === 0 ? 200 : 503).json({
      status: problems.length === 0 ? 'ok' : 'unavailable',
      storage: deps.store.kind,
      queue: deps.queue.kind,
      ...(problems.length > 0 ? { problems } : {}),
    });
  });
  return router;
}
