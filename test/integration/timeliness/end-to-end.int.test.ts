import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCopenhagen } from '../../../src/shared/time.ts';
import { computeDeadline } from '../../../src/timeliness/index.ts';
import { FHIR_JSON, startTestApp, type TestApp } from '../../helpers/app.ts';
import { epikriseBundle, GP_SOR } from '../../helpers/documents.ts';
import { startReceiver, waitFor, type TestReceiver } from '../../helpers/receiver.ts';
import { backends } from '../../helpers/store.ts';

const BACKENDS = await backends();

interface Row { documentReference: string | null; state: string; dischargedAt: string; dueAt: string; sentAt: string | null; deliveredAt: string | null; workingDaysElapsed: number | null }

/** The whole path a quality employee relies on: document in, delivery to the GP, the clock stopped by the GP's system taking it. */
describe.each(BACKENDS)('the epikrise clock end to end on $name', (backend) => {
  let t: TestApp;
  let gp: TestReceiver;
  beforeAll(async () => {
    gp = await startReceiver({ status: 201 });
    t = await startTestApp(backend, {}, undefined, { delivery: { pollMs: 20, retryBaseMs: 20, retryMaxDelayMs: 100 } });
    const admin = await t.token('demo-admin');
    const put = (path: string, body: unknown) =>
      request(t.app).put(`/fhir/${path}`).set('Authorization', `Bearer ${admin}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
    expect((await put('Endpoint/ep-gp', {
      resourceType: 'Endpoint', id: 'ep-gp', status: 'active',
      connectionType: { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: 'hl7-fhir-rest' },
      payloadType: [{ text: 'documents' }], address: gp.url,
    })).status).toBeLessThan(300);
    expect((await put('Organization/gp', {
      resourceType: 'Organization', id: 'gp', name: 'Lægehuset Østerbro',
      identifier: [{ system: 'urn:oid:1.2.208.176.1.1', value: GP_SOR }], endpoint: [{ reference: 'Endpoint/ep-gp' }],
    })).status).toBeLessThan(300);
  });
  afterAll(async () => {
    await t.close();
    await gp.close();
  });

  it('when an epikrise for a discharge an hour ago reaches the GP, then its row is on time, sent when the GP system took it, due by the rule', async () => {
    const dischargedAt = new Date(Date.now() - 3_600_000);
    const hospital = await t.token('demo-hospital');
    const res = await request(t.app).post('/fhir/Bundle').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(epikriseBundle({ letterId: `clock-${randomUUID()}`, dischargedAt: formatCopenhagen(dischargedAt), cpr: '0803829990' })));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const documentReference = `DocumentReference/${(res.body as { id: string }).id}`;
    const quality = await t.token('demo-quality');
    const rows = async (): Promise<Row[]> => {
      const r = await request(t.app).get('/api/timeliness/discharges?documentType=epikrise').set('Authorization', `Bearer ${quality}`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return (r.body as { items: Row[] }).items;
    };
    const row = await waitFor(async () => (await rows()).find((x) => x.documentReference === documentReference && x.sentAt !== null), 'the sent epikrise row');
    expect(row.state).toBe('on-time');
    expect(row.dueAt).toBe(formatCopenhagen(computeDeadline({ dischargedAt: new Date(row.dischargedAt) }).dueBy));
    expect(new Date(row.dischargedAt).getTime()).toBe(dischargedAt.getTime());
    expect(row.deliveredAt).not.toBeNull(); // FHIR REST: the GP system's 201 is its acceptance
    expect(gp.received.filter((r) => r.method === 'PUT')).toHaveLength(1);
  });
});
