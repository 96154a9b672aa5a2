import { randomBytes, randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.ts';
import { openQueue, startDeliveryServices, type DeliveryServices, type JobQueue } from '../../../src/delivery/index.ts';
import { createLogger, systemClock } from '../../../src/shared/index.ts';
import type { Store } from '../../../src/store/index.ts';
import { FHIR_JSON, startTestApp, type TestApp } from '../../helpers/app.ts';
import { epikriseBundle, GP_SOR } from '../../helpers/documents.ts';
import { startReceiver, waitFor, type TestReceiver } from '../../helpers/receiver.ts';
import { redisAvailable, TEST_REDIS_URL } from '../../helpers/redis.ts';
import { backends, openTestStore, type TestStore } from '../../helpers/store.ts';

const postgres = (await backends()).find((b) => b.name === 'postgres');
const redis = await redisAvailable();

/** Three patients (CPR-shaped test numbers). */
const PATIENTS = ['2509479989', '0101010101', '1502799995'];

describe.runIf(postgres && redis)('delivery on the production setup: PostgreSQL, BullMQ, two worker processes', () => {
  let t: TestApp;
  let receiver: TestReceiver;
  let prefix: string;
  const workers: { store: TestStore; queue: JobQueue; services: DeliveryServices }[] = [];

  beforeAll(async () => {
    if (!postgres) return;
    receiver = await startReceiver({ status: 201 });
    prefix = `test-${randomBytes(4).toString('hex')}`;
    // The API process: takes documents, runs no delivery of its own here, so the two workers do it all.
    t = await startTestApp(postgres, {}, undefined, { queue: { kind: 'bullmq', url: TEST_REDIS_URL, prefix } });
    const admin = await t.token('demo-admin');
    const put = (path: string, body: unknown) =>
      request(t.app).put(`/fhir/${path}`).set('Authorization', `Bearer ${admin}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
    expect((await put('Endpoint/ep-gp', {
      resourceType: 'Endpoint', id: 'ep-gp', status: 'active',
      connectionType: { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: 'hl7-fhir-rest' },
      payloadType: [{ text: 'documents' }], address: receiver.url,
    })).status).toBeLessThan(300);
    expect((await put('Organization/gp', {
      resourceType: 'Organization', id: 'gp', name: 'Lægehuset Østerbro',
      identifier: [{ system: 'urn:oid:1.2.208.176.1.1', value: GP_SOR }], endpoint: [{ reference: 'Endpoint/ep-gp' }],
    })).status).toBeLessThan(300);
    const policy = { ...loadConfig({ NODE_ENV: 'test' }).delivery, retryBaseMs: 20, retryMaxDelayMs: 100, pollMs: 20, timeoutMs: 2000 };
    for (let i = 0; i < 2; i++) {
      const store = await openTestStore(postgres, { schema: t.schema });
      const queue = openQueue({ kind: 'bullmq', url: TEST_REDIS_URL, prefix });
      const services = startDeliveryServices({ store: store.store, queue, clock: systemClock, logger: createLogger({ level: 'error', silent: true }), policy, registry: new Registry() });
      workers.push({ store, queue, services });
    }
  });
  afterAll(async () => {
    for (const w of workers) {
      await w.services.stop();
      await w.queue.close();
      await w.store.close({ keepSchema: true });
    }
    await t.close();
    await receiver.close();
  });

  it('when 30 epikriser for three patients are stored, then each reaches the GP exactly once, in the order stored per patient, with flaky answers on the way', async () => {
    receiver.script({ status: 503 }, { status: 500 }, { destroy: true }, { status: 429, headers: { 'Retry-After': '0' } });
    const hospital = await t.token('demo-hospital');
    const stored: { patient: string; documentReferenceId: string }[] = [];
    for (let i = 0; i < 30; i++) {
      const patient = PATIENTS[i % PATIENTS.length] ?? '';
      const res = await request(t.app).post('/fhir/Bundle').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON)
        .send(JSON.stringify(epikriseBundle({ letterId: `scale-${String(i)}-${randomUUID()}`, cpr: patient, recommendation: `letter ${String(i)}` })));
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      stored.push({ patient, documentReferenceId: (res.body as { id: string }).id });
    }
    const store: Store = t.store;
    await waitFor(async () => ((await store.deliveries.counts()).delivered ?? 0) === 30 || undefined, 'all 30 deliveries', 60_000);

    const bundleIdOf = async (documentReferenceId: string) => (await store.documents.byReference(documentReferenceId))?.bundleId ?? '';
    const accepted = receiver.received.filter((r) => r.method === 'PUT');
    for (const patient of PATIENTS) {
      const expected = await Promise.all(stored.filter((s) => s.patient === patient).map((s) => bundleIdOf(s.documentReferenceId)));
      // The last arrival of each Bundle is the one that was accepted (a failed answer may precede it).
      const arrivals = accepted.map((r) => r.path.replace('/fhir/Bundle/', '')).filter((id) => expected.includes(id));
      const firstAccepted = [...new Set(arrivals)];
      expect(firstAccepted).toEqual(expected);
    }
    const counts = await store.deliveries.counts();
    expect(counts).toMatchObject({ delivered: 30 });
    expect(counts['dead-letter'] ?? 0).toBe(0);
    // Exactly once in effect: nothing arrives but the 30 Bundles, under their own ids (a PUT again is the same
    // document); the four scripted failures arrive too. On a busy machine a slow answer may be retried as well,
    // so only the least number of arrivals is fixed.
    const ids = new Set((await Promise.all(stored.map((s) => bundleIdOf(s.documentReferenceId)))));
    const arrived = accepted.map((r) => r.path.replace('/fhir/Bundle/', ''));
    expect(arrived.filter((id) => !ids.has(id))).toEqual([]);
    expect(new Set(arrived).size).toBe(30);
    expect(accepted.length).toBeGreaterThanOrEqual(30 + 4);
  });
});
