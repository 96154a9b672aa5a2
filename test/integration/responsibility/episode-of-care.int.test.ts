import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResponsibilityHandover, materializeResponsibility, RESPONSIBILITY_TYPE_SYSTEM } from '../../../src/responsibility/index.ts';
import { createLogger, fixedClock } from '../../../src/shared/index.ts';
import { formatCopenhagen } from '../../../src/shared/time.ts';
import { FHIR_JSON, startTestApp, type TestApp } from '../../helpers/app.ts';
import { examplePath } from '../../helpers/examples.ts';
import { backends } from '../../helpers/store.ts';

// Issue #8 in FHIR terms: MedCom's HospitalNotification examples (STIN, then SLHJ), re-identified and
// moved in time as test/integration/responsibility/responsibility-api.int.test.ts does, with the
// udskrivningsrapport between them; then GET /fhir/EpisodeOfCare?patient=&status=active answers who
// holds treatment responsibility, and the handover poller moves it to the GP when the window ends.

const BACKENDS = await backends();
const HN = 'medcom-ig/hospitalnotification';
const STIN = 'Bundle-a5e5b880-c087-4055-b9ec-99108695f81d.json';
const SLHJ = 'Bundle-f4aa42a4-86db-4e68-9b38-9dda0dfd5774.json';
const EXAMPLE = { cpr: '2509479989', eoc: 'bd481c38-a921-11ed-afa1-0242ac120002', discharge: '2022-12-18T09:45:30+02:00' };
const DEPARTMENT = '265161000016000';
const GP_SOR = '1017421000016003';
const PATIENT = { tag: 'episode-of-care', cpr: '1111702011' };

const HOUR = 3_600_000;
const DISCHARGE = '2026-03-02T09:45:30+01:00';
const plus = (iso: string, hours: number): Date => new Date(Date.parse(iso) + hours * HOUR);
const cph = (d: Date): string => formatCopenhagen(d);
const NOW = plus(DISCHARGE, 24);
const WINDOW_END = cph(plus(DISCHARGE, 72));
const DATE_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g;

function uuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
const EOC = uuid(`eoc|${PATIENT.tag}`);

type Json = Record<string, unknown>;

/** An HN example as the test patient's: new CPR, episode of care, MessageHeader and Bundle ids; every time moved so the discharge is DISCHARGE. */
function hn(file: string): string {
  const bundle = JSON.parse(readFileSync(examplePath(HN, file), 'utf8')) as Json;
  const headers = new Set<string>();
  for (const { resource: r } of bundle.entry as { resource: Json }[]) {
    if (r.resourceType === 'MessageHeader') headers.add(String(r.id));
    for (const ref of JSON.stringify(r).matchAll(/MessageHeader\/([A-Za-z0-9-]+)/g)) if (ref[1] !== undefined) headers.add(ref[1]);
  }
  const shift = Date.parse(DISCHARGE) - Date.parse(EXAMPLE.discharge);
  let text = JSON.stringify(bundle).replace(DATE_TIME, (t) => cph(new Date(Date.parse(t) + shift)));
  for (const h of headers) text = text.replaceAll(h, uuid(`${PATIENT.tag}|header|${h}`));
  return text.replaceAll(String(bundle.id), uuid(`${PATIENT.tag}|bundle|${file}`)).replaceAll(EXAMPLE.cpr, PATIENT.cpr).replaceAll(EXAMPLE.eoc, EOC);
}

/** The published udskrivningsrapport example, for this patient's episode of care and discharge. */
function udskrivningsrapport(): Json {
  const text = readFileSync(new URL('../../../profiles/examples/sektorbro-udskrivningsrapport-bundle-valid-hjertesvigt.json', import.meta.url), 'utf8');
  const doc = JSON.parse(
    text
      .replaceAll('2509479989', PATIENT.cpr)
      .replaceAll('80c7d576-bc6b-406c-b0de-fb3e2a33804e', EOC)
      .replaceAll('553f6615-c70b-4012-9126-1c51fa96b89d', uuid(`${PATIENT.tag}|composition`))
      .replaceAll('6983e54c-7777-41d6-be73-3f7f42f45401', uuid(`${PATIENT.tag}|bundle-identifier`)),
  ) as Json;
  for (const { resource: r } of doc.entry as { resource: Json }[]) {
    if (r.resourceType === 'Encounter') r.period = { start: cph(plus(DISCHARGE, -24 * 11)), end: cph(new Date(DISCHARGE)) };
    if (r.resourceType === 'Composition') r.date = cph(plus(DISCHARGE, -1));
  }
  doc.timestamp = cph(plus(DISCHARGE, -1));
  return doc;
}

interface SearchSet<T> { entry?: { resource: T }[] }
type Episode = fhir4.EpisodeOfCare & { id: string; meta: { versionId: string } };

