import { readFileSync } from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboxRelay } from '../../../src/delivery/index.ts';
import { PROFILES_DIR } from '../../../src/gateway.ts';
import { createLogger, systemClock } from '../../../src/shared/index.ts';
import { FHIR_JSON, startTestApp, type TestApp } from '../../helpers/app.ts';
import { epikriseBundle, GP_SOR } from '../../helpers/documents.ts';
import { backends } from '../../helpers/store.ts';

const BACKENDS = await backends();

interface Timeline { deliveries: { recipient: { sor: string } | null; basis: string; status: string; timeline: { status: string }[] }[] }

describe.each(BACKENDS)('routing through the transactional outbox on $name', (backend) => {
  let t: TestApp;
  let hospital: string;
  let relay: ReturnType<typeof createOutboxRelay>;
  beforeAll(async () => {
    t = await startTestApp(backend);
    hospital = await t.token('demo-hospital');
    relay = createOutboxRelay({ store: t.store, clock: systemClock, logger: createLogger({ level: 'error', silent: true }) });
  });
  afterAll(async () => { await t.close(); });

  const submit = async (doc: unknown): Promise<string> => {
    const res = await request(t.app).post('/fhir/Bundle').set('Authorization', `Bearer ${hospital}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(doc));
    expect(res.status).toBe(201);
    return (res.body as { id: string }).id;
  };
  const timeline = async (id: string, token = hospital) => request(t.app).get(`/api/deliveries?document=${id}`).set('Authorization', `Bearer ${token}`);

  it('when an epikrise is stored, then the outbox routes it to the recipient it names, with the basis and a timeline', async () => {
    const id = await submit(epikriseBundle({ letterId: 'route-a' }));
    expect((await timeline(id)).body).toMatchObject({ deliveries: [] }); // committed, not yet relayed
    expect(await relay.runOnce()).toBeGreaterThanOrEqual(1);
    const res = await timeline(id);
    expect(res.status).toBe(200);
    const body = res.body as Timeline;
    expect(body.deliveries).toHaveLength(1);
    expect(body.deliveries[0]).toMatchObject({ recipient: { sor: GP_SOR }, status: 'pending' });
    expect(body.deliveries[0]?.basis).toMatch(/named by the document/);
    expect(body.deliveries[0]?.timeline.map((e) => e.status)).toEqual(['received', 'validated', 'stored', 'routed']);
  });

  it('when the relay runs again, then nothing is routed twice', async () => {
    const id = await submit(epikriseBundle({ letterId: 'route-b' }));
    await relay.runOnce();
    await relay.runOnce();
    expect(((await timeline(id)).body as Timeline).deliveries).toHaveLength(1);
    expect(await t.store.transaction((tx) => tx.outbox.pending())).toBe(0);
  });

  it('when an epikrise names no recipient and the patient has no GP, then it is flagged for a person, not dropped', async () => {
    const doc = epikriseBundle({ letterId: 'route-c', cpr: '0101010101' });
    const entries = doc.entry as { resource: Record<string, unknown> }[];
    delete (entries[0] as { resource: Record<string, unknown> }).resource.extension;
    delete (entries[1] as { resource: Record<string, unknown> }).resource.generalPractitioner;
    const id = await submit(doc);
    await relay.runOnce();
    const body = (await timeline(id)).body as Timeline;
    expect(body.deliveries).toHaveLength(1);
    expect(body.deliveries[0]).toMatchObject({ recipient: null, status: 'unroutable' });
    expect(body.deliveries[0]?.basis).toMatch(/no GP/);
  });

  it('when an udskrivningsrapport is stored, then it goes to the municipality it names', async () => {
    const id = await submit(JSON.parse(readFileSync(`${PROFILES_DIR}examples/sektorbro-udskrivningsrapport-bundle-valid-hjertesvigt.json`, 'utf8')));
    await relay.runOnce();
    const body = (await timeline(id)).body as Timeline;
    expect(body.deliveries.map((d) => d.recipient?.sor)).toContain('953741000016009');
  });

  it('when an organisation the document does not name asks for its timeline, then 404 as if it were absent', async () => {
    const id = await submit(epikriseBundle({ letterId: 'route-d' }));
    const municipality = await t.token('demo-municipality');
    expect((await timeline(id, municipality)).status).toBe(404);
    expect((await timeline(id, await t.token('demo-quality'))).status).toBe(200);
    expect((await timeline(id, await t.token('demo-hospital', 'system/Bundle.c'))).status).toBe(403);
    expect((await timeline(id, await t.token('demo-relay'))).status).toBe(403);
  });
});
