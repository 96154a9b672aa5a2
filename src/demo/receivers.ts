import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildAcknowledgement, isReadFailure, readMessage } from '../medcom/index.ts';
import type { Clock } from '../shared/index.ts';
import type { DemoOrganization } from './generator.ts';
import type { Rng } from './generator.ts';

/**
 * The demo's receivers on 127.0.0.1: a GP system that takes documents by FHIR REST (`PUT
 * <base>/Bundle/<id>`), and a municipal system that takes documents the same way and answers MedCom
 * `$process-message` with an `ok` Acknowledgement from the municipality the message was addressed
 * to. Each organisation has its own base URL under one server: `<url>/<sor>/fhir`.
 */
export interface DemoReceiver {
  /** `http://127.0.0.1:<port>`; an organisation's FHIR base is `${url}/${sor}/fhir`. */
  url: string;
  baseOf(sor: string): string;
  /** Requests taken, by kind. */
  counts: { documents: number; messages: number; refused: number };
  close(): Promise<void>;
}

const FHIR_JSON = 'application/fhir+json';
/** Larger bodies are refused: the demo's own documents are a few tens of KB. */
const MAX_BODY_BYTES = 5 * 1024 * 1024;

const informational = (diagnostics: string): Record<string, unknown> => ({
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'information', code: 'informational', diagnostics }],
});

const refusal = (code: string, diagnostics: string): Record<string, unknown> => ({
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code, diagnostics }],
});

/**
 * Starts one receiver for `organisations`. Acknowledgements carry the simulated time (`clock`) and
 * ids drawn from `rng`, so two runs of the demo store the same acknowledgements.
 */
export async function startDemoReceiver(organisations: readonly DemoOrganization[], clock: Clock, rng: Rng): Promise<DemoReceiver> {
  const bySor = new Map(organisations.map((o) => [o.sor, o]));
  const counts = { documents: 0, messages: 0, refused: 0 };

  const answer = (res: ServerResponse, status: number, body: unknown): void => {
    if (status >= 400) counts.refused++;
    res.writeHead(status, { 'Content-Type': FHIR_JSON }).end(JSON.stringify(body));
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const m = /^\/(\d{11,18})\/fhir\/(.+)$/.exec(req.url ?? '');
    const us = m?.[1] === undefined ? undefined : bySor.get(m[1]);
    const rest = m?.[2] ?? '';
    if (!us) {
      answer(res, 404, refusal('not-found', 'No demo organisation at this address'));
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      answer(res, 400, refusal('structure', 'The body is not JSON'));
      return;
    }
    if (req.method === 'PUT' && /^Bundle\/[A-Za-z0-9\-.]{1,64}$/.test(rest)) {
      counts.documents++;
      answer(res, 201, informational(`Stored by the demo system of ${us.name}`));
      return;
    }
    if (req.method === 'POST' && rest === '$process-message') {
      const read = readMessage(json);
      if (isReadFailure(read) || read.kind === 'acknowledgement') {
        answer(res, 400, refusal('structure', 'Not a MedCom message this demo receiver answers'));
        return;
      }
      counts.messages++;
      const ack = buildAcknowledgement(read, { code: 'ok' }, { us, now: clock.now(), ids: { bundleId: rng.uuid(), headerId: rng.uuid(), provenanceId: rng.uuid() } });
      answer(res, 200, ack);
      return;
    }
    answer(res, 405, refusal('not-supported', 'The demo receiver takes PUT Bundle/<id> and POST $process-message'));
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        answer(res, 413, refusal('too-costly', 'The body is too large'));
        return;
      }
      handle(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => { resolve(); });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${String(port)}`;
  return {
    url,
    baseOf: (sor) => `${url}/${sor}/fhir`,
    counts,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    },
  };
}
