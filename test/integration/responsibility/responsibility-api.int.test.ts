import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RESPONSIBILITY_RULES, departmentOverview } from '../../../src/responsibility/index.ts';
import { fixedClock } from '../../../src/shared/index.ts';
import { formatCopenhagen } from '../../../src/shared/time.ts';
import { FHIR_JSON, startTestApp, type TestApp } from '../../helpers/app.ts';
import { epikriseBundle } from '../../helpers/documents.ts';
import { examplePath } from '../../helpers/examples.ts';
import { backends } from '../../helpers/store.ts';

// End to end (issue #8): MedCom's own HospitalNotification examples of one flow (STIN, then SLHJ),
// re-identified per test patient and moved in time so that the discharge is DISCHARGE, go through
// $process-message; an udskrivningsrapport (the published profile example, adapted the same way)
// goes through POST /fhir/Bundle; then /api/responsibility answers as the 72 h rule says.

const BACKENDS = await backends();
const HN = 'medcom-ig/hospitalnotification';
const STIN = 'Bundle-a5e5b880-c087-4055-b9ec-99108695f81d.json';
const SLHJ = 'Bundle-f4aa42a4-86db-4e68-9b38-9dda0dfd5774.json';
const MORS_EMER = 'Bundle-ld31e08a-b91f-49c3-841a-ce80e6380517.json';
const EXAMPLE = { cpr: '2509479989', eoc: 'bd481c38-a921-11ed-afa1-0242ac120002', discharge: '2022-12-18T09:45:30+02:00', admission: '2022-12-07T12:00:00+02:00', death: '2022-12-02T07:00:00+02:00' };
const HERLEV = { sor: '953741000016009', gln: '5790001348120' };
const DEPARTMENT = '265161000016000';
const GP_SOR = '1017421000016003';
const DEPARTMENT_GLN = '5790000209354';
/** The sender of MedCom's CareCommunication example (Klinik for Ældresygdomme, AUH): not the discharging department. */
const CC_SENDER = { sor: '441211000016000', gln: '5790001987244' };

const HOUR = 3_600_000;
const DISCHARGE = '2026-03-02T09:45:30+01:00';
const plus = (iso: string, hours: number): Date => new Date(Date.parse(iso) + hours * HOUR);
const cph = (d: Date): string => formatCopenhagen(d);
/** "Now" for the whole app: a day into the window. */
const NOW = plus(DISCHARGE, 24);
const WINDOW_END = cph(plus(DISCHARGE, 72));

interface TestPatient {
  tag: string;
  cpr: string;
  eoc: string;
}
const patient = (tag: string, cpr: string): TestPatient => ({ tag, cpr, eoc: uuid(`eoc|${tag}`) });
const D = patient('department', '0101702001'); // STIN, SLHJ, udskrivningsrapport: the department holds it
const N = patient('no-report', '0202702002'); // STIN, SLHJ only: the GP, unknown
const Q = patient('elsewhere', '0303702003'); // notified to another municipality only
const R = patient('readmitted', '0404702004'); // readmitted inside the window
const M = patient('died', '0505702005'); // died inside the window
const A = patient('cancelled', '0606702006'); // the discharge cancelled (AN_SLHJ)
const E = patient('no-events', '0707702007'); // known from an epikrise only
const X = patient('cc-extended', '0808702008'); // the department's CareCommunication extended-care-responsibility
const Y = patient('api-extended', '0909702009'); // extended with POST /api/responsibility/extension

function uuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A 13-digit GLN with its GS1 check digit. */
function gln(twelve: string): string {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(twelve.charAt(11 - i)) * (i % 2 === 0 ? 3 : 1);
  return `${twelve}${String((10 - (sum % 10)) % 10)}`;
}
const OTHER_MUNICIPALITY = { sor: '123451000016004', gln: gln('579000999999') };

type Json = Record<string, unknown>;
const DATE_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g;

interface Variant {
  /** The example instant that lands on `to` (every other time moves by the same amount). */
  from?: string;
  to?: Date;
  /** A new episode of care (a new stay) instead of the patient's usual one. */
  eoc?: string;
  receiver?: { sor: string; gln: string };
  edit?: (bundle: Json) => void;
  /** The examples folder, when not the HospitalNotification IG examples. */
  dir?: string;
}

