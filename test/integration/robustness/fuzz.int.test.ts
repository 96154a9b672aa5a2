import { readFileSync, readdirSync } from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROFILES_DIR } from '../../../src/gateway.ts';
import { STORED_TYPES, type Store } from '../../../src/store/index.ts';
import { FHIR_JSON, startTestApp, type TestApp } from '../../helpers/app.ts';
import { epikriseBundle } from '../../helpers/documents.ts';
import { examplePath, listExamples, readExampleJson } from '../../helpers/examples.ts';
import { caseSeed, fuzzCase, type Json, type Mutation } from '../../helpers/mutate.ts';
import { backends } from '../../helpers/store.ts';

/**
 * Robustness (issue #9): the ingest endpoints against random mutations of valid input, the Synthea
 * bundles and the JSON parser torture cases: never a 500, never a half-stored document or message,
 * always an OperationOutcome, a DocumentReference or a MedCom acknowledgement. The fuzz run is
 * seeded and bounded; a failure prints the seed and the case index, and
 * `SEKTORBRO_FUZZ_SEED=<seed> SEKTORBRO_FUZZ_CASE=<index>` replays just that case.
 */
const BACKENDS = await backends();

const envInt = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${raw ?? ''}`);
  return n;
};
const SEED = envInt('SEKTORBRO_FUZZ_SEED', 20_261_127);
const RUNS = envInt('SEKTORBRO_FUZZ_RUNS', 60);
const ONLY = process.env.SEKTORBRO_FUZZ_CASE === undefined ? undefined : envInt('SEKTORBRO_FUZZ_CASE', 0);
const CASES = ONLY === undefined ? Array.from({ length: RUNS }, (_, i) => i) : [ONLY];
const REPLAY = `SEKTORBRO_FUZZ_SEED=${String(SEED)} SEKTORBRO_FUZZ_RUNS=${String(RUNS)}`;

/**
 * Known findings, skipped so the rest of a run still guards: `<seed>:<endpoint>#<case index>`.
 * Empty: the two this file found (seeds 1 and 3: a lone UTF-16 surrogate in an identifier reached
 * uuid v5 and gave a 500) are fixed, and the "lone surrogates" tests below keep them fixed.
 */
const KNOWN_FINDINGS = new Set<string>([]);

const EXAMPLES = `${PROFILES_DIR}examples/`;
const readText = (path: string): string => readFileSync(path, 'utf8');
const documentSources: { name: string; json: Json }[] = [
  ...readdirSync(EXAMPLES).filter((f) => /-bundle-valid-.*\.json$/.test(f)).sort()
    .map((f) => ({ name: f, json: JSON.parse(readText(`${EXAMPLES}${f}`)) as Json })),
  { name: 'epikriseBundle()', json: epikriseBundle() as Json },
];
const messageSources: { name: string; json: Json }[] = listExamples('medcom', (f) => f.endsWith('.json'))
  .map((f) => ({ name: f, json: readExampleJson('medcom', f) as Json }));
const synthea = listExamples('synthea', (f) => f.endsWith('.json') && f !== 'index.json');
const torture = listExamples('jsontestsuite/test_parsing', (f) => f.endsWith('.json'));

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const at = (v: unknown, ...path: (string | number)[]): unknown => {
  let cur = v;
  for (const p of path) cur = Array.isArray(cur) && typeof p === 'number' ? cur[p] : isObj(cur) && typeof p === 'string' ? cur[p] : undefined;
  return cur;
};
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * A copy of `source` with its identities made unique to this case, so each case stands alone: an
 * earlier case's stored message or document version is never replayed in its place. Only the last
 * 12 characters change, which keeps the examples' own quirks (non-UUID ids) intact.
 */
function freshen(source: Json, ids: readonly (string | undefined)[], tag: string): Json {
  let text = JSON.stringify(source);
  for (const id of ids) if (id && id.length >= 12) text = text.replaceAll(id, `${id.slice(0, -12)}${tag}`);
  return JSON.parse(text) as Json;
}
const tagOf = (index: number): string => `${caseSeed(SEED, index).toString(16).padStart(8, '0')}${index.toString(16).padStart(4, '0')}`.slice(-12);

/**
 * Everything ingest can write, reduced to something comparable: the newest version of each stored
 * resource type (any create, update or delete makes a new one), the outbox and the deliveries.
 */
async function snapshot(store: Store): Promise<string> {
  const newest = await Promise.all(STORED_TYPES.map(async (type) => {
    const page = await store.resources.history(type, undefined, { count: 1, access: { kind: 'all' } });
    const top = page.items[0];
    return top ? `${type}/${top.id}@${String(top.versionId)}` : `${type}/-`;
  }));
  return JSON.stringify({ newest, outbox: await store.outbox.pending(), deliveries: await store.deliveries.counts() });
}

