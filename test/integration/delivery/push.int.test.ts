import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DeliverySettings } from '../../../src/config/index.ts';
import { buildAcknowledgement, readMessage, isReadFailure } from '../../../src/medcom/index.ts';
import { FHIR_JSON, startTestApp, type TestApp } from '../../helpers/app.ts';
import { epikriseBundle, GP_SOR } from '../../helpers/documents.ts';
import { readExampleJson } from '../../helpers/examples.ts';
import { RECEIVER_ORG, startReceiver, waitFor, type TestReceiver } from '../../helpers/receiver.ts';
import { backends } from '../../helpers/store.ts';

const BACKENDS = await backends();
const MUNICIPALITY_SOR = RECEIVER_ORG.sor;

/** Fast settings so retries, acknowledgement timeouts and circuit pauses happen within a test. */
const FAST: Partial<DeliverySettings> = {
  timeoutMs: 2_000,
  retryBaseMs: 20,
  retryMaxDelayMs: 100,
  ackTimeoutMs: 400,
  maxResends: 1,
  circuitFailureThreshold: 3,
  circuitOpenMs: 300,
  pollMs: 20,
};

interface DeliveryView {
  id: string;
  recipient: { sor: string } | null;
  status: string;
  attempts: number;
  reason?: string;
  messageHeaderId?: string;
  timeline: ({ status: string } & Record<string, unknown>)[];
}

