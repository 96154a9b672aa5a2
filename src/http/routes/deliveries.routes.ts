import { Router, type Response } from 'express';
import { mayInteract, mayRead, type Principal } from '../../auth/index.ts';
import { badRequest, FHIR_ID, forbidden, notFound } from '../../shared/index.ts';
import type { DeliveryRecord, DeliveryStatus, DocumentRecord } from '../../store/index.ts';
import type { AppDeps } from '../deps.ts';
import { setAuditIntent, type Auditor } from '../audit.ts';

const STATUSES: readonly DeliveryStatus[] = ['pending', 'in-flight', 'awaiting-ack', 'delivered', 'acknowledged', 'superseded', 'dead-letter', 'unroutable'];

/** One delivery as operators and senders see it: recipient, basis, state, and every step with its time. */
function view(d: DeliveryRecord, record: DocumentRecord | undefined): Record<string, unknown> {
  return {
    id: d.id,
    source: d.source,
    recipient: d.recipientSor ? { sor: d.recipientSor } : null,
    basis: d.basis,
    status: d.status,
    attempts: d.attempts,
    ...(d.messageHeaderId ? { messageHeaderId: d.messageHeaderId } : {}),
    ...(d.documentKey ? { document: { key: d.documentKey, version: d.documentVersion } } : {}),
    ...(d.lastError ? { reason: d.lastError } : {}),
    ...(d.nextAttemptAt && ['pending', 'awaiting-ack'].includes(d.status) ? { nextAttemptAt: d.nextAttemptAt.toISOString() } : {}),
    timeline: [
      ...(record ? [{ status: 'received', at: record.receivedAt.toISOString() }, { status: 'validated', at: record.receivedAt.toISOString() }, { status: 'stored', at: record.receivedAt.toISOString() }] : []),
      ...d.timeline.map((e) => ({ status: e.status, at: e.at.toISOString(), ...e.detail })),
    ],
  };
}

/**
 * Delivery timelines and the operator's dead-letter list:
 * - `GET /api/deliveries?document=<DocumentReference id>`: who a document goes to, on what basis, each step with its time;
 * - `GET /api/deliveries?status=dead-letter[,...][&recipient=<SOR>]`: admin and quality staff;
 * - `GET /api/deliveries/<id>`; `POST /api/deliveries/<id>/$replay` (admin): sends it again with the same identifiers.
 */
