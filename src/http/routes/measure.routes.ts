import { Router, type Request, type Response } from 'express';
import type { Principal } from '../../auth/index.ts';
import { badRequest, forbidden, notFound } from '../../shared/index.ts';
import { parseFhirDateRange } from '../../shared/time.ts';
import type { TimelinessKpiRow } from '../../store/index.ts';
import {
  MEASURE_DOCUMENT_TYPE,
  MEASURE_ID,
  MEASURE_URL,
  kpiGroup,
  measureReportId,
  monthPeriod,
  monthsBetween,
  parseMeasureReportId,
  timelinessMeasure,
  toMeasureReport,
  totalGroup,
  type MeasureReportOptions,
} from '../../timeliness/index.ts';
import { setAuditIntent, type Auditor } from '../audit.ts';
import type { AppDeps } from '../deps.ts';
import { FHIR_JSON } from '../error-handler.ts';
import { queryEntries } from '../fhir-bundles.ts';

/** Parameters any FHIR server accepts that say nothing about what to find. */
const FORMAT_PARAMS = new Set(['_format', '_pretty']);
/** A MeasureReport search answers at most this many monthly reports (each is computed on request). */
const MAX_MONTHS = 36;
/** `$evaluate-measure` reportType values meaning "the whole population": R4's name and the MeasureReport.type code. */
const SUMMARY_REPORT_TYPES = ['population', 'summary'];

type Params = Map<string, string[]>;

/** The query as name → values; anything outside `allowed` is a 400, never silently ignored. */
function paramsOf(req: Request, allowed: readonly string[]): Params {
  const out: Params = new Map();
  for (const [k, v] of queryEntries(req)) {
    if (FORMAT_PARAMS.has(k)) continue;
    if (!allowed.includes(k)) throw badRequest(`Unknown parameter ${k}; supported: ${allowed.join(', ')}`, [k], 'not-supported');
    out.set(k, [...(out.get(k) ?? []), v]);
  }
  return out;
}

function single(params: Params, name: string): string | undefined {
  const v = params.get(name);
  if (v === undefined) return undefined;
  if (v.length > 1 || v[0] === undefined) throw badRequest(`Give ${name} once`, [name], 'value');
  return v[0];
}

function dateParam(params: Params, name: string): { low: Date; high: Date } {
  const raw = single(params, name);
  if (raw === undefined) throw badRequest(`${name} is required`, [name], 'required');
  const r = parseFhirDateRange(raw);
  if (!r) throw badRequest(`${name} must be a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD) or dateTime`, [name], 'value');
  return r;
}

/** `measure=` names our Measure: its canonical (optionally `|version`), or a `Measure/<id>` reference. */
const namesOurMeasure = (value: string): boolean => value.split('|')[0] === MEASURE_URL || value === `Measure/${MEASURE_ID}`;

/**
 * Which Copenhagen months a `period` search selects (https://hl7.org/fhir/R4/search.html#date, a
 * month's report covering the whole month): prefixes eq (default), ge, gt, le, lt. A lower bound
 * is required; the upper defaults to, and is capped at, the current month.
 */
function monthsOf(values: readonly string[], now: Date): string[] {
  const tests: ((start: Date, end: Date) => boolean)[] = [];
  let lower: Date | undefined;
  let upper = now;
  for (const value of values) {
    const m = /^(eq|ge|gt|le|lt)?(.+)$/.exec(value);
    const r = m?.[2] === undefined ? undefined : parseFhirDateRange(m[2]);
    if (!m || !r) throw badRequest('period must be [eq|ge|gt|le|lt]<FHIR date>, e.g. period=ge2024-01&period=le2024-06', ['period'], 'value');
    const later = (d: Date): void => { if (lower === undefined || d > lower) lower = d; };
    const earlier = (d: Date): void => { if (d < upper) upper = d; };
    switch (m[1] ?? 'eq') {
      case 'ge': later(r.low); tests.push((_s, e) => e >= r.low); break;
      case 'gt': later(r.high); tests.push((_s, e) => e > r.high); break;
      case 'le': earlier(r.high); tests.push((s) => s <= r.high); break;
      case 'lt': earlier(r.low); tests.push((s) => s < r.low); break;
      default: later(r.low); earlier(r.high); tests.push((s, e) => s >= r.low && e <= r.high);
    }
  }
  if (lower === undefined) throw badRequest('period needs a lower bound: period=ge<date> (or eq, gt)', ['period'], 'required');
  if (lower > upper) return [];
  const months = monthsBetween(lower, upper);
  if (months.length > MAX_MONTHS) throw badRequest(`period spans more than ${String(MAX_MONTHS)} months; ask for fewer`, ['period'], 'value');
  return months.filter((key) => {
    const p = monthPeriod(key);
    return p !== undefined && tests.every((t) => t(p.start, p.end));
  });
}

