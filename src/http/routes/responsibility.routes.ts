import express, { Router, type RequestHandler, type Response } from 'express';
import { mayExtendResponsibility, mayInteract, mayRead, type Principal } from '../../auth/index.ts';
import { departmentOverview, extendResponsibility, findPatientByCpr, parseInstant, responsibilityFor, responsibilityReport } from '../../responsibility/index.ts';
import { badRequest, forbidden, GatewayError, notFound, SYSTEM } from '../../shared/index.ts';
import { readJsonRequest } from '../json-body.ts';
import { setAuditIntent, type Auditor } from '../audit.ts';
import type { AppDeps } from '../deps.ts';
import { authenticate } from '../middleware.ts';

const SOR = /^\d{11,18}$/;
/** CPR as DDMMYYSSSS, optionally with the usual hyphen; never checked by modulus 11 (domain.md §5). */
const CPR = /^(\d{6})-?(\d{4})$/;
const CPR_PREFIX = `${SYSTEM.cpr}|`;
const MAX_REPORT_DAYS = 366;
const DAY_MS = 86_400_000;
const MAX_REASON = 500;

/** One query parameter as a single string; a repeated parameter is a client error. */
function single(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badRequest(`Give ${name} once`, [name]);
  return value;
}

/** The CPR number of `patient` (plain, hyphenated or as `urn:oid:1.2.208.176.1.2|<cpr>`); the error never echoes it. */
function readCpr(value: unknown): string {
  const raw = single(value, 'patient')?.trim();
  if (raw === undefined || raw === '') throw badRequest('Give the patient\'s CPR number: ?patient=<cpr>', ['patient'], 'required');
  const m = CPR.exec(raw.startsWith(CPR_PREFIX) ? raw.slice(CPR_PREFIX.length) : raw);
  if (m === null) throw badRequest('patient must be a CPR number of 10 digits (DDMMYYSSSS)', ['patient']);
  return `${m[1] ?? ''}${m[2] ?? ''}`;
}

/** An ISO 8601 date-time with an offset; a time without one is refused, never guessed (domain.md §1.3). */
function readInstant(value: unknown, name: string, required: boolean): Date | undefined {
  const raw = single(value, name);
  if (raw === undefined) {
    if (required) throw badRequest(`Give ${name} as an ISO 8601 date-time with an offset`, [name], 'required');
    return undefined;
  }
  const instant = parseInstant(raw);
  if (instant === undefined) throw badRequest(`${name} must be an ISO 8601 date-time with an offset, e.g. 2026-03-02T10:00:00+01:00`, [name]);
  return instant;
}

/**
 * Treatment responsibility (*behandlingsansvar*, issue #8):
 * - `GET /api/responsibility?patient=<cpr>[&at=<ISO 8601>]`: who holds it at `at` (default now),
 *   from and until when, whether the answer rests on an inferred fact, and its basis. Hospital,
 *   municipality, GP and admin clients; a patient the caller may not see answers 404 as if absent.
 * - `GET /api/responsibility/department/<sor>`: the patients the department holds it for now, with
 *   the time left and the municipality involved. A hospital client for its own SOR unit, admin and
 *   quality. The CPR is shown to the hospital (it holds the responsibility) and to admin; quality
 *   staff see the patient id only (they see no patient data, issue #3).
 * - `POST /api/responsibility/extension` `{"patient", "until", "reason"?}`: the department holding
 *   the window now extends it (never shortens it); answers like `GET /api/responsibility` at now.
 *   Hospital clients with `system/EpisodeOfCare.u`, for a window their own SOR unit holds; a refusal
 *   is a 422 naming the field (`patient`: not the holder; `until`: earlier, or over 14 days ahead).
 * - `GET /api/responsibility/report?from=&to=`: discharges in the range after which no holder can
 *   be named (no GP known), and any patient whose periods overlap. Admin and quality.
 * Every access is audited; the CPR goes into the audit record's query, never into a log line.
 */