/**
 * An HN example as this patient's message: CPR, episode of care, MessageHeader and Bundle ids
 * replaced (per patient, so each patient has its own flow), and every time moved by one offset.
 */
function hn(file: string, p: TestPatient, v: Variant = {}): string {
  const bundle = JSON.parse(readFileSync(examplePath(v.dir ?? HN, file), 'utf8')) as Json;
  v.edit?.(bundle);
  const entries = (bundle.entry as { resource: Json }[]).map((e) => e.resource);
  const headers = new Set<string>();
  for (const r of entries) {
    if (r.resourceType === 'MessageHeader') headers.add(String(r.id));
    for (const ref of JSON.stringify(r).matchAll(/MessageHeader\/([A-Za-z0-9-]+)/g)) if (ref[1] !== undefined) headers.add(ref[1]);
  }
  let text = JSON.stringify(bundle);
  const shift = (v.to ?? new Date(DISCHARGE)).getTime() - Date.parse(v.from ?? EXAMPLE.discharge);
  text = text.replace(DATE_TIME, (t) => cph(new Date(Date.parse(t) + shift)));
  for (const h of headers) text = text.replaceAll(h, uuid(`${p.tag}|${v.eoc ?? ''}|header|${h}`));
  text = text.replaceAll(String(bundle.id), uuid(`${p.tag}|bundle|${file}|${v.eoc ?? ''}|${String(v.edit !== undefined)}`));
  text = text.replaceAll(EXAMPLE.cpr, p.cpr).replaceAll(EXAMPLE.eoc, v.eoc ?? p.eoc);
  if (v.receiver) text = text.replaceAll(HERLEV.sor, v.receiver.sor).replaceAll(HERLEV.gln, v.receiver.gln);
  return text;
}

