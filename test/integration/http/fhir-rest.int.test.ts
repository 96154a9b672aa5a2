import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, startTestApp, type TestApp } from '../../helpers/app.ts';
import { readExampleJson } from '../../helpers/examples.ts';
import { backends } from '../../helpers/store.ts';

const BACKENDS = await backends();
const CPR = 'urn:oid:1.2.208.176.1.2';

interface Bundle {
  resourceType: string;
  type: string;
  total?: number;
  link: { relation: string; url: string }[];
  entry?: { fullUrl: string; resource?: { id: string; resourceType: string }; request?: { method: string } }[];
}

describe.each(BACKENDS)('FHIR REST on $name', (backend) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp(backend);
    admin = await t.token('demo-admin');
  });
  afterAll(async () => { await t.close(); });

  const put = (path: string, body: unknown, token = admin) =>
    request(t.app).put(path).set('Authorization', `Bearer ${token}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
  const post = (path: string, body: unknown, token = admin) =>
    request(t.app).post(path).set('Authorization', `Bearer ${token}`).set('Content-Type', FHIR_JSON).send(typeof body === 'string' ? body : JSON.stringify(body));
  const get = (path: string, token = admin) => request(t.app).get(path).set('Authorization', `Bearer ${token}`);
  /** Follows `next` links and returns every entry id, asserting the links stay on this server. */
  const allPages = async (path: string): Promise<string[]> => {
    const ids: string[] = [];
    let url: string | undefined = path;
    for (let guard = 0; url && guard < 50; guard++) {
      const res = await get(url);
      expect(res.status).toBe(200);
      const b = res.body as Bundle;
      ids.push(...(b.entry ?? []).map((e) => e.resource?.id ?? ''));
      const next = b.link.find((l) => l.relation === 'next')?.url;
      url = next?.replace('http://sektorbro.test', '');
    }
    return ids;
  };

  it('when an admin creates a resource, then it gets an id, version 1, Location and ETag, and reads back the same', async () => {
    const org = readExampleJson('dk-core', 'Organization-LaegerneHasserisBymidte.json');
    const created = await post('/fhir/Organization', org);
    expect(created.status).toBe(201);
    expect(created.headers['content-type']).toMatch(/application\/fhir\+json/);
    const body = created.body as { id: string; meta: { versionId: string; lastUpdated: string }; name: string };
    expect(body.id).not.toBe('LaegerneHasserisBymidte'); // create assigns the id
    expect(body.meta.versionId).toBe('1');
    expect(created.headers.location).toBe(`http://sektorbro.test/fhir/Organization/${body.id}/_history/1`);
    expect(created.headers.etag).toBe('W/"1"');
    const read = await get(`/fhir/Organization/${body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(body);
  });

  it('when a resource is updated with the right If-Match, then the version goes up; with a stale one, 412 and nothing changes', async () => {
    const patient = readExampleJson('dk-core', 'Patient-Bruno.json');
    const v1 = await put('/fhir/Patient/Bruno', patient);
    expect(v1.status).toBe(201);
    const v2 = await put('/fhir/Patient/Bruno', { ...patient, gender: 'other' }).set('If-Match', 'W/"1"');
    expect(v2.status).toBe(200);
    expect((v2.body as { meta: { versionId: string } }).meta.versionId).toBe('2');
    const stale = await put('/fhir/Patient/Bruno', { ...patient, gender: 'female' }).set('If-Match', 'W/"1"');
    expect(stale.status).toBe(412);
    expect((stale.body as { resourceType: string }).resourceType).toBe('OperationOutcome');
    const now = await get('/fhir/Patient/Bruno');
    expect((now.body as { gender: string }).gender).toBe('other');

    const history = await get('/fhir/Patient/Bruno/_history');
    const h = history.body as Bundle;
    expect(h.type).toBe('history');
    expect(h.entry?.map((e) => e.request?.method)).toEqual(['PUT', 'POST']);
    const v1read = await get('/fhir/Patient/Bruno/_history/1');
    expect((v1read.body as { gender: string }).gender).toBe('male');
    expect(v1read.headers.etag).toBe('W/"1"');
  });

  it('when the URL id and the body id differ, then 400 points at id', async () => {
    const res = await put('/fhir/Patient/someone-else', readExampleJson('dk-core', 'Patient-else.json'));
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/Patient\.id/);
  });

  it('when a resource is deleted, then read answers 410, history keeps it, and search no longer finds it', async () => {
    const p = readExampleJson('dk-core', 'Patient-Confidential.json');
    expect((await put('/fhir/Patient/Confidential', p)).status).toBe(201);
    const del = await request(t.app).delete('/fhir/Patient/Confidential').set('Authorization', `Bearer ${admin}`);
    expect(del.status).toBe(200);
    expect((await get('/fhir/Patient/Confidential')).status).toBe(410);
    expect((await get('/fhir/Patient/Confidential/_history/1')).status).toBe(200);
    const s = await get(`/fhir/Patient?identifier=${CPR}|1502779995`);
    expect((s.body as Bundle).total).toBe(0);
    expect((await get('/fhir/Patient/never-was')).status).toBe(404);
  });

  it('when searching a Patient by CPR, and an Encounter chained by the patient CPR, then exactly the right ones come back', async () => {
    expect((await put('/fhir/Patient/283', readExampleJson('dk-core', 'Patient-283.json'))).status).toBe(201);
    const enc = readExampleJson('dk-core', 'Encounter-0c5e4905-5c2e-4254-8837-770c3724cd13.json');
    expect((await put(`/fhir/Encounter/${String(enc.id)}`, enc)).status).toBe(201);

    const byCpr = await get(`/fhir/Patient?identifier=${CPR}|0108589995`);
    expect((byCpr.body as Bundle).entry?.map((e) => e.resource?.id)).toEqual(['283']);
    const chained = await get(`/fhir/Encounter?patient.identifier=${CPR}|0108589995`);
    expect((chained.body as Bundle).entry?.map((e) => e.resource?.id)).toEqual([enc.id]);
    const byRef = await get('/fhir/Encounter?subject=Patient/283&status=in-progress&date=ge2025-11-14');
    expect((byRef.body as Bundle).total).toBe(1);
    const none = await get('/fhir/Encounter?subject=Patient/283&status=finished');
    expect((none.body as Bundle).total).toBe(0);
    const form = await request(t.app).post('/fhir/Encounter/_search').set('Authorization', `Bearer ${admin}`)
      .type('form').send(`patient.identifier=${encodeURIComponent(`${CPR}|0108589995`)}`);
    expect((form.body as Bundle).total).toBe(1);
  });

  it('when a resource refers to a Patient that is not stored, then it is still stored (references may dangle)', async () => {
    const enc = readExampleJson('dk-core', 'Encounter-915a3cfb-2f3e-477b-8a9d-5d86c30e4929.json'); // subject Patient/john, not stored here
    const res = await put(`/fhir/Encounter/${String(enc.id)}`, enc);
    expect(res.status).toBe(201);
  });

  it('when a search has more matches than _count, then next links walk all of them once', async () => {
    for (let i = 0; i < 7; i++) {
      const res = await post('/fhir/Organization', { resourceType: 'Organization', name: `Paging ${i}`, type: [{ coding: [{ system: 'urn:test', code: 'paging' }] }] });
      expect(res.status).toBe(201);
    }
    const ids = await allPages('/fhir/Organization?type=urn:test|paging&_count=3');
    expect(ids).toHaveLength(7);
    expect(new Set(ids).size).toBe(7);
  });

  it('when a search parameter is unknown or malformed, then 400 names it instead of returning everything', async () => {
    const typo = await get(`/fhir/Patient?identifer=${CPR}|0108589995`);
    expect(typo.status).toBe(400);
    expect(JSON.stringify(typo.body)).toMatch(/identifer/);
    expect((await get('/fhir/Encounter?date=yesterday')).status).toBe(400);
    expect((await get('/fhir/Encounter?_count=100000')).status).toBe(400);
    expect((await get('/fhir/Encounter?date=ge0000-01-01')).status).toBe(400);
    expect((await get('/fhir/Patient?_lastUpdated=ge0001')).status).toBe(400);
  });

  it('when a resource is invalid, then 422 says what and where, and nothing is stored', async () => {
    const before = await get('/fhir/Encounter?_count=1');
    const res = await post('/fhir/Encounter', { resourceType: 'Encounter', class: { code: 'IMP' }, subject: { reference: 'Patient/283' }, colour: 'blue' });
    expect(res.status).toBe(422);
    const text = JSON.stringify(res.body);
    expect(text).toMatch(/Encounter\.colour/);
    expect(text).toMatch(/Encounter\.status/);
    const after = await get('/fhir/Encounter?_count=1');
    expect((after.body as Bundle).total).toBe((before.body as Bundle).total);
  });

  it('when the body is not JSON, not FHIR JSON, or a different type than the URL, then 400/415/400', async () => {
    const broken = await post('/fhir/Patient', '{"resourceType": "Patient",');
    expect(broken.status).toBe(400);
    expect((broken.body as { resourceType: string }).resourceType).toBe('OperationOutcome');
    const xml = await request(t.app).post('/fhir/Patient').set('Authorization', `Bearer ${admin}`).set('Content-Type', 'application/fhir+xml').send('<Patient/>');
    expect(xml.status).toBe(415);
    const wrongType = await post('/fhir/Patient', { resourceType: 'Organization', name: 'x' });
    expect([400, 422]).toContain(wrongType.status);
    expect(JSON.stringify(wrongType.body)).toMatch(/resourceType/);
    const unknown = await get('/fhir/Spaceship/1');
    expect(unknown.status).toBe(404);
    expect(JSON.stringify(unknown.body)).toMatch(/not supported/);
  });

  it('when $validate gets an invalid resource, then 200 with its issues; a valid one, no errors', async () => {
    const bad = await post('/fhir/Patient/$validate', { resourceType: 'Patient', gender: 'mand' });
    expect(bad.status).toBe(200);
    const outcome = bad.body as { issue: { severity: string; expression?: string[] }[] };
    expect(outcome.issue.some((i) => i.severity === 'error' && i.expression?.includes('Patient.gender'))).toBe(true);
    const good = await post('/fhir/Patient/$validate', { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: readExampleJson('dk-core', 'Patient-john.json') }] });
    expect(good.status).toBe(200);
    expect((good.body as { issue: { severity: string }[] }).issue.every((i) => i.severity !== 'error')).toBe(true);
  });
});