export function responsibilityRouter(deps: AppDeps, auditor: Auditor): Router {
  const { store } = deps;
  const router = Router();
  const auth = authenticate({ secret: deps.config.auth.tokenSigningSecret, issuer: deps.config.publicBaseUrl, registry: deps.clients, clock: deps.clock });

  const queryOf = (url: string): string | undefined => {
    const i = url.indexOf('?');
    return i < 0 ? undefined : url.slice(i + 1);
  };
  // The intent comes first so that refused requests (401, 403, 404) are audited too.
  router.use('/responsibility', (req, res, next) => {
    setAuditIntent(res, { action: 'R', interaction: 'search-type', resourceType: 'Patient', entities: [], query: queryOf(req.originalUrl) });
    next();
  });
  // Behind the admin router the caller is authenticated already; mounted alone, this router does it.
  const authenticated: RequestHandler = async (req, res, next) => {
    if (res.locals.principal === undefined) await auth(req, res, next);
    else next();
  };
  router.use('/responsibility', authenticated);

  const principalOf = (res: Response): Principal => res.locals.principal as Principal;

  router.get('/responsibility', async (req, res) => {
    const principal = principalOf(res);
    if (principal.role === 'quality' || principal.role === 'relay') {
      throw forbidden(`The ${principal.role} role may not ask who holds responsibility for a patient`);
    }
    mayInteract(principal, 'Patient', 'r');
    const cpr = readCpr(req.query.patient);
    const at = readInstant(req.query.at, 'at', false) ?? deps.clock.now();
    const patient = await findPatientByCpr(store, cpr);
    // As if absent: whether a patient is known to Sektorbro is itself patient data.
    if (patient === undefined || !mayRead(principal, patient)) throw notFound('The patient');
    const answer = await responsibilityFor(store, patient.id, at, { patient });
    await auditor.success(res, 200, [`Patient/${patient.id}`]);
    res.json(answer);
  });

  router.get('/responsibility/department/:sor', async (req, res) => {
    const principal = principalOf(res);
    const { role } = principal;
    if (role !== 'hospital' && role !== 'admin' && role !== 'quality') {
      throw forbidden('Only hospital (for their own department), admin and quality clients may list a department\'s patients');
    }
    const sor = req.params.sor;
    if (!SOR.test(sor)) throw badRequest('sor must be a SOR code of 11–18 digits', ['sor']);
    if (role === 'hospital' && sor !== principal.org.sor) {
      throw forbidden(`A hospital client sees its own department only (SOR ${principal.org.sor})`);
    }
    const overview = await departmentOverview(store, sor, deps.clock.now(), { includeCpr: role !== 'quality' });
    await auditor.success(res, 200, overview.patients.map((p) => `Patient/${p.patient.id}`));
    res.json(overview);
  });

  router.post('/responsibility/extension', express.raw({ type: () => true, limit: deps.config.limits.bodyBytes }), async (req, res) => {
    const principal = principalOf(res);
    setAuditIntent(res, { action: 'U', interaction: 'operation', resourceType: 'EpisodeOfCare', entities: [], query: undefined });
    mayExtendResponsibility(principal);
    const body = readJsonRequest(req.header('content-type'), req.body, deps.config.limits.jsonMaxDepth);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('The body must be a JSON object: {"patient": "<cpr>", "until": "<ISO 8601>", "reason": "..."}', undefined, 'structure');
    const input = body as Record<string, unknown>;
    const unknown = Object.keys(input).filter((k) => !['patient', 'until', 'reason'].includes(k));
    if (unknown.length > 0) throw badRequest(`Unknown field ${unknown[0] ?? ''}: the fields are patient, until and reason`, [unknown[0] ?? '']);
    const cpr = readCpr(input.patient);
    const until = readInstant(input.until, 'until', true) ?? deps.clock.now();
    if (input.reason !== undefined && (typeof input.reason !== 'string' || input.reason.length > MAX_REASON)) {
      throw badRequest(`reason must be text of at most ${String(MAX_REASON)} characters`, ['reason']);
    }
    const patient = await findPatientByCpr(store, cpr);
    if (patient === undefined || !mayRead(principal, patient)) throw notFound('The patient');
    const now = deps.clock.now();
    const result = await store.transaction(async (tx) => {
      const r = await extendResponsibility(tx, { patientId: patient.id, departmentSor: principal.org.sor, until, clientId: principal.clientId, reason: input.reason as string | undefined, now });
      if (r.outcome !== 'refused') await auditor.success(res, 200, [`Patient/${patient.id}`], tx.audit);
      return r;
    });
    if (result.outcome === 'refused') {
      throw new GatewayError('responsibility.refused', 422, [{ severity: 'error', code: 'business-rule', diagnostics: result.problem, expression: [result.expression] }]);
    }
    if (result.outcome === 'unchanged') res.setHeader('X-Sektorbro-Replay', 'true');
    res.status(200).json(result.answer);
  });

  router.get('/responsibility/report', async (req, res) => {
    const principal = principalOf(res);
    if (principal.role !== 'admin' && principal.role !== 'quality') throw forbidden('Only admin and quality clients may read the responsibility report');
    const from = readInstant(req.query.from, 'from', true);
    const to = readInstant(req.query.to, 'to', true);
    if (from === undefined || to === undefined) throw badRequest('Give from and to', ['from', 'to'], 'required');
    if (to.getTime() <= from.getTime()) throw badRequest('to must be after from', ['to']);
    if (to.getTime() - from.getTime() > MAX_REPORT_DAYS * DAY_MS) throw badRequest(`The range may span at most ${String(MAX_REPORT_DAYS)} days`, ['to']);
    const report = await responsibilityReport(store, from, to, { includeCpr: principal.role === 'admin' });
    const patients = [...new Set([...report.unresolved, ...report.conflicts].map((r) => `Patient/${r.patient.id}`))];
    await auditor.success(res, 200, patients);
    res.json(report);
  });
  return router;
}
