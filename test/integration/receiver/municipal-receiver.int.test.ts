import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMunicipalReceiver,
  subscriptionSecret,
  type MunicipalReceiver,
  type MunicipalReceiverOptions,
  type ReceivedEvent,
} from '../../../examples/municipal-receiver/src/index.ts';
import type { DeliverySettings } from '../../../src/config/index.ts';
import { PROFILES_DIR } from '../../../src/gateway.ts';
import { FHIR_JSON, startTestApp, type TestApp } from '../../helpers/app.ts';
import { readExampleJson } from '../../helpers/examples.ts';
import { RECEIVER_ORG, waitFor } from '../../helpers/receiver.ts';
import { backends } from '../../helpers/store.ts';

const BACKENDS = await backends();

/** Fast settings so retries and circuit pauses happen within a test (as in push.int.test.ts). */
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
const MASTER_SECRET = 'herlev-receiver-master-secret-0123456789';
const INBOUND_TOKEN = 'herlev-inbound-token';

interface Parameter { name: string; valueString?: string; valueCode?: string }
interface DeliveryView { source: string; status: string; messageHeaderId?: string; timeline: { status: string }[] }

const numbers = (events: ReceivedEvent[], topic: ReceivedEvent['topic']): number[] => events.filter((e) => e.topic === topic).map((e) => e.eventNumber);