interface Answer { status: number; body: unknown; text: string }
interface Finding { endpoint: string; index: number; source: string; mutations: Mutation[]; status: number; problem: string; body: string; log?: string }

/** supertest JSON-encodes a Buffer sent as JSON; these bytes must go out exactly as they are. */
const asIs = (bytes: Buffer) => (): string => bytes as unknown as string;

const issuesOf = (body: unknown): Obj[] => (Array.isArray(at(body, 'issue')) ? (at(body, 'issue') as unknown[]).filter(isObj) : []);
const isErrorOutcome = (body: unknown): boolean =>
  at(body, 'resourceType') === 'OperationOutcome' && issuesOf(body).some((i) => i.severity === 'error' || i.severity === 'fatal');
const ackCode = (body: unknown): string | undefined => {
  if (at(body, 'resourceType') !== 'Bundle' || at(body, 'type') !== 'message') return undefined;
  const header = at(body, 'entry', 0, 'resource');
  return at(header, 'resourceType') === 'MessageHeader' ? str(at(header, 'response', 'code')) : undefined;
};

/** What POST /fhir/Bundle may answer: a DocumentReference on success, an error OperationOutcome otherwise. */
function documentAnswerProblem(a: Answer): string | undefined {
  if (a.status >= 500) return `status ${String(a.status)}`;
  if (a.status >= 200 && a.status < 300) return at(a.body, 'resourceType') === 'DocumentReference' ? undefined : 'a 2xx that is not a DocumentReference';
  if (a.status >= 400) return isErrorOutcome(a.body) ? undefined : 'a 4xx that is not an OperationOutcome with an error';
  return `unexpected status ${String(a.status)}`;
}

/**
 * What $process-message may answer: 200 with an `ok` acknowledgement (or an informational outcome
 * when an acknowledgement was recorded), 422 with a `fatal-error` acknowledgement, or a 4xx
 * OperationOutcome when no acknowledgement can be given.
 */
function messageAnswerProblem(a: Answer): string | undefined {
  if (a.status >= 500) return `status ${String(a.status)}`;
  const code = ackCode(a.body);
  if (a.status === 200) {
    if (code === 'ok') return undefined;
    return at(a.body, 'resourceType') === 'OperationOutcome' && !isErrorOutcome(a.body) ? undefined : `a 200 with acknowledgement code ${code ?? '(none)'}`;
  }
  if (a.status >= 400 && a.status < 500) {
    if (code !== undefined) return a.status === 422 && code === 'fatal-error' ? undefined : `a ${String(a.status)} with acknowledgement code ${code}`;
    return isErrorOutcome(a.body) ? undefined : 'a 4xx that is neither an acknowledgement nor an OperationOutcome with an error';
  }
  return `unexpected status ${String(a.status)}`;
}

const excerpt = (a: Answer): string => a.text.slice(0, 400);

