import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, Router } from 'express';
import {
  accessFilterFor,
  grantsForWrite,
  mayInteract,
  mayProcessMessage,
  mayRead,
  REGISTRY_TYPES,
  type Interaction,
  type Principal,
} from '../../auth/index.ts';
import {
  badRequest,
  forbidden,
  gone,
  hasErrors,
  isResourceLike,
  notFound,
  toOperationOutcome,
  unprocessable,
  FHIR_ID,
  GatewayError,
  withRegistryTag,
  REGISTRY_TAG,
  SYSTEM,
  type AnyResource,
} from '../../shared/index.ts';
import { parseSearch, STORED_TYPES, type StoredResource, type StoreTx } from '../../store/index.ts';
import { notificationBundle, prepareSubscription, SUBSCRIPTION_TOPICS, subscriptionStatus } from '../../delivery/index.ts';
import { ingestDocument, processMessage } from '../../ingest/index.ts';
import { parseFhirXml } from '../../medcom/index.ts';
import { RESPONSIBILITY_VIEW_TAG } from '../../responsibility/index.ts';
import { setAuditIntent, toAuditEvent, type AuditIntent, type Auditor } from '../audit.ts';
import type { AppDeps } from '../deps.ts';
import { FHIR_JSON } from '../error-handler.ts';
import { isXmlContentType, readJsonRequest } from '../json-body.ts';
import { authenticate, rateLimitPerClient } from '../middleware.ts';
import { buildCapabilityStatement } from '../capability-statement.ts';
import { encodeParams, historyBundle, pageLinks, pagingParams, parseAuditQuery, queryEntries, searchBundle } from '../fhir-bundles.ts';
import { CONFORMANCE_TYPES, conformanceRouter } from './conformance.routes.ts';
import { deliveryTaskRouter } from './deliveries.routes.ts';
import { measureRouter } from './measure.routes.ts';

/** Parameters any FHIR server accepts that say nothing about what to find. */
const FORMAT_PARAMS = new Set(['_format', '_pretty']);
/** `$events` answers at most this many events; a subscriber pages with eventsSinceNumber. */
const MAX_EVENTS_PER_QUERY = 1000;

const principalOf = (res: Response): Principal => res.locals.principal as Principal;

