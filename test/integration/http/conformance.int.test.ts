import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, startTestApp, type TestApp } from '../../helpers/app.ts';
import { epikriseBundle } from '../../helpers/documents.ts';

// Conformance resources live in memory, not in storage: one backend is enough.
describe('profiles served and applied', () => {
  let t: TestApp;
  let gp: string;
  beforeAll(async () => {
    t = await startTestApp({ name: 'pglite' });
    gp = await t.token('demo-gp');
  });
  afterAll(async () => { await t.close(); });

  it('when a client reads a profile, then it gets the StructureDefinition with its snapshot', async () => {
    const res = await request(t.app).get('/fhir/StructureDefinition/sektorbro-epikrise-bundle').set('Authorization', `Bearer ${gp}`);
    expect(res.status).toBe(200);
    const sd = res.body as { url: string; snapshot?: { element: unknown[] } };
    expect(sd.url).toBe('http://sektorbro.dk/fhir/StructureDefinition/sektorbro-epikrise-bundle');
    expect(sd.snapshot?.element.length).toBeGreaterThan(0);
    const byUrl = await request(t.app).get(`/fhir/ValueSet?url=${encodeURIComponent('http://sektorbro.dk/fhir/ValueSet/sektorbro-genoptraening-niveau')}`).set('Authorization', `Bearer ${gp}`);
    expect((byUrl.body as { total: number }).total).toBe(1);
    expect((await request(t.app).get('/fhir/StructureDefinition/nope').set('Authorization', `Bearer ${gp}`)).status).toBe(404);
    expect((await request(t.app).get('/fhir/StructureDefinition/sektorbro-epikrise-bundle')).status).toBe(401);
  });

  it('when the CapabilityStatement is read, then it lists the document profiles and the conformance types', async () => {
    const cs = (await request(t.app).get('/fhir/metadata')).body as { rest: { resource: { type: string; supportedProfile?: string[] }[] }[] };
    const bundle = cs.rest[0]?.resource.find((r) => r.type === 'Bundle');
    for (const doc of ['epikrise', 'udskrivningsrapport', 'plejeforloebsplan', 'genoptraeningsplan']) {
      expect(bundle?.supportedProfile).toContain(`http://sektorbro.dk/fhir/StructureDefinition/sektorbro-${doc}-bundle`);
    }
    expect(cs.rest[0]?.resource.map((r) => r.type)).toEqual(expect.arrayContaining(['StructureDefinition', 'CodeSystem', 'ValueSet']));
  });

  it('when $validate is asked for a named profile, then that profile is applied; an unknown one is an error', async () => {
    const post = (path: string, body: unknown) =>
      request(t.app).post(path).set('Authorization', `Bearer ${gp}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
    const patient = { resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.208.176.1.2', value: '2509479989' }] };
    const base = await post('/fhir/Patient/$validate', patient);
    expect((base.body as { issue: { severity: string }[] }).issue.some((i) => i.severity === 'error')).toBe(false);
    const profiled = await post(`/fhir/Patient/$validate?profile=${encodeURIComponent('http://sektorbro.dk/fhir/StructureDefinition/sektorbro-patient')}`, patient);
    const issues = (profiled.body as { issue: { severity: string; expression?: string[] }[] }).issue;
    expect(issues.some((i) => i.severity === 'error' && (i.expression ?? []).some((e) => e.startsWith('Patient.name')))).toBe(true);
    const unknown = await post(`/fhir/Patient/$validate?profile=${encodeURIComponent('http://sektorbro.dk/fhir/StructureDefinition/nope')}`, patient);
    expect(JSON.stringify(unknown.body)).toMatch(/unknown profile|not known|unknown/i);
  });

  it('when a whole document Bundle is validated, then every issue comes back with severity and expression', async () => {
    const doc = epikriseBundle();
    const composition = (doc.entry as { resource: Record<string, unknown> }[])[0]?.resource ?? {};
    composition.section = [];
    const res = await request(t.app).post('/fhir/Bundle/$validate').set('Authorization', `Bearer ${gp}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(doc));
    expect(res.status).toBe(200);
    const issues = (res.body as { issue: { severity: string; expression?: string[] }[] }).issue.filter((i) => i.severity === 'error');
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((i) => (i.expression ?? []).length > 0)).toBe(true);
  });
});
