import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit, ipKeyGenerator } from 'express-rate-limit';
import { verifyAccessToken, type ClientRegistry, type Principal } from '../auth/index.ts';
import { runWithContext, tooManyRequests, unauthenticated, currentContext, type Clock, type Logger } from '../shared/index.ts';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Gives every request an id (the caller's `X-Request-Id` when it is a plain token), runs the rest
 * of the request inside that context so every log line carries it, and writes one access-log line.
 * The line has the path without the query string: queries can hold CPR numbers.
 */
export function requestContext(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.header('x-request-id');
    const requestId = incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    const ctx = { requestId };
    res.on('finish', () => {
      const principal = res.locals.principal as Principal | undefined;
      logger.info('request.completed', {
        requestId,
        clientId: principal?.clientId,
        method: req.method,
        path: req.baseUrl + req.path,
        status: res.statusCode,
        durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
      });
    });
    runWithContext(ctx, next);
  };
}

/** Requires a valid bearer token and puts the Principal in `res.locals.principal`. */
export function authenticate(deps: { secret: string; issuer: string; registry: ClientRegistry; clock: Clock }): RequestHandler {
  return async (req, res, next) => {
    const header = req.header('authorization');
    if (!header) throw unauthenticated('An access token is required (Authorization: Bearer <token>); get one at /oauth/token');
    const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(header);
    if (!match?.[1]) throw unauthenticated('The Authorization header must be "Bearer <token>"');
    const principal = await verifyAccessToken(match[1], deps);
    res.locals.principal = principal;
    const ctx = currentContext();
    if (ctx) ctx.clientId = principal.clientId;
    next();
  };
}

/** Per-client request budget; per IP where no client is known yet (the token endpoint). */
export function rateLimitPerClient(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req: Request, res: Response) => {
      const principal = res.locals.principal as Principal | undefined;
      return principal ? `client:${principal.clientId}` : `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
    },
    handler: (_req: Request, _res: Response, next: NextFunction, options) => {
      next(tooManyRequests(Math.ceil(options.windowMs / 1000)));
    },
  });
}
