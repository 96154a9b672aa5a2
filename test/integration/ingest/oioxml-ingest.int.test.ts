import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, startTestApp, type TestApp } from '../../helpers/app.ts';
import { examplePath } from '../../helpers/examples.ts';
import { backends } from '../../helpers/store.ts';

const BACKENDS = await backends();
const FIXTURES = fileURLToPath(new URL('../../fixtures/medcom-oioxml/', import.meta.url));
/** The document letters among the golden fixtures (XDIS91 is a message, handled with MedCom messaging). */
const letters = readdirSync(FIXTURES).filter((f) => f.endsWith('.input.xml') && !f.startsWith('xdis91')).sort();
const read = (f: string): Buffer => readFileSync(`${FIXTURES}${f}`);

interface DocRef { resourceType: string; id: string; status: string; type: { coding: { code: string }[] }; contained?: { issue: { severity: string }[] }[] }

describe.each(BACKENDS)('POST /ingest/oioxml on $name', (backend) => {
  let t: TestApp;
  let hospital: string;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp(backend);
    hospital = await t.token('demo-hospital');
    admin = await t.token('demo-admin');
  });
  afterAll(async () => { await t.close(); });

  const submit = (body: Buffer | string, type = 'application/xml', token = hospital) =>
    request(t.app).post('/ingest/oioxml').set('Authorization', `Bearer ${token}`).set('Content-Type', type).send(body);
  const total = async (type: string) => ((await request(t.app).get(`/fhir/${type}?_count=1`).set('Authorization', `Bearer ${admin}`)).body as { total: number }).total;

  it('when the fixtures are listed, then there are letters of all four document kinds', () => {
    for (const kind of ['xdis01', 'xdis18', 'xdis21', 'ggop']) expect(letters.some((f) => f.startsWith(kind))).toBe(true);
  });

  it.each(letters)('when %s is sent, then it is mapped, validated and stored as a document, and a resend changes nothing', async (file) => {
    const res = await submit(read(file));
    expect(res.status).toBe(201);
    const ref = res.body as DocRef;
    expect(ref.resourceType).toBe('DocumentReference');
    const provenance = await request(t.app).get('/fhir/Provenance?_count=100').set('Authorization', `Bearer ${admin}`);
    const mine = (provenance.body as { entry: { resource: { policy?: string[]; target: { reference: string }[] } }[] }).entry
      .map((e) => e.resource)
      .find((p) => p.target.some((x) => x.reference.startsWith(`DocumentReference/${ref.id}/`)));
    expect(mine?.policy?.[0]).toMatch(/^http:\/\/sektorbro\.dk\/fhir\/mapping\/medcom-oioxml\.[a-z0-9]+\|/);
    const before = await total('DocumentReference');
    const again = await submit(read(file));
    expect(again.status).toBe(201);
    expect(again.body).toEqual(res.body);
    expect(again.headers['x-sektorbro-replay']).toBe('true');
    expect(await total('DocumentReference')).toBe(before);
  });

  it('when the XML declares a DOCTYPE (XXE), then 400 and nothing is stored', async () => {
    const before = await total('DocumentReference');
    const xxe = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Emessage>&e;</Emessage>';
    const res = await submit(xxe);
    expect(res.status).toBe(400);
    expect((res.body as { resourceType: string }).resourceType).toBe('OperationOutcome');
    expect(await total('DocumentReference')).toBe(before);
  });

  it('when the XML is malformed or of an unknown kind, then a 4xx OperationOutcome says what was recognised', async () => {
    expect((await submit('<Emessage><Envelope>')).status).toBe(400);
    const unknown = await submit('<Emessage xmlns="http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2006/07/01/"><Envelope/><Recipe><Letter><TypeCode>XREC01</TypeCode><VersionCode>XR0101X</VersionCode></Letter></Recipe></Emessage>');
    expect([415, 422]).toContain(unknown.status);
    expect(JSON.stringify(unknown.body)).toMatch(/Recipe/);
  });

  it('when an XDIS91 letter is sent, then it is stored as a MedCom CareCommunication, findable with its thread', async () => {
    // OIOXML names organisations by GLN; the registry gives their SOR codes (as in MedCom's own conversion).
    for (const [gln, sor, name] of [['5790001382445', '359001000016000', 'MedCom testcenter'], ['5790000121441', '328051000016008', 'Social og Sundhed Odense Kommune']]) {
      const org = { resourceType: 'Organization', identifier: [{ system: 'urn:oid:1.2.208.176.1.1', value: sor }, { system: 'https://www.gs1.org/gln', value: gln }], name };
      const created = await request(t.app).post('/fhir/Organization').set('Authorization', `Bearer ${admin}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(org));
      expect(created.status).toBe(201);
    }
    const xdis91 = readFileSync(examplePath('medcom', 'oioxml-xdis91-clinicalemail.xml'));
    const res = await submit(xdis91, 'application/xml', admin);
    expect(res.status, JSON.stringify((res.body as { entry: { resource: { resourceType: string } }[] }).entry.find((e) => e.resource.resourceType === 'OperationOutcome'))).toBe(201);
    const communications = await request(t.app).get(`/fhir/Communication?patient.identifier=urn:oid:1.2.208.176.1.2|2512489996`).set('Authorization', `Bearer ${admin}`);
    const found = communications.body as { total: number; entry: { resource: { payload: { contentString?: string }[] } }[] };
    expect(found.total).toBe(1);
    expect(found.entry[0]?.resource.payload.some((p) => p.contentString?.includes('Røntgen af hofte'))).toBe(true);
    const again = await submit(xdis91, 'application/xml', admin);
    expect(again.headers['x-sektorbro-replay']).toBe('true');
  });

  it('when the body is JSON, then 415', async () => {
    const res = await submit('{}', FHIR_JSON);
    expect(res.status).toBe(415);
  });

  it('when a GP sends a letter, then 403', async () => {
    const gp = await t.token('demo-gp');
    const first = letters[0] ?? '';
    expect((await submit(read(first), 'application/xml', gp)).status).toBe(403);
  });
});
