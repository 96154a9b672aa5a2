import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type RequestHandler } from 'express';
import type { AppDeps } from '../deps.ts';

const PAGES_DIR = dirname(fileURLToPath(import.meta.url));
const ASSETS_DIR = join(PAGES_DIR, 'assets');

/**
 * chart.js's UMD build, from the installed package (a dependency), never from a CDN. The package's
 * `exports` do not list the UMD file, so it is found beside the entry point `require` resolves.
 */
export const CHART_JS_PATH = join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.js');

/**
 * Everything the pages load comes from this origin: scripts and styles from files (no inline code,
 * no inline style attributes), data from /api. Nothing may frame the pages.
 */
export const PAGES_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', PAGES_CSP);
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  // The shells and assets hold no patient data: revalidating them is enough (the app default is no-store).
  res.setHeader('Cache-Control', 'no-cache');
  next();
};

/** A page shell, read once at start-up; whether the demo clients exist decides if the sign-in form hints at them. */
function pageShell(file: string, demoClients: boolean): string {
  return readFileSync(join(PAGES_DIR, file), 'utf8').replace('__DEMO_CLIENTS__', String(demoClients));
}

/**
 * The quality dashboard (issue #7) and the department overview (issue #8):
 * - `GET /quality`: KPI trend, breakdowns, overdue list, drill-down to discharges and delivery timelines;
 * - `GET /responsibility/department?sor=<sor>`: the patients a department holds responsibility for now;
 * - `GET /assets/...`: the pages' own scripts and styles, and `GET /assets/vendor/chart.umd.js`.
 *
 * These are served without a token: the shells and assets carry no patient data. Every number and
 * every patient the pages show comes from the authenticated /api calls the browser makes with the
 * token it gets at /oauth/token after the user signs in.
 */
export function pagesRouter(deps: AppDeps): Router {
  const router = Router();
  const quality = pageShell('quality.html', deps.config.auth.demoClients);
  const department = pageShell('department.html', deps.config.auth.demoClients);

  router.get('/quality', securityHeaders, (_req, res) => {
    res.type('html').send(quality);
  });
  router.get('/responsibility/department', securityHeaders, (_req, res) => {
    res.type('html').send(department);
  });
  router.get('/assets/vendor/chart.umd.js', securityHeaders, (_req, res, next) => {
    res.type('text/javascript').sendFile(CHART_JS_PATH, { cacheControl: false }, (err) => {
      if (err) next(err);
    });
  });
  // Unknown asset names fall through to the app's 404; no directory listings, no dotfiles.
  router.use('/assets', securityHeaders, express.static(ASSETS_DIR, { index: false, redirect: false, dotfiles: 'ignore', fallthrough: true, cacheControl: false }));
  return router;
}