/**
 * The indicator in FHIR terms (issue #7), inside the /fhir router (authenticated, rate limited):
 * - `GET /fhir/Measure/epikrise-timeliness`, `GET /fhir/Measure[?url=&_id=]`: the definition, for any client;
 * - `GET /fhir/Measure/epikrise-timeliness/$evaluate-measure?periodStart=&periodEnd=[&reportType=summary|population][&hospital=<SOR>]`
 *   and `GET /fhir/Measure/$evaluate-measure?measure=<url>&...`: one summary report over the period (both ends inclusive at
 *   their precision, Copenhagen time when no offset is given);
 * - `GET /fhir/MeasureReport?period=ge<date>[&period=le<date>][&measure=<url>][&hospital=<SOR>]`: one report per Copenhagen
 *   month (at most 36, none after the current month), id `epikrise-timeliness-YYYY-MM[-<hospital SOR>]`;
 *   `GET /fhir/MeasureReport/<id>` reads one.
 * Reports are computed on request from the same counts as `/api/timeliness/kpi?documentType=epikrise`, stratified by
 * hospital (unless restricted to one) and department. Quality and admin clients see every hospital; a hospital client
 * its own (other hospitals: 403); others 403. Every access is audited.
 */
export function measureRouter(deps: AppDeps, auditor: Auditor): Router {
  const { config, store, clock } = deps;
  const settings = config.timeliness;
  const base = `${config.publicBaseUrl}/fhir`;
  const router = Router();

  const audit = (req: Request, res: Response, resourceType: string, interaction: string): void => {
    const at = req.originalUrl.indexOf('?');
    setAuditIntent(res, { action: interaction === 'operation' ? 'E' : 'R', interaction, resourceType, entities: [], query: at < 0 ? undefined : req.originalUrl.slice(at + 1) });
  };

  /** As `/api/timeliness/kpi`: undefined for every hospital; a hospital client only its own. */
  const visibleHospital = (principal: Principal, requested: string | undefined): string | undefined => {
    if (principal.role === 'admin' || principal.role === 'quality') return requested;
    if (principal.role === 'hospital') {
      if (requested !== undefined && requested !== principal.org.sor) throw forbidden('A hospital client sees only its own hospital\'s timeliness figures');
      return principal.org.sor;
    }
    throw forbidden('Only quality, admin and hospital clients may read timeliness figures');
  };

  const send = (res: Response, body: unknown): void => {
    res.type(FHIR_JSON).send(JSON.stringify(body));
  };

  /** The report of one period: the whole from the department partition, strata per hospital and department. */
  const report = async (period: { start: Date; end: Date }, hospitalSor: string | undefined, now: Date, id?: string): Promise<fhir4.MeasureReport> => {
    const filter = { from: period.start, to: period.end, hospitalSor, documentType: MEASURE_DOCUMENT_TYPE, clock: settings.clock, now };
    const byDepartment = await store.timeliness.kpi({ ...filter, groupBy: 'department' });
    const byHospital: TimelinessKpiRow[] = hospitalSor === undefined ? await store.timeliness.kpi({ ...filter, groupBy: 'hospital' }) : [];
    const strata = (rows: readonly TimelinessKpiRow[]) => rows.map((r) => kpiGroup(r, r.key));
    const stratifiers: NonNullable<MeasureReportOptions['stratifiers']> = [
      ...(hospitalSor === undefined ? [{ by: 'hospital' as const, groups: strata(byHospital) }] : []),
      { by: 'department', groups: strata(byDepartment) },
    ];
    return toMeasureReport(totalGroup(byDepartment, 'total', 'total'), { id, period, date: now, target: settings.target, clock: settings.clock, hospitalSor, stratifiers });
  };

  const evaluate = async (req: Request, res: Response, params: Params): Promise<void> => {
    const principal = res.locals.principal as Principal;
    const hospitalSor = visibleHospital(principal, single(params, 'hospital'));
    const start = dateParam(params, 'periodStart').low;
    const end = dateParam(params, 'periodEnd').high;
    if (start > end) throw badRequest('periodStart must not be after periodEnd', ['periodStart'], 'value');
    const reportType = single(params, 'reportType');
    if (reportType !== undefined && !SUMMARY_REPORT_TYPES.includes(reportType)) {
      throw badRequest(`reportType ${reportType} is not supported; use summary (or population)`, ['reportType'], 'not-supported');
    }
    const body = await report({ start, end }, hospitalSor, clock.now());
    await auditor.success(res, 200, []);
    send(res, body);
  };

  const EVALUATE_PARAMS = ['periodStart', 'periodEnd', 'reportType', 'hospital'];

  router.get('/Measure/$evaluate-measure', async (req, res) => {
    audit(req, res, 'Measure', 'operation');
    const params = paramsOf(req, ['measure', ...EVALUATE_PARAMS]);
    const measure = single(params, 'measure');
    if (measure === undefined) throw badRequest(`measure is required: measure=${MEASURE_URL}`, ['measure'], 'required');
    if (!namesOurMeasure(measure)) throw notFound(`Measure ${measure}`);
    await evaluate(req, res, params);
  });

  router.get('/Measure/:id/$evaluate-measure', async (req, res) => {
    audit(req, res, 'Measure', 'operation');
    if (req.params.id !== MEASURE_ID) throw notFound(`Measure/${req.params.id}`);
    await evaluate(req, res, paramsOf(req, EVALUATE_PARAMS));
  });

  router.get('/Measure/:id', async (req, res) => {
    audit(req, res, 'Measure', 'read');
    if (req.params.id !== MEASURE_ID) throw notFound(`Measure/${req.params.id}`);
    await auditor.success(res, 200, [`Measure/${MEASURE_ID}`]);
    send(res, timelinessMeasure(settings));
  });

  router.get('/Measure', async (req, res) => {
    audit(req, res, 'Measure', 'search-type');
    const params = paramsOf(req, ['url', '_id']);
    const url = single(params, 'url');
    const id = single(params, '_id');
    const match = (url === undefined || url.split('|')[0] === MEASURE_URL) && (id === undefined || id === MEASURE_ID);
    await auditor.success(res, 200, []);
    send(res, {
      resourceType: 'Bundle',
      type: 'searchset',
      total: match ? 1 : 0,
      entry: match ? [{ fullUrl: `${base}/Measure/${MEASURE_ID}`, resource: timelinessMeasure(settings), search: { mode: 'match' } }] : [],
    });
  });

  router.get('/MeasureReport/:id', async (req, res) => {
    audit(req, res, 'MeasureReport', 'read');
    const principal = res.locals.principal as Principal;
    const now = clock.now();
    const parsed = parseMeasureReportId(req.params.id);
    const period = parsed === undefined ? undefined : monthPeriod(parsed.month);
    if (!parsed || !period || period.start > now) throw notFound(`MeasureReport/${req.params.id}`);
    // A hospital client may read only the reports restricted to its own hospital.
    const hospitalSor = visibleHospital(principal, parsed.hospitalSor);
    if (hospitalSor !== parsed.hospitalSor) throw forbidden('A hospital client sees only its own hospital\'s timeliness figures');
    const body = await report(period, hospitalSor, now, req.params.id);
    await auditor.success(res, 200, []);
    send(res, body);
  });

  router.get('/MeasureReport', async (req, res) => {
    audit(req, res, 'MeasureReport', 'search-type');
    const principal = res.locals.principal as Principal;
    const params = paramsOf(req, ['period', 'measure', 'hospital']);
    const hospitalSor = visibleHospital(principal, single(params, 'hospital'));
    const measure = single(params, 'measure');
    const now = clock.now();
    const periods = params.get('period');
    if (periods === undefined) throw badRequest('period is required, e.g. period=ge2024-01&period=le2024-06', ['period'], 'required');
    const months = measure === undefined || namesOurMeasure(measure) ? monthsOf(periods, now) : [];
    const reports: fhir4.MeasureReport[] = [];
    for (const month of months) {
      const period = monthPeriod(month);
      if (period) reports.push(await report(period, hospitalSor, now, measureReportId(month, hospitalSor)));
    }
    await auditor.success(res, 200, []);
    send(res, {
      resourceType: 'Bundle',
      type: 'searchset',
      total: reports.length,
      entry: reports.map((r) => ({ fullUrl: `${base}/MeasureReport/${r.id ?? ''}`, resource: r, search: { mode: 'match' } })),
    });
  });

  return router;
}