/** The FHIR REST API under /fhir: metadata, read, vread, history, search, create, update, delete, $validate. */
export function fhirRouter(deps: AppDeps, auditor: Auditor): Router {
  const { config, store, validator } = deps;
  const base = `${config.publicBaseUrl}/fhir`;
  const router = Router();
  const rawBody = express.raw({ type: () => true, limit: config.limits.bodyBytes });
  const formBody = express.raw({ type: 'application/x-www-form-urlencoded', limit: config.limits.bodyBytes });

  const capability = buildCapabilityStatement(config.publicBaseUrl, validator.profiles);
  router.get('/metadata', (_req, res) => {
    res.type(FHIR_JSON).send(JSON.stringify(capability));
  });

  // Every other FHIR route is audited, including the ones that end in 401/403.
  router.use((req, res, next) => {
    setAuditIntent(res, inferIntent(req));
    next();
  });
  router.use(authenticate({ secret: config.auth.tokenSigningSecret, issuer: config.publicBaseUrl, registry: deps.clients, clock: deps.clock }));
  router.use(rateLimitPerClient(config.limits.rateLimitPerMinute));
  router.use((req, res, next) => {
    // Conformance resources are not patient data: no audit record for them.
    if (CONFORMANCE_TYPES.some((t) => req.path === `/${t}` || req.path.startsWith(`/${t}/`))) res.locals.auditIntent = undefined;
    next();
  });
  router.use(conformanceRouter(validator, config.publicBaseUrl));
  router.use(deliveryTaskRouter(deps, auditor));
  router.use(measureRouter(deps, auditor));

  const resolveType = (raw: unknown): string => {
    const type = typeof raw === 'string' ? raw : undefined;
    if (type === undefined || (!(STORED_TYPES as readonly string[]).includes(type) && type !== 'AuditEvent')) {
      throw notSupportedType(type ?? '');
    }
    return type;
  };
  const guard = (res: Response, type: string, interaction: Interaction): Principal => {
    const principal = principalOf(res);
    mayInteract(principal, type, interaction);
    return principal;
  };

  const search = async (req: Request, res: Response, extra: [string, string][]): Promise<void> => {
    const type = resolveType(req.params.type);
    const principal = guard(res, type, 's');
    const params = [...queryEntries(req), ...extra].filter(([k]) => !FORMAT_PARAMS.has(k));
    setAuditIntent(res, { action: 'E', interaction: 'search-type', resourceType: type, entities: [], query: encodeParams(params) });
    if (type === 'AuditEvent') {
      await sendAuditSearch(res, params);
      return;
    }
    const query = parseSearch(type, params, { defaultCount: config.limits.searchDefaultCount, maxCount: config.limits.searchMaxCount });
    const page = await store.resources.search(query, accessFilterFor(principal, type));
    const entities = page.items.map((s) => `${s.type}/${s.id}`);
    await auditor.success(res, 200, entities);
    sendBundle(res, searchBundle(redactPage(principal, page), `${base}/${type}`, params));
  };

  const sendAuditSearch = async (res: Response, params: [string, string][]): Promise<void> => {
    const q = parseAuditQuery(params, config.limits.searchDefaultCount, config.limits.searchMaxCount);
    const page = await store.audit.search(q);
    await auditor.success(res, 200, []);
    const link = pageLinks(`${base}/AuditEvent`, params, page.next);
    sendBundle(res, {
      resourceType: 'Bundle',
      type: 'searchset',
      ...(page.total === undefined ? {} : { total: page.total }),
      link,
      entry: page.items.map((r) => ({ fullUrl: `${base}/AuditEvent/${r.id}`, resource: toAuditEvent(r), search: { mode: 'match' as const } })),
    });
  };

  router.post('/$process-message', rawBody, async (req, res) => {
    const principal = principalOf(res);
    setAuditIntent(res, { action: 'C', interaction: 'operation', resourceType: 'Bundle', entities: [], query: '$process-message' });
    mayProcessMessage(principal);
    const contentType = req.header('content-type');
    const xml = isXmlContentType(contentType);
    const bytes = asBuffer(req.body);
    const message: unknown = xml
      ? parseFhirXml(bytes, { maxBytes: config.limits.bodyBytes, maxDepth: config.limits.jsonMaxDepth })
      : readJson(req);
    const result = await processMessage(
      { store, validator, clock: deps.clock, validateMedCom: (b) => deps.medcom.validateMessage(b).issues, timeliness: config.timeliness },
      message,
      { bytes, mediaType: contentType ?? FHIR_JSON, format: xml ? 'fhir-xml' : 'fhir-json' },
      { clientId: principal.clientId, org: principal.org.sor, mayActForAnySender: principal.role === 'relay' || principal.role === 'admin' },
      (tx, entities, status) => auditor.success(res, status, entities, tx.audit),
    );
    if (result.replay) res.setHeader('X-Sektorbro-Replay', 'true');
    res.status(result.status).type(FHIR_JSON).send(JSON.stringify(result.body));
  });

  router.get('/:type', async (req, res) => {
    await search(req, res, []);
  });

  router.post('/:type/_search', formBody, async (req, res) => {
    const ct = (req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (ct !== 'application/x-www-form-urlencoded') {
      throw badRequest('POST _search takes an application/x-www-form-urlencoded body', undefined, 'not-supported');
    }
    const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    await search(req, res, [...new URLSearchParams(body).entries()]);
  });

  router.get('/:type/_history', async (req, res) => {
    const type = resolveType(req.params.type);
    const principal = guard(res, type, 'r');
    const params = queryEntries(req).filter(([k]) => !FORMAT_PARAMS.has(k));
    const { count, cursor } = pagingParams(params, config.limits.searchDefaultCount, config.limits.searchMaxCount);
    setAuditIntent(res, { action: 'R', interaction: 'history-type', resourceType: type, entities: [], query: encodeParams(params) });
    if (type === 'AuditEvent') throw notSupportedType('AuditEvent/_history');
    const page = await store.resources.history(type, undefined, { count, cursor, access: accessFilterFor(principal, type) });
    await auditor.success(res, 200, page.items.map((s) => `${s.type}/${s.id}`));
    sendBundle(res, historyBundle(redactPage(principalOf(res), page), base, `${base}/${type}/_history`, params));
  });

  router.get('/Subscription/$topic-list', (_req, res) => {
    guard(res, 'Subscription', 'r');
    res.locals.auditIntent = undefined; // the topics are not patient data
    res.type(FHIR_JSON).send(JSON.stringify({
      resourceType: 'Parameters',
      parameter: SUBSCRIPTION_TOPICS.map((t) => ({ name: 'subscription-topic-canonical', valueCanonical: t.url })),
    }));
  });

  router.get('/Subscription/:id/:operation', async (req, res, next) => {
    const operation = req.params.operation;
    if (operation !== '$status' && operation !== '$events') {
      next();
      return;
    }
    const id = checkId(req.params.id);
    const principal = guard(res, 'Subscription', 'r');
    setAuditIntent(res, { action: 'E', interaction: 'operation', resourceType: 'Subscription', entities: [`Subscription/${id}`], query: operation });
    const stored = await store.resources.read('Subscription', id);
    const sub = await store.subscriptions.get(id);
    if (!stored || !sub) throw notFound(`Subscription/${id}`);
    assertMayRead(principal, stored);
    if (operation === '$status') {
      await auditor.success(res, 200, []);
      sendBundle(res, { resourceType: 'Bundle', type: 'searchset', total: 1, entry: [{ resource: subscriptionStatus(sub, 'query-status', base, [], sub.content), search: { mode: 'match' } }] });
      return;
    }
    // $events: what a subscriber that was away fetches to close the gaps (event numbers are gapless).
    const number = (name: string, fallback: number): number => {
      const raw = req.query[name];
      if (raw === undefined) return fallback;
      const n = typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n)) throw badRequest(`${name} must be a whole number`, [name], 'value');
      return n;
    };
    const since = Math.max(1, number('eventsSinceNumber', 1));
    const until = Math.min(sub.eventsCount, number('eventsUntilNumber', sub.eventsCount));
    const contentParam = typeof req.query.content === 'string' ? req.query.content : sub.content;
    if (!['empty', 'id-only', 'full-resource'].includes(contentParam)) throw badRequest('content must be empty, id-only or full-resource', ['content'], 'value');
    const events = until < since ? [] : await store.subscriptions.events(id, since, until, MAX_EVENTS_PER_QUERY);
    const bundle = await store.transaction((tx) => notificationBundle(tx, { ...sub, content: contentParam as typeof sub.content }, 'query-event', base, events, deps.clock.now()));
    await auditor.success(res, 200, events.map((e) => e.focus));
    sendBundle(res, bundle as unknown as fhir4.Bundle);
  });

  router.get('/:type/:id', async (req, res) => {
    const type = resolveType(req.params.type);
    const id = checkId(req.params.id);
    const principal = guard(res, type, 'r');
    setAuditIntent(res, { action: 'R', interaction: 'read', resourceType: type, entities: [`${type}/${id}`], query: undefined });
    if (type === 'AuditEvent') {
      const record = await store.audit.read(id);
      if (!record) throw notFound(`AuditEvent/${id}`);
      await auditor.success(res, 200, []);
      res.type(FHIR_JSON).send(JSON.stringify(toAuditEvent(record)));
      return;
    }
    const stored = await store.resources.read(type, id);
    if (!stored) throw notFound(`${type}/${id}`);
    assertMayRead(principal, stored);
    if (stored.deleted) throw gone(`${type}/${id}`);
    await auditor.success(res, 200, []);
    sendResource(res, 200, stored);
  });

  router.get('/:type/:id/_history', async (req, res) => {
    const type = resolveType(req.params.type);
    const id = checkId(req.params.id);
    const principal = guard(res, type, 'r');
    const params = queryEntries(req).filter(([k]) => !FORMAT_PARAMS.has(k));
    const { count, cursor } = pagingParams(params, config.limits.searchDefaultCount, config.limits.searchMaxCount);
    setAuditIntent(res, { action: 'R', interaction: 'history-instance', resourceType: type, entities: [`${type}/${id}`], query: undefined });
    if (type === 'AuditEvent') throw notSupportedType('AuditEvent/_history');
    const current = await store.resources.read(type, id);
    if (!current) throw notFound(`${type}/${id}`);
    assertMayRead(principal, current);
    const page = await store.resources.history(type, id, { count, cursor, access: { kind: 'all' } });
    await auditor.success(res, 200, []);
    sendBundle(res, historyBundle(redactPage(principalOf(res), page), base, `${base}/${type}/${id}/_history`, params));
  });

  router.get('/:type/:id/_history/:vid', async (req, res) => {
    const type = resolveType(req.params.type);
    const id = checkId(req.params.id);
    const principal = guard(res, type, 'r');
    setAuditIntent(res, { action: 'R', interaction: 'vread', resourceType: type, entities: [`${type}/${id}`], query: undefined });
    const vid = Number(req.params.vid);
    if (!Number.isInteger(vid) || vid < 1) throw badRequest('The version id must be a positive integer', undefined, 'value');
    if (type === 'AuditEvent') throw notSupportedType('AuditEvent/_history');
    const current = await store.resources.read(type, id);
    if (!current) throw notFound(`${type}/${id}`);
    assertMayRead(principal, current);
    const version = await store.resources.vread(type, id, vid);
    if (!version) throw notFound(`${type}/${id}/_history/${vid}`);
    if (version.deleted) throw gone(`${type}/${id}/_history/${vid}`);
    await auditor.success(res, 200, []);
    sendResource(res, 200, version);
  });

  router.post('/:type', rawBody, async (req, res) => {
    const type = resolveType(req.params.type);
    const principal = guard(res, type, 'c');
    setAuditIntent(res, { action: 'C', interaction: 'create', resourceType: type, entities: [], query: undefined });
    const body = readJson(req);
    if (type === 'Bundle' && isResourceLike(body) && body.type === 'document') {
      const result = await ingestDocument(
        { store, validator, clock: deps.clock, timeliness: config.timeliness },
        body,
        { bytes: asBuffer(req.body), mediaType: req.header('content-type') ?? FHIR_JSON, format: 'fhir-json' },
        { clientId: principal.clientId, org: principal.org.sor, mayActForAnySender: principal.role === 'admin' },
        (tx, entities) => auditor.success(res, 201, entities, tx.audit),
      );
      if (result.replay) res.setHeader('X-Sektorbro-Replay', 'true');
      res.setHeader('Location', `${base}/DocumentReference/${result.documentReferenceId}`);
      res.status(result.status).type(FHIR_JSON).send(JSON.stringify(result.body));
      return;
    }
    if (type === 'Subscription') {
      await writeSubscription(res, principal, validated(body, type), randomUUID(), undefined);
      return;
    }
    if (principal.role !== 'admin') {
      throw badRequest('Only document Bundles (Bundle.type = document) are accepted here; MedCom messages go to $process-message', ['Bundle.type'], 'not-supported');
    }
    const resource = tagRegistry(validated(body, type));
    await assertSorIsFree(resource, undefined);
    const { id: _ignored, ...withoutId } = resource; // the server assigns ids on create (FHIR R4 §3.1.0.4)
    const grantOrgs = await grantsForWrite(withoutId, resolveOrganizationSor);
    const stored = await store.transaction(async (tx) => {
      const s = await tx.resources.create(withoutId, { writerOrg: principal.org.sor, grantOrgs });
      await grantPatient(tx, s.resource, [principal.org.sor, ...grantOrgs]);
      await auditor.success(res, 201, [`${type}/${s.id}`], tx.audit);
      return s;
    });
    res.setHeader('Location', `${base}/${type}/${stored.id}/_history/${stored.versionId}`);
    sendResource(res, 201, stored);
  });

  router.post('/:type/:operation', rawBody, async (req, res) => {
    const type = resolveType(req.params.type);
    if (req.params.operation !== '$validate') {
      throw badRequest(`Only the $validate operation is supported on ${type}`, undefined, 'not-supported');
    }
    const principal = principalOf(res);
    if (!(['c', 'u', 'r'] as const).some((i) => { try { mayInteract(principal, type, i); return true; } catch { return false; } })) {
      throw forbidden(`Your scopes do not cover ${type}`);
    }
    setAuditIntent(res, { action: 'E', interaction: 'operation', resourceType: type, entities: [], query: '$validate' });
    const resource = unwrapParameters(readJson(req));
    const profile = new URLSearchParams(req.originalUrl.split('?')[1] ?? '').get('profile') ?? undefined;
    const issues = validator.validate(resource, { resourceType: type, ...(profile ? { profile } : {}) });
    await auditor.success(res, 200, []);
    const outcome = toOperationOutcome(
      issues.length > 0 ? issues : [{ severity: 'information', code: 'informational', diagnostics: 'No issues found' }],
    );
    res.status(200).type(FHIR_JSON).send(JSON.stringify(outcome));
  });

  router.put('/:type/:id', rawBody, async (req, res) => {
    const type = resolveType(req.params.type);
    const id = checkId(req.params.id);
    const principal = guard(res, type, 'u');
    setAuditIntent(res, { action: 'U', interaction: 'update', resourceType: type, entities: [`${type}/${id}`], query: undefined });
    const resource = tagRegistry(readResource(req, type));
    if (resource.id !== id) {
      throw badRequest(`The resource id (${resource.id ?? 'missing'}) must match the id in the URL (${id})`, [`${type}.id`]);
    }
    await assertSorIsFree(resource, id);
    const ifMatch = parseIfMatch(req.header('if-match'));
    if (type === 'Subscription') {
      await writeSubscription(res, principal, resource, id, ifMatch);
      return;
    }
    const grantOrgs = await grantsForWrite(resource, resolveOrganizationSor);
    const { stored, created } = await store.transaction(async (tx) => {
      const current = await tx.resources.read(type, id);
      if (current && !current.deleted) assertMayRead(principal, current);
      assertNotDerived(current?.resource ?? resource, type, id);
      const result = await tx.resources.update({ ...resource, id }, {
        writerOrg: principal.org.sor,
        grantOrgs,
        ...(ifMatch === undefined ? {} : { ifMatch }),
      });
      await grantPatient(tx, result.stored.resource, [principal.org.sor, ...grantOrgs]);
      await auditor.success(res, result.created ? 201 : 200, [], tx.audit);
      return result;
    });
    if (created) res.setHeader('Location', `${base}/${type}/${stored.id}/_history/${stored.versionId}`);
    sendResource(res, created ? 201 : 200, stored);
  });

  router.delete('/:type/:id', async (req, res) => {
    const type = resolveType(req.params.type);
    const id = checkId(req.params.id);
    const principal = guard(res, type, 'd');
    setAuditIntent(res, { action: 'D', interaction: 'delete', resourceType: type, entities: [`${type}/${id}`], query: undefined });
    const deleted = await store.transaction(async (tx) => {
      const current = await tx.resources.read(type, id);
      if (!current) throw notFound(`${type}/${id}`);
      assertMayRead(principal, current);
      if (current.deleted) return current;
      assertNotDerived(current.resource, type, id);
      const d = await tx.resources.delete(type, id, { writerOrg: principal.org.sor, grantOrgs: [] });
      if (type === 'Subscription') await tx.subscriptions.setStatus(id, 'off', undefined, deps.clock.now());
      await auditor.success(res, 200, [], tx.audit);
      return d ?? current;
    });
    res.setHeader('ETag', `W/"${deleted.versionId}"`);
    await auditor.success(res, 200, []); // no-op when already recorded inside the transaction
    res.status(200).type(FHIR_JSON).send(
      JSON.stringify(toOperationOutcome([{ severity: 'information', code: 'informational', diagnostics: `${type}/${id} is deleted` }])),
    );
  });

  /** The *behandlingsansvar* view is derived from the rules and rewritten by them: a hand edit would be silently undone. */
  function assertNotDerived(resource: AnyResource | undefined, type: string, id: string): void {
    const tags = resource?.meta?.tag ?? [];
    if (!tags.some((t) => t.system === RESPONSIBILITY_VIEW_TAG.system && t.code === RESPONSIBILITY_VIEW_TAG.code)) return;
    throw new GatewayError('store.derived', 409, [
      {
        severity: 'error',
        code: 'business-rule',
        diagnostics: `${type}/${id} is derived by Sektorbro from the responsibility rules and cannot be written; a holding department extends its window with POST /api/responsibility/extension`,
        expression: [`${type}.meta.tag`],
      },
    ]);
  }

  function readJson(req: Request): unknown {
    return readJsonRequest(req.header('content-type'), req.body, config.limits.jsonMaxDepth);
  }

  /**
   * Creates or replaces a Subscription: checked, stored `requested` without its secret, and its
   * handshake queued through the outbox, all in one transaction (issue #6, FHIR Subscriptions).
   */
  async function writeSubscription(res: Response, principal: Principal, resource: AnyResource, id: string, ifMatch: number | undefined): Promise<void> {
    const now = deps.clock.now();
    const { stored, created } = await store.transaction(async (tx) => {
      const current = await tx.resources.read('Subscription', id);
      if (current && !current.deleted) assertMayRead(principal, current);
      const previous = await tx.subscriptions.get(id);
      const prepared = prepareSubscription({ ...resource, id }, { org: principal.org.sor, clientId: principal.clientId, previousSecret: previous?.secret });
      const result = await tx.resources.update(prepared.resource, { writerOrg: principal.org.sor, grantOrgs: [], ...(ifMatch === undefined ? {} : { ifMatch }) });
      await tx.subscriptions.put({ ...prepared.record, version: result.stored.versionId }, now);
      await tx.outbox.append('subscription.requested', `Subscription/${id}`, { subscriptionId: id, org: principal.org.sor, version: result.stored.versionId }, now);
      await auditor.success(res, result.created ? 201 : 200, [`Subscription/${id}`], tx.audit);
      return result;
    });
    if (created) res.setHeader('Location', `${base}/Subscription/${stored.id}/_history/${stored.versionId}`);
    sendResource(res, created ? 201 : 200, stored);
  }

  /**
   * One registry Organization per SOR code: routing trusts exactly one, so a second would silently
   * make the recipient unroutable. The clash is a 422 naming the identifier and the row that has it.
   */
  async function assertSorIsFree(resource: AnyResource, id: string | undefined): Promise<void> {
    if (resource.resourceType !== 'Organization') return;
    for (const [i, identifier] of ((resource.identifier ?? []) as fhir4.Identifier[]).entries()) {
      if (identifier.system !== SYSTEM.sor || !identifier.value) continue;
      const page = await store.resources.search({
        type: 'Organization',
        criteria: [
          { kind: 'token', param: 'identifier', values: [{ system: SYSTEM.sor, code: identifier.value }] },
          { kind: 'meta-tag', system: REGISTRY_TAG.system, code: REGISTRY_TAG.code },
        ],
        count: 5,
        total: false,
      }, { kind: 'all' });
      const other = page.items.find((o) => o.id !== id && !o.deleted);
      if (other) {
        throw unprocessable([{
          severity: 'error', code: 'duplicate',
          diagnostics: `SOR ${identifier.value} is already in the registry as Organization/${other.id}; update that one instead`,
          expression: [`Organization.identifier[${String(i)}]`],
        }]);
      }
    }
  }

  function readResource(req: Request, type: string): AnyResource {
    return validated(readJson(req), type);
  }

  function validated(body: unknown, type: string): AnyResource {
    if (!isResourceLike(body)) throw badRequest('The body must be a FHIR resource: a JSON object with a resourceType', ['resourceType'], 'structure');
    const issues = validator.validate(body, { resourceType: type });
    if (hasErrors(issues)) throw unprocessable(issues);
    return body;
  }

  async function resolveOrganizationSor(reference: string): Promise<string | undefined> {
    const id = /^Organization\/([A-Za-z0-9\-.]{1,64})$/.exec(reference)?.[1];
    if (!id) return undefined;
    const org = await store.resources.read('Organization', id);
    const identifiers = (org?.resource?.identifier ?? []) as fhir4.Identifier[];
    return identifiers.find((i) => i.system === SYSTEM.sor)?.value;
  }

  return router;
}

