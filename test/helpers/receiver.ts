import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildAcknowledgement, isReadFailure, readMessage, type AckResponseCode } from '../../src/medcom/index.ts';

/** One request a receiver got, as it got it. */
export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  json: Record<string, unknown> | undefined;
}

/** What the receiver does with one request; `hang` never answers (the sender's timeout decides). */
export type Answer =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { ack: AckResponseCode; status?: number }
  | { hang: true }
  | { destroy: true };

/**
 * A real HTTP receiver on 127.0.0.1 (a municipal or GP system) for delivery tests: it records every
 * request and answers as the test scripts it, one answer per request, then the default. `{ ack }`
 * answers a MedCom message with a real Acknowledgement Bundle built by Sektorbro's own builder.
 */
export interface TestReceiver {
  url: string;
  received: Received[];
  /** Answers for the next requests, in order. */
  script(...answers: Answer[]): void;
  /** The answer after the script runs out. */
  setDefault(answer: Answer): void;
  close(): Promise<void>;
}

export const RECEIVER_ORG = { sor: '953741000016009', gln: '5790001348120', name: 'Herlev Kommune' };

export async function startReceiver(defaultAnswer: Answer = { status: 200, body: { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational' }] } }): Promise<TestReceiver> {
  const received: Received[] = [];
  const scripted: Answer[] = [];
  let fallback = defaultAnswer;
  const hanging = new Set<ServerResponse>();

  const answer = (req: Received, res: ServerResponse, a: Answer): void => {
    if ('hang' in a) {
      hanging.add(res);
      return;
    }
    if ('destroy' in a) {
      res.socket?.destroy();
      return;
    }
    if ('ack' in a) {
      const read = readMessage(req.json);
      if (isReadFailure(read)) {
        res.writeHead(400).end();
        return;
      }
      const ack = buildAcknowledgement(read, { code: a.ack, ...(a.ack === 'ok' ? {} : { issues: [{ severity: 'error', code: a.ack === 'fatal-error' ? 'invalid' : 'exception', diagnostics: `test receiver says ${a.ack}`, expression: ['Bundle.entry[0]'] }] }) }, {
        us: RECEIVER_ORG,
        now: new Date(),
        ids: { bundleId: randomUUID(), headerId: randomUUID(), provenanceId: randomUUID() },
      });
      res.writeHead(a.status ?? 200, { 'Content-Type': 'application/fhir+json' }).end(JSON.stringify(ack));
      return;
    }
    res.writeHead(a.status, { 'Content-Type': 'application/fhir+json', ...a.headers }).end(a.body === undefined ? undefined : JSON.stringify(a.body));
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> | undefined;
      try {
        json = body ? (JSON.parse(body) as Record<string, unknown>) : undefined;
      } catch {
        json = undefined;
      }
      const r: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json };
      received.push(r);
      answer(r, res, scripted.shift() ?? fallback);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}/fhir`,
    received,
    script(...answers) {
      scripted.push(...answers);
    },
    setDefault(a) {
      fallback = a;
    },
    async close() {
      for (const res of hanging) res.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    },
  };
}

/** Polls until `check` returns a value (not undefined/false) or the time runs out; the time bound is a safety net, not an assertion. */
export async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