describe.each(BACKENDS)('robustness of the ingest endpoints on $name', (backend) => {
  let t: TestApp;
  let hospital: string;
  let relay: string;
  beforeAll(async () => {
    // The fuzz run sends hundreds of requests a minute from one client.
    t = await startTestApp(backend, { RATE_LIMIT_PER_MINUTE: '1000000' });
    hospital = await t.token('demo-hospital');
    relay = await t.token('demo-relay');
  });
  afterAll(async () => { await t.close(); });

  const post = async (path: string, token: string, body: Buffer): Promise<Answer> => {
    const res = await request(t.app).post(path).set('Authorization', `Bearer ${token}`).set('Content-Type', FHIR_JSON).serialize(asIs(body)).send(body);
    return { status: res.status, body: res.body as unknown, text: res.text };
  };
  /** The app's log lines about a 500 (found by the request id its answer quotes): what a developer needs to fix it. */
  const serverLog = (a: Answer): string => {
    const requestId = /request id ([0-9a-f-]+)/.exec(a.text)?.[1];
    return requestId ? t.logs.filter((l) => l.includes(requestId)).join('\n').slice(0, 2000) : '';
  };
  const postDocument = (body: Buffer) => post('/fhir/Bundle', hospital, body);
  const postMessage = (body: Buffer) => post('/fhir/$process-message', relay, body);

  /** Runs the cases against one endpoint; returns the findings and prints the accepted/rejected ratio. */
  async function fuzz(
    endpoint: string,
    sources: readonly { name: string; json: Json }[],
    identities: (source: Json) => (string | undefined)[],
    send: (body: Buffer) => Promise<Answer>,
    answerProblem: (a: Answer) => string | undefined,
    storedProblem: (fresh: Json, a: Answer) => Promise<string | undefined>,
  ): Promise<Finding[]> {
    const findings: Finding[] = [];
    const statuses = new Map<number, number>();
    let before = await snapshot(t.store);
    for (const index of CASES) {
      if (KNOWN_FINDINGS.has(`${String(SEED)}:${endpoint}#${String(index)}`)) continue;
      const source = sources[index % sources.length] ?? sources[0];
      if (!source) throw new Error(`${endpoint}: no sources`);
      const fresh = freshen(source.json, identities(source.json), tagOf(index));
      const { body, mutations } = fuzzCase(fresh, SEED, index);
      const answer = await send(body);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      const after = await snapshot(t.store);
      const problems = [
        answerProblem(answer),
        answer.status >= 400 && after !== before ? 'rejected, yet the store changed (half-stored)' : undefined,
        await storedProblem(fresh, answer),
      ].filter((p) => p !== undefined);
      for (const problem of problems) {
        findings.push({ endpoint, index, source: source.name, mutations, status: answer.status, problem, body: excerpt(answer), ...(answer.status >= 500 ? { log: serverLog(answer) } : {}) });
      }
      before = after;
    }
    const accepted = [...statuses].filter(([s]) => s < 300).reduce((n, [, c]) => n + c, 0);
    console.log(`[fuzz] ${backend.name} ${endpoint} ${REPLAY}: ${String(accepted)}/${String([...statuses.values()].reduce((n, c) => n + c, 0))} mutations accepted; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    return findings;
  }

  const report = (findings: readonly Finding[]): string =>
    `${String(findings.length)} finding(s); replay one with ${REPLAY} SEKTORBRO_FUZZ_CASE=<index>\n${findings.map((f) => JSON.stringify(f)).join('\n')}`;

  it(`when ${String(CASES.length)} seeded mutations of valid documents are posted to /fhir/Bundle, then none gets a 500 or is half-stored`, async () => {
    const compositionKey = (doc: Json): string | undefined => str(at(doc, 'entry', 0, 'resource', 'identifier', 'value'));
    const findings = await fuzz(
      'POST /fhir/Bundle',
      documentSources,
      (doc) => [str(at(doc, 'identifier', 'value')), compositionKey(doc), str(at(doc, 'id'))],
      postDocument,
      documentAnswerProblem,
      async (fresh, a) => {
        // A rejected document leaves no accepted version under its (fresh) identity.
        const system = str(at(fresh, 'entry', 0, 'resource', 'identifier', 'system'));
        const value = compositionKey(fresh);
        if (a.status < 400 || !system || !value) return undefined;
        const versions = await t.store.documents.versions(`${system}|${value}`);
        return versions.length > 0 ? `rejected, yet ${String(versions.length)} version(s) were recorded` : undefined;
      },
    );
    expect(findings, report(findings)).toEqual([]);
  }, 600_000);

  it(`when ${String(CASES.length)} seeded mutations of the MedCom examples are posted to $process-message, then each gets an acknowledgement or an OperationOutcome and a rejection stores nothing`, async () => {
    const headerId = (msg: Json): string | undefined => str(at(msg, 'entry', 0, 'resource', 'id'));
    const findings = await fuzz(
      'POST /fhir/$process-message',
      messageSources,
      (msg) => [headerId(msg), str(at(msg, 'id'))],
      postMessage,
      messageAnswerProblem,
      async (fresh, a) => {
        // A rejected message is at most recorded as rejected (so a resend gets the same answer), never as processed.
        const id = headerId(fresh);
        if (a.status < 400 || !id) return undefined;
        const record = await t.store.messages.findByHeader(id);
        return record?.status === 'processed' ? 'rejected, yet recorded as processed' : undefined;
      },
    );
    expect(findings, report(findings)).toEqual([]);
  }, 600_000);

  it('when the fuzz runs are over, then an unmutated document and message are still accepted', async () => {
    const doc = await postDocument(Buffer.from(JSON.stringify(epikriseBundle({ letterId: `after-fuzz-${String(SEED)}` }))));
    expect(doc.status, excerpt(doc)).toBe(201);
    const msg = await postMessage(readFileSync(examplePath('medcom', 'cc-v5-new-message.json')));
    expect(msg.status, excerpt(msg)).toBe(200);
    expect(ackCode(msg.body)).toBe('ok');
  });

  /**
   * Found by the fuzz run (seeds 1 and 3): a lone surrogate is valid JSON (`"\ud800"`) but not valid
   * Unicode, and where it reaches a deterministic id (uuid v5 calls encodeURIComponent) the request
   * fails with a URIError: a 500. Skipped until src/ refuses such strings (e.g. a 400 from the JSON
   * body reader, or a 422 as for a NUL character); then remove `.skip`.
   */
  describe('lone surrogates in identities', () => {
    type Message = { id: string; entry: { resource: { id?: string; identifier?: { value?: string }[] } }[] };
    const mutatedMessage = (bundleId: string, change: (msg: Message) => void): Buffer => {
      const msg = readExampleJson('medcom', 'hn-stin-two-episodeofcare-ids.json') as unknown as Message;
      msg.id = bundleId;
      change(msg);
      return Buffer.from(JSON.stringify(msg));
    };

    it('when a MessageHeader.id holds a lone surrogate, then $process-message answers without a 500', async () => {
      const a = await postMessage(mutatedMessage('lone-surrogate-header', (msg) => { const h = msg.entry[0]?.resource; if (h) h.id = 'c0ffee00-0000-4000-8000-00000000\ud800'; }));
      expect(messageAnswerProblem(a), `${excerpt(a)} ${serverLog(a)}`).toBeUndefined();
    });

    it('when the receiver Organization\'s SOR code is a lone surrogate, then $process-message answers without a 500', async () => {
      // Seed 3, case 286: entry[3] is the receiver Organization; identifier[1] its SOR code.
      const a = await postMessage(mutatedMessage('lone-surrogate-sor', (msg) => { const sor = msg.entry[3]?.resource.identifier?.[1]; if (sor) sor.value = '\udfff\ud800'; }));
      expect(messageAnswerProblem(a), `${excerpt(a)} ${serverLog(a)}`).toBeUndefined();
    });

    it('when Composition.identifier.value holds a lone surrogate, then POST /fhir/Bundle answers without a 500', async () => {
      const doc = epikriseBundle({ letterId: 'lone-surrogate-\ud800' });
      const a = await postDocument(Buffer.from(JSON.stringify(doc)));
      expect(documentAnswerProblem(a), `${excerpt(a)} ${serverLog(a)}`).toBeUndefined();
    });
  });

  describe('the Synthea bundles (transaction Bundles: the wrong Bundle type)', () => {
    it.each(synthea)('when %s is posted to /fhir/Bundle, then a 400 OperationOutcome names Bundle.type and nothing is stored', async (file) => {
      const before = await snapshot(t.store);
      const a = await postDocument(readFileSync(examplePath('synthea', file)));
      expect(a.status, excerpt(a)).toBe(400);
      expect(isErrorOutcome(a.body)).toBe(true);
      expect(issuesOf(a.body).flatMap((i): unknown[] => (Array.isArray(i.expression) ? (i.expression as unknown[]) : []))).toContain('Bundle.type');
      expect(await snapshot(t.store)).toBe(before);
    });

    it.each(synthea)('when %s is posted to $process-message, then a 4xx OperationOutcome names Bundle.type and nothing is stored', async (file) => {
      const before = await snapshot(t.store);
      const a = await postMessage(readFileSync(examplePath('synthea', file)));
      expect(a.status, excerpt(a)).toBeGreaterThanOrEqual(400);
      expect(a.status, excerpt(a)).toBeLessThan(500);
      expect(isErrorOutcome(a.body), excerpt(a)).toBe(true);
      expect(JSON.stringify(issuesOf(a.body)), excerpt(a)).toMatch(/Bundle\.type/);
      expect(await snapshot(t.store)).toBe(before);
    });
  });

  describe('the JSON parser torture cases', () => {
    const eachEndpoint = [
      { endpoint: '/fhir/Bundle', send: postDocument },
      { endpoint: '/fhir/$process-message', send: postMessage },
    ];
    it.each(eachEndpoint)('when every JSONTestSuite file is posted to $endpoint, then none gets a 500, each gets an OperationOutcome and the store is untouched', async ({ send }) => {
      const before = await snapshot(t.store);
      const problems: string[] = [];
      for (const file of torture) {
        const a = await send(readFileSync(examplePath('jsontestsuite', 'test_parsing', file)));
        // None of these is a FHIR document or message, so each is refused; the n_ ones as unparseable (400).
        if (a.status < 400 || a.status >= 500) problems.push(`${file}: status ${String(a.status)}`);
        else if (!isErrorOutcome(a.body)) problems.push(`${file}: ${String(a.status)} without an OperationOutcome`);
        else if (file.startsWith('n_') && a.status !== 400) problems.push(`${file}: must be rejected as unparseable, got ${String(a.status)}`);
      }
      expect(problems).toEqual([]);
      expect(await snapshot(t.store)).toBe(before);
    }, 120_000);
  });
});
