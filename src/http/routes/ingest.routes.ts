import express, { Router } from 'express';
import { mayInteract, mayProcessMessage, type Principal } from '../../auth/index.ts';
import { findRegistrySor } from '../../delivery/index.ts';
import { ingestDocument, processMessage } from '../../ingest/index.ts';
import { descendantGlns, mapOioxml, parseOioxml } from '../../mapping/index.ts';
import { SYSTEM, unsupportedMediaType, type Issue } from '../../shared/index.ts';
import { setAuditIntent, type Auditor } from '../audit.ts';
import type { AppDeps } from '../deps.ts';
import { FHIR_JSON } from '../error-handler.ts';
import { authenticate, rateLimitPerClient } from '../middleware.ts';

const XML_TYPES = new Set(['application/xml', 'text/xml']);

/**
 * `POST /ingest/oioxml`: legacy MedCom OIOXML letters (XDIS01, XDIS18, XDIS21, GGOP, XDIS91),
 * parsed safely, mapped by the declarative specs in `mappings/` to the same profiles as the FHIR
 * route, then stored exactly as a FHIR document would be.
 */
export function ingestRouter(deps: AppDeps, auditor: Auditor): Router {
  const { config, store, validator, clock, clients, mappings } = deps;
  const router = Router();
  router.use((_req, res, next) => {
    setAuditIntent(res, { action: 'C', interaction: 'create', resourceType: 'Bundle', entities: [], query: undefined });
    next();
  });
  router.use(authenticate({ secret: config.auth.tokenSigningSecret, issuer: config.publicBaseUrl, registry: clients, clock }));
  router.use(rateLimitPerClient(config.limits.rateLimitPerMinute));

  router.post('/oioxml', express.raw({ type: () => true, limit: config.limits.bodyBytes }), async (req, res) => {
    const principal = res.locals.principal as Principal;
    mayProcessMessage(principal); // every letter needs system/Bundle.c; documents additionally a hospital (below)
    const mime = (req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (!XML_TYPES.has(mime)) throw unsupportedMediaType(`Content-Type ${mime || '(none)'} is not accepted here; send application/xml`);
    const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const doc = parseOioxml(bytes, { maxBytes: config.limits.bodyBytes, maxDepth: config.limits.jsonMaxDepth });
    const sorByGln = await knownSors(deps, descendantGlns(doc));
    const mapped = mapOioxml(mappings, doc, { receivedAt: clock.now(), sorForGln: (gln) => sorByGln.get(gln) });
    const submitter = { clientId: principal.clientId, org: principal.org.sor, mayActForAnySender: principal.role === 'admin' || principal.role === 'relay' };
    if (mapped.bundle.type === 'message') {
      // XDIS91 becomes a MedCom CareCommunication: stored as any received CareCommunication is, with its thread.
      const message = await processMessage(
        { store, validator, clock, timeliness: config.timeliness, validateMedCom: (b) => legacyLetterIssues(validator.validate(b, { resourceType: 'Bundle' }), deps.medcom.validateMessage(b).issues) },
        mapped.bundle,
        { bytes, mediaType: mime, format: 'oioxml' },
        submitter,
        (tx, entities, status) => auditor.success(res, status === 200 ? 201 : status, entities, tx.audit),
      );
      if (message.replay) res.setHeader('X-Sektorbro-Replay', 'true');
      res.status(message.status === 200 ? 201 : message.status).type(FHIR_JSON).send(JSON.stringify(message.body));
      return;
    }
    mayInteract(principal, 'Bundle', 'c');
    const result = await ingestDocument(
      { store, validator, clock, timeliness: config.timeliness },
      mapped.bundle,
      { bytes, mediaType: mime, format: 'oioxml', mapping: `${mapped.mappingId}|${mapped.mappingVersion}`, issues: mapped.issues },
      { ...submitter, mayActForAnySender: principal.role === 'admin' },
      (tx, entities) => auditor.success(res, 201, entities, tx.audit),
    );
    if (result.replay) res.setHeader('X-Sektorbro-Replay', 'true');
    res.setHeader('Location', `${config.publicBaseUrl}/fhir/DocumentReference/${result.documentReferenceId}`);
    res.status(result.status).type(FHIR_JSON).send(JSON.stringify(result.body));
  });
  return router;
}

/**
 * A legacy XDIS91 letter lacks what CareCommunication 5.0 requires of a native sender (a payload
 * author with a practitioner name, attachment titles): base R4 errors still refuse it, but MedCom
 * profile findings become warnings, so the letter is kept for its receiver rather than lost.
 */
function legacyLetterIssues(base: readonly Issue[], medcom: readonly Issue[]): Issue[] {
  const seen = new Set(base.map((i) => `${i.diagnostics}|${(i.expression ?? []).join()}`));
  const fromProfiles = medcom
    .filter((i) => !seen.has(`${i.diagnostics}|${(i.expression ?? []).join()}`))
    .map((i): Issue => (i.severity === 'error' || i.severity === 'fatal'
      ? { ...i, severity: 'warning', diagnostics: `${i.diagnostics} (not carried by the legacy XDIS91 letter)` }
      : i));
  return [...base, ...fromProfiles];
}

/**
 * SOR codes for the GLNs (EAN location numbers) a letter names: OIOXML carries only GLNs, while
 * Sektorbro's identities are SOR codes. Known from the registered clients' organisations and from
 * curated registry Organizations that carry both identifiers (never from what documents carried).
 */
async function knownSors(deps: AppDeps, glns: readonly string[]): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const c of deps.clients.list()) if (c.org.gln) map.set(c.org.gln, c.org.sor);
  for (const gln of new Set(glns)) {
    if (map.has(gln)) continue;
    const sor = await findRegistrySor(deps.store.resources, SYSTEM.gln, gln);
    if (sor) map.set(gln, sor);
  }
  return map;
}
