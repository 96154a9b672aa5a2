import request from 'supertest';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_TOKEN_SIGNING_SECRET } from '../../../src/config/index.ts';
import { FHIR_JSON, startTestApp, type TestApp } from '../../helpers/app.ts';
import { readExampleJson } from '../../helpers/examples.ts';
import { backends } from '../../helpers/store.ts';

const BACKENDS = await backends();
const CPR = 'urn:oid:1.2.208.176.1.2';
const SOR = 'urn:oid:1.2.208.176.1.1';
const GP_SOR = '1017421000016003'; // demo-gp, Lægehuset Østerbro

interface Outcome { resourceType: string; issue: { severity: string; code: string; diagnostics?: string }[] }
interface Bundle { total?: number; entry?: { resource: { id: string; agent?: { who: { identifier?: { value: string } } }[]; outcome?: string; subtype?: { code: string }[]; entity?: { what?: { reference: string } }[] } }[] }

/** A Patient of Lægehuset Østerbro (written for this test: the DK Core examples name no demo GP). */
const gpPatient = {
  resourceType: 'Patient',
  id: 'oesterbro-patient',
  identifier: [{ system: CPR, value: '0201919990' }],
  name: [{ family: 'Testesen', given: ['Else'] }],
  generalPractitioner: [{ identifier: { system: SOR, value: GP_SOR } }],
};