/** Organisations that may read a resource about a patient may read that Patient too ("its patients"). */
async function grantPatient(tx: StoreTx, resource: AnyResource | undefined, orgs: string[]): Promise<void> {
  if (!resource || resource.resourceType === 'Patient') return;
  for (const key of ['subject', 'patient'] as const) {
    const ref = (resource[key] as { reference?: unknown } | undefined)?.reference;
    const id = typeof ref === 'string' ? /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(ref)?.[1] : undefined;
    // A reference to a Patient not (yet) stored grants nothing; it must not fail the write.
    if (id && (await tx.resources.read('Patient', id))) await tx.resources.grant('Patient', id, orgs);
  }
}

/** Registry types written through the REST API (admin) are the curated registry. */
function tagRegistry(resource: AnyResource): AnyResource {
  return REGISTRY_TYPES.includes(resource.resourceType) ? withRegistryTag(resource, true) : resource;
}

/**
 * A row not shared with the caller's organisation answers 404, exactly as a row that does not exist:
 * ids derive from CPR numbers, so a 403 would tell whether a person has data here. The denial is
 * still audited (outcome 4).
 */
function assertMayRead(principal: Principal, stored: StoredResource): void {
  if (!mayRead(principal, stored)) throw notFound(`${stored.type}/${stored.id}`);
}

