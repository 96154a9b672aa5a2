import { readdirSync, readFileSync } from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROFILES_DIR } from '../../../src/gateway.ts';
import { FHIR_JSON, startTestApp, type TestApp } from '../../helpers/app.ts';
import { backends } from '../../helpers/store.ts';

const BACKENDS = await backends();
const EXAMPLES = `${PROFILES_DIR}examples/`;
const documentExamples = readdirSync(EXAMPLES).filter((f) => /-bundle-(valid|invalid)-/.test(f)).sort();
const valid = documentExamples.filter((f) => f.includes('-valid-'));
const invalid = documentExamples.filter((f) => f.includes('-invalid-'));
const read = (f: string): string => readFileSync(`${EXAMPLES}${f}`, 'utf8');

describe.each(BACKENDS)('the published document examples through POST /fhir/Bundle on $name', (backend) => {
  let t: TestApp;
  let hospital: string;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp(backend);
    hospital = await t.token('demo-hospital');
    admin = await t.token('demo-admin');
  });
  afterAll(async () => { await t.close(); });

  const submit = (body: string) => request(t.app).post('/fhir/Bundle').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON).send(body);
  const total = async (type: string) => ((await request(t.app).get(`/fhir/${type}?_count=1`).set('Authorization', `Bearer ${admin}`)).body as { total: number }).total;

  it('when the examples are listed, then all four documents have valid and invalid ones', () => {
    for (const doc of ['epikrise', 'udskrivningsrapport', 'plejeforloebsplan', 'genoptraeningsplan']) {
      expect(valid.some((f) => f.startsWith(`sektorbro-${doc}-bundle-valid-`))).toBe(true);
      expect(invalid.some((f) => f.startsWith(`sektorbro-${doc}-bundle-invalid-`))).toBe(true);
    }
  });

  it.each(invalid)('when %s is submitted, then 422 with an expression per issue, and nothing is stored', async (file) => {
    const before = await Promise.all(['DocumentReference', 'Composition', 'Patient'].map(total));
    const res = await submit(read(file));
    expect(res.status).toBe(422);
    const issues = (res.body as { issue: { severity: string; expression?: string[] }[] }).issue.filter((i) => i.severity === 'error');
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((i) => (i.expression?.length ?? 0) > 0)).toBe(true);
    expect(await Promise.all(['DocumentReference', 'Composition', 'Patient'].map(total))).toEqual(before);
  });

  it.each(valid)('when %s is submitted, then 201 with a DocumentReference', async (file) => {
    const res = await submit(read(file));
    expect(res.status).toBe(201);
    expect((res.body as { resourceType: string }).resourceType).toBe('DocumentReference');
  });
});
