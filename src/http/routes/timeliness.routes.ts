import { once } from 'node:events';
import { Router, type Request, type Response } from 'express';
import type { Principal } from '../../auth/index.ts';
import { badRequest, FHIR_ID, forbidden, notFound } from '../../shared/index.ts';
import { formatCopenhagen, localToInstant, parseFhirDateRange, toLocalDateTime } from '../../shared/time.ts';
import { findRegistryOrganization } from '../../store/index.ts';
import type { ExpectationState, TimelinessClock, TimelinessDocumentType, TimelinessExpectation, TimelinessFilter, TimelinessGroupBy } from '../../store/index.ts';
import {
  DISCHARGE_CSV_COLUMNS,
  DOCUMENT_TYPE_LABELS,
  EXPECTATION_STATES,
  KPI_CSV_COLUMNS,
  MANUAL_EXCLUSION_REASONS,
  TRACKED_DOCUMENT_TYPES,
  atRiskMsOf,
  calendarRef,
  deadlineFromQuery,
  dischargeCsvRow,
  expectationView,
  kpiCsvRow,
  kpiGroup,
  monthLabel,
  setManualExclusion,
  toCsv,
  versionedRef,
  type ManualExclusionReason,
} from '../../timeliness/index.ts';
import type { AppDeps } from '../deps.ts';
import { setAuditIntent, type Auditor } from '../audit.ts';
import { authenticate, rateLimitPerClient } from '../middleware.ts';

const GROUP_BYS: readonly TimelinessGroupBy[] = ['month', 'hospital', 'department', 'documentType'];
const CLOCKS: readonly TimelinessClock[] = ['sent', 'delivered'];
/** Drill-down page sizes; an export (CSV) reads in pages of the largest. */
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
/** The overdue list is a worklist: at most this many rows, the oldest first. */
const OVERDUE_LIMIT = 1000;
/** Groups beyond this many keep their SOR code as label (each name is a registry lookup). */
const MAX_LABEL_LOOKUPS = 200;
/** When no `from` is given: this many months back, counting the month of `to`. */
const DEFAULT_MONTHS = 12;

/** One query parameter, given at most once. */
function param(req: Request, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badRequest(`Give ${name} once`, [name], 'value');
  return v;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], name: string): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw badRequest(`${name} must be one of ${allowed.join(', ')}`, [name], 'value');
}

const queryOf = (req: Request): string | undefined => {
  const at = req.originalUrl.indexOf('?');
  return at < 0 ? undefined : req.originalUrl.slice(at + 1);
};

/**
 * The discharge period, both ends inclusive at their precision (`to=2024-03` runs to the end of
 * March), Copenhagen time where no offset is given, as in FHIR date search. Defaults: `to` now,
 * `from` the start of the twelfth month back.
 */
function period(req: Request, now: Date): { from: Date; to: Date } {
  const range = (name: string): { low: Date; high: Date } | undefined => {
    const raw = param(req, name);
    if (raw === undefined) return undefined;
    const r = parseFhirDateRange(raw);
    if (!r) throw badRequest(`${name} must be a date (YYYY, YYYY-MM, YYYY-MM-DD) or a date-time`, [name], 'value');
    return r;
  };
  const to = range('to')?.high ?? now;
  const local = toLocalDateTime(to);
  const months = local.year * 12 + (local.month - 1) - (DEFAULT_MONTHS - 1);
  const from = range('from')?.low ?? localToInstant({ year: Math.floor(months / 12), month: (months % 12) + 1, day: 1 });
  if (from > to) throw badRequest('from must not be after to', ['from'], 'value');
  return { from, to };
}

function wantsCsv(req: Request): boolean {
  const format = oneOf(param(req, 'format'), ['csv', 'json'], 'format');
  if (format !== undefined) return format === 'csv';
  return req.accepts(['application/json', 'text/csv']) === 'text/csv';
}

function csvHeaders(res: Response, name: string): void {
  res.status(200);
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
}

/**
 * The timeliness indicator and its worklists (issue #7), under `/api`:
 * - `GET /api/timeliness/kpi?from=&to=&groupBy=month|hospital|department|documentType[&documentType=&hospital=&department=&clock=][&format=csv]`
 * - `GET /api/timeliness/discharges?from=&to=[&hospital=&department=&documentType=&state=][&format=csv]`: the rows behind it
 * - `GET /api/timeliness/overdue`: overdue and at-risk now, oldest due first
 * - `GET /api/timeliness/deadline?dischargedAt=&sentAt=&calendar=&rule=`: the calculator (as `sektorbro deadline`)
 * - `POST /api/timeliness/discharges/<id>/$exclude?reason=objection|transfer|no-gp`, `.../$include`: a person's exclusion
 *
 * Quality and admin clients see every row; a hospital client its own (rows whose sender is its
 * organisation); others get 403, except for the calculator, which holds no patient data. Every
 * access is audited, refusals included: the rows are patient data.
 */