function notSupportedType(type: string): GatewayError {
  return new GatewayError('http.unknown-type', 404, [
    { severity: 'error', code: 'not-supported', diagnostics: `Resource type ${type || '(none)'} is not supported by this server; see /fhir/metadata` },
  ]);
}

function checkId(id: string | undefined): string {
  if (id === undefined || !FHIR_ID.test(id)) throw badRequest('The id is not a valid FHIR id ([A-Za-z0-9-.]{1,64})', undefined, 'value');
  return id;
}

function asBuffer(body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}

function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const m = /^(?:W\/)?"(\d+)"$/.exec(header.trim());
  if (!m?.[1]) throw badRequest('If-Match must be a version ETag such as W/"3"', undefined, 'value');
  return Number(m[1]);
}

function unwrapParameters(body: unknown): unknown {
  if (isResourceLike(body) && body.resourceType === 'Parameters') {
    const params = (body.parameter ?? []) as { name?: string; resource?: unknown }[];
    const p = params.find((x) => x.name === 'resource');
    if (!p?.resource) throw badRequest('Parameters must hold the resource to validate in a parameter named "resource"', ['Parameters.parameter']);
    return p.resource;
  }
  return body;
}

function sendBundle(res: Response, bundle: fhir4.Bundle): void {
  res.status(200).type(FHIR_JSON).send(JSON.stringify(bundle));
}

