import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.ts';
import { startGateway, type Gateway } from '../../../src/gateway.ts';
import { createLogger } from '../../../src/shared/index.ts';
import { epikriseBundle } from '../../helpers/documents.ts';
import { readExampleJson } from '../../helpers/examples.ts';
import { waitFor } from '../../helpers/receiver.ts';
import { freePort } from '../../helpers/net.ts';

const FHIR_JSON = 'application/fhir+json';
interface Timeline { deliveries: { status: string; recipient: { sor: string } | null }[] }

/** `npm start` as a newcomer meets it: the embedded default with demo clients, and nothing else running. */
describe('the embedded default delivers to its demo receivers on first start', () => {
  let gateway: Gateway;
  const dataDir = mkdtempSync(join(tmpdir(), 'sektorbro-demo-registry-'));
  beforeAll(async () => {
    const port = await freePort();
    const config = loadConfig({ NODE_ENV: 'development', PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${String(port)}`, DATA_DIR: dataDir, DELIVERY_POLL_MS: '50' });
    gateway = await startGateway(config, createLogger({ level: 'error', silent: true }));
  });
  afterAll(async () => {
    await gateway.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const token = async (clientId: string): Promise<string> =>
    ((await request(gateway.url).post('/oauth/token').auth(clientId, `${clientId}-secret`).type('form').send({ grant_type: 'client_credentials' })).body as { access_token: string }).access_token;

  it('when the demo hospital sends an epikrise and a HospitalNotification, then the demo GP takes the one and the demo municipality acknowledges the other', async () => {
    const hospital = await token('demo-hospital');
    const doc = await request(gateway.url).post('/fhir/Bundle').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(epikriseBundle({ letterId: `first-start-${randomUUID()}` })));
    expect(doc.status, JSON.stringify(doc.body)).toBe(201);
    const id = (doc.body as { id: string }).id;
    const delivered = await waitFor(async () => {
      const t = (await request(gateway.url).get(`/api/deliveries?document=${id}`).set('Authorization', `Bearer ${hospital}`)).body as Timeline;
      return t.deliveries.find((d) => d.status === 'delivered');
    }, 'the epikrise at the demo GP', 30_000);
    expect(delivered.recipient?.sor).toBe('1017421000016003');

    const hn = readExampleJson('medcom', 'hn-stin-admit-inpatient.json');
    expect((await request(gateway.url).post('/fhir/$process-message').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(hn))).status).toBe(200);
    await waitFor(async () => ((await gateway.store.deliveries.counts()).acknowledged ?? 0) >= 1 || undefined, 'the municipality\'s acknowledgement', 30_000);
  });

  it('when a client keeps its connection open, then the gateway keeps it 65 s, past a load balancer\'s usual 60 s idle timeout', async () => {
    // Node's default of 5 s let a client send a POST on a connection the server had just closed (ECONNRESET).
    const res = await fetch(`${gateway.url}/health`);
    await res.arrayBuffer();
    expect(res.headers.get('keep-alive')).toBe('timeout=65');
  });

  it('when a non-admin reads the registry, then it sees the Endpoints but not the receivers\' credentials; admin sees them', async () => {
    const gp = await token('demo-gp');
    const admin = await token('demo-admin');
    const asGp = (await request(gateway.url).get('/fhir/Endpoint?_count=10').set('Authorization', `Bearer ${gp}`)).body as { entry: { resource: { header?: string[] } }[] };
    expect(asGp.entry.length).toBeGreaterThan(0);
    expect(asGp.entry.every((e) => e.resource.header === undefined)).toBe(true);
    const one = (await request(gateway.url).get('/fhir/Endpoint/demo-herlev-kommune-hl7-fhir-msg').set('Authorization', `Bearer ${gp}`)).body as { header?: string[]; address: string };
    expect(one.header).toBeUndefined();
    expect(one.address).toMatch(/\/demo\/receivers\/953741000016009\/fhir$/);
    const asAdmin = (await request(gateway.url).get('/fhir/Endpoint/demo-herlev-kommune-hl7-fhir-msg').set('Authorization', `Bearer ${admin}`)).body as { header?: string[] };
    expect(asAdmin.header?.[0]).toMatch(/^Authorization: Bearer /);
    // A second registry Organization for a SOR code already there would make it unroutable: refused.
    const clash = await request(gateway.url).post('/fhir/Organization').set('Authorization', `Bearer ${admin}`).set('Content-Type', FHIR_JSON)
      .send(JSON.stringify({ resourceType: 'Organization', name: 'Another GP row', identifier: [{ system: 'urn:oid:1.2.208.176.1.1', value: '1017421000016003' }] }));
    expect(clash.status).toBe(422);
    expect((clash.body as { issue: { expression: string[]; diagnostics: string }[] }).issue[0]).toMatchObject({ expression: ['Organization.identifier[0]'], diagnostics: expect.stringContaining('Organization/demo-laegehuset-oesterbro') as unknown });
    // The demo receiver takes pushes from this Sektorbro only.
    expect((await request(gateway.url).put('/demo/receivers/1017421000016003/fhir/Bundle/x').set('Content-Type', FHIR_JSON).send('{}')).status).toBe(401);
  });
});
