import express, { Router } from 'express';
import { buildAcknowledgement, isReadFailure, readMessage } from '../../medcom/index.ts';
import { deterministicId, unauthenticated } from '../../shared/index.ts';
import type { AppDeps } from '../deps.ts';
import { FHIR_JSON } from '../error-handler.ts';
import { parseJsonBody } from '../json-body.ts';

/**
 * The demo receivers of the embedded default (demo clients on, never in production): what the demo
 * municipality's and GP's systems would do with what Sektorbro pushes to them. Documents by PUT are
 * taken (201); MedCom messages get an `ok` Acknowledgement from the organisation they were sent to.
 * They check the bearer token the seeded Endpoint carries, and keep nothing.
 */
export function demoReceiverRouter(deps: AppDeps, token: string): Router {
  const router = Router();
  const body = express.raw({ type: () => true, limit: deps.config.limits.bodyBytes });
  router.use('/demo/receivers', (req, _res, next) => {
    if (req.header('authorization') !== `Bearer ${token}`) {
      next(unauthenticated('The demo receiver takes pushes from this Sektorbro only'));
      return;
    }
    next();
  });
  router.put('/demo/receivers/:sor/fhir/:type/:id', body, (req, res) => {
    deps.logger.info('demo-receiver.received', { sor: req.params.sor, type: req.params.type, id: req.params.id });
    res.status(201).type(FHIR_JSON).send(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: 'Taken by the demo receiver' }] }));
  });
  router.post('/demo/receivers/:sor/fhir/$process-message', body, (req, res) => {
    const message = readMessage(parseJsonBody(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), deps.config.limits.jsonMaxDepth));
    if (isReadFailure(message)) {
      res.status(400).type(FHIR_JSON).send(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'structure', diagnostics: 'Not a MedCom message' }] }));
      return;
    }
    const ack = buildAcknowledgement(message, { code: 'ok' }, {
      us: { sor: message.receiver.sor, gln: message.receiver.gln, name: message.receiver.name ?? message.receiver.sor },
      now: deps.clock.now(),
      ids: { bundleId: deterministicId(`demo-ack-bundle|${message.bundleId}`), headerId: deterministicId(`demo-ack|${message.headerId}`), provenanceId: deterministicId(`demo-ack-provenance|${message.headerId}`) },
    });
    deps.logger.info('demo-receiver.acknowledged', { sor: req.params.sor, messageHeaderId: message.headerId });
    res.status(200).type(FHIR_JSON).send(JSON.stringify(ack));
  });
  return router;
}
