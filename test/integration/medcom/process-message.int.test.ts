import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, startTestApp, type TestApp } from '../../helpers/app.ts';
import { epikriseBundle, BRUNO_CPR } from '../../helpers/documents.ts';
import { examplePath, listExamples, readExampleJson } from '../../helpers/examples.ts';
import { backends } from '../../helpers/store.ts';

const BACKENDS = await backends();
const CPR = 'urn:oid:1.2.208.176.1.2';
const messages = listExamples('medcom', (f) => /^(hn|cc)-.*\.json$/.test(f) && !f.includes('invalid'));
const acks = listExamples('medcom', (f) => /^ack-.*\.json$/.test(f));

interface Ack {
  resourceType: string;
  type: string;
  entry: { resource: { resourceType: string; response?: { identifier: string; code: string }; issue?: { expression?: string[]; diagnostics?: string }[] } }[];
}
interface Bundle { total?: number; entry?: { resource: Record<string, unknown> & { id: string } }[] }

const headerIdOf = (msg: Record<string, unknown>): string => ((msg.entry as { resource: { id: string } }[])[0]?.resource.id ?? '');
const responseOf = (ack: Ack) => ack.entry.find((e) => e.resource.resourceType === 'MessageHeader')?.resource.response;
const outcomeOf = (ack: Ack) => ack.entry.find((e) => e.resource.resourceType === 'OperationOutcome')?.resource;