describe.each(BACKENDS)('behandlingsansvar as EpisodeOfCare on $name', (backend) => {
  let t: TestApp;
  const tokens: Record<string, string> = {};
  let patientId = '';
  const slhj = hn(SLHJ);

  const get = async <T>(path: string, client = 'demo-municipality'): Promise<T> => {
    const res = await request(t.app).get(path).set('Authorization', `Bearer ${tokens[client] ?? ''}`);
    expect(res.status, `${path}: ${JSON.stringify(res.body).slice(0, 400)}`).toBe(200);
    return res.body as T;
  };
  const search = async <T>(path: string, client?: string): Promise<T[]> => ((await get<SearchSet<T>>(path, client)).entry ?? []).map((e) => e.resource);
  const activeEpisodes = () => search<Episode>(`/fhir/EpisodeOfCare?patient=Patient/${patientId}&status=active`);
  const versionsOf = async (type: string, id: string): Promise<number> => (await search<unknown>(`/fhir/${type}/${id}/_history`, 'demo-admin')).length;
  const codeOf = (e: Episode): string | undefined => e.type?.[0]?.coding?.find((c) => c.system === RESPONSIBILITY_TYPE_SYSTEM)?.code;
  const pendingOutbox = () => t.store.transaction((tx) => tx.outbox.pending());
  const handover = () => createResponsibilityHandover({ store: t.store, clock: fixedClock(NOW.toISOString()), logger: createLogger({ level: 'error', silent: true }) });

  beforeAll(async () => {
    t = await startTestApp(backend, {}, fixedClock(NOW.toISOString()));
    for (const c of ['demo-admin', 'demo-relay', 'demo-hospital', 'demo-municipality', 'demo-gp']) tokens[c] = await t.token(c);
    const post = (path: string, body: string, token: string) =>
      request(t.app).post(path).set('Authorization', `Bearer ${token}`).set('Content-Type', FHIR_JSON).send(body);
    const message = async (text: string) => {
      const res = await post('/fhir/$process-message', text, tokens['demo-relay'] ?? '');
      expect(res.status, JSON.stringify(res.body).slice(0, 800)).toBe(200);
      expect(JSON.stringify(res.body)).toContain('"code":"ok"');
    };
    const organizations = [
      { identifier: [{ system: 'urn:oid:1.2.208.176.1.1', value: DEPARTMENT }], name: 'Hjerteafdelingen, Herlev og Gentofte Hospital', telecom: [{ system: 'phone', value: '+4538681000', use: 'work' }] },
      { identifier: [{ system: 'urn:oid:1.2.208.176.1.1', value: GP_SOR }], name: 'Lægehuset Østerbro', telecom: [{ system: 'phone', value: '+4535350000', use: 'work' }] },
    ];
    for (const org of organizations) expect((await post('/fhir/Organization', JSON.stringify({ resourceType: 'Organization', ...org }), tokens['demo-admin'] ?? '')).status).toBe(201);

    await message(hn(STIN));
    const doc = await post('/fhir/Bundle', JSON.stringify(udskrivningsrapport()), tokens['demo-hospital'] ?? '');
    expect(doc.status, JSON.stringify(doc.body).slice(0, 600)).toBe(201);
    await message(slhj);
    const [patient] = await search<{ id: string }>(`/fhir/Patient?identifier=urn:oid:1.2.208.176.1.2|${PATIENT.cpr}`, 'demo-admin');
    patientId = patient?.id ?? '';
    expect(patientId).not.toBe('');
  });
  afterAll(async () => { await t.close(); });

  it('when the department holds it, then the municipality finds its active episode: extended-care-responsibility, discharge → discharge + 72 h', async () => {
    const episodes = await activeEpisodes();
    expect(episodes).toHaveLength(1);
    const [e] = episodes;
    expect(e && codeOf(e)).toBe('extended-care-responsibility');
    expect(e?.period).toEqual({ start: cph(new Date(DISCHARGE)), end: WINDOW_END });
    expect(e?.managingOrganization?.identifier).toEqual({ system: 'urn:oid:1.2.208.176.1.1', value: DEPARTMENT });
    expect(e?.managingOrganization?.reference).toMatch(/^Organization\//);
    // The GP's episode after the window is planned, and the GP may read it too.
    const gp = await search<Episode>(`/fhir/EpisodeOfCare?patient=Patient/${patientId}&status=planned`, 'demo-gp');
    expect(gp.map((g) => [codeOf(g), g.period?.start, g.period?.end, g.managingOrganization?.identifier?.value])).toEqual([['general-practice', WINDOW_END, undefined, GP_SOR]]);
  });

  it("when the municipality follows the episode's team, then the CareTeam has the department's telecom; the CarePlan view says whom to call until when", async () => {
    const [e] = await activeEpisodes();
    const teamRef = e?.team?.[0]?.reference ?? '';
    expect(teamRef).toMatch(/^CareTeam\//);
    const team = await get<fhir4.CareTeam>(`/fhir/${teamRef}`);
    expect(team.telecom).toEqual([{ system: 'phone', value: '+4538681000', use: 'work' }]);
    expect(team.status).toBe('active');
    const plans = await search<fhir4.CarePlan>(`/fhir/CarePlan?patient=Patient/${patientId}&status=active`);
    expect(plans).toHaveLength(1);
    const descriptions = (plans[0]?.activity ?? []).map((a) => a.detail?.description ?? '');
    expect(descriptions[0]).toContain('+4538681000');
    expect(descriptions[0]).toContain(WINDOW_END);
    expect(descriptions[1]).toContain('Lægehuset Østerbro');
  });

  it('when an episode is written, then a Provenance targets its version and points at the MessageHeader of the SLHJ, whose stored message is the cited Bundle', async () => {
    const [e] = await activeEpisodes();
    const provenances = await search<fhir4.Provenance>(`/fhir/Provenance?target=EpisodeOfCare/${e?.id ?? ''}`);
    expect(provenances.map((p) => p.target[0]?.reference)).toContain(`EpisodeOfCare/${e?.id ?? ''}/_history/${e?.meta.versionId ?? ''}`);
    const latest = provenances.find((p) => p.target[0]?.reference?.endsWith(`/_history/${e?.meta.versionId ?? ''}`));
    const header = latest?.entity?.find((x) => x.what.reference?.startsWith('MessageHeader/'))?.what.reference?.slice('MessageHeader/'.length);
    const bundleRef = latest?.entity?.find((x) => x.what.reference?.startsWith('Bundle/'))?.what.reference ?? '';
    const message = await get<{ entry: { resource: Json }[] }>(`/fhir/${bundleRef}`, 'demo-admin');
    const stored = message.entry.find((x) => x.resource.resourceType === 'MessageHeader')?.resource;
    expect(header).toBeDefined();
    expect(stored?.id).toBe(header);
    // ... and that message is the SLHJ we sent.
    const sent = (JSON.parse(slhj) as { entry: { resource: Json }[] }).entry.find((x) => x.resource.resourceType === 'MessageHeader')?.resource;
    expect(header).toBe(sent?.id);
  });

  it('when the message is replayed or the patient re-materialised, then no version and no outbox entry is added', async () => {
    const [e] = await activeEpisodes();
    const before = await versionsOf('EpisodeOfCare', e?.id ?? '');
    const pending = await pendingOutbox();
    const res = await request(t.app).post('/fhir/$process-message').set('Authorization', `Bearer ${tokens['demo-relay'] ?? ''}`).set('Content-Type', FHIR_JSON).send(slhj);
    expect(res.status).toBe(200);
    const again = await t.store.transaction((tx) => materializeResponsibility(tx, patientId, NOW));
    expect(again).toEqual({ written: [], holderChanged: false });
    expect(await versionsOf('EpisodeOfCare', e?.id ?? '')).toBe(before);
    expect(await pendingOutbox()).toBe(pending);
    expect(await handover().runOnce(plus(DISCHARGE, 71))).toBe(0); // inside the window: nothing to hand over
  });

  it('when the window ends, then the poller hands over: the GP episode is active, the department finished, and responsibility.changed is in the outbox once', async () => {
    const [department] = await activeEpisodes();
    const pending = await pendingOutbox();
    const poller = handover();
    expect(await poller.runOnce(plus(DISCHARGE, 72.5))).toBe(1);
    expect(await pendingOutbox()).toBe(pending + 1);

    const active = await activeEpisodes();
    expect(active.map((e) => [codeOf(e), e.managingOrganization?.identifier?.value, e.period?.start])).toEqual([['general-practice', GP_SOR, WINDOW_END]]);
    const finished = await get<Episode>(`/fhir/EpisodeOfCare/${department?.id ?? ''}`);
    expect(finished.status).toBe('finished');
    expect((await search<fhir4.CarePlan>(`/fhir/CarePlan?patient=Patient/${patientId}&status=completed`))).toHaveLength(1);
    const provenances = await search<fhir4.Provenance>(`/fhir/Provenance?target=EpisodeOfCare/${department?.id ?? ''}`);
    expect(provenances.map((p) => p.target[0]?.reference)).toContain(`EpisodeOfCare/${department?.id ?? ''}/_history/${finished.meta.versionId}`);

    // A second run finds nothing stale: no versions, no entries.
    const versions = await versionsOf('EpisodeOfCare', department?.id ?? '');
    expect(await poller.runOnce(plus(DISCHARGE, 73))).toBe(0);
    expect(await versionsOf('EpisodeOfCare', department?.id ?? '')).toBe(versions);
    expect(await pendingOutbox()).toBe(pending + 1);
  });
});