describe.each(BACKENDS)('access control and audit on $name', (backend) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp(backend);
    admin = await t.token('demo-admin');
    const put = (path: string, body: unknown) =>
      request(t.app).put(path).set('Authorization', `Bearer ${admin}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
    expect((await put('/fhir/Patient/oesterbro-patient', gpPatient)).status).toBe(201);
    expect((await put('/fhir/Patient/Bruno', readExampleJson('dk-core', 'Patient-Bruno.json'))).status).toBe(201);
    expect((await put('/fhir/Organization/LaegerneHasserisBymidte', readExampleJson('dk-core', 'Organization-LaegerneHasserisBymidte.json'))).status).toBe(201);
  });
  afterAll(async () => { await t.close(); });

  const get = (path: string, token?: string) => {
    const r = request(t.app).get(path);
    return token ? r.set('Authorization', `Bearer ${token}`) : r;
  };
  const expectOutcome = (res: request.Response, status: number) => {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/application\/fhir\+json/);
    expect((res.body as Outcome).resourceType).toBe('OperationOutcome');
    expect((res.body as Outcome).issue[0]?.diagnostics).toBeTruthy();
  };

  it('when there is no token, then 401 with an OperationOutcome and a WWW-Authenticate challenge', async () => {
    const res = await get('/fhir/Patient/Bruno');
    expectOutcome(res, 401);
    expect(res.headers['www-authenticate']).toMatch(/Bearer/);
  });

  it('when the token is expired, forged or garbage, then 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ scope: 'system/*.cruds', role: 'admin', org: '999999000000002', client_id: 'demo-admin' })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).setIssuer('http://sektorbro.test').setAudience('http://sektorbro.test')
      .setSubject('demo-admin').setIssuedAt(now - 600).setExpirationTime(now - 300).setJti('x')
      .sign(new TextEncoder().encode(DEV_TOKEN_SIGNING_SECRET));
    expectOutcome(await get('/fhir/Patient/Bruno', expired), 401);
    const forged = `${admin.slice(0, -4)}AAAA`;
    expectOutcome(await get('/fhir/Patient/Bruno', forged), 401);
    expectOutcome(await get('/fhir/Patient/Bruno', 'not-a-token'), 401);
  });

  it('when the token lacks the scope for the interaction, then 403', async () => {
    const orgOnly = await t.token('demo-admin', 'system/Organization.rs');
    expect((await get('/fhir/Organization/LaegerneHasserisBymidte', orgOnly)).status).toBe(200);
    expectOutcome(await get('/fhir/Patient/Bruno', orgOnly), 403);
    const readOnly = await t.token('demo-admin', 'system/*.rs');
    const write = await request(t.app).put('/fhir/Patient/Bruno').set('Authorization', `Bearer ${readOnly}`).set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(readExampleJson('dk-core', 'Patient-Bruno.json')));
    expectOutcome(write, 403);
  });

  it('when a client asks for a scope beyond its allowance, then the token endpoint refuses with invalid_scope', async () => {
    const res = await request(t.app).post('/oauth/token').auth('demo-gp', 'demo-gp-secret').type('form')
      .send({ grant_type: 'client_credentials', scope: 'system/Patient.c' });
    expect(res.status).toBe(400);
    expect((res.body as { error: string }).error).toBe('invalid_scope');
    const wrong = await request(t.app).post('/oauth/token').auth('demo-gp', 'nope').type('form').send({ grant_type: 'client_credentials' });
    expect(wrong.status).toBe(401);
    expect((wrong.body as { error: string }).error).toBe('invalid_client');
  });

  it('when the GP named in Patient.generalPractitioner reads the patient, then it may; other organisations get 404 as if it were absent', async () => {
    const gp = await t.token('demo-gp');
    const hospital = await t.token('demo-hospital');
    const municipality = await t.token('demo-municipality');
    expect((await get('/fhir/Patient/oesterbro-patient', gp)).status).toBe(200);
    // Not shared answers exactly as absent: a 403 would reveal that the person has data here.
    expectOutcome(await get('/fhir/Patient/oesterbro-patient', hospital), 404);
    expectOutcome(await get('/fhir/Patient/Bruno', gp), 404);
    const hidden = JSON.stringify((await get('/fhir/Patient/Bruno', gp)).body).replace('Bruno', 'X');
    expect(hidden).toBe(JSON.stringify((await get('/fhir/Patient/nobody-here', gp)).body).replace('nobody-here', 'X'));
    const gpSearch = await get(`/fhir/Patient?identifier=${CPR}|0201919990`, gp);
    expect((gpSearch.body as Bundle).total).toBe(1);
    const muniSearch = await get(`/fhir/Patient?identifier=${CPR}|0201919990`, municipality);
    expect((muniSearch.body as Bundle).total).toBe(0);
    const gpAll = await get('/fhir/Patient', gp);
    expect((gpAll.body as Bundle).entry?.map((e) => e.resource.id)).toEqual(['oesterbro-patient']);
    expectOutcome(await get('/fhir/Patient/oesterbro-patient/_history', hospital), 404);
  });

  it('when quality staff or a relay ask for patient data, then 403; registry data is open to quality', async () => {
    const quality = await t.token('demo-quality');
    const relay = await t.token('demo-relay');
    expectOutcome(await get('/fhir/Patient', quality), 403);
    expect((await get('/fhir/Organization', quality)).status).toBe(200);
    expectOutcome(await get('/fhir/Organization', relay), 403);
  });

  it('when patient data is read, searched, written or denied, then each access is in the audit trail, readable by admin only', async () => {
    const gp = await t.token('demo-gp');
    const hospital = await t.token('demo-hospital');
    await get('/fhir/Patient/oesterbro-patient', gp);
    await get('/fhir/Patient/oesterbro-patient', hospital);
    const audit = await get('/fhir/AuditEvent?entity=Patient/oesterbro-patient&_count=100', admin);
    expect(audit.status).toBe(200);
    const events = (audit.body as Bundle).entry?.map((e) => e.resource) ?? [];
    const by = (client: string) => events.filter((e) => e.agent?.some((a) => a.who.identifier?.value === client));
    expect(by('demo-gp').some((e) => e.outcome === '0' && e.subtype?.[0]?.code === 'read')).toBe(true);
    expect(by('demo-hospital').some((e) => e.outcome === '4')).toBe(true);
    expect(by('demo-admin').some((e) => e.subtype?.[0]?.code === 'update')).toBe(true);
    expectOutcome(await get('/fhir/AuditEvent', gp), 403);
    const one = events[0];
    expect(one).toBeDefined();
    expect((await get(`/fhir/AuditEvent/${one?.id ?? ''}`, admin)).status).toBe(200);
  });

  it('when a request is refused for lack of a token, then that attempt is audited too', async () => {
    await get('/fhir/Patient/Bruno');
    const audit = await get('/fhir/AuditEvent?_count=20', admin);
    const events = (audit.body as Bundle).entry?.map((e) => e.resource) ?? [];
    expect(events.some((e) => e.outcome === '4' && !e.agent?.some((a) => a.who.identifier))).toBe(true);
  });
});