export function timelinessRouter(deps: AppDeps, auditor: Auditor): Router {
  const { config, store, clock } = deps;
  const settings = config.timeliness;
  const atRiskMs = atRiskMsOf(settings);
  const router = Router();

  router.use('/timeliness', (req, res, next) => {
    setAuditIntent(res, { action: 'R', interaction: 'search-type', resourceType: undefined, entities: [], query: queryOf(req) });
    next();
  });
  router.use('/timeliness', authenticate({ secret: config.auth.tokenSigningSecret, issuer: config.publicBaseUrl, registry: deps.clients, clock }));
  router.use('/timeliness', rateLimitPerClient(config.limits.rateLimitPerMinute));

  /** The hospital whose rows the caller may see: undefined for all; a hospital client only its own. */
  const visibleHospital = (principal: Principal, requested: string | undefined): string | undefined => {
    if (principal.role === 'admin' || principal.role === 'quality') return requested;
    if (principal.role === 'hospital') {
      if (requested !== undefined && requested !== principal.org.sor) throw forbidden('A hospital client sees only its own hospital\'s timeliness rows');
      return principal.org.sor;
    }
    throw forbidden('Only quality, admin and hospital clients may read timeliness figures');
  };

  const filterOf = (req: Request, principal: Principal, now: Date): TimelinessFilter => {
    const hospitalSor = visibleHospital(principal, param(req, 'hospital'));
    return {
      ...period(req, now),
      hospitalSor,
      departmentSor: param(req, 'department'),
      documentType: oneOf<TimelinessDocumentType>(param(req, 'documentType'), TRACKED_DOCUMENT_TYPES, 'documentType'),
    };
  };

  const organisationName = async (sor: string): Promise<string> => (await findRegistryOrganization(store.resources, sor))?.name ?? sor;

  const labelOf = async (groupBy: TimelinessGroupBy, key: string, lookup: boolean): Promise<string> => {
    switch (groupBy) {
      case 'month':
        return monthLabel(key);
      case 'documentType':
        return DOCUMENT_TYPE_LABELS[key as TimelinessDocumentType];
      case 'hospital':
      case 'department':
        if (key === 'unknown') return 'ukendt afdeling';
        return lookup ? organisationName(key) : key;
    }
  };

  /** Patients and documents shown, for the audit record. */
  const entitiesOf = (rows: readonly TimelinessExpectation[]): string[] => [
    ...new Set(rows.flatMap((r) => [`Patient/${r.patientId}`, ...(r.documentReferenceId ? [`DocumentReference/${r.documentReferenceId}`] : [])])),
  ];

  router.get('/timeliness/deadline', async (req, res) => {
    const view = deadlineFromQuery({ dischargedAt: param(req, 'dischargedAt'), sentAt: param(req, 'sentAt'), calendar: param(req, 'calendar'), rule: param(req, 'rule') });
    await auditor.success(res, 200, []);
    res.json(view);
  });

  router.get('/timeliness/kpi', async (req, res) => {
    const principal = res.locals.principal as Principal;
    const now = clock.now();
    const filter = filterOf(req, principal, now);
    const groupBy = oneOf(param(req, 'groupBy'), GROUP_BYS, 'groupBy') ?? 'month';
    const measuredBy = oneOf(param(req, 'clock'), CLOCKS, 'clock') ?? settings.clock;
    const csv = wantsCsv(req);
    const rows = await store.timeliness.kpi({ ...filter, groupBy, clock: measuredBy, now });
    const lookup = rows.length <= MAX_LABEL_LOOKUPS;
    const groups = await Promise.all(rows.map(async (r) => kpiGroup(r, await labelOf(groupBy, r.key, lookup))));
    await auditor.success(res, 200, []);
    if (csv) {
      csvHeaders(res, 'timeliness-kpi.csv');
      res.send(toCsv(KPI_CSV_COLUMNS, groups.map(kpiCsvRow)));
      return;
    }
    res.json({
      from: formatCopenhagen(filter.from),
      to: formatCopenhagen(filter.to),
      groupBy,
      target: settings.target,
      rule: versionedRef(settings.rule),
      calendar: calendarRef(settings),
      clock: measuredBy,
      at: formatCopenhagen(now),
      ...(filter.hospitalSor === undefined ? {} : { hospital: filter.hospitalSor }),
      ...(filter.departmentSor === undefined ? {} : { department: filter.departmentSor }),
      ...(filter.documentType === undefined ? {} : { documentType: filter.documentType }),
      groups,
    });
  });

  router.get('/timeliness/discharges', async (req, res) => {
    const principal = res.locals.principal as Principal;
    const now = clock.now();
    const filter = filterOf(req, principal, now);
    const state = oneOf<ExpectationState>(param(req, 'state'), EXPECTATION_STATES, 'state');
    const csv = wantsCsv(req);
    const countRaw = param(req, '_count');
    const count = countRaw === undefined ? DEFAULT_PAGE : Number(countRaw);
    if (!Number.isInteger(count) || count < 1 || count > MAX_PAGE) throw badRequest(`_count must be an integer from 1 to ${String(MAX_PAGE)}`, ['_count'], 'value');
    const query = { ...filter, state, now, atRiskMs };

    if (csv) {
      // An export streams page by page; the audit record (written first) holds the query that selected the rows.
      await auditor.success(res, 200, []);
      csvHeaders(res, 'timeliness-discharges.csv');
      res.write(toCsv(DISCHARGE_CSV_COLUMNS, []));
      let cursor: string | undefined;
      try {
        do {
          const page = await store.timeliness.list({ ...query, count: MAX_PAGE, cursor });
          if (!res.write(toCsv(undefined, page.items.map((e) => dischargeCsvRow(expectationView(e, now, atRiskMs)))))) await once(res, 'drain');
          cursor = page.next;
        } while (cursor !== undefined);
        res.end();
      } catch (err) {
        // The header is out: the only honest signal left is a broken response.
        deps.logger.error('timeliness.export-failed', { err });
        res.destroy();
      }
      return;
    }
    const page = await store.timeliness.list({ ...query, count, cursor: param(req, '_cursor') });
    await auditor.success(res, 200, entitiesOf(page.items));
    let next: string | undefined;
    if (page.next !== undefined) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(req.query as Record<string, unknown>)) if (typeof v === 'string' && k !== '_cursor') q.set(k, v);
      q.set('_cursor', page.next);
      next = `${config.publicBaseUrl}/api/timeliness/discharges?${q.toString()}`;
    }
    res.json({
      from: formatCopenhagen(filter.from),
      to: formatCopenhagen(filter.to),
      at: formatCopenhagen(now),
      items: page.items.map((e) => expectationView(e, now, atRiskMs)),
      ...(next === undefined ? {} : { next }),
    });
  });

  router.get('/timeliness/overdue', async (req, res) => {
    const principal = res.locals.principal as Principal;
    const now = clock.now();
    const hospitalSor = visibleHospital(principal, param(req, 'hospital'));
    const rows = await store.timeliness.open({ now, atRiskMs, hospitalSor, limit: OVERDUE_LIMIT + 1 });
    const items = rows.slice(0, OVERDUE_LIMIT);
    await auditor.success(res, 200, entitiesOf(items));
    res.json({ at: formatCopenhagen(now), items: items.map((e) => expectationView(e, now, atRiskMs)), ...(rows.length > OVERDUE_LIMIT ? { truncated: true } : {}) });
  });

  router.post('/timeliness/discharges/:id/:operation', async (req, res) => {
    const principal = res.locals.principal as Principal;
    setAuditIntent(res, { action: 'U', interaction: 'operation', resourceType: undefined, entities: [], query: queryOf(req) });
    const operation = req.params.operation;
    if (operation !== '$exclude' && operation !== '$include') throw notFound(`Operation ${operation}`);
    if (principal.role !== 'admin' && principal.role !== 'hospital') throw forbidden('Only admin and hospital clients may record an exclusion');
    const reason = operation === '$exclude' ? oneOf<ManualExclusionReason>(param(req, 'reason'), MANUAL_EXCLUSION_REASONS, 'reason') : undefined;
    if (operation === '$exclude' && reason === undefined) throw badRequest(`reason is required: ${MANUAL_EXCLUSION_REASONS.join(', ')}`, ['reason'], 'required');
    const id = req.params.id;
    const now = clock.now();
    const saved = FHIR_ID.test(id)
      ? await store.transaction(async (tx) => {
          const current = await tx.timeliness.get(id);
          // Another hospital's row answers as if absent, like a FHIR resource not shared with the caller.
          if (!current || (principal.role === 'hospital' && current.hospitalSor !== principal.org.sor)) return undefined;
          const updated = await setManualExclusion(tx, id, reason, principal.clientId, settings, now);
          if (updated) await auditor.success(res, 200, entitiesOf([updated]), tx.audit);
          return updated;
        })
      : undefined;
    if (!saved) throw notFound(`Timeliness expectation ${id}`);
    res.json(expectationView(saved, now, atRiskMs));
  });

  return router;
}
