import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKPORT_EXTENSION, SECRET_EXTENSION, SIGNATURE_HEADER } from '../../../src/delivery/index.ts';
import { PROFILES_DIR } from '../../../src/gateway.ts';
import { FHIR_JSON, startTestApp, type TestApp } from '../../helpers/app.ts';
import { epikriseBundle } from '../../helpers/documents.ts';
import { readExampleJson } from '../../helpers/examples.ts';
import { startReceiver, waitFor, type Received, type TestReceiver } from '../../helpers/receiver.ts';
import { backends } from '../../helpers/store.ts';

const BACKENDS = await backends();
const TOPIC = {
  documents: 'http://sektorbro.dk/fhir/SubscriptionTopic/discharge-documents',
  stays: 'http://sektorbro.dk/fhir/SubscriptionTopic/hospital-notifications',
  responsibility: 'http://sektorbro.dk/fhir/SubscriptionTopic/responsibility-changes',
};
const SECRET = 'municipal-webhook-secret-0123456789';

interface Parameter { name: string; valueString?: string; valueCode?: string; valueReference?: { reference: string }; part?: Parameter[] }
interface Notification { resourceType: string; type: string; entry: { resource: { resourceType: string; id?: string; parameter?: Parameter[] } }[] }

const statusOf = (n: Notification): Parameter[] => n.entry[0]?.resource.parameter ?? [];
const param = (n: Notification, name: string): Parameter | undefined => statusOf(n).find((p) => p.name === name);
const eventsOf = (n: Notification) =>
  statusOf(n).filter((p) => p.name === 'notification-event').map((e) => ({
    number: Number(e.part?.find((p) => p.name === 'event-number')?.valueString),
    focus: e.part?.find((p) => p.name === 'focus')?.valueReference?.reference,
  }));
const notifications = (r: TestReceiver, type: string): (Received & { json: Notification })[] =>
  r.received.filter((x) => x.json && param(x.json as unknown as Notification, 'type')?.valueCode === type) as (Received & { json: Notification })[];