export function deliveriesRouter(deps: AppDeps, auditor: Auditor): Router {
  const { store } = deps;
  const router = Router();

  /** The document behind a DocumentReference, if the caller may see it (404 as if absent otherwise). */
  const visibleDocument = async (principal: Principal, documentReferenceId: string): Promise<DocumentRecord | undefined> => {
    // The same scope and role rules as reading the DocumentReference itself (relays read nothing),
    // except that quality staff see document metadata (issue #3).
    if (principal.role !== 'quality') mayInteract(principal, 'DocumentReference', 'r');
    const ref = await store.resources.read('DocumentReference', documentReferenceId);
    if (!ref) throw notFound(`DocumentReference/${documentReferenceId}`);
    if (principal.role !== 'quality' && !mayRead(principal, ref)) throw notFound(`DocumentReference/${documentReferenceId}`); // as if absent: see assertMayRead
    return store.documents.byReference(documentReferenceId);
  };
  const operatorsOnly = (principal: Principal, what: string): void => {
    if (principal.role !== 'admin' && principal.role !== 'quality') throw forbidden(`Only admin and quality clients may ${what}`);
  };
  const audited = (res: Response, entities: string[], interaction = 'search-type'): void => {
    setAuditIntent(res, { action: interaction === 'operation' ? 'E' : 'R', interaction, resourceType: 'DocumentReference', entities, query: undefined });
  };

  router.get('/deliveries', async (req, res) => {
    const principal = res.locals.principal as Principal;
    const document = typeof req.query.document === 'string' ? req.query.document : undefined;
    const status = typeof req.query.status === 'string' ? req.query.status : undefined;
    if (document === undefined && status !== undefined) {
      audited(res, []);
      operatorsOnly(principal, 'list deliveries by status');
      const statuses = status.split(',');
      const unknown = statuses.find((s) => !STATUSES.includes(s as DeliveryStatus));
      if (unknown !== undefined) throw badRequest(`Unknown delivery status "${unknown}"; known: ${STATUSES.join(', ')}`, ['status'], 'value');
      const recipient = typeof req.query.recipient === 'string' ? req.query.recipient : undefined;
      const count = Math.min(Number(req.query._count ?? 100) || 100, 1000);
      const cursor = typeof req.query._cursor === 'string' ? req.query._cursor : undefined;
      const page = await store.deliveries.list({ statuses: statuses as DeliveryStatus[], recipientSor: recipient, count, cursor });
      await auditor.success(res, 200, page.items.map((d) => d.source));
      res.json({ deliveries: page.items.map((d) => view(d, undefined)), ...(page.next ? { next: `?status=${status}${recipient ? `&recipient=${recipient}` : ''}&_count=${String(count)}&_cursor=${page.next}` } : {}) });
      return;
    }
    if (!document || !FHIR_ID.test(document)) throw badRequest('Give the DocumentReference id: /api/deliveries?document=<id> (or ?status=dead-letter)', ['document'], 'required');
    audited(res, [`DocumentReference/${document}`]);
    const record = await visibleDocument(principal, document);
    const deliveries = await store.deliveries.bySource(`DocumentReference/${document}`);
    await auditor.success(res, 200, []);
    res.json({
      document: `DocumentReference/${document}`,
      received: record ? { receivedAt: record.receivedAt.toISOString(), status: record.status, senderSor: record.senderOrg } : undefined,
      deliveries: deliveries.map((d) => view(d, record)),
    });
  });

  router.get('/deliveries/:id', async (req, res) => {
    const principal = res.locals.principal as Principal;
    const d = FHIR_ID.test(req.params.id) ? await store.deliveries.get(req.params.id) : undefined;
    audited(res, d ? [d.source] : []);
    if (!d) throw notFound(`Delivery ${req.params.id}`);
    const docId = /^DocumentReference\/(.+)$/.exec(d.source)?.[1];
    let record: DocumentRecord | undefined;
    if (docId) record = await visibleDocument(principal, docId);
    else operatorsOnly(principal, 'read message deliveries');
    await auditor.success(res, 200, [d.source]);
    res.json(view(d, record));
  });

  router.post('/deliveries/:id/:operation', async (req, res) => {
    const principal = res.locals.principal as Principal;
    if (req.params.operation !== '$replay') throw notFound(`Operation ${req.params.operation}`);
    audited(res, [], 'operation');
    if (principal.role !== 'admin') throw forbidden('Only admin clients may replay deliveries');
    const replayed = deps.deliveries && FHIR_ID.test(req.params.id) ? await deps.deliveries.replay(req.params.id, { clientId: principal.clientId }) : undefined;
    if (!replayed) throw notFound(`Delivery ${req.params.id}`);
    await auditor.success(res, 200, [replayed.source]);
    res.json(view(replayed, undefined));
  });
  return router;
}

const TASK_STATUS: Record<DeliveryStatus, fhir4.Task['status']> = {
  pending: 'ready',
  'in-flight': 'in-progress',
  'awaiting-ack': 'in-progress',
  delivered: 'completed',
  acknowledged: 'completed',
  superseded: 'cancelled',
  'dead-letter': 'failed',
  unroutable: 'failed',
};

/**
 * A delivery as a FHIR Task (issue #6, "Seeing deliveries"): focus the document or message, owner
 * the recipient, business status ours, and the timeline as outputs, each step with its time.
 */
