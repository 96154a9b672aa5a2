import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, startTestApp, type TestApp } from '../../helpers/app.ts';
import { BRUNO_CPR, epikriseBundle } from '../../helpers/documents.ts';
import { backends } from '../../helpers/store.ts';

const BACKENDS = await backends();
const CPR = 'urn:oid:1.2.208.176.1.2';
const TYPE = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-document-type';

interface DocRef { resourceType: string; id: string; status: string; docStatus?: string; relatesTo?: unknown[]; subject: { reference: string }; contained?: { resourceType: string; issue: { severity: string }[] }[]; content: { attachment: { url: string } }[] }
interface Bundle { total?: number; entry?: { resource: Record<string, unknown> & { id: string } }[] }

describe.each(BACKENDS)('document ingest on $name', (backend) => {
  let t: TestApp;
  let hospital: string;
  let gp: string;
  let municipality: string;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp(backend);
    hospital = await t.token('demo-hospital');
    gp = await t.token('demo-gp');
    municipality = await t.token('demo-municipality');
    admin = await t.token('demo-admin');
  });
  afterAll(async () => { await t.close(); });

  const submit = (doc: unknown, token = hospital) =>
    request(t.app).post('/fhir/Bundle').set('Authorization', `Bearer ${token}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(doc));
  const get = (path: string, token = admin) => request(t.app).get(path).set('Authorization', `Bearer ${token}`);
  const count = async (type: string) => ((await get(`/fhir/${type}?_count=1`)).body as Bundle).total ?? -1;

  it('when a hospital submits an epikrise, then it gets 201 with the DocumentReference and the GP finds it by CPR, type and date', async () => {
    const res = await submit(epikriseBundle({ letterId: 'doc-a' }));
    expect(res.status).toBe(201);
    const ref = res.body as DocRef;
    expect(ref.resourceType).toBe('DocumentReference');
    expect(ref.status).toBe('current');
    expect(ref.contained?.[0]?.resourceType).toBe('OperationOutcome');
    expect(res.headers.location).toBe(`http://sektorbro.test/fhir/DocumentReference/${ref.id}`);

    const found = await get(`/fhir/DocumentReference?patient.identifier=${CPR}|${BRUNO_CPR}&type=${TYPE}|epikrise&date=ge2026-11-27&date=le2026-11-28`, gp);
    expect(found.status).toBe(200);
    expect((found.body as Bundle).entry?.map((e) => e.resource.id)).toContain(ref.id);

    const patient = await get(`/fhir/${ref.subject.reference}`, gp);
    expect(patient.status).toBe(200);
    const bundle = await get(`/fhir/${ref.content[0]?.attachment.url ?? ''}`, gp);
    expect(bundle.status).toBe(200);
    expect((bundle.body as { type: string }).type).toBe('document');
    const composition = await get(`/fhir/Composition?patient.identifier=${CPR}|${BRUNO_CPR}&type=${TYPE}|epikrise`, gp);
    expect((composition.body as Bundle).total).toBeGreaterThanOrEqual(1);
    const provenance = await get(`/fhir/Provenance?_count=50`, gp);
    expect((provenance.body as Bundle).entry?.some((e) => JSON.stringify(e.resource.target).includes(ref.id))).toBe(true);
  });

  it('when a GLN comes in the http:// spelling of DK Core 3.5, then it is accepted and stored in the one https:// form', async () => {
    const doc = epikriseBundle({ letterId: 'doc-gln' });
    const text = JSON.stringify(doc).replaceAll('https://www.gs1.org/gln', 'http://www.gs1.org/gln');
    const res = await request(t.app).post('/fhir/Bundle').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON).send(text);
    expect(res.status).toBe(201);
    const orgs = await get('/fhir/Organization?identifier=https://www.gs1.org/gln|5790000209354');
    expect((orgs.body as Bundle).total).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(orgs.body)).not.toMatch(/http:\/\/www\.gs1\.org/);
  });

  it('when an organisation not named in the document looks, then it sees nothing of it', async () => {
    const found = await get(`/fhir/DocumentReference?patient.identifier=${CPR}|${BRUNO_CPR}`, municipality);
    expect((found.body as Bundle).total).toBe(0);
  });

  it('when the same document is submitted again, then the answer is identical and nothing is duplicated', async () => {
    const doc = epikriseBundle({ letterId: 'doc-b' });
    const first = await submit(doc);
    const before = await Promise.all(['DocumentReference', 'Composition', 'Provenance', 'Bundle'].map(count));
    const again = await submit(doc);
    expect(again.status).toBe(first.status);
    expect(again.body).toEqual(first.body);
    expect(await Promise.all(['DocumentReference', 'Composition', 'Provenance', 'Bundle'].map(count))).toEqual(before);
  });

  it('when a new version arrives, then it supersedes the old one, both stay in history, and a late older version does not overtake it', async () => {
    const v1 = (await submit(epikriseBundle({ letterId: 'doc-c', timestamp: '2026-11-27T14:00:00+01:00' }))).body as DocRef;
    const v2res = await submit(epikriseBundle({ letterId: 'doc-c', timestamp: '2026-11-27T16:00:00+01:00', status: 'amended', recommendation: 'Kontrol om 7 dage.' }));
    const v2 = v2res.body as DocRef;
    expect(v2.id).not.toBe(v1.id);
    expect(v2.relatesTo).toEqual([{ code: 'replaces', target: { reference: `DocumentReference/${v1.id}` } }]);
    expect(((await get(`/fhir/DocumentReference/${v1.id}`)).body as DocRef).status).toBe('superseded');
    const compositionId = (await get(`/fhir/Composition?identifier=${encodeURIComponent('https://sor2.sum.dsdn.dk/#id=265161000016000')}|doc-c`)).body as Bundle;
    const cid = compositionId.entry?.[0]?.resource.id ?? '';
    const history = (await get(`/fhir/Composition/${cid}/_history`)).body as Bundle;
    expect(history.entry).toHaveLength(2);

    const late = await submit(epikriseBundle({ letterId: 'doc-c', timestamp: '2026-11-27T15:00:00+01:00', recommendation: 'Forældet.' }));
    expect(late.status).toBe(201);
    expect((late.body as DocRef).status).toBe('superseded');
    expect(JSON.stringify(late.body)).toMatch(/newer version/);
    const current = (await get(`/fhir/Composition/${cid}`)).body as { status: string; section: { text: { div: string } }[] };
    expect(current.status).toBe('amended');
    expect(current.section[0]?.text.div).toMatch(/7 dage/);
    expect(((await get(`/fhir/DocumentReference/${v2.id}`)).body as DocRef).status).toBe('current');
  });

  it('when a document is cancelled, then it is marked entered-in-error', async () => {
    await submit(epikriseBundle({ letterId: 'doc-d', timestamp: '2026-11-27T14:00:00+01:00' }));
    const cancel = await submit(epikriseBundle({ letterId: 'doc-d', timestamp: '2026-11-27T18:00:00+01:00', status: 'entered-in-error' }));
    expect(cancel.status).toBe(201);
    expect((cancel.body as DocRef).status).toBe('entered-in-error');
    expect((cancel.body as DocRef).docStatus).toBe('entered-in-error');
    const current = await get(`/fhir/DocumentReference?identifier=${encodeURIComponent('https://sor2.sum.dsdn.dk/#id=265161000016000')}|doc-d&status=current`);
    expect((current.body as Bundle).total).toBe(0);
  });

  it('when another sender reuses a document identifier, then it makes another document and cannot touch the first', async () => {
    const victim = (await submit(epikriseBundle({ letterId: 'doc-owned', recommendation: 'Hemmelig anbefaling' }))).body as DocRef;
    const other = await submit(epikriseBundle({ letterId: 'doc-owned', senderSor: '1234567890123', status: 'entered-in-error', timestamp: '2026-11-28T10:00:00+01:00' }), admin);
    expect(other.status).toBe(201);
    expect((other.body as DocRef).id).not.toBe(victim.id);
    expect(((await get(`/fhir/DocumentReference/${victim.id}`)).body as DocRef).status).toBe('current');
    const compositions = (await get(`/fhir/Composition?identifier=${encodeURIComponent('https://sor2.sum.dsdn.dk/#id=265161000016000')}|doc-owned`)).body as Bundle;
    expect(compositions.entry?.some((e) => JSON.stringify(e.resource).includes('Hemmelig anbefaling'))).toBe(true);
  });

  it('when the sender is not the token\'s organisation, then 403 and nothing is stored', async () => {
    const before = await count('DocumentReference');
    const res = await submit(epikriseBundle({ letterId: 'doc-e', senderSor: '1234567890123' }));
    expect(res.status).toBe(403);
    expect(JSON.stringify(res.body)).toMatch(/custodian/);
    expect(await count('DocumentReference')).toBe(before);
  });

  it('when the document breaks a rule ingest depends on, then 422 names where, and nothing is stored', async () => {
    const before = await Promise.all(['DocumentReference', 'Patient', 'Composition'].map(count));
    const noType = epikriseBundle({ letterId: 'doc-f' });
    ((noType.entry as { resource: Record<string, unknown> }[])[0] as { resource: Record<string, unknown> }).resource.type = { coding: [{ system: 'http://loinc.org', code: '18842-5' }] };
    const r1 = await submit(noType);
    expect(r1.status).toBe(422);
    expect(JSON.stringify(r1.body)).toMatch(/Bundle\.entry\[0\]\.resource\.type/);

    const dangling = epikriseBundle({ letterId: 'doc-g' });
    ((dangling.entry as { resource: Record<string, unknown> }[])[0] as { resource: Record<string, unknown> }).resource.subject = { reference: 'urn:uuid:00000000-0000-4000-8000-0000000000ff' };
    const r2 = await submit(dangling);
    expect(r2.status).toBe(422);
    expect(JSON.stringify(r2.body)).toMatch(/subject/);

    const unknownProfile = epikriseBundle({ letterId: 'doc-p' });
    unknownProfile.meta = { profile: ['http://sektorbro.dk/fhir/StructureDefinition/sektorbro-recept-bundle'] };
    const r3 = await submit(unknownProfile);
    expect(r3.status).toBe(422);
    expect(JSON.stringify(r3.body)).toMatch(/meta\.profile/);

    const noCpr = epikriseBundle({ letterId: 'doc-q' });
    ((noCpr.entry as { resource: Record<string, unknown> }[])[1] as { resource: Record<string, unknown> }).resource.identifier = [];
    const r4 = await submit(noCpr);
    expect(r4.status).toBe(422);

    const nul = JSON.stringify(epikriseBundle({ letterId: 'doc-nul', recommendation: 'A\u0000B' }));
    const r5 = await request(t.app).post('/fhir/Bundle').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON).send(nul);
    expect(r5.status).toBe(400);

    const broken = await request(t.app).post('/fhir/Bundle').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON).send('{"resourceType":"Bundle","type":"document",');
    expect(broken.status).toBe(400);
    expect(await Promise.all(['DocumentReference', 'Patient', 'Composition'].map(count))).toEqual(before);
  });

  it('when letters from one department arrive at once, then each is stored and the Patient and Organizations they share keep their version', async () => {
    await submit(epikriseBundle({ letterId: 'doc-burst-0' }));
    const versions = async () => {
      const ref = (await get(`/fhir/DocumentReference?patient.identifier=${CPR}|${BRUNO_CPR}&_count=1`)).body as Bundle;
      const patient = (await get(`/fhir/${(ref.entry?.[0]?.resource.subject as { reference: string }).reference}`)).body as { meta: { versionId: string } };
      const orgs = ((await get('/fhir/Organization?_count=50')).body as Bundle).entry?.map((e) => `${e.resource.id}@${(e.resource.meta as { versionId: string }).versionId}`);
      return { patient: patient.meta.versionId, orgs: orgs?.sort() };
    };
    const before = await versions();
    const answers = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => submit(epikriseBundle({ letterId: `doc-burst-${String(i)}` }))));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201, 201]);
    expect(await versions()).toEqual(before);
    const seen = (await get(`/fhir/DocumentReference?patient.identifier=${CPR}|${BRUNO_CPR}&_count=100`, gp)).body as Bundle;
    for (const a of answers) expect(seen.entry?.map((e) => e.resource.id)).toContain((a.body as DocRef).id);
  });

  it('when a hospital posts a Bundle that is not a document, or a GP posts a document, then it is refused', async () => {
    const collection = await submit({ resourceType: 'Bundle', type: 'collection', entry: [] });
    expect(collection.status).toBe(400);
    const byGp = await submit(epikriseBundle({ letterId: 'doc-h' }), gp);
    expect(byGp.status).toBe(403);
  });
});
