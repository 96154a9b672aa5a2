import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/shared/index.ts';
import { formatCopenhagen } from '../../src/shared/time.ts';
import { FHIR_JSON, startTestApp, type TestApp } from '../helpers/app.ts';
import { attributes, chromiumAvailable, eventually, launchChromium, listen, screenshot, signIn, watchPage, type Listening, type PageWatch } from '../helpers/browser.ts';
import { examplePath } from '../helpers/examples.ts';

// The department overview (issue #8) in real headless Chromium: patients enter through MedCom's own
// HospitalNotification examples (STIN, SLHJ) on $process-message and an udskrivningsrapport on
// POST /fhir/Bundle, as in the responsibility API tests; the page must show what the API answers.

const CHROMIUM = chromiumAvailable();
const HN = 'medcom-ig/hospitalnotification';
const STIN = 'Bundle-a5e5b880-c087-4055-b9ec-99108695f81d.json';
const SLHJ = 'Bundle-f4aa42a4-86db-4e68-9b38-9dda0dfd5774.json';
const EXAMPLE = { cpr: '2509479989', eoc: 'bd481c38-a921-11ed-afa1-0242ac120002', discharge: '2022-12-18T09:45:30+02:00' };
const DEPARTMENT = '265161000016000'; // demo-hospital's own SOR unit
const OTHER_DEPARTMENT = '265351000016007';
const GP_SOR = '1017421000016003';
const HERLEV_SOR = '953741000016009';

const HOUR = 3_600_000;
const DISCHARGE = '2026-03-02T09:45:30+01:00';
const plus = (iso: string, hours: number): Date => new Date(Date.parse(iso) + hours * HOUR);
const cph = (d: Date): string => formatCopenhagen(d);
/** "Now" for the app: a day after the first discharge. */
const NOW = plus(DISCHARGE, 24);

interface TestPatient { tag: string; cpr: string; eoc: string; dischargedAt: Date }
const patient = (tag: string, cpr: string, hoursAfter: number): TestPatient => ({ tag, cpr, eoc: uuid(`browser-eoc|${tag}`), dischargedAt: plus(DISCHARGE, hoursAfter) });
const D = patient('browser-held', '0101702001', 0); // the department holds it until discharge + 72 h
const N = patient('browser-no-report', '0202702002', 0); // no udskrivningsrapport: the GP holds it
const L = patient('browser-later', '0303702003', 6); // discharged 6 h later, arrives while the page is open

function uuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

type Json = Record<string, unknown>;
const DATE_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g;

/** An HN example as this patient's message: ids replaced per patient, every time moved so the discharge lands on the patient's. */
function hn(file: string, p: TestPatient): string {
  const bundle = JSON.parse(readFileSync(examplePath(HN, file), 'utf8')) as Json;
  const headers = new Set<string>();
  for (const { resource: r } of bundle.entry as { resource: Json }[]) {
    if (r.resourceType === 'MessageHeader') headers.add(String(r.id));
    for (const ref of JSON.stringify(r).matchAll(/MessageHeader\/([A-Za-z0-9-]+)/g)) if (ref[1] !== undefined) headers.add(ref[1]);
  }
  const shift = p.dischargedAt.getTime() - Date.parse(EXAMPLE.discharge);
  let text = JSON.stringify(bundle).replace(DATE_TIME, (t) => cph(new Date(Date.parse(t) + shift)));
  for (const h of headers) text = text.replaceAll(h, uuid(`${p.tag}|header|${h}`));
  text = text.replaceAll(String(bundle.id), uuid(`${p.tag}|bundle|${file}`));
  return text.replaceAll(EXAMPLE.cpr, p.cpr).replaceAll(EXAMPLE.eoc, p.eoc);
}

/** The published udskrivningsrapport example as this patient's, for the discharge of its episode of care. */
function udskrivningsrapport(p: TestPatient): Json {
  const text = readFileSync(new URL('../../profiles/examples/sektorbro-udskrivningsrapport-bundle-valid-hjertesvigt.json', import.meta.url), 'utf8');
  const doc = JSON.parse(
    text
      .replaceAll('2509479989', p.cpr)
      .replaceAll('80c7d576-bc6b-406c-b0de-fb3e2a33804e', p.eoc)
      .replaceAll('553f6615-c70b-4012-9126-1c51fa96b89d', uuid(`${p.tag}|composition`))
      .replaceAll('6983e54c-7777-41d6-be73-3f7f42f45401', uuid(`${p.tag}|bundle-identifier`)),
  ) as Json;
  const written = cph(new Date(p.dischargedAt.getTime() - HOUR));
  for (const { resource: r } of doc.entry as { resource: Json }[]) {
    if (r.resourceType === 'Encounter') r.period = { start: cph(new Date(p.dischargedAt.getTime() - 24 * 11 * HOUR)), end: cph(p.dischargedAt) };
    if (r.resourceType === 'Composition') r.date = written;
  }
  doc.timestamp = written;
  return doc;
}

