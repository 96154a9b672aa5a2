import { Router } from 'express';
import { mayInteract, mayRead, type Principal } from '../../auth/index.ts';
import { badRequest, FHIR_ID, notFound } from '../../shared/index.ts';
import type { AppDeps } from '../deps.ts';
import { setAuditIntent, type Auditor } from '../audit.ts';

/**
 * `GET /api/deliveries?document=<DocumentReference id>`: who a document goes to, on what basis, and
 * each step with its time. Visible to those who may read the document, and to quality staff and admin.
 */
export function deliveriesRouter(deps: AppDeps, auditor: Auditor): Router {
  const { store } = deps;
  const router = Router();
  router.get('/deliveries', async (req, res) => {
    const principal = res.locals.principal as Principal;
    const document = typeof req.query.document === 'string' ? req.query.document : undefined;
    if (!document || !FHIR_ID.test(document)) throw badRequest('Give the DocumentReference id: /api/deliveries?document=<id>', ['document'], 'required');
    setAuditIntent(res, { action: 'R', interaction: 'search-type', resourceType: 'DocumentReference', entities: [`DocumentReference/${document}`], query: undefined });
    // The same scope and role rules as reading the DocumentReference itself (relays read nothing),
    // except that quality staff see document metadata (issue #3).
    if (principal.role !== 'quality') mayInteract(principal, 'DocumentReference', 'r');
    const ref = await store.resources.read('DocumentReference', document);
    if (!ref) throw notFound(`DocumentReference/${document}`);
    if (principal.role !== 'quality' && !mayRead(principal, ref)) throw notFound(`DocumentReference/${document}`); // as if absent: see assertMayRead
    const record = (await store.documents.byReference(document));
    const deliveries = await store.deliveries.bySource(`DocumentReference/${document}`);
    await auditor.success(res, 200, []);
    res.json({
      document: `DocumentReference/${document}`,
      received: record ? { receivedAt: record.receivedAt.toISOString(), status: record.status, senderSor: record.senderOrg } : undefined,
      deliveries: deliveries.map((d) => ({
        id: d.id,
        recipient: d.recipientSor ? { sor: d.recipientSor } : null,
        basis: d.basis,
        status: d.status,
        timeline: [
          ...(record ? [{ status: 'received', at: record.receivedAt.toISOString() }, { status: 'validated', at: record.receivedAt.toISOString() }, { status: 'stored', at: record.receivedAt.toISOString() }] : []),
          ...d.timeline.map((e) => ({ status: e.status, at: e.at.toISOString(), ...e.detail })),
        ],
      })),
    });
  });
  return router;
}