export function deliveryTask(d: DeliveryRecord): fhir4.Task {
  const focus = /^(DocumentReference|MessageHeader|Subscription)\/[A-Za-z0-9\-.]{1,64}/.exec(d.source)?.[0];
  const sent = d.timeline.find((e) => e.status === 'sent')?.at;
  return {
    resourceType: 'Task',
    id: d.id,
    status: TASK_STATUS[d.status],
    businessStatus: { text: d.status },
    intent: 'order',
    code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill' }], text: 'Deliver to the recipient' },
    description: d.basis,
    ...(focus ? { focus: { reference: focus } } : {}),
    ...(d.patientId ? { for: { reference: `Patient/${d.patientId}` } } : {}),
    authoredOn: d.createdAt.toISOString(),
    lastModified: d.updatedAt.toISOString(),
    requester: { display: 'Sektorbro' },
    ...(d.recipientSor && /^\d+$/.test(d.recipientSor) ? { owner: { identifier: { system: 'urn:oid:1.2.208.176.1.1', value: d.recipientSor } } } : {}),
    ...(d.recipientSor?.startsWith('Subscription/') ? { owner: { reference: d.recipientSor } } : {}),
    ...(d.lastError ? { statusReason: { text: d.lastError } } : {}),
    ...(sent ? { executionPeriod: { start: sent.toISOString(), ...(d.completedAt ? { end: d.completedAt.toISOString() } : {}) } } : {}),
    output: d.timeline.map((e) => ({ type: { text: e.status }, valueDateTime: e.at.toISOString() })),
  };
}

/** `GET /fhir/Task?focus=DocumentReference/<id>` and `GET /fhir/Task/<id>`: deliveries in FHIR terms, visible like the timeline. */
export function deliveryTaskRouter(deps: AppDeps, auditor: Auditor): Router {
  const { store } = deps;
  const router = Router();
  const base = `${deps.config.publicBaseUrl}/fhir`;
  const mayReadSource = async (principal: Principal, source: string): Promise<boolean> => {
    if (principal.role === 'admin' || principal.role === 'quality') return true;
    const docId = /^DocumentReference\/(.+)$/.exec(source)?.[1];
    if (!docId) return false;
    mayInteract(principal, 'DocumentReference', 'r');
    const ref = await store.resources.read('DocumentReference', docId);
    return ref !== undefined && mayRead(principal, ref);
  };
  router.get('/Task', async (req, res) => {
    const principal = res.locals.principal as Principal;
    const focus = typeof req.query.focus === 'string' ? req.query.focus : undefined;
    setAuditIntent(res, { action: 'E', interaction: 'search-type', resourceType: 'Task', entities: focus ? [focus] : [], query: focus ? `focus=${focus}` : undefined });
    if (!focus || !/^(DocumentReference|MessageHeader)\/[A-Za-z0-9\-.]{1,64}$/.test(focus)) {
      throw badRequest('Search deliveries by what they carry: Task?focus=DocumentReference/<id>', ['focus'], 'required');
    }
    const visible = await mayReadSource(principal, focus);
    const tasks = visible ? (await store.deliveries.bySource(focus)).map(deliveryTask) : [];
    await auditor.success(res, 200, tasks.map((t) => `Task/${t.id ?? ''}`));
    res.type('application/fhir+json').send(JSON.stringify({
      resourceType: 'Bundle', type: 'searchset', total: tasks.length,
      entry: tasks.map((t) => ({ fullUrl: `${base}/Task/${t.id ?? ''}`, resource: t, search: { mode: 'match' } })),
    }));
  });
  router.get('/Task/:id', async (req, res) => {
    const principal = res.locals.principal as Principal;
    setAuditIntent(res, { action: 'R', interaction: 'read', resourceType: 'Task', entities: [`Task/${req.params.id}`], query: undefined });
    const d = FHIR_ID.test(req.params.id) ? await store.deliveries.get(req.params.id) : undefined;
    if (!d || !(await mayReadSource(principal, d.source))) throw notFound(`Task/${req.params.id}`);
    await auditor.success(res, 200, [d.source]);
    res.type('application/fhir+json').send(JSON.stringify(deliveryTask(d)));
  });
  return router;
}