interface Overview { department: { sor: string; name: string | null }; at: string; patients: { patient: { id: string; cpr?: string }; until: string; hoursLeft: number; municipality: { sor?: string; name?: string; kommunekode?: string } }[] }

describe.runIf(CHROMIUM !== undefined)('the department overview in headless Chromium', () => {
  let t: TestApp;
  let server: Listening;
  let browser: Browser;
  const tokens: Record<string, string> = {};

  const post = (path: string, body: unknown, client: string) =>
    request(t.app).post(path).set('Authorization', `Bearer ${tokens[client] ?? ''}`).set('Content-Type', FHIR_JSON).send(typeof body === 'string' ? body : JSON.stringify(body));
  const message = async (text: string): Promise<void> => {
    const res = await post('/fhir/$process-message', text, 'demo-relay');
    expect(res.status, JSON.stringify(res.body).slice(0, 600)).toBe(200);
    expect(JSON.stringify(res.body)).toContain('"code":"ok"');
  };
  /** Admitted, discharged and (unless `report` is false) written about to the municipality. */
  const admitAndDischarge = async (p: TestPatient, report = true): Promise<void> => {
    await message(hn(STIN, p));
    await message(hn(SLHJ, p));
    if (report) {
      const res = await post('/fhir/Bundle', udskrivningsrapport(p), 'demo-hospital');
      expect(res.status, JSON.stringify(res.body).slice(0, 600)).toBe(201);
    }
  };

  beforeAll(async () => {
    t = await startTestApp({ name: 'pglite' }, {}, fixedClock(NOW.toISOString()));
    for (const c of ['demo-admin', 'demo-relay', 'demo-hospital', 'demo-quality']) tokens[c] = await t.token(c);
    const organizations = [
      { identifier: [{ system: 'urn:oid:1.2.208.176.1.1', value: DEPARTMENT }], name: 'Hjerteafdelingen, Herlev og Gentofte Hospital' },
      { identifier: [{ system: 'urn:oid:1.2.208.176.1.1', value: GP_SOR }], name: 'Lægehuset Østerbro' },
      { identifier: [{ system: 'urn:oid:1.2.208.176.1.1', value: HERLEV_SOR }, { system: 'http://hl7.dk/fhir/core/CodeSystem/dk-core-municipality-codes', value: '0163' }], name: 'Herlev Kommune' },
    ];
    for (const org of organizations) expect((await post('/fhir/Organization', { resourceType: 'Organization', ...org }, 'demo-admin')).status).toBe(201);
    await admitAndDischarge(D);
    await admitAndDischarge(N, false);
    server = await listen(t.app);
    browser = await launchChromium(CHROMIUM ?? '');
  });
  afterAll(async () => {
    await browser.close();
    await server.close();
    await t.close();
  });

  const overview = async (client: string): Promise<Overview> => {
    const res = await request(t.app).get(`/api/responsibility/department/${DEPARTMENT}`).set('Authorization', `Bearer ${tokens[client] ?? ''}`);
    expect(res.status).toBe(200);
    return res.body as Overview;
  };

  async function open(client: string, query = '', fakeTimers = false): Promise<{ context: BrowserContext; page: Page; watch: PageWatch }> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    // The page's clock, so "every minute" can pass without waiting a minute.
    if (fakeTimers) await page.clock.install();
    const watch = watchPage(page, server.origin);
    await page.goto(`${server.origin}/responsibility/department${query}`);
    await signIn(page, client);
    return { context, page, watch };
  }
  const rows = (page: Page) => page.locator('#patients-table tbody tr[data-patient]');
  const cell = (page: Page, patientId: string, col: string): Promise<string> => page.locator(`#patients-table tr[data-patient="${patientId}"] td[data-col="${col}"]`).innerText();

  it('when the department signs in, then its own patients are listed with the API\'s CPR, end time, hours left and municipality', async () => {
    const { context, page, watch } = await open('demo-hospital');
    await eventually(() => rows(page).count()).toBe(1);
    // No ?sor=: the hospital client's own unit, put into the address for bookmarking.
    expect(new URL(page.url()).searchParams.get('sor')).toBe(DEPARTMENT);
    expect(await page.inputValue('#sor')).toBe(DEPARTMENT);

    const api = await overview('demo-hospital');
    expect(await attributes(rows(page), 'data-patient')).toEqual(api.patients.map((p) => p.patient.id));
    for (const p of api.patients) {
      expect(await cell(page, p.patient.id, 'patient')).toBe(`${(p.patient.cpr ?? '').slice(0, 6)}-${(p.patient.cpr ?? '').slice(6)}`);
      expect(await cell(page, p.patient.id, 'until')).toBe(cph(new Date(p.until)).slice(0, 16).replace('T', ' '));
      expect(await cell(page, p.patient.id, 'hoursLeft')).toBe(String(p.hoursLeft).replace('.', ','));
      expect(await cell(page, p.patient.id, 'municipality')).toBe(`${p.municipality.name ?? ''} (kommunekode ${p.municipality.kommunekode ?? ''})`);
    }
    // By hand: D was discharged 2 March 09:45:30 (+01:00); 72 h on is 5 March 09:45, 48 h from now.
    const id = api.patients[0]?.patient.id ?? '';
    expect(await cell(page, id, 'patient')).toBe('010170-2001');
    expect(await cell(page, id, 'until')).toBe('2026-03-05 09:45');
    expect(await cell(page, id, 'hoursLeft')).toBe('48');
    expect(await cell(page, id, 'municipality')).toBe('Herlev Kommune (kommunekode 0163)');
    expect(await page.locator('#department-name').innerText()).toBe(`Hjerteafdelingen, Herlev og Gentofte Hospital (SOR ${DEPARTMENT})`);
    expect(await page.locator('#department-meta').innerText()).toBe('Opgjort 2026-03-03 09:45 · 1 patient');

    await screenshot(page, 'department-da');
    expect(watch.foreignRequests).toEqual([]);
    expect(watch.consoleErrors).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    await context.close();
  });

  it('when a minute passes, then the page reads the overview again and shows a patient who arrived meanwhile', async () => {
    const { context, page } = await open('demo-hospital', '', true);
    await eventually(() => rows(page).count()).toBe(1);
    await admitAndDischarge(L);
    const api = await overview('demo-hospital');
    expect(api.patients).toHaveLength(2);
    await page.clock.runFor(30_000);
    expect(await rows(page).count()).toBe(1); // not yet: every minute, not sooner
    await page.clock.runFor(30_000);
    await eventually(() => rows(page).count()).toBe(2);
    expect(await attributes(rows(page), 'data-patient')).toEqual(api.patients.map((p) => p.patient.id));
    const later = api.patients.find((p) => p.patient.cpr === L.cpr)?.patient.id ?? '';
    expect(await cell(page, later, 'hoursLeft')).toBe('54'); // discharged 6 h after D
    expect(await cell(page, later, 'until')).toBe('2026-03-05 15:45');
    await context.close();
  });

  it('when the language is switched, then the labels and numbers are English', async () => {
    const { context, page } = await open('demo-hospital');
    await eventually(() => rows(page).count()).toBeGreaterThan(0);
    await page.click('#language');
    await eventually(() => page.locator('h1').innerText()).toBe('Patients the department holds treatment responsibility for now');
    expect(await page.locator('#patients-table thead th').allInnerTexts()).toEqual(['Patient', 'Until', 'Hours left', 'Municipality']);
    const id = (await overview('demo-hospital')).patients[0]?.patient.id ?? '';
    expect(await cell(page, id, 'municipality')).toBe('Herlev Kommune (municipality code 0163)');
    expect(await page.locator('#department-meta').innerText()).toMatch(/^As of 2026-03-03 09:45 · \d+ patients?$/);
    await screenshot(page, 'department-en');
    await page.click('#language');
    await eventually(() => page.locator('#patients-table thead th').first().innerText()).toBe('Patient');
    expect(await page.locator('#patients-table thead th').allInnerTexts()).toContain('Timer tilbage');
    await context.close();
  });

  it('when quality staff open a department, then they see patient ids and no CPR, as the API answers them', async () => {
    const { context, page } = await open('demo-quality', `?sor=${DEPARTMENT}`);
    const api = await overview('demo-quality');
    await eventually(() => rows(page).count()).toBe(api.patients.length);
    for (const p of api.patients) {
      expect(p.patient.cpr).toBeUndefined();
      expect(await cell(page, p.patient.id, 'patient')).toBe(`patient-id ${p.patient.id}`);
    }
    expect(await page.locator('#patients-table').innerText()).not.toContain(D.cpr.slice(0, 6));
    await context.close();
  });

  it('when a hospital asks for another department, then the page shows the API\'s refusal', async () => {
    const { context, page } = await open('demo-hospital', `?sor=${OTHER_DEPARTMENT}`);
    await page.locator('#error').waitFor({ state: 'visible' });
    expect(await page.locator('#error').innerText()).toMatch(/^Fejl 403: A hospital client sees its own department only/);
    expect(await rows(page).count()).toBe(0);
    // Choosing its own unit in the form shows it.
    await page.fill('#sor', DEPARTMENT);
    await page.click('#department-form button[type=submit]');
    await eventually(() => rows(page).count()).toBeGreaterThan(0);
    expect(await page.locator('#error').isVisible()).toBe(false);
    await context.close();
  });

  it('when the page shell is fetched, then it needs no token and carries the CSP', async () => {
    const res = await fetch(`${server.origin}/responsibility/department?sor=${DEPARTMENT}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).not.toContain(D.cpr);
    expect(html).not.toMatch(/https?:\/\//);
  });
});