describe.each(BACKENDS)('the process-message operation on $name', (backend) => {
  let t: TestApp;
  let relay: string;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp(backend);
    relay = await t.token('demo-relay');
    admin = await t.token('demo-admin');
  });
  afterAll(async () => { await t.close(); });

  // supertest would JSON-encode a Buffer sent as JSON: send the bytes' text instead.
  const send = (body: string | Buffer, type = FHIR_JSON, token = relay) =>
    request(t.app).post('/fhir/$process-message').set('Authorization', `Bearer ${token}`).set('Content-Type', type)
      .send(Buffer.isBuffer(body) && type === FHIR_JSON ? body.toString('utf8') : body);
  const get = (path: string) => request(t.app).get(path).set('Authorization', `Bearer ${admin}`);

  it.each(messages)('when %s is sent, then the answer is an ok Acknowledgement of its MessageHeader', async (file) => {
    const msg = readExampleJson('medcom', file);
    const res = await send(JSON.stringify(msg));
    expect(res.status, JSON.stringify(res.body).slice(0, 600)).toBe(200);
    const ack = res.body as Ack;
    expect(ack.type).toBe('message');
    expect(responseOf(ack)).toEqual({ identifier: headerIdOf(msg), code: 'ok' });
  });

  it('when the same message comes again, then the acknowledgement is identical and nothing changes', async () => {
    const text = readFileSync(examplePath('medcom', 'hn-stin-admit-inpatient.json'));
    const first = await send(text);
    const before = (await get('/fhir/Encounter?_count=1')).body as Bundle;
    const again = await send(text);
    expect(again.status).toBe(first.status);
    expect(again.body).toEqual(first.body);
    expect(again.headers['x-sektorbro-replay']).toBe('true');
    expect(((await get('/fhir/Encounter?_count=1')).body as Bundle).total).toBe(before.total);
  });

  it('when the invalid example is sent, then a fatal-error acknowledgement names the missing elements', async () => {
    const res = await send(readFileSync(examplePath('medcom', 'hn-stin-invalid-tek-fcc.json')));
    expect(res.status).toBe(422);
    const ack = res.body as Ack;
    expect(responseOf(ack)?.code).toBe('fatal-error');
    const expressions = (outcomeOf(ack)?.issue ?? []).flatMap((i) => i.expression ?? []).join(' ');
    expect(expressions).toMatch(/event/);
    expect(expressions).toMatch(/class/);
    const audit = (await get('/fhir/AuditEvent?_count=5')).body as { entry: { resource: { outcome: string; outcomeDesc: string } }[] };
    expect(audit.entry[0]?.resource.outcome).toBe('4');
    expect(audit.entry[0]?.resource.outcomeDesc).toMatch(/HTTP 422/);
  });

  it('when a patient died in one stay, then a later message about another stay does not bring the patient back to life', async () => {
    await send(readFileSync(examplePath('medcom', 'hn-mors-deceased-emergency.json')));
    await send(readFileSync(examplePath('medcom', 'hn-stin-lpr3-episodeofcare-id.json')));
    const patient = (await get(`/fhir/Patient?identifier=${CPR}|2509479989`)).body as Bundle;
    expect(patient.entry?.[0]?.resource.deceasedBoolean).toBe(true);
  });

  it("when a message breaks MedCom's own profile (an Encounter status the HospitalNotification does not allow), then fatal-error says where", async () => {
    const msg = readExampleJson('medcom', 'hn-stin-two-episodeofcare-ids.json');
    const text = JSON.stringify(msg).replace('"status":"in-progress"', '"status":"planned"');
    const res = await send(text.replaceAll(headerIdOf(msg), '0b8f5a3c-6d2e-4f1a-9c7b-5e4d3c2b1a09').replace(String(msg.id), '1c9e6b4d-7e3f-4a2b-8d6c-4f3e2d1c0b98'));
    expect(res.status).toBe(422);
    const ack = res.body as Ack;
    expect(responseOf(ack)?.code).toBe('fatal-error');
    expect(JSON.stringify(outcomeOf(ack))).toMatch(/Bundle\.entry\[\d+\]\.resource\.status/);
  });

  it('when a valid message carries a time the store cannot hold, then it still gets a fatal-error acknowledgement', async () => {
    const msg = readExampleJson('medcom', 'hn-stin-admit-inpatient.json');
    const encounter = (msg.entry as { resource: { resourceType: string; period?: { start: string } } }[]).find((e) => e.resource.resourceType === 'Encounter')?.resource;
    if (encounter?.period) encounter.period.start = '9999-12-31T23:00:00-12:00';
    const text = JSON.stringify(msg).replaceAll(headerIdOf(msg), '2d7c9e1f-3a4b-4c5d-8e6f-7a8b9c0d1e2f').replace(String(msg.id), '3e8d0f2a-4b5c-4d6e-9f7a-8b9c0d1e2f3a');
    const res = await send(text);
    expect(res.status).toBe(422);
    expect(responseOf(res.body as Ack)?.code).toBe('fatal-error');
    const again = await send(text);
    expect(again.body).toEqual(res.body);
  });

  it('when a Bundle.id is reused under a new MessageHeader.id, then it is refused with fatal-error', async () => {
    const msg = readExampleJson('medcom', 'hn-staa-admit-emergency.json');
    await send(JSON.stringify(msg));
    // The same Bundle.id, but a new letter: a new MessageHeader.id (and the Provenance that targets it).
    const res = await send(JSON.stringify(msg).replaceAll(headerIdOf(msg), '7c0b1a52-1b7e-4d0e-9d0c-2f6a1b3e9f01'));
    expect(res.status).toBe(422);
    expect(responseOf(res.body as Ack)?.code).toBe('fatal-error');
    expect(JSON.stringify(outcomeOf(res.body as Ack)), JSON.stringify(outcomeOf(res.body as Ack))).toMatch(/Bundle\.id/);
  });

  it('when an Acknowledgement arrives, then it is recorded and not acknowledged', async () => {
    for (const file of acks) {
      const res = await send(readFileSync(examplePath('medcom', file)));
      expect(res.status, JSON.stringify(res.body).slice(0, 400)).toBe(200);
      expect((res.body as { resourceType: string }).resourceType).toBe('OperationOutcome');
    }
  });

  it('when the discharge arrives before the admission, then the stay still ends discharged', async () => {
    const dir = 'medcom-ig/hospitalnotification';
    const slhj = readFileSync(examplePath(dir, 'Bundle-f4aa42a4-86db-4e68-9b38-9dda0dfd5774.json'));
    const stin = readFileSync(examplePath(dir, 'Bundle-a5e5b880-c087-4055-b9ec-99108695f81d.json'));
    expect((await send(slhj)).status).toBe(200);
    expect((await send(stin)).status).toBe(200);
    const encounters = (await get(`/fhir/Encounter?patient.identifier=${CPR}|2509479989&_count=100`)).body as Bundle;
    const stay = encounters.entry?.map((e) => e.resource).find((r) => JSON.stringify(r.episodeOfCare).includes('bd481c38-a921-11ed-afa1-0242ac120002'));
    expect(stay?.status).toBe('finished');
    expect((stay?.period as { end?: string } | undefined)?.end).toBe('2022-12-18T09:45:30+02:00');
  });

  it('when a message comes as FHIR XML, then it is processed like its JSON twin', async () => {
    const xml = readFileSync(examplePath('medcom-ig/hospitalnotification', 'Bundle-h1c8e4a8-6b45-4669-94ad-2a99ad96bf03.xml'));
    const res = await send(xml, 'application/fhir+xml');
    expect(res.status).toBe(200);
    expect(responseOf(res.body as Ack)?.code).toBe('ok');
    expect((await send('<Bundle xmlns="http://hl7.org/fhir"><type value="message"/>', 'application/fhir+xml')).status).toBe(400);
  });

  it('when messages are processed, then patients, stays and CareCommunications are findable, by category too', async () => {
    const patients = (await get(`/fhir/Patient?identifier=${CPR}|2509479989`)).body as Bundle;
    expect(patients.total).toBe(1);
    const encounters = (await get(`/fhir/Encounter?patient.identifier=${CPR}|2509479989&_count=100`)).body as Bundle;
    expect(encounters.total).toBeGreaterThanOrEqual(5);
    const extended = (await get('/fhir/Communication?category=extended-care-responsibility')).body as Bundle;
    expect(extended.total).toBeGreaterThanOrEqual(1);
    const deceased = encounters.entry?.length ?? 0;
    expect(deceased).toBeGreaterThan(0);
  });

  it('when a hospital sends a message from another sender, then 403; a document is 400; no MessageHeader is 400', async () => {
    const gp = await t.token('demo-gp');
    const res = await send(readFileSync(examplePath('medcom', 'hn-stin-admit-inpatient.json')), FHIR_JSON, gp);
    expect(res.status).toBe(403);
    const notMessage = await send(JSON.stringify({ resourceType: 'Bundle', type: 'document', entry: [] }));
    expect(notMessage.status).toBe(400);
    expect((notMessage.body as { resourceType: string }).resourceType).toBe('OperationOutcome');
    const noHeader = await send(JSON.stringify({ resourceType: 'Bundle', id: '5d9a2b7e-0f62-4a7b-9a51-7c3e2d1f0a9b', type: 'message', entry: [{ resource: { resourceType: 'Patient' } }] }));
    expect(noHeader.status).toBe(400);
  });

  it('when a HospitalNotification comes after a document named the patient\'s GP, then the Patient keeps its GP (the HN data set has none)', async () => {
    const hospital = await t.token('demo-hospital');
    const doc = await request(t.app).post('/fhir/Bundle').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(epikriseBundle({ letterId: `keeps-gp-${randomUUID()}`, cpr: BRUNO_CPR })));
    expect(doc.status).toBe(201);
    const gpBefore = (((await get(`/fhir/Patient?identifier=${CPR}|${BRUNO_CPR}`)).body as Bundle).entry?.[0]?.resource.generalPractitioner);
    expect(gpBefore).toBeDefined();
    // A new notification (new letter and envelope ids) about the same patient, after the document.
    const original = readFileSync(examplePath('medcom', 'hn-stin-admit-inpatient.json'), 'utf8');
    const msg = JSON.parse(original) as { id: string; entry: { resource: { id: string } }[] };
    const headerId = msg.entry[0]?.resource.id ?? '';
    const renewed = original.replaceAll(headerId, randomUUID()).replaceAll(msg.id, randomUUID());
    const res = await send(renewed);
    expect(res.status, JSON.stringify(res.body).slice(0, 400)).toBe(200);
    const after = ((await get(`/fhir/Patient?identifier=${CPR}|${BRUNO_CPR}`)).body as Bundle).entry?.[0]?.resource;
    expect(after?.generalPractitioner).toEqual(gpBefore);
  });
});