/**
 * Endpoint.header carries a receiver's own credentials (`Authorization: ...`) for Sektorbro's pushes;
 * every role reads the registry, but only admin sees those lines.
 */
function redactForCaller(principal: Principal | undefined, stored: StoredResource): StoredResource {
  if (stored.type !== 'Endpoint' || principal?.role === 'admin' || !stored.resource || !('header' in stored.resource)) return stored;
  const { header: _header, ...rest } = stored.resource;
  return { ...stored, resource: rest };
}

const redactPage = <P extends { items: StoredResource[] }>(principal: Principal, page: P): P => ({ ...page, items: page.items.map((s) => redactForCaller(principal, s)) });

function sendResource(res: Response, status: number, storedAsIs: StoredResource): void {
  const stored = redactForCaller(res.locals.principal as Principal | undefined, storedAsIs);
  res.setHeader('ETag', `W/"${stored.versionId}"`);
  res.setHeader('Last-Modified', stored.lastUpdated.toUTCString());
  const prefer = res.req.header('prefer') ?? '';
  if (/return=minimal/.test(prefer)) {
    res.status(status).end();
    return;
  }
  res.status(status).type(FHIR_JSON).send(JSON.stringify(stored.resource));
}

/** A first guess at what a request is, so 401s and 403s are audited before any route runs. */
function inferIntent(req: Request): AuditIntent {
  const [type] = req.path.split('/').filter(Boolean);
  const action = req.method === 'POST' ? 'C' : req.method === 'PUT' ? 'U' : req.method === 'DELETE' ? 'D' : 'R';
  return { action, interaction: req.method.toLowerCase(), resourceType: type, entities: [], query: undefined };
}