/** AN_SLHJ, made from the SLHJ example: a new MessageHeader that removes the discharge; the stay is in progress again. */
const cancelDischarge = (bundle: Json): void => {
  const entries = (bundle.entry as { fullUrl: string; resource: Json }[]);
  const header = entries.find((e) => e.resource.resourceType === 'MessageHeader');
  const slhjHeader = String(header?.resource.id);
  const anHeader = 'a0000000-0000-4000-8000-0000000000a5';
  if (header) {
    header.resource.id = anHeader;
    header.fullUrl = header.fullUrl.replace(slhjHeader, anHeader);
  }
  for (const { resource: r } of entries) {
    if (r.resourceType === 'Encounter') {
      r.status = 'in-progress';
      r.period = { start: (r.period as { start: string }).start };
    }
    if (r.resourceType === 'Provenance' && JSON.stringify(r.target).includes(slhjHeader)) {
      r.target = [{ reference: `MessageHeader/${anHeader}` }];
      r.activity = { coding: [{ system: 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes', code: 'cancel-discharge-inpatient-home' }] };
      r.occurredDateTime = '2022-12-18T13:00:00+02:00';
      r.recorded = '2022-12-18T13:00:00+02:00';
      r.entity = [{ role: 'removal', what: { reference: `MessageHeader/${slhjHeader}` } }];
    }
  }
  bundle.timestamp = '2022-12-18T13:00:01+02:00';
};

/** The published udskrivningsrapport example as this patient's, written for the discharge of its episode of care. */
function udskrivningsrapport(p: TestPatient): Json {
  const text = readFileSync(new URL('../../../profiles/examples/sektorbro-udskrivningsrapport-bundle-valid-hjertesvigt.json', import.meta.url), 'utf8');
  const doc = JSON.parse(
    text
      .replaceAll('2509479989', p.cpr)
      .replaceAll('80c7d576-bc6b-406c-b0de-fb3e2a33804e', p.eoc)
      .replaceAll('553f6615-c70b-4012-9126-1c51fa96b89d', uuid(`${p.tag}|composition`))
      .replaceAll('6983e54c-7777-41d6-be73-3f7f42f45401', uuid(`${p.tag}|bundle-identifier`)),
  ) as Json;
  for (const { resource: r } of doc.entry as { resource: Json }[]) {
    if (r.resourceType === 'Encounter') r.period = { start: cph(plus(DISCHARGE, -24 * 11)), end: cph(new Date(DISCHARGE)) };
    if (r.resourceType === 'Composition') r.date = cph(plus(DISCHARGE, -1));
  }
  doc.timestamp = cph(plus(DISCHARGE, -1));
  return doc;
}

interface Answer {
  holder: { kind: string; organization: { sor: string; name: string | null } | null; telecom: { system?: string; value?: string }[] };
  from: string | null;
  until: string | null;
  inferred: boolean;
  basis: { kind: string; id: string; type?: string; note: string }[];
}
interface Overview { department: { sor: string; name: string | null }; at: string; patients: { patient: { id: string; cpr?: string }; until: string; hoursLeft: number; municipality: { sor?: string; name?: string; kommunekode?: string }; basis: unknown[] }[] }
interface Report { patientsChecked: number; unresolved: { patient: { id: string; cpr?: string }; discharge: { at: string; department: { sor: string } }; generalPractitionerFrom: string }[]; conflicts: unknown[] }
interface Outcome { resourceType: string; issue: { expression?: string[]; diagnostics?: string }[] }

describe.each(BACKENDS)('behandlingsansvar through the API on $name', (backend) => {
  let t: TestApp;
  const tokens: Record<string, string> = {};
  const patientIds: Record<string, string> = {};
  let extended: request.Response | undefined;
  /** Outbox entries the explicit extension added: the holder stays, its end moves, subscribers must hear of it. */
  let extensionOutboxEntries = 0;

  beforeAll(async () => {
    t = await startTestApp(backend, {}, fixedClock(NOW.toISOString()));
    for (const c of ['demo-admin', 'demo-relay', 'demo-hospital', 'demo-municipality', 'demo-gp', 'demo-quality']) tokens[c] = await t.token(c);
    const post = (path: string, body: unknown, token: string) =>
      request(t.app).post(path).set('Authorization', `Bearer ${token}`).set('Content-Type', FHIR_JSON).send(typeof body === 'string' ? body : JSON.stringify(body));
    const message = async (text: string) => {
      const res = await post('/fhir/$process-message', text, tokens['demo-relay'] ?? '');
      const ack = JSON.stringify(res.body);
      expect(res.status, ack.slice(0, 800)).toBe(200);
      expect(ack).toContain('"code":"ok"');
    };

    // The registry names the department, the GP practice and the municipality (with telecom and kommunekode).
    const admin = tokens['demo-admin'] ?? '';
    const organizations = [
      { identifier: [{ system: 'urn:oid:1.2.208.176.1.1', value: DEPARTMENT }], name: 'Hjerteafdelingen, Herlev og Gentofte Hospital', telecom: [{ system: 'phone', value: '+4538681000', use: 'work' }] },
      { identifier: [{ system: 'urn:oid:1.2.208.176.1.1', value: GP_SOR }], name: 'Lægehuset Østerbro', telecom: [{ system: 'phone', value: '+4535350000', use: 'work' }] },
      { identifier: [{ system: 'urn:oid:1.2.208.176.1.1', value: HERLEV.sor }, { system: 'http://hl7.dk/fhir/core/CodeSystem/dk-core-municipality-codes', value: '0163' }], name: 'Herlev Kommune' },
    ];
    for (const org of organizations) expect((await post('/fhir/Organization', { resourceType: 'Organization', ...org }, admin)).status).toBe(201);

    for (const p of [D, N, R, M, A, X, Y]) {
      await message(hn(STIN, p, { from: EXAMPLE.discharge }));
      await message(hn(SLHJ, p));
    }
    for (const p of [D, R, M, A, X, Y]) {
      const res = await post('/fhir/Bundle', udskrivningsrapport(p), tokens['demo-hospital'] ?? '');
      expect(res.status, JSON.stringify(res.body).slice(0, 600)).toBe(201);
    }
    for (const file of [STIN, SLHJ]) await message(hn(file, Q, { receiver: OTHER_MUNICIPALITY }));
    // Readmitted 6 h after the discharge, in a new stay.
    await message(hn(STIN, R, { from: EXAMPLE.admission, to: plus(DISCHARGE, 6), eoc: uuid('eoc|readmission') }));
    // Dead on arrival at the emergency department 6 h after the discharge.
    await message(hn(MORS_EMER, M, { from: EXAMPLE.death, to: plus(DISCHARGE, 6), eoc: uuid('eoc|death') }));
    // The department tells the municipality it keeps responsibility (no structured end time in it).
    await message(hn('cc-v5-new-message-with-attachment.json', D, { dir: 'medcom', from: '2024-08-15T12:00:00+02:00', to: plus(DISCHARGE, 20) }));
    // The same message from the holding department itself: it extends the window (72 h from the message).
    const fromDepartment = (text: string): string => text.replaceAll(CC_SENDER.sor, DEPARTMENT).replaceAll(CC_SENDER.gln, DEPARTMENT_GLN);
    await message(fromDepartment(hn('cc-v5-new-message-with-attachment.json', X, { dir: 'medcom', from: '2024-08-15T12:00:00+02:00', to: plus(DISCHARGE, 20) })));
    // The department extends Y's window by hand, to discharge + 96 h.
    const pendingBefore = await t.store.transaction((tx) => tx.outbox.pending());
    extended = await post('/api/responsibility/extension', { patient: Y.cpr, until: cph(plus(DISCHARGE, 96)), reason: 'afventer svar på blodprøver' }, tokens['demo-hospital'] ?? '').set('Content-Type', 'application/json');
    extensionOutboxEntries = (await t.store.transaction((tx) => tx.outbox.pending())) - pendingBefore;
    // The discharge withdrawn.
    await message(hn(SLHJ, A, { edit: cancelDischarge }));
    expect((await post('/fhir/Bundle', epikriseBundle({ cpr: E.cpr, letterId: 'responsibility-no-events' }), tokens['demo-hospital'] ?? '')).status).toBe(201);

    for (const p of [D, N, Q, R, M, A, E, X, Y]) {
      const found = await request(t.app).get(`/fhir/Patient?identifier=urn:oid:1.2.208.176.1.2|${p.cpr}`).set('Authorization', `Bearer ${admin}`);
      const id = (found.body as { entry?: { resource: { id: string } }[] }).entry?.[0]?.resource.id;
      expect(id, p.tag).toBeDefined();
      patientIds[p.tag] = id ?? '';
    }
  });
  afterAll(async () => { await t.close(); });

  const ask = (query: string, client = 'demo-hospital') =>
    request(t.app).get(`/api/responsibility${query}`).set('Authorization', `Bearer ${tokens[client] ?? ''}`);
  const answer = async (p: TestPatient, at?: Date, client?: string): Promise<Answer> => {
    const res = await ask(`?patient=${p.cpr}${at ? `&at=${encodeURIComponent(cph(at))}` : ''}`, client);
    expect(res.status, JSON.stringify(res.body).slice(0, 400)).toBe(200);
    return res.body as Answer;
  };
  const basisIds = (a: Answer): string[] => a.basis.map((b) => b.id);

  it('when the discharge has an udskrivningsrapport for its episode of care, then the department holds it until discharge + 72 h, inferred', async () => {
    const a = await answer(D);
    expect(a.holder).toEqual({
      kind: 'hospital-department',
      organization: { sor: DEPARTMENT, name: 'Hjerteafdelingen, Herlev og Gentofte Hospital' },
      telecom: [{ system: 'phone', value: '+4538681000', use: 'work' }],
    });
    expect(a.from).toBe(cph(new Date(DISCHARGE)));
    expect(a.until).toBe(WINDOW_END);
    expect(a.until).toMatch(/\+01:00$/);
    expect(a.inferred).toBe(true);
    expect(a.basis.find((b) => b.kind === 'event' && b.type === 'discharged')).toBeDefined();
    expect(basisIds(a)).toEqual(expect.arrayContaining(['hovedstaden.window.2022-02-01', 'municipal-care-inferred', 'somatic-assumed']));
    expect(a.basis.some((b) => b.kind === 'source' && b.type === 'udskrivningsrapport' && b.id.startsWith('DocumentReference/'))).toBe(true);
  });

  it('when another unit sends a CareCommunication about extended responsibility, then the basis shows it and the window is not extended', async () => {
    const a = await answer(D);
    const cc = a.basis.find((b) => b.kind === 'event' && b.type === 'extended');
    expect(cc?.note).toBe(`extension by ${CC_SENDER.sor}, which does not hold the window (${DEPARTMENT}): ignored`);
    expect(a.until).toBe(WINDOW_END);
  });

  it('when the holding department sends a CareCommunication extended-care-responsibility, then the window runs 72 h from the message, inferred', async () => {
    const a = await answer(X);
    expect(a.holder.kind).toBe('hospital-department');
    expect(a.until).toBe(cph(plus(DISCHARGE, 92)));
    expect(a.inferred).toBe(true);
    expect(basisIds(a)).toContain('care-communication-extension');
    expect(a.basis.find((b) => b.id === 'care-communication-extension')?.note).toMatch(/^Communication\/\S+: a CareCommunication extended-care-responsibility carries no end time/);
    expect((await answer(X, new Date(plus(DISCHARGE, 92).getTime() - 1))).holder.kind).toBe('hospital-department');
    expect((await answer(X, plus(DISCHARGE, 92))).holder.kind).toBe('general-practitioner');
  });

  it('when the holding department extends explicitly, then the answer and the EpisodeOfCare end then, with a Provenance naming the department', async () => {
    expect(extended?.status, JSON.stringify(extended?.body).slice(0, 400)).toBe(200);
    expect(extended?.body).toMatchObject({ holder: { kind: 'hospital-department', organization: { sor: DEPARTMENT } }, until: cph(plus(DISCHARGE, 96)) });
    expect((await answer(Y)).until).toBe(cph(plus(DISCHARGE, 96)));
    expect(extensionOutboxEntries).toBe(1); // responsibility.changed, though the holder is the same
    const episodes = await request(t.app).get(`/fhir/EpisodeOfCare?patient=Patient/${patientIds[Y.tag] ?? ''}&status=active`).set('Authorization', `Bearer ${tokens['demo-municipality'] ?? ''}`);
    const episode = (episodes.body as { entry?: { resource: fhir4.EpisodeOfCare }[] }).entry?.[0]?.resource;
    expect(episode?.period?.end).toBe(cph(plus(DISCHARGE, 96)));
    const provenances = await request(t.app).get(`/fhir/Provenance?target=EpisodeOfCare/${episode?.id ?? ''}`).set('Authorization', `Bearer ${tokens['demo-admin'] ?? ''}`);
    const latest = ((provenances.body as { entry?: { resource: fhir4.Provenance }[] }).entry ?? []).map((e) => e.resource).find((p) => p.reason?.[0]?.text?.includes('extended'));
    expect(latest?.entity?.[0]?.what.identifier?.value).toMatch(/^urn:uuid:/);
    expect(latest?.agent.map((x) => x.who.identifier?.value)).toContain(DEPARTMENT);
    // Derived from the rules: a hand edit would be undone, so it is refused even to admin.
    const put = await request(t.app).put(`/fhir/EpisodeOfCare/${episode?.id ?? ''}`).set('Authorization', `Bearer ${tokens['demo-admin'] ?? ''}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(episode));
    expect(put.status).toBe(409);
    expect((put.body as Outcome).issue[0]?.expression).toEqual(['EpisodeOfCare.meta.tag']);
    const removed = await request(t.app).delete(`/fhir/EpisodeOfCare/${episode?.id ?? ''}`).set('Authorization', `Bearer ${tokens['demo-admin'] ?? ''}`);
    expect(removed.status).toBe(409);
    expect((await answer(Y)).until).toBe(cph(plus(DISCHARGE, 96)));
  });

  it('when an extension is repeated, shortened, too long, by the wrong holder or malformed, then it is answered without changing anything', async () => {
    const extend = (body: unknown, client = 'demo-hospital') =>
      request(t.app).post('/api/responsibility/extension').set('Authorization', `Bearer ${tokens[client] ?? ''}`).set('Content-Type', 'application/json').send(JSON.stringify(body));
    const refusedAt = async (body: unknown, status: number, expression: string[] | undefined, client?: string) => {
      const res = await extend(body, client);
      expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(status);
      expect((res.body as Outcome).resourceType).toBe('OperationOutcome');
      expect((res.body as Outcome).issue[0]?.expression).toEqual(expression);
    };
    const pending = await t.store.transaction((tx) => tx.outbox.pending());
    const again = await extend({ patient: Y.cpr, until: cph(plus(DISCHARGE, 96)) });
    expect(again.status).toBe(200);
    expect(again.headers['x-sektorbro-replay']).toBe('true');
    await refusedAt({ patient: Y.cpr, until: cph(plus(DISCHARGE, 80)) }, 422, ['until']);
    await refusedAt({ patient: Y.cpr, until: cph(plus(NOW.toISOString(), 15 * 24)) }, 422, ['until']);
    await refusedAt({ patient: N.cpr, until: cph(plus(DISCHARGE, 96)) }, 422, ['patient']); // the GP holds it
    await refusedAt({ patient: Y.cpr }, 400, ['until']);
    await refusedAt({ patient: Y.cpr, until: '2026-03-06T10:00:00' }, 400, ['until']);
    await refusedAt({ patient: Y.cpr, until: cph(plus(DISCHARGE, 97)), by: 'x' }, 400, ['by']);
    await refusedAt({ patient: Y.cpr, until: cph(plus(DISCHARGE, 97)) }, 403, undefined, 'demo-municipality');
    await refusedAt({ patient: Q.cpr, until: cph(plus(DISCHARGE, 97)) }, 422, ['patient']);
    expect((await answer(Y)).until).toBe(cph(plus(DISCHARGE, 96)));
    expect(await t.store.transaction((tx) => tx.outbox.pending())).toBe(pending);
  });

  it('when an extended window outlasts the longest rule, then the overview still finds it from the extension', async () => {
    // With 72 h as the longest rule, 80 h after the discharge the discharge itself is no longer a candidate.
    const rules = { ...DEFAULT_RESPONSIBILITY_RULES, regions: { hovedstaden: DEFAULT_RESPONSIBILITY_RULES.regions.hovedstaden ?? [] } };
    const overview = await t.store.transaction((tx) => departmentOverview(tx, DEPARTMENT, plus(DISCHARGE, 80), { rules, includeCpr: false }));
    expect(overview.patients.map((p) => p.patient.id)).toEqual([patientIds[X.tag], patientIds[Y.tag]]);
  });

  it('when asked at exactly the end of the window, then the GP named on the udskrivningsrapport holds it', async () => {
    const a = await answer(D, plus(DISCHARGE, 72));
    expect(a.holder).toEqual({
      kind: 'general-practitioner',
      organization: { sor: GP_SOR, name: 'Lægehuset Østerbro' },
      telecom: [{ system: 'phone', value: '+4535350000', use: 'work' }],
    });
    expect(a).toMatchObject({ from: WINDOW_END, until: null, inferred: false });
    expect(basisIds(a)).toContain('general-practitioner-outside-window');
    // A millisecond before, the department still holds it.
    expect((await answer(D, new Date(plus(DISCHARGE, 72).getTime() - 1))).holder.kind).toBe('hospital-department');
  });

  it('when there is no udskrivningsrapport or plejeforløbsplan, then the GP holds it from the discharge, not inferred, and the fact is unknown', async () => {
    const a = await answer(N);
    expect(a.holder).toEqual({ kind: 'general-practitioner', organization: null, telecom: [] });
    expect(a).toMatchObject({ from: cph(new Date(DISCHARGE)), until: null, inferred: false });
    expect(basisIds(a)).toEqual(expect.arrayContaining(['municipal-care-unknown', 'general-practitioner-unknown']));
  });

  it('when the patient is readmitted inside the window, then no one holds it under the rule', async () => {
    const a = await answer(R);
    expect(a.holder.kind).toBe('none');
    expect(a.from).toBe(cph(plus(DISCHARGE, 6)));
    expect(basisIds(a)).toContain('readmission-ends-window');
    expect((await answer(R, plus(DISCHARGE, 3))).holder.kind).toBe('hospital-department');
  });

  it('when the patient dies inside the window (MORS), then no one holds it from the death', async () => {
    const a = await answer(M);
    expect(a).toMatchObject({ holder: { kind: 'none' }, from: cph(plus(DISCHARGE, 6)), until: null });
    expect(basisIds(a)).toContain('death-ends-responsibility');
  });

  it('when the discharge is cancelled (AN_SLHJ), then the patient is an inpatient again and no one holds it', async () => {
    const a = await answer(A);
    expect(a).toMatchObject({ holder: { kind: 'none' }, until: null });
    expect(a.basis.map((b) => b.note).join(' ')).toContain('entered in error');
  });

  it('when the patient has no stay events, then no holder, on the rule before-first-discharge', async () => {
    const a = await answer(E);
    expect(a).toMatchObject({ holder: { kind: 'none', organization: null }, from: null, until: null, inferred: false });
    expect(basisIds(a)).toEqual(['before-first-discharge']);
  });

  it('when the municipality was notified, then it may ask; another municipality gets 404 as if the patient were unknown', async () => {
    expect((await answer(D, undefined, 'demo-municipality')).holder.kind).toBe('hospital-department');
    expect((await answer(D, undefined, 'demo-gp')).holder.kind).toBe('hospital-department');
    expect((await answer(D, undefined, 'demo-admin')).holder.kind).toBe('hospital-department');
    const hidden = await ask(`?patient=${Q.cpr}`, 'demo-municipality');
    expect(hidden.status).toBe(404);
    const unknown = await ask('?patient=3112999999', 'demo-municipality');
    expect(unknown.status).toBe(404);
    expect(hidden.body).toEqual(unknown.body);
    expect((await answer(Q, undefined, 'demo-hospital')).holder.kind).toBe('general-practitioner');
  });

  it('when a relay or quality client asks, then 403', async () => {
    expect((await ask(`?patient=${D.cpr}`, 'demo-relay')).status).toBe(403);
    expect((await ask(`?patient=${D.cpr}`, 'demo-quality')).status).toBe(403);
    expect((await request(t.app).get(`/api/responsibility?patient=${D.cpr}`)).status).toBe(401);
  });

  it('when patient or at is missing or malformed, then 400 naming the parameter', async () => {
    const named = async (query: string, parameter: string) => {
      const res = await ask(query);
      expect(res.status, query).toBe(400);
      expect((res.body as Outcome).issue[0]?.expression).toEqual([parameter]);
    };
    await named('', 'patient');
    await named('?patient=12345', 'patient');
    await named(`?patient=${D.cpr}&at=2026-03-03T10:00:00`, 'at');
    await named(`?patient=${D.cpr}&at=2026-03-03`, 'at');
    await named(`?patient=${D.cpr}&at=yesterday`, 'at');
    expect((await ask(`?patient=${D.cpr.slice(0, 6)}-${D.cpr.slice(6)}&at=${encodeURIComponent(cph(NOW))}`)).status).toBe(200);
  });

  it('when a patient is asked about, then the access is audited with the CPR in the query and never in a log line', async () => {
    await answer(D, undefined, 'demo-municipality');
    const page = await t.store.audit.search({ count: 20 });
    const record = page.items.find((r) => r.entities.includes(`Patient/${patientIds[D.tag] ?? ''}`) && r.clientId === 'demo-municipality');
    expect(record).toMatchObject({ status: 200, outcome: '0', resourceType: 'Patient', action: 'R' });
    expect(record?.query).toContain(`patient=${D.cpr}`);
    await ask(`?patient=${Q.cpr}`, 'demo-municipality');
    const denied = (await t.store.audit.search({ count: 5 })).items[0];
    expect(denied).toMatchObject({ status: 404, outcome: '4', clientId: 'demo-municipality' });
    const lines = t.logs.filter((l) => l.includes('/api/responsibility'));
    expect(lines.length).toBeGreaterThan(0);
    for (const p of [D, Q]) expect(lines.filter((l) => l.includes(p.cpr))).toEqual([]);
  });

  it('when the department asks for its overview, then it lists the patient it holds with the hours left and the municipality', async () => {
    const res = await request(t.app).get(`/api/responsibility/department/${DEPARTMENT}`).set('Authorization', `Bearer ${tokens['demo-hospital'] ?? ''}`);
    expect(res.status, JSON.stringify(res.body).slice(0, 400)).toBe(200);
    const overview = res.body as Overview;
    expect(overview.department).toEqual({ sor: DEPARTMENT, name: 'Hjerteafdelingen, Herlev og Gentofte Hospital' });
    expect(overview.at).toBe(cph(NOW));
    // Fewest hours left first: D's plain window, X's extended by the CareCommunication, Y's by hand.
    expect(overview.patients.map((p) => p.patient.id)).toEqual([patientIds[D.tag], patientIds[X.tag], patientIds[Y.tag]]);
    expect(overview.patients.map((p) => p.hoursLeft)).toEqual([48, 68, 72]);
    expect(overview.patients[0]).toMatchObject({
      patient: { cpr: D.cpr },
      until: WINDOW_END,
      hoursLeft: 48,
      municipality: { sor: HERLEV.sor, name: 'Herlev Kommune', kommunekode: '0163' },
    });
  });

  it('when someone else asks for a department overview, then only admin and quality may, and quality sees no CPR', async () => {
    const overview = (client: string, sor = DEPARTMENT) =>
      request(t.app).get(`/api/responsibility/department/${sor}`).set('Authorization', `Bearer ${tokens[client] ?? ''}`);
    expect((await overview('demo-hospital', '265351000016007')).status).toBe(403);
    expect((await overview('demo-municipality')).status).toBe(403);
    expect((await overview('demo-relay')).status).toBe(403);
    expect((await overview('demo-admin', 'not-a-sor')).status).toBe(400);
    const admin = (await overview('demo-admin')).body as Overview;
    expect(admin.patients[0]?.patient.cpr).toBe(D.cpr);
    const quality = await overview('demo-quality');
    expect(quality.status).toBe(200);
    expect((quality.body as Overview).patients.map((p) => p.patient)).toEqual([D, X, Y].map((p) => ({ id: patientIds[p.tag] })));
  });

  it('when the gap and overlap report is read, then the discharges with no GP known are listed and no periods overlap', async () => {
    const range = `from=${encodeURIComponent(cph(plus(DISCHARGE, -24)))}&to=${encodeURIComponent(cph(plus(DISCHARGE, 24)))}`;
    const res = await request(t.app).get(`/api/responsibility/report?${range}`).set('Authorization', `Bearer ${tokens['demo-quality'] ?? ''}`);
    expect(res.status, JSON.stringify(res.body).slice(0, 400)).toBe(200);
    const report = res.body as Report;
    expect(report.conflicts).toEqual([]);
    expect(report.patientsChecked).toBe(8); // D, N, Q, R, M, A, X, Y were discharged in the range
    expect(report.unresolved.map((u) => u.patient.id).sort()).toEqual([patientIds[N.tag], patientIds[Q.tag]].sort());
    expect(report.unresolved[0]).toMatchObject({ discharge: { at: cph(new Date(DISCHARGE)), department: { sor: DEPARTMENT } }, generalPractitionerFrom: cph(new Date(DISCHARGE)) });
    expect(report.unresolved.every((u) => u.patient.cpr === undefined)).toBe(true);

    const refused = await request(t.app).get(`/api/responsibility/report?${range}`).set('Authorization', `Bearer ${tokens['demo-hospital'] ?? ''}`);
    expect(refused.status).toBe(403);
    const noTo = await request(t.app).get(`/api/responsibility/report?from=${encodeURIComponent(cph(NOW))}`).set('Authorization', `Bearer ${tokens['demo-admin'] ?? ''}`);
    expect(noTo.status).toBe(400);
    expect((noTo.body as Outcome).issue[0]?.expression).toEqual(['to']);
    const later = `from=${encodeURIComponent(cph(plus(DISCHARGE, 1)))}&to=${encodeURIComponent(cph(plus(DISCHARGE, 24)))}`;
    expect(((await request(t.app).get(`/api/responsibility/report?${later}`).set('Authorization', `Bearer ${tokens['demo-admin'] ?? ''}`)).body as Report).patientsChecked).toBe(0);
  });
});