describe.each(BACKENDS)('FHIR Subscriptions on $name', (backend) => {
  let t: TestApp;
  let municipalityHook: TestReceiver;
  let gpHook: TestReceiver;
  let municipality: string;
  let gp: string;
  let hospital: string;
  let municipalSubscription: string;

  const subscription = (o: { topic: string; endpoint: string; content?: string; secret?: string; heartbeat?: number; filter?: string }) => ({
    resourceType: 'Subscription',
    meta: { profile: ['http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription'] },
    status: 'requested',
    reason: 'Sektorbro test subscriber',
    criteria: o.topic,
    ...(o.filter ? { _criteria: { extension: [{ url: BACKPORT_EXTENSION.filterCriteria, valueString: o.filter }] } } : {}),
    ...(o.secret ? { extension: [{ url: SECRET_EXTENSION, valueString: o.secret }] } : {}),
    channel: {
      type: 'rest-hook',
      endpoint: o.endpoint,
      payload: 'application/fhir+json',
      _payload: { extension: [{ url: BACKPORT_EXTENSION.payloadContent, valueCode: o.content ?? 'id-only' }] },
      ...(o.heartbeat ? { extension: [{ url: BACKPORT_EXTENSION.heartbeatPeriod, valueUnsignedInt: o.heartbeat }] } : {}),
      header: ['Authorization: Bearer subscriber-own-token'],
    },
  });
  const create = (token: string, body: unknown) =>
    request(t.app).post('/fhir/Subscription').set('Authorization', `Bearer ${token}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
  const get = (token: string, path: string) => request(t.app).get(`/fhir/${path}`).set('Authorization', `Bearer ${token}`);
  const active = (token: string, id: string) =>
    waitFor(async () => ((await get(token, `Subscription/${id}`)).body as { status: string }).status === 'active', `Subscription/${id} to be active`);

  beforeAll(async () => {
    municipalityHook = await startReceiver({ status: 200 });
    gpHook = await startReceiver({ status: 200 });
    t = await startTestApp(backend, {}, undefined, { delivery: { pollMs: 20, retryBaseMs: 20, retryMaxDelayMs: 100, timeoutMs: 2000 } });
    municipality = await t.token('demo-municipality');
    gp = await t.token('demo-gp');
    hospital = await t.token('demo-hospital');
  });
  afterAll(async () => {
    await t.close();
    await municipalityHook.close();
    await gpHook.close();
  });

  it('when a municipality subscribes to discharge documents, then a signed handshake reaches its endpoint and the Subscription turns active; the secret is never shown', async () => {
    const res = await create(municipality, subscription({ topic: TOPIC.documents, endpoint: `${municipalityHook.url}/notify`, content: 'full-resource', secret: SECRET }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const created = res.body as { id: string; status: string; extension?: unknown };
    municipalSubscription = created.id;
    expect(created.status).toBe('requested');
    expect(JSON.stringify(res.body)).not.toContain(SECRET);
    await active(municipality, created.id);
    const [handshake] = notifications(municipalityHook, 'handshake');
    expect(handshake?.path).toBe('/fhir/notify');
    expect(handshake?.headers.authorization).toBe('Bearer subscriber-own-token');
    const expected = `sha256=${createHmac('sha256', SECRET).update(handshake?.body ?? '', 'utf8').digest('hex')}`;
    expect(handshake?.headers[SIGNATURE_HEADER.toLowerCase()]).toBe(expected);
    expect(handshake?.json.type).toBe('history');
    expect(JSON.stringify((await get(municipality, `Subscription/${created.id}`)).body)).not.toContain(SECRET);
  });

  it('when a GP subscribes to the same topic, then each is told only of documents its own organisation may read, and never of another\'s', async () => {
    const res = await create(gp, subscription({ topic: TOPIC.documents, endpoint: gpHook.url, content: 'full-resource' }));
    expect(res.status).toBe(201);
    await active(gp, (res.body as { id: string }).id);

    const udskrivningsrapport = JSON.parse(readFileSync(`${PROFILES_DIR}examples/sektorbro-udskrivningsrapport-bundle-valid-hjertesvigt.json`, 'utf8')) as unknown;
    const u = await request(t.app).post('/fhir/Bundle').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(udskrivningsrapport));
    expect(u.status, JSON.stringify(u.body)).toBe(201);
    const e = await request(t.app).post('/fhir/Bundle').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(epikriseBundle({ letterId: `subscribed-${randomUUID()}`, cpr: '0803829990' })));
    expect(e.status).toBe(201);
    const rapport = `DocumentReference/${(u.body as { id: string }).id}`;
    const epikrise = `DocumentReference/${(e.body as { id: string }).id}`;

    const toMunicipality = await waitFor(() => notifications(municipalityHook, 'event-notification').find((n) => eventsOf(n.json).some((x) => x.focus?.endsWith(rapport))), 'the municipality to hear of the udskrivningsrapport');
    const toGp = await waitFor(() => notifications(gpHook, 'event-notification').find((n) => eventsOf(n.json).some((x) => x.focus?.endsWith(epikrise))), 'the GP to hear of the epikrise');
    // The full resource travels with the notification, to its own audience only.
    expect(toMunicipality.json.entry.map((x) => x.resource.resourceType)).toEqual(['Parameters', 'DocumentReference']);
    expect(toGp.json.entry[1]?.resource.id).toBe(epikrise.split('/')[1]);
    await t.delivery?.relay.runOnce();
    const allMunicipal = notifications(municipalityHook, 'event-notification').flatMap((n) => eventsOf(n.json).map((x) => x.focus));
    const allGp = notifications(gpHook, 'event-notification').flatMap((n) => eventsOf(n.json).map((x) => x.focus));
    expect(allMunicipal.some((f) => f?.endsWith(epikrise))).toBe(false); // the epikrise does not name the municipality
    // Whatever each was told of, its own organisation may read (the udskrivningsrapport names the GP too, so the GP hears of it).
    for (const [token, foci] of [[municipality, allMunicipal], [gp, allGp]] as const) {
      for (const focus of foci) {
        const path = (focus ?? '').replace(/^.*\/fhir\//, '');
        expect((await get(token, path)).status, path).toBe(200);
      }
    }
    expect(eventsOf(toMunicipality.json)[0]?.number).toBe(1);
  });

  it('when the subscriber was away, then $status tells how many events there were and $events serves them all again, in order; another organisation sees neither', async () => {
    municipalityHook.setDefault({ status: 503 });
    const hn = readExampleJson('medcom', 'hn-stin-two-episodeofcare-ids.json');
    const stays = await create(municipality, subscription({ topic: TOPIC.stays, endpoint: `${municipalityHook.url}/stays`, content: 'id-only', secret: SECRET }));
    expect(stays.status).toBe(201);
    municipalityHook.setDefault({ status: 200 });
    await active(municipality, (stays.body as { id: string }).id);
    municipalityHook.setDefault({ status: 503 }); // away
    expect((await request(t.app).post('/fhir/$process-message').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(hn))).status).toBe(200);
    const id = (stays.body as { id: string }).id;
    const status = await waitFor(async () => {
      const s = (await get(municipality, `Subscription/${id}/$status`)).body as { entry: { resource: { parameter: Parameter[] } }[] };
      const count = s.entry[0]?.resource.parameter.find((p) => p.name === 'events-since-subscription-start')?.valueString;
      return count === '1' ? s : undefined;
    }, 'the event to be recorded');
    expect(status.entry[0]?.resource.parameter.find((p) => p.name === 'topic')).toMatchObject({ valueCanonical: TOPIC.stays });
    const events = (await get(municipality, `Subscription/${id}/$events?eventsSinceNumber=1`)).body as Notification;
    expect(events.type).toBe('history');
    expect(param(events, 'type')?.valueCode).toBe('query-event');
    expect(eventsOf(events)).toEqual([{ number: 1, focus: expect.stringMatching(/\/fhir\/Encounter\/[0-9a-f-]{36}$/) as unknown }]);
    expect((await get(gp, `Subscription/${id}/$status`)).status).toBe(404);
    expect((await get(gp, `Subscription/${id}/$events`)).status).toBe(404);
    municipalityHook.setDefault({ status: 200 }); // back: the retries deliver it too
    await waitFor(() => notifications(municipalityHook, 'event-notification').some((n) => n.path === '/fhir/stays'), 'the retried notification');
  });

  it('when a subscription asks for a heartbeat, then heartbeats come while nothing happens', async () => {
    const res = await create(gp, subscription({ topic: TOPIC.responsibility, endpoint: `${gpHook.url}/beat`, heartbeat: 1 }));
    expect(res.status).toBe(201);
    await active(gp, (res.body as { id: string }).id);
    await waitFor(() => notifications(gpHook, 'heartbeat').some((n) => n.path === '/fhir/beat'), 'a heartbeat', 10_000);
  });

  it('when a GP makes a plain R4 criteria subscription, then it is notified of matching resources its organisation may read, with empty content', async () => {
    const res = await create(gp, { resourceType: 'Subscription', status: 'requested', reason: 'R4 criteria', criteria: 'DocumentReference?status=current', channel: { type: 'rest-hook', endpoint: `${gpHook.url}/r4` } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    await active(gp, (res.body as { id: string }).id);
    const e = await request(t.app).post('/fhir/Bundle').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(epikriseBundle({ letterId: `r4-criteria-${randomUUID()}`, cpr: '0803829990' })));
    expect(e.status).toBe(201);
    const n = await waitFor(() => notifications(gpHook, 'event-notification').find((x) => x.path === '/fhir/r4'), 'the R4 criteria notification');
    expect(n.json.entry).toHaveLength(1); // empty: the status only, no focus reference
    expect(eventsOf(n.json)[0]?.focus).toBeUndefined();
  });

  it('when a subscriber renews its Subscription, then events raised before the new handshake succeeds are recorded and delivered after it', async () => {
    const hook = await startReceiver({ status: 200 });
    try {
      const made = await create(gp, subscription({ topic: TOPIC.documents, endpoint: `${hook.url}/v1`, content: 'id-only' }));
      const id = (made.body as { id: string }).id;
      await active(gp, id);
      hook.setDefault({ status: 503 }); // the renewed endpoint is not up yet: the handshake waits
      const renewed = { ...subscription({ topic: TOPIC.documents, endpoint: `${hook.url}/v2`, content: 'id-only' }), id };
      expect((await request(t.app).put(`/fhir/Subscription/${id}`).set('Authorization', `Bearer ${gp}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(renewed))).status).toBe(200);
      const e = await request(t.app).post('/fhir/Bundle').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON)
        .send(JSON.stringify(epikriseBundle({ letterId: `renewal-${randomUUID()}`, cpr: '0803829990' })));
      expect(e.status).toBe(201);
      await waitFor(async () => {
        const s = (await get(gp, `Subscription/${id}/$status`)).body as { entry: { resource: { parameter: Parameter[] } }[] };
        return s.entry[0]?.resource.parameter.find((p) => p.name === 'events-since-subscription-start')?.valueString === '1';
      }, 'the event to be recorded while the Subscription is requested');
      hook.setDefault({ status: 200 });
      const n = await waitFor(() => notifications(hook, 'event-notification').find((x) => x.path === '/fhir/v2'), 'the event after the handshake');
      expect(eventsOf(n.json)[0]?.number).toBe(1);
    } finally {
      await hook.close();
    }
  });

  it('when a Subscription is not one Sektorbro can serve, then 422 names the element', async () => {
    const email = subscription({ topic: TOPIC.documents, endpoint: gpHook.url });
    (email.channel as { type: string }).type = 'email';
    const bad = [
      [email, 'Subscription.channel.type'],
      [subscription({ topic: 'http://example.org/SubscriptionTopic/unknown', endpoint: gpHook.url }), 'Subscription.criteria'],
      [subscription({ topic: TOPIC.documents, endpoint: gpHook.url, filter: 'DocumentReference?colour=blue' }), 'Subscription.criteria.extension'],
      [subscription({ topic: TOPIC.documents, endpoint: 'ftp://example.org/x' }), 'Subscription.channel.endpoint'],
      [subscription({ topic: TOPIC.documents, endpoint: gpHook.url, secret: 'short' }), 'Subscription.extension'],
    ] as const;
    for (const [body, expression] of bad) {
      const res = await create(gp, body);
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect((res.body as { issue: { expression?: string[] }[] }).issue[0]?.expression).toEqual([expression]);
    }
    expect((await create(await t.token('demo-quality'), subscription({ topic: TOPIC.documents, endpoint: gpHook.url }))).status).toBe(403);
  });

  it('when the subscriber deletes its Subscription, then nothing more is sent to it', async () => {
    expect((await request(t.app).delete(`/fhir/Subscription/${municipalSubscription}`).set('Authorization', `Bearer ${municipality}`)).status).toBe(200);
    const before = notifications(municipalityHook, 'event-notification').filter((n) => n.path === '/fhir/notify').length;
    const udskrivningsrapport = JSON.parse(readFileSync(`${PROFILES_DIR}examples/sektorbro-udskrivningsrapport-bundle-valid-hjertesvigt.json`, 'utf8')) as { identifier: { value: string } };
    udskrivningsrapport.identifier.value = `urn:uuid:${randomUUID()}`;
    const u = await request(t.app).post('/fhir/Bundle').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(udskrivningsrapport));
    expect([200, 201]).toContain(u.status);
    await t.delivery?.relay.runOnce();
    await t.delivery?.worker.dispatchOnce();
    expect(notifications(municipalityHook, 'event-notification').filter((n) => n.path === '/fhir/notify').length).toBe(before);
  });
});