describe.each(BACKENDS)('the example municipal receiver against Sektorbro on $name', (backend) => {
  let t: TestApp;
  let gateway: Server;
  let gatewayUrl: string;
  let admin: string;
  let hospital: string;
  let municipality: string;
  let dir: string;
  let options: MunicipalReceiverOptions;
  /** The receiver's first life; `restarted` is the second, on the same state file and port. */
  let receiver: MunicipalReceiver;
  let restarted: MunicipalReceiver | undefined;
  const documentsStored: string[] = [];

  const put = (path: string, body: unknown) =>
    request(t.app).put(`/fhir/${path}`).set('Authorization', `Bearer ${admin}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
  const statusOf = async (subscriptionId: string): Promise<Parameter[]> => {
    const res = await request(t.app).get(`/fhir/Subscription/${subscriptionId}/$status`).set('Authorization', `Bearer ${municipality}`);
    expect(res.status).toBe(200);
    return (res.body as { entry: { resource: { parameter: Parameter[] } }[] }).entry[0]?.resource.parameter ?? [];
  };
  const subscriptionId = (r: MunicipalReceiver, topic: ReceivedEvent['topic']): string => {
    const id = r.subscriptionIds[topic];
    if (id === undefined) throw new Error(`no ${topic} subscription`);
    return id;
  };
  const storeUdskrivningsrapport = async (): Promise<string> => {
    const doc = JSON.parse(readFileSync(`${PROFILES_DIR}examples/sektorbro-udskrivningsrapport-bundle-valid-hjertesvigt.json`, 'utf8')) as {
      identifier: { value: string };
      entry: { resource: { resourceType: string; identifier?: { value: string } } }[];
    };
    // A document of its own: new Bundle and Composition identifiers (otherwise a replay or a new version).
    doc.identifier.value = `urn:uuid:${randomUUID()}`;
    const composition = doc.entry.find((e) => e.resource.resourceType === 'Composition')?.resource;
    if (!composition?.identifier) throw new Error('the example has no Composition identifier');
    composition.identifier.value = `urn:uuid:${randomUUID()}`;
    const res = await request(t.app).post('/fhir/Bundle').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(doc));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const id = (res.body as { id: string }).id;
    documentsStored.push(id);
    return id;
  };
  const bundleIdOf = async (documentReferenceId: string): Promise<string> => {
    const res = await request(t.app).get(`/fhir/DocumentReference/${documentReferenceId}`).set('Authorization', `Bearer ${admin}`);
    return ((res.body as { content: { attachment: { url: string } }[] }).content[0]?.attachment.url ?? '').replace(/^.*Bundle\//, '');
  };
  const deliveries = async (statuses: string, recipient?: string): Promise<DeliveryView[]> => {
    const res = await request(t.app).get(`/api/deliveries?status=${statuses}${recipient ? `&recipient=${encodeURIComponent(recipient)}` : ''}`).set('Authorization', `Bearer ${admin}`);
    expect(res.status).toBe(200);
    return (res.body as { deliveries: DeliveryView[] }).deliveries;
  };

  beforeAll(async () => {
    t = await startTestApp(backend, {}, undefined, { delivery: FAST });
    gateway = t.app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => gateway.once('listening', resolve));
    gatewayUrl = `http://127.0.0.1:${String((gateway.address() as AddressInfo).port)}`;
    admin = await t.token('demo-admin');
    hospital = await t.token('demo-hospital');
    municipality = await t.token('demo-municipality');
    dir = mkdtempSync(join(tmpdir(), 'municipal-receiver-'));
    options = {
      sektorbroUrl: gatewayUrl,
      clientId: 'demo-municipality',
      clientSecret: 'demo-municipality-secret',
      secret: MASTER_SECRET,
      stateFile: join(dir, 'state.json'),
      organization: RECEIVER_ORG,
      inboundToken: INBOUND_TOKEN,
    };
    receiver = createMunicipalReceiver(options);
    await receiver.start();
    options.port = Number(new URL(receiver.url).port); // the second life listens where the Subscriptions point

    // Registry rows (admin): Herlev Kommune takes MedCom messages and documents at the receiver.
    const endpoint = (id: string, code: 'hl7-fhir-msg' | 'hl7-fhir-rest') => put(`Endpoint/${id}`, {
      resourceType: 'Endpoint', id, status: 'active',
      connectionType: { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code },
      payloadType: [{ text: code === 'hl7-fhir-msg' ? 'MedCom messages' : 'Sektorbro documents' }],
      address: `${receiver.url}/fhir`,
      header: [`Authorization: Bearer ${INBOUND_TOKEN}`],
    });
    expect((await endpoint('ep-herlev-msg', 'hl7-fhir-msg')).status).toBeLessThan(300);
    expect((await endpoint('ep-herlev-rest', 'hl7-fhir-rest')).status).toBeLessThan(300);
    const org = await put('Organization/herlev-kommune', {
      resourceType: 'Organization', id: 'herlev-kommune', name: RECEIVER_ORG.name,
      identifier: [{ system: 'urn:oid:1.2.208.176.1.1', value: RECEIVER_ORG.sor }, { system: 'https://www.gs1.org/gln', value: RECEIVER_ORG.gln }],
      endpoint: [{ reference: 'Endpoint/ep-herlev-msg' }, { reference: 'Endpoint/ep-herlev-rest' }],
    });
    expect(org.status, JSON.stringify(org.body)).toBeLessThan(300);
    for (const topic of ['discharge-documents', 'hospital-notifications'] as const) {
      const id = subscriptionId(receiver, topic);
      await waitFor(async () => (await statusOf(id)).find((p) => p.name === 'status')?.valueCode === 'active', `the ${topic} subscription to be active`);
    }
  });
  afterAll(async () => {
    await receiver.stop();
    await restarted?.stop();
    await new Promise<void>((resolve) => {
      gateway.closeAllConnections();
      gateway.close(() => {
        resolve();
      });
    });
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when a hospital sends a HospitalNotification, then the receiver gets it pushed, acknowledges it ok (the delivery is acknowledged), answers a resend the same way once, and hears of the stay as an event', async () => {
    const hn = readExampleJson('medcom', 'hn-stin-admit-inpatient.json');
    const headerId = (hn.entry as { resource: { id: string } }[])[0]?.resource.id ?? '';
    const sent = await request(t.app).post('/fhir/$process-message').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(hn));
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);

    const message = await waitFor(() => receiver.messages.find((m) => m.messageHeaderId === headerId), 'the pushed message');
    expect(message.senderSor).toBe('265161000016000');
    const ackHeader = message.acknowledgement.entry?.[0]?.resource as fhir4.MessageHeader | undefined;
    expect(ackHeader?.response).toEqual({ identifier: headerId, code: 'ok' });
    // Sektorbro read the answer as an ok Acknowledgement of that message.
    const delivery = await waitFor(async () => (await deliveries('acknowledged')).find((d) => d.messageHeaderId === headerId), 'the delivery to be acknowledged');
    expect(delivery.timeline.map((e) => e.status)).toEqual(['routed', 'sent', 'transport-accepted', 'acknowledged']);

    // A resend with the same MessageHeader.id (here: the hospital's own Bundle) gets the same answer and is not recorded again.
    const resend = await fetch(`${receiver.url}/fhir/$process-message`, { method: 'POST', headers: { Authorization: `Bearer ${INBOUND_TOKEN}`, 'Content-Type': FHIR_JSON }, body: JSON.stringify(hn) });
    expect(resend.status).toBe(200);
    expect(await resend.json()).toEqual(message.acknowledgement);
    expect(receiver.messages.filter((m) => m.messageHeaderId === headerId)).toHaveLength(1);
    expect(receiver.duplicates.messages).toBe(1);
    const noToken = await fetch(`${receiver.url}/fhir/$process-message`, { method: 'POST', headers: { 'Content-Type': FHIR_JSON }, body: JSON.stringify(hn) });
    expect(noToken.status).toBe(401);

    const stay = await waitFor(() => receiver.received.find((e) => e.topic === 'hospital-notifications'), 'the hospital-notifications event');
    expect(stay).toMatchObject({ eventNumber: 1, subscriptionId: subscriptionId(receiver, 'hospital-notifications'), resource: undefined });
    expect(stay.focus).toMatch(/\/fhir\/Encounter\/[A-Za-z0-9-]+$/);
    const encounter = await request(t.app).get(`/fhir/${(stay.focus ?? '').replace(/^.*\/fhir\//, '')}`).set('Authorization', `Bearer ${municipality}`);
    expect(encounter.status).toBe(200);
  });

  it('when a hospital stores an udskrivningsrapport, then the receiver hears of it with the full DocumentReference, and gets the document pushed by PUT', async () => {
    const id = await storeUdskrivningsrapport();
    const event = await waitFor(() => receiver.received.find((e) => e.topic === 'discharge-documents' && e.focus?.endsWith(`/DocumentReference/${id}`)), 'the discharge-documents event');
    expect(event.eventNumber).toBe(1);
    expect(event.via).toBe('notification');
    const stored = await request(t.app).get(`/fhir/DocumentReference/${id}`).set('Authorization', `Bearer ${municipality}`);
    expect(stored.status).toBe(200);
    const storedBody = stored.body as { id: string; type: unknown; subject: unknown; content: unknown };
    expect(event.resource).toMatchObject({ resourceType: 'DocumentReference', id, type: storedBody.type, subject: storedBody.subject, content: storedBody.content });

    const bundleId = await bundleIdOf(id);
    const pushed = await waitFor(() => receiver.documents.find((d) => d.bundleId === bundleId), 'the pushed document Bundle');
    expect(pushed.bundle).toMatchObject({ resourceType: 'Bundle', id: bundleId, type: 'document' });
  });

  it('when the receiver was down while two more documents were stored, then on restart with the same state file it catches up through $status and $events and has every event 1..N exactly once, in order', async () => {
    const documentsSub = subscriptionId(receiver, 'discharge-documents');
    const receiverUrl = receiver.url;
    await receiver.stop();

    await storeUdskrivningsrapport();
    await storeUdskrivningsrapport();
    const expected = documentsStored.length; // one from the test before, two now
    const status = await waitFor(async () => {
      const s = await statusOf(documentsSub);
      return Number(s.find((p) => p.name === 'events-since-subscription-start')?.valueString) === expected ? s : undefined;
    }, 'the events to be recorded at Sektorbro');
    expect(status.find((p) => p.name === 'status')?.valueCode).toBe('active');
    // Sektorbro tried to notify the receiver meanwhile and is retrying.
    await waitFor(async () => (await deliveries('pending', `Subscription/${documentsSub}`)).some((d) => d.timeline.some((e) => e.status === 'failed')), 'a failed notification attempt');

    restarted = createMunicipalReceiver(options);
    await restarted.start();
    expect(restarted.url).toBe(receiverUrl);
    expect(restarted.subscriptionIds).toEqual(receiver.subscriptionIds); // re-used, not made anew
    // Before start() returned, it had what it missed: only that (it knew where it was), in order.
    expect(numbers(restarted.received, 'discharge-documents')).toEqual([2, 3]);
    const all = [...receiver.received, ...restarted.received].filter((e) => e.topic === 'discharge-documents');
    expect(all.map((e) => e.eventNumber)).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
    expect(all.map((e) => e.focus?.replace(/^.*\/DocumentReference\//, ''))).toEqual(documentsStored);
    expect(all.every((e) => (e.resource as { resourceType?: string } | undefined)?.resourceType === 'DocumentReference')).toBe(true);

    // The retried notifications arrive in the end too, and change nothing.
    await waitFor(async () => (await deliveries('pending,in-flight', `Subscription/${documentsSub}`)).length === 0, 'the retried notifications to be delivered');
    expect(numbers(restarted.received, 'discharge-documents')).toEqual([2, 3]);
    expect(numbers(restarted.received, 'hospital-notifications')).toEqual([]);
    // And so do the pushed documents that waited for the receiver.
    const bundles = await Promise.all(documentsStored.slice(1).map(bundleIdOf));
    await waitFor(() => bundles.every((b) => restarted?.documents.some((d) => d.bundleId === b)), 'the documents pushed after the restart');
  });

  it('when a notification has a wrong or missing signature, then the receiver refuses it with 401 and records nothing; a correctly signed redelivery is answered but not recorded again', async () => {
    const r = restarted ?? receiver;
    const id = subscriptionId(r, 'discharge-documents');
    const notification = (eventNumber: number) => JSON.stringify({
      resourceType: 'Bundle', type: 'history', id: randomUUID(),
      entry: [{
        resource: {
          resourceType: 'Parameters',
          parameter: [
            { name: 'subscription', valueReference: { reference: `http://sektorbro.test/fhir/Subscription/${id}` } },
            { name: 'status', valueCode: 'active' },
            { name: 'type', valueCode: 'event-notification' },
            { name: 'events-since-subscription-start', valueString: String(eventNumber) },
            { name: 'notification-event', part: [{ name: 'event-number', valueString: String(eventNumber) }, { name: 'focus', valueReference: { reference: 'http://sektorbro.test/fhir/DocumentReference/forged' } }] },
          ],
        },
      }],
    });
    const body = notification(4);
    const before = r.received.length;
    const post = (headers: Record<string, string>, text = body) =>
      fetch(`${r.url}/notifications/discharge-documents`, { method: 'POST', headers: { 'Content-Type': FHIR_JSON, ...headers }, body: text });
    const sign = (secret: string, text: string) => `sha256=${createHmac('sha256', secret).update(text, 'utf8').digest('hex')}`;

    expect((await post({})).status).toBe(401);
    expect((await post({ 'X-Sektorbro-Signature': sign('not-the-subscription-secret', body) })).status).toBe(401);
    expect((await post({ 'X-Sektorbro-Signature': sign(subscriptionSecret(MASTER_SECRET, 'hospital-notifications'), body) })).status).toBe(401); // another subscription's secret
    // The right secret over other bytes: the body was changed on the way.
    expect((await post({ 'X-Sektorbro-Signature': sign(subscriptionSecret(MASTER_SECRET, 'discharge-documents'), body) }, body.replace('forged', 'altered'))).status).toBe(401);
    expect(r.received.length).toBe(before);

    // Signed right, but event 1 again (a redelivery): 200, and nothing new.
    const redelivery = notification(1);
    const duplicates = r.duplicates.events;
    expect((await post({ 'X-Sektorbro-Signature': sign(subscriptionSecret(MASTER_SECRET, 'discharge-documents'), redelivery) }, redelivery)).status).toBe(200);
    expect(r.received.length).toBe(before);
    expect(r.duplicates.events).toBe(duplicates + 1);
  });

  it('when a notification skips ahead (event n arrives before n-1), then the receiver first fetches the missing events from $events, and the late ones are ignored', async () => {
    const r = restarted ?? receiver;
    const id = subscriptionId(r, 'discharge-documents');
    const last = Math.max(...numbers(r.received, 'discharge-documents'));
    await t.delivery?.worker.stop(); // Sektorbro records events but sends nothing for now
    const skipped = await storeUdskrivningsrapport();
    const ahead = await storeUdskrivningsrapport();
    await waitFor(async () => Number((await statusOf(id)).find((p) => p.name === 'events-since-subscription-start')?.valueString) === last + 2, 'both events to be recorded');
    const events = await request(t.app).get(`/fhir/Subscription/${id}/$events?eventsSinceNumber=${String(last + 2)}&eventsUntilNumber=${String(last + 2)}`).set('Authorization', `Bearer ${municipality}`);
    expect(events.status).toBe(200);
    // What Sektorbro would send for the later event, had it overtaken the earlier one.
    const body = JSON.stringify({ ...(events.body as object), id: randomUUID(), type: 'history' }).replace('"query-event"', '"event-notification"');
    const signature = `sha256=${createHmac('sha256', subscriptionSecret(MASTER_SECRET, 'discharge-documents')).update(body, 'utf8').digest('hex')}`;
    const res = await fetch(`${r.url}/notifications/discharge-documents`, { method: 'POST', headers: { 'Content-Type': FHIR_JSON, 'X-Sektorbro-Signature': signature }, body });
    expect(res.status).toBe(200);
    const got = r.received.filter((e) => e.topic === 'discharge-documents' && e.eventNumber > last);
    expect(got.map((e) => [e.eventNumber, e.via, e.focus?.replace(/^.*\/DocumentReference\//, '')])).toEqual([
      [last + 1, '$events', skipped],
      [last + 2, 'notification', ahead],
    ]);

    t.delivery?.worker.start(); // the real notifications of both now arrive: redeliveries, not recorded again
    const duplicates = r.duplicates.events;
    await waitFor(async () => (await deliveries('pending,in-flight', `Subscription/${id}`)).length === 0, 'the notifications to be delivered');
    expect(r.duplicates.events).toBe(duplicates + 2);
    const all = [...receiver.received, ...(restarted?.received ?? [])].filter((e) => e.topic === 'discharge-documents');
    expect(all.map((e) => e.eventNumber)).toEqual(Array.from({ length: documentsStored.length }, (_, i) => i + 1));
  });
});
