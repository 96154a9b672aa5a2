import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, startTestApp, type TestApp } from '../../helpers/app.ts';
import { readExampleJson } from '../../helpers/examples.ts';
import { backends } from '../../helpers/store.ts';

const BACKENDS = await backends();

describe.each(BACKENDS)('operations on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend, { BODY_LIMIT_BYTES: '65536', JSON_MAX_DEPTH: '40', RATE_LIMIT_PER_MINUTE: '1000' });
  });
  afterAll(async () => { await t.close(); });

  it('when metadata is asked for without a token, then a CapabilityStatement lists the stored types and their search parameters', async () => {
    const res = await request(t.app).get('/fhir/metadata');
    expect(res.status).toBe(200);
    const cs = res.body as { resourceType: string; fhirVersion: string; rest: { resource: { type: string; searchParam?: { name: string }[]; interaction: { code: string }[] }[]; security: unknown }[] };
    expect(cs.resourceType).toBe('CapabilityStatement');
    expect(cs.fhirVersion).toBe('4.0.1');
    const patient = cs.rest[0]?.resource.find((r) => r.type === 'Patient');
    expect(patient?.searchParam?.map((p) => p.name)).toEqual(expect.arrayContaining(['_id', '_lastUpdated', 'identifier']));
    expect(patient?.interaction.map((i) => i.code)).toEqual(expect.arrayContaining(['read', 'vread', 'search-type', 'create', 'update']));
    const encounter = cs.rest[0]?.resource.find((r) => r.type === 'Encounter');
    expect(encounter?.searchParam?.map((p) => p.name)).toEqual(expect.arrayContaining(['patient', 'subject', 'date', 'status', 'type']));
    expect(JSON.stringify(encounter?.searchParam)).toMatch(/patient\.identifier/);
    expect(JSON.stringify(cs.rest[0]?.security)).toMatch(/oauth\/token/);
  });

  it('when health is asked for, then live answers ok and ready names the storage and queue', async () => {
    expect((await request(t.app).get('/health/live')).body).toEqual({ status: 'ok' });
    const ready = await request(t.app).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ok', storage: backend.name, queue: 'inprocess' });
  });

  it('when SMART discovery is asked for, then the token endpoint and auth methods are published', async () => {
    const res = await request(t.app).get('/.well-known/smart-configuration');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_endpoint: 'http://sektorbro.test/oauth/token', grant_types_supported: ['client_credentials'] });
  });

  it('when a request carries CPR numbers and document text, then neither reaches the logs, but the request id does', async () => {
    const admin = await t.token('demo-admin');
    const patient = readExampleJson('dk-core', 'Patient-Bruno.json');
    const note = 'Epikrise: patienten udskrives til eget hjem med hjemmesygepleje';
    const body = { ...patient, text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${note}</div>` } };
    const before = t.logs.length;
    const put = await request(t.app).put('/fhir/Patient/Bruno').set('Authorization', `Bearer ${admin}`).set('Content-Type', FHIR_JSON)
      .set('X-Request-Id', 'trace-cpr-test').send(JSON.stringify(body));
    expect(put.status).toBe(201);
    const search = await request(t.app).get('/fhir/Patient?identifier=urn:oid:1.2.208.176.1.2|2509479989').set('Authorization', `Bearer ${admin}`);
    expect(search.status).toBe(200);
    const invalid = await request(t.app).post('/fhir/Patient').set('Authorization', `Bearer ${admin}`).set('Content-Type', FHIR_JSON)
      .send(JSON.stringify({ ...body, id: undefined, gender: '2509479989' }));
    expect(invalid.status).toBe(422);
    expect(JSON.stringify(invalid.body)).not.toMatch(/2509479989/);
    const lines = t.logs.slice(before).join('\n');
    expect(lines).toMatch(/trace-cpr-test/);
    expect(lines).toMatch(/request\.completed/);
    expect(lines).not.toMatch(/2509479989|250947-9989/);
    expect(lines).not.toMatch(/udskrives|Elmer|Testdrømmehaven/);
    expect(put.headers['x-request-id']).toBe('trace-cpr-test');
  });

  it('when a body is larger than allowed, then 413; deeper than allowed, then 400; both as OperationOutcome', async () => {
    const admin = await t.token('demo-admin');
    const big = JSON.stringify({ resourceType: 'Basic', code: { text: 'x'.repeat(70_000) } });
    const large = await request(t.app).post('/fhir/Patient').set('Authorization', `Bearer ${admin}`).set('Content-Type', FHIR_JSON).send(big);
    expect(large.status).toBe(413);
    expect((large.body as { resourceType: string }).resourceType).toBe('OperationOutcome');
    const deep = `{"resourceType":"Patient","extension":${'['.repeat(45)}${']'.repeat(45)}}`;
    const tooDeep = await request(t.app).post('/fhir/Patient').set('Authorization', `Bearer ${admin}`).set('Content-Type', FHIR_JSON).send(deep);
    expect(tooDeep.status).toBe(400);
    expect(JSON.stringify(tooDeep.body)).toMatch(/nesting/);
  });

  it('when a route does not exist, then 404 OperationOutcome', async () => {
    const res = await request(t.app).get('/nowhere');
    expect(res.status).toBe(404);
    expect((res.body as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });

  it('when the admin lists clients, then ids, roles and organisations show and no secret does', async () => {
    const admin = await t.token('demo-admin');
    const res = await request(t.app).get('/api/clients').set('Authorization', `Bearer ${admin}`);
    expect(res.status).toBe(200);
    const text = JSON.stringify(res.body);
    expect(text).toMatch(/demo-hospital/);
    expect(text).toMatch(/265161000016000/);
    expect(text).not.toMatch(/scrypt|secret"/);
    const gp = await t.token('demo-gp');
    expect((await request(t.app).get('/api/clients').set('Authorization', `Bearer ${gp}`)).status).toBe(403);
  });
});

describe.each(BACKENDS)('rate limit on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => { t = await startTestApp(backend, { RATE_LIMIT_PER_MINUTE: '5' }); });
  afterAll(async () => { await t.close(); });

  it('when a client exceeds its budget, then 429 with Retry-After, and other clients are unaffected', async () => {
    const gp = await t.token('demo-gp');
    const admin = await t.token('demo-admin');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await request(t.app).get('/fhir/Organization').set('Authorization', `Bearer ${gp}`)).status);
    expect(statuses.slice(0, 5).every((s) => s === 200)).toBe(true);
    const limited = await request(t.app).get('/fhir/Organization').set('Authorization', `Bearer ${gp}`);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect((limited.body as { resourceType: string }).resourceType).toBe('OperationOutcome');
    expect((await request(t.app).get('/fhir/Organization').set('Authorization', `Bearer ${admin}`)).status).toBe(200);
  });
});