describe.each(BACKENDS)('pushing deliveries to receivers on $name', (backend) => {
  let t: TestApp;
  let hospital: string;
  let admin: string;
  let gpReceiver: TestReceiver;
  let municipalityReceiver: TestReceiver;
  let letter = 0;

  const put = (path: string, body: unknown) =>
    request(t.app).put(`/fhir/${path}`).set('Authorization', `Bearer ${admin}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));

  /** Registry rows (admin, through the FHIR API): the organisation and its endpoint. */
  const register = async (org: { id: string; sor: string; gln: string; name: string }, endpoint: { url: string; type: 'hl7-fhir-rest' | 'hl7-fhir-msg'; header?: string[] }) => {
    const ep = await put(`Endpoint/ep-${org.id}`, {
      resourceType: 'Endpoint',
      id: `ep-${org.id}`,
      status: 'active',
      connectionType: { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: endpoint.type },
      payloadType: [{ text: endpoint.type === 'hl7-fhir-msg' ? 'MedCom messages' : 'Sektorbro documents' }],
      address: endpoint.url,
      ...(endpoint.header ? { header: endpoint.header } : {}),
    });
    expect(ep.status, JSON.stringify(ep.body)).toBeLessThan(300);
    const o = await put(`Organization/${org.id}`, {
      resourceType: 'Organization',
      id: org.id,
      identifier: [{ system: 'urn:oid:1.2.208.176.1.1', value: org.sor }, { system: 'https://www.gs1.org/gln', value: org.gln }],
      name: org.name,
      endpoint: [{ reference: `Endpoint/ep-${org.id}` }],
    });
    expect(o.status, JSON.stringify(o.body)).toBeLessThan(300);
  };

  beforeAll(async () => {
    gpReceiver = await startReceiver();
    municipalityReceiver = await startReceiver({ ack: 'ok' });
    t = await startTestApp(backend, {}, undefined, { delivery: FAST });
    hospital = await t.token('demo-hospital');
    admin = await t.token('demo-admin');
    await register({ id: 'gp-oesterbro', sor: GP_SOR, gln: '5790002408496', name: 'Lægehuset Østerbro' }, { url: gpReceiver.url, type: 'hl7-fhir-rest', header: ['Authorization: Bearer gp-receiver-token'] });
    await register({ id: 'herlev-kommune', ...RECEIVER_ORG }, { url: municipalityReceiver.url, type: 'hl7-fhir-msg' });
  });
  afterAll(async () => {
    await t.close();
    await gpReceiver.close();
    await municipalityReceiver.close();
  });
  // Each test starts with nothing on its way, so scripted answers go to the test's own deliveries.
  beforeEach(async () => {
    await waitFor(async () => {
      const c = await t.store.deliveries.counts();
      return !c.pending && !c['in-flight'] && !c['awaiting-ack'];
    }, 'no delivery on its way');
  });
  afterEach(() => {
    gpReceiver.setDefault({ status: 200, body: { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational' }] } });
    municipalityReceiver.setDefault({ ack: 'ok' });
  });

  const submitEpikrise = async (o: Parameters<typeof epikriseBundle>[0] = {}): Promise<string> => {
    letter++;
    const res = await request(t.app).post('/fhir/Bundle').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(epikriseBundle({ letterId: `push-${backend.name}-${String(letter)}-${randomUUID()}`, ...o })));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return (res.body as { id: string }).id;
  };
  const deliveriesOf = async (documentReferenceId: string): Promise<DeliveryView[]> => {
    const res = await request(t.app).get(`/api/deliveries?document=${documentReferenceId}`).set('Authorization', `Bearer ${hospital}`);
    expect(res.status).toBe(200);
    return (res.body as { deliveries: DeliveryView[] }).deliveries;
  };
  const settled = (id: string, status: string) =>
    waitFor(async () => (await deliveriesOf(id)).find((d) => d.status === status), `a ${status} delivery of ${id}`);
  const bundlePutsFor = (r: TestReceiver, bundleId: string) => r.received.filter((x) => x.method === 'PUT' && x.path === `/fhir/Bundle/${bundleId}`);
  const bundleIdOf = async (documentReferenceId: string): Promise<string> => {
    const res = await request(t.app).get(`/fhir/DocumentReference/${documentReferenceId}`).set('Authorization', `Bearer ${admin}`);
    const url = (res.body as { content: { attachment: { url: string } }[] }).content[0]?.attachment.url ?? '';
    return url.replace(/^.*Bundle\//, '');
  };

  it('when an epikrise is stored, then the GP system gets the document Bundle by PUT under its stable id, with its own credentials, and the timeline shows every step', async () => {
    const id = await submitEpikrise();
    const d = await settled(id, 'delivered');
    const bundleId = await bundleIdOf(id);
    const puts = bundlePutsFor(gpReceiver, bundleId);
    expect(puts).toHaveLength(1);
    expect(puts[0]?.headers.authorization).toBe('Bearer gp-receiver-token');
    expect(puts[0]?.json).toMatchObject({ resourceType: 'Bundle', id: bundleId, type: 'document' });
    expect(d.timeline.map((e) => e.status)).toEqual(['received', 'validated', 'stored', 'routed', 'sent', 'transport-accepted', 'delivered']);
    expect(d.attempts).toBe(1);
  });

  it('when a delivery is made, then it is a FHIR Task for those who may read the document, and an export AuditEvent for admin', async () => {
    const id = await submitEpikrise();
    await settled(id, 'delivered');
    const tasks = await request(t.app).get(`/fhir/Task?focus=DocumentReference/${id}`).set('Authorization', `Bearer ${hospital}`);
    expect(tasks.status).toBe(200);
    const [task] = (tasks.body as { entry: { resource: Record<string, unknown> }[] }).entry.map((e) => e.resource);
    expect(task).toMatchObject({
      resourceType: 'Task', status: 'completed', businessStatus: { text: 'delivered' }, intent: 'order', focus: { reference: `DocumentReference/${id}` },
      owner: { identifier: { system: 'urn:oid:1.2.208.176.1.1', value: GP_SOR } },
    });
    expect((task?.output as { type: { text: string } }[]).map((o) => o.type.text)).toEqual(['routed', 'sent', 'transport-accepted', 'delivered']);
    const one = await request(t.app).get(`/fhir/Task/${String(task?.id)}`).set('Authorization', `Bearer ${hospital}`);
    expect(one.body).toEqual(task);
    // An organisation the document does not name sees no Task, as if there were none.
    const municipality = await t.token('demo-municipality');
    expect(((await request(t.app).get(`/fhir/Task?focus=DocumentReference/${id}`).set('Authorization', `Bearer ${municipality}`)).body as { total: number }).total).toBe(0);
    expect((await request(t.app).get(`/fhir/Task/${String(task?.id)}`).set('Authorization', `Bearer ${municipality}`)).status).toBe(404);
    const audit = await request(t.app).get(`/fhir/AuditEvent?entity=DocumentReference/${id}`).set('Authorization', `Bearer ${admin}`);
    const exports = (audit.body as { entry: { resource: { type: { code: string }; outcome: string; agent: { who: { identifier?: { value: string } } }[] } }[] }).entry
      .map((e) => e.resource).filter((a) => a.type.code === '110106');
    expect(exports).toHaveLength(1);
    expect(exports[0]?.outcome).toBe('0');
    expect(exports[0]?.agent.map((a) => a.who.identifier?.value)).toContain(GP_SOR);
  });

  it('when the GP system fails twice with 503, then the delivery is retried with backoff until it is accepted, under the same id', async () => {
    gpReceiver.script({ status: 503 }, { status: 503, headers: { 'Retry-After': '0' } });
    const id = await submitEpikrise();
    const d = await settled(id, 'delivered');
    const bundleId = await bundleIdOf(id);
    expect(bundlePutsFor(gpReceiver, bundleId)).toHaveLength(3);
    expect(d.attempts).toBe(3);
    const failed = d.timeline.filter((e) => e.status === 'failed');
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatchObject({ reason: 'HTTP 503', httpStatus: 503 });
    expect(typeof failed[0]?.retryAt).toBe('string');
  });

  it('when the GP system answers slowly (past the time limit), then 500, then 429, then ok, then the delivery is made, once accepted, under the same id', async () => {
    gpReceiver.script({ hang: true }, { status: 500 }, { status: 429, headers: { 'Retry-After': '0' } });
    const id = await submitEpikrise();
    const d = await settled(id, 'delivered');
    expect(d.attempts).toBe(4);
    expect(d.timeline.filter((e) => e.status === 'failed').map((e) => e.reason)).toEqual(['no answer within 2000 ms', 'HTTP 500', 'HTTP 429']);
    expect(new Set(bundlePutsFor(gpReceiver, await bundleIdOf(id)).map((r) => r.path)).size).toBe(1);
  });

  it('when the GP system answers 400, then the delivery is not retried but dead-lettered with the reason, and an admin replay sends it again with the same id', async () => {
    gpReceiver.script({ status: 400, body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', diagnostics: 'Composition.title missing' }] } });
    const id = await submitEpikrise();
    const dead = await settled(id, 'dead-letter');
    expect(dead.attempts).toBe(1);
    expect(dead.reason).toBe('HTTP 400: Composition.title missing');

    const list = await request(t.app).get('/api/deliveries?status=dead-letter').set('Authorization', `Bearer ${admin}`);
    expect((list.body as { deliveries: DeliveryView[] }).deliveries.map((d) => d.id)).toContain(dead.id);
    expect((await request(t.app).get('/api/deliveries?status=dead-letter').set('Authorization', `Bearer ${await t.token('demo-municipality')}`)).status).toBe(403);
    expect((await request(t.app).post(`/api/deliveries/${dead.id}/$replay`).set('Authorization', `Bearer ${hospital}`)).status).toBe(403);

    const replay = await request(t.app).post(`/api/deliveries/${dead.id}/$replay`).set('Authorization', `Bearer ${admin}`);
    expect(replay.status).toBe(200);
    const again = await settled(id, 'delivered');
    expect(again.id).toBe(dead.id);
    expect(again.timeline.map((e) => e.status)).toContain('replayed');
    expect(bundlePutsFor(gpReceiver, await bundleIdOf(id))).toHaveLength(2);
  });

  it('when the GP system is down, then its circuit opens, its deliveries wait (none dropped), and when it is back they all arrive in order', async () => {
    gpReceiver.setDefault({ destroy: true });
    const first = await submitEpikrise({ recommendation: 'first' });
    const second = await submitEpikrise({ recommendation: 'second' });
    await waitFor(async () => (await deliveriesOf(first)).some((d) => d.timeline.some((e) => e.status === 'circuit-open')), 'the circuit to open');
    const paused = await waitFor(async () => (await deliveriesOf(second))[0], 'the second to be routed');
    expect(paused.status).toBe('pending');
    expect(paused.attempts).toBe(0); // held back behind the first to the same (recipient, patient)

    gpReceiver.setDefault({ status: 201 });
    await settled(first, 'delivered');
    await settled(second, 'delivered');
    const order = gpReceiver.received.filter((r) => r.method === 'PUT' && r.json?.type === 'document').map((r) => r.path);
    const firstAt = order.lastIndexOf(`/fhir/Bundle/${await bundleIdOf(first)}`);
    const secondAt = order.indexOf(`/fhir/Bundle/${await bundleIdOf(second)}`);
    expect(firstAt).toBeGreaterThanOrEqual(0);
    expect(secondAt).toBeGreaterThan(firstAt);
  });

  it('when a newer version reached the GP first, then replaying the older one does not send it: it is superseded', async () => {
    const letterId = `versions-${backend.name}-${randomUUID()}`;
    gpReceiver.script({ status: 422 });
    const v1 = await submitEpikrise({ letterId, timestamp: '2026-11-27T14:05:00+01:00' });
    const dead = await settled(v1, 'dead-letter');
    const v2 = await submitEpikrise({ letterId, timestamp: '2026-11-27T16:00:00+01:00', status: 'amended', recommendation: 'corrected' });
    await settled(v2, 'delivered');
    const before = gpReceiver.received.length;
    expect((await request(t.app).post(`/api/deliveries/${dead.id}/$replay`).set('Authorization', `Bearer ${admin}`)).status).toBe(200);
    const superseded = await settled(v1, 'superseded');
    expect(superseded.timeline.at(-1)).toMatchObject({ status: 'superseded' });
    expect(gpReceiver.received.length).toBe(before);
  });

  it('when a worker died mid-attempt (the delivery left in flight), then once its lease runs out the delivery is tried again and arrives', async () => {
    await t.delivery?.worker.stop(); // this "process" is about to die
    const id = await submitEpikrise();
    await t.delivery?.relay.runOnce();
    const [routed] = await deliveriesOf(id);
    if (!routed) throw new Error('not routed');
    // What a crash between "marked in flight" and "recorded the answer" leaves behind: an expired lease.
    const past = new Date(Date.now() - 1000);
    await t.store.transaction(async (tx) => {
      await tx.deliveries.update(routed.id, { status: 'in-flight', attempts: 1, leaseUntil: past, nextAttemptAt: past }, past);
    });
    t.delivery?.worker.start(); // another process, or this one restarted
    const d = await settled(id, 'delivered');
    expect(d.timeline.map((e) => e.status)).toEqual(['received', 'validated', 'stored', 'routed', 'attempt-interrupted', 'sent', 'transport-accepted', 'delivered']);
    expect(bundlePutsFor(gpReceiver, await bundleIdOf(id))).toHaveLength(1);
  });

  it('when the recipient has no endpoint for documents in the registry, then the delivery waits for a person with that reason', async () => {
    const res = await put('Organization/gp-no-endpoint', {
      resourceType: 'Organization', id: 'gp-no-endpoint', name: 'Lægerne i Valby',
      identifier: [{ system: 'urn:oid:1.2.208.176.1.1', value: '1017431000016001' }],
    });
    expect(res.status).toBeLessThan(300);
    const doc = epikriseBundle({ letterId: `no-endpoint-${randomUUID()}` });
    const entries = doc.entry as { resource: Record<string, unknown> }[];
    const gp = entries.find((e) => e.resource.resourceType === 'Organization' && JSON.stringify(e.resource).includes(GP_SOR));
    if (!gp) throw new Error('the test document has no GP Organization');
    gp.resource.identifier = (gp.resource.identifier as { system: string; value: string }[]).map((i) => (i.value === GP_SOR ? { ...i, value: '1017431000016001' } : i));
    const created = await request(t.app).post('/fhir/Bundle').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(doc));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const dead = await settled((created.body as { id: string }).id, 'dead-letter');
    expect(dead.reason).toBe('Lægerne i Valby has no active hl7-fhir-rest Endpoint in the registry');
  });

  describe('MedCom messages', () => {
    const hn = (file: string): { body: Record<string, unknown>; headerId: string; bundleId: string } => {
      const body = readExampleJson('medcom', file);
      const read = readMessage(body);
      if (isReadFailure(read)) throw new Error(file);
      return { body, headerId: read.headerId, bundleId: read.bundleId };
    };
    const sendToGateway = async (body: unknown, token = hospital) =>
      request(t.app).post('/fhir/$process-message').set('Authorization', `Bearer ${token}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
    const messageDeliveries = async (headerId: string): Promise<DeliveryView[]> => {
      const list = await request(t.app).get('/api/deliveries?status=pending,in-flight,awaiting-ack,acknowledged,dead-letter').set('Authorization', `Bearer ${admin}`);
      return (list.body as { deliveries: (DeliveryView & { messageHeaderId?: string })[] }).deliveries.filter((d) => d.messageHeaderId === headerId);
    };
    const messageSettled = (headerId: string, status: string) =>
      waitFor(async () => (await messageDeliveries(headerId)).find((d) => d.status === status), `a ${status} delivery of message ${headerId}`);
    const sendsOf = (headerId: string) =>
      municipalityReceiver.received.filter((r) => r.path === '/fhir/$process-message' && (r.json?.entry as { resource: { id: string } }[] | undefined)?.[0]?.resource.id === headerId);

    it('when a HospitalNotification comes in, then it is passed on to the municipality with a new Bundle.id and the same MessageHeader.id, and its ok acknowledgement settles it', async () => {
      const m = hn('hn-stin-admit-inpatient.json');
      expect((await sendToGateway(m.body)).status).toBe(200);
      const d = await messageSettled(m.headerId, 'acknowledged');
      const sends = sendsOf(m.headerId);
      expect(sends).toHaveLength(1);
      expect(sends[0]?.json?.id).not.toBe(m.bundleId);
      expect(sends[0]?.json?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(d.timeline.map((e) => e.status)).toEqual(['routed', 'sent', 'transport-accepted', 'acknowledged']);
    });

    it('when the municipality answers transient-error, then the message is resent with the same MessageHeader.id and a new Bundle.id', async () => {
      municipalityReceiver.script({ ack: 'transient-error' });
      const m = hn('hn-stor-start-leave.json');
      expect((await sendToGateway(m.body)).status).toBe(200);
      await messageSettled(m.headerId, 'acknowledged');
      const sends = sendsOf(m.headerId);
      expect(sends).toHaveLength(2);
      expect(new Set(sends.map((s) => s.json?.id)).size).toBe(2);
    });

    it('when the municipality answers fatal-error, then the message is not resent and waits for a person with the acknowledgement\'s reason', async () => {
      municipalityReceiver.script({ ack: 'fatal-error', status: 422 });
      const m = hn('hn-slor-end-leave.json');
      expect((await sendToGateway(m.body)).status).toBe(200);
      const d = await messageSettled(m.headerId, 'dead-letter');
      expect(d.reason).toMatch(/^fatal-error: .*test receiver says fatal-error/);
      expect(sendsOf(m.headerId)).toHaveLength(1);
    });

    it('when no acknowledgement comes in time, then the message is resent once (same MessageHeader.id) and then left for a person', async () => {
      municipalityReceiver.script({ status: 202 }, { status: 202 });
      const m = hn('hn-staa-admit-emergency.json');
      expect((await sendToGateway(m.body)).status).toBe(200);
      const d = await messageSettled(m.headerId, 'dead-letter');
      expect(d.reason).toBe('no acknowledgement after 2 sends');
      expect(d.timeline.map((e) => e.status)).toEqual(['routed', 'sent', 'transport-accepted', 'ack-timeout', 'sent', 'transport-accepted', 'dead-lettered']);
      expect(sendsOf(m.headerId)).toHaveLength(2);
    });

    it('when the acknowledgement comes later as a message of its own from the receiver, then it settles the delivery; from anyone else it does not', async () => {
      municipalityReceiver.script({ status: 202 }, { status: 202 });
      const m = hn('hn-slhj-discharge-inpatient.json');
      expect((await sendToGateway(m.body)).status).toBe(200);
      await messageSettled(m.headerId, 'awaiting-ack');
      const sent = sendsOf(m.headerId)[0]?.json;
      const read = readMessage(sent);
      if (isReadFailure(read)) throw new Error('unreadable send');
      const ackFrom = (org: { sor: string; gln: string; name: string }) =>
        buildAcknowledgement(read, { code: 'ok' }, { us: org, now: new Date(), ids: { bundleId: randomUUID(), headerId: randomUUID(), provenanceId: randomUUID() } });
      // An acknowledgement from an organisation the message was not sent to changes nothing.
      expect((await sendToGateway(ackFrom({ sor: '265161000016000', gln: '5790000209354', name: 'Hjerteafdelingen' }))).status).toBe(200);
      expect((await sendToGateway(ackFrom(RECEIVER_ORG), await t.token('demo-municipality'))).status).toBe(200);
      await t.delivery?.relay.runOnce(); // the relay polls too; this only saves the wait
      const d = await messageSettled(m.headerId, 'acknowledged');
      expect(d.timeline.at(-1)).toMatchObject({ status: 'acknowledged', via: 'acknowledgement message' });
    });
  });

  it('when Prometheus scrapes /metrics with an admin token, then it sees deliveries by status and acknowledgement latency per recipient; without a token 401', async () => {
    expect((await request(t.app).get('/metrics')).status).toBe(401);
    const res = await request(t.app).get('/metrics').set('Authorization', `Bearer ${admin}`);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/sektorbro_deliveries\{status="delivered"\} [1-9]/);
    expect(res.text).toMatch(/sektorbro_deliveries\{status="dead-letter"\} [1-9]/);
    expect(res.text).toContain(`sektorbro_delivery_ack_latency_seconds_count{recipient="${MUNICIPALITY_SOR}"}`);
    expect(res.text).toMatch(/sektorbro_delivery_retries_total\{recipient="\d+"\} [1-9]/);
    expect((await request(t.app).get('/metrics').set('Authorization', `Bearer ${await t.token('demo-gp')}`)).status).toBe(403);
  });
});
