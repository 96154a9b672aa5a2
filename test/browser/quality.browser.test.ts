import { readFileSync } from 'node:fs';
import request from 'supertest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHART_JS_PATH } from '../../src/http/pages/pages.routes.ts';
import { formatCopenhagen } from '../../src/shared/time.ts';
import { DISCHARGE_CSV_COLUMNS } from '../../src/timeliness/index.ts';
import { FHIR_JSON, startTestApp, type TestApp } from '../helpers/app.ts';
import { attributes, chromiumAvailable, download, eventually, launchChromium, listen, screenshot, signIn, watchPage, type Listening, type PageWatch } from '../helpers/browser.ts';
import { epikriseBundle, GP_SOR } from '../helpers/documents.ts';
import { startReceiver, waitFor, type TestReceiver } from '../helpers/receiver.ts';
import { DEPT_A, DEPT_B, HOSPITAL, domainEvent, fixedAt, newPatient, slhj, tracking } from '../integration/timeliness/fixtures.ts';

// The quality dashboard (issue #7) in real headless Chromium against the real app on a real port:
// the same hand-counted rows as the timeliness API tests, plus one epikrise that really goes
// through ingest and delivery to a GP system, so that its delivery timeline can be opened.

const CHROMIUM = chromiumAvailable();
const KPI_H = '999000000000888';
/** Tuesday 30 April 2024, 20:30 in Copenhagen: G (due 23:59:59.999 tonight) is at risk. */
const NOW = '2024-04-30T20:30:00+02:00';

interface Group { key: string; label: string; discharges: number; excluded: number; sent: number; onTime: number; late: number; pending: number; overdue: number; share: number | null; withinThreeWorkingDays: number; shareWithinThree: number | null }
interface Kpi { from: string; to: string; target: number; clock: string; groups: Group[] }
interface Item { id: string; patient: string; state: string; dueAt: string; documentReference: string | null; sentAt: string | null }
interface Deliveries { deliveries: { id: string; status: string; recipient: { sor: string } | null; timeline: { status: string; at: string }[] }[] }

const COUNT_COLUMNS = ['discharges', 'excluded', 'sent', 'onTime', 'late', 'pending', 'overdue', 'withinThreeWorkingDays'] as const;
const SHARE_COLUMNS = ['share', 'shareWithinThree'] as const;
/** How the page writes a share (Danish: decimal comma, a space before %; English: point, no space). */
const share = (x: number | null, lang: 'da' | 'en' = 'da'): string => {
  if (x === null) return '–';
  const pct = (x * 100).toFixed(1);
  return lang === 'da' ? `${pct.replace('.', ',')} %` : `${pct}%`;
};
/** An instant as the page shows it: the Copenhagen wall clock to the minute (computed here with the server's own time code). */
const wallClock = (iso: string): string => formatCopenhagen(new Date(iso)).slice(0, 16).replace('T', ' ');

describe.runIf(CHROMIUM !== undefined)('the quality dashboard in headless Chromium', () => {
  let t: TestApp;
  let gp: TestReceiver;
  let server: Listening;
  let browser: Browser;
  const tokens: Record<string, string> = {};
  const p: Record<string, string> = {};
  let documentReference = '';

  beforeAll(async () => {
    gp = await startReceiver({ status: 201 });
    t = await startTestApp({ name: 'pglite' }, {}, fixedAt(NOW), { delivery: { pollMs: 20, retryBaseMs: 20, retryMaxDelayMs: 100 } });
    for (const c of ['demo-quality', 'demo-admin', 'demo-hospital']) tokens[c] = await t.token(c);
    const admin = (method: 'put' | 'post', path: string, body: unknown) =>
      request(t.app)[method](`/fhir/${path}`).set('Authorization', `Bearer ${tokens['demo-admin'] ?? ''}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));

    // The registry: the GP system's endpoint, and names for a hospital and a department.
    expect((await admin('put', 'Endpoint/ep-gp', {
      resourceType: 'Endpoint', id: 'ep-gp', status: 'active',
      connectionType: { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: 'hl7-fhir-rest' },
      payloadType: [{ text: 'documents' }], address: gp.url,
    })).status).toBeLessThan(300);
    expect((await admin('put', 'Organization/gp', {
      resourceType: 'Organization', id: 'gp', name: 'Lægehuset Østerbro',
      identifier: [{ system: 'urn:oid:1.2.208.176.1.1', value: GP_SOR }], endpoint: [{ reference: 'Endpoint/ep-gp' }],
    })).status).toBeLessThan(300);
    expect((await admin('post', 'Organization', { resourceType: 'Organization', name: 'Sydhospitalet (test)', identifier: [{ system: 'urn:oid:1.2.208.176.1.1', value: KPI_H }] })).status).toBe(201);
    expect((await admin('post', 'Organization', { resourceType: 'Organization', name: 'Medicinsk afdeling A (test)', identifier: [{ system: 'urn:oid:1.2.208.176.1.1', value: DEPT_A }] })).status).toBe(201);

    // The rows of the timeliness API tests (hand-counted there).
    const track = tracking(t.store);
    for (const k of 'ABCDEFGI') p[k] = newPatient(`browser-${k}`);
    const sentEpikrise = async (k: string, received: string, sent: string): Promise<void> => {
      const patientId = p[k] ?? '';
      await track.document({ documentReferenceId: `doc-${k}-${patientId}`, patientId, receivedAt: new Date(received) });
      await track.progress(`doc-${k}-${patientId}`, 'sent', sent);
    };
    const discharge = (k: string, at: string, dept: string, hospital = KPI_H) => track.events([slhj(p[k] ?? '', at, { dept })], at, hospital);
    await discharge('A', '2024-03-04T10:00:00+01:00', DEPT_A);
    await sentEpikrise('A', '2024-03-05T08:00:00+01:00', '2024-03-05T09:00:00+01:00'); // on time, 1 working day
    await discharge('B', '2024-03-04T11:00:00+01:00', DEPT_A);
    await sentEpikrise('B', '2024-03-06T08:00:00+01:00', '2024-03-07T09:00:00+01:00'); // late, 3 working days
    await discharge('C', '2024-03-11T10:00:00+01:00', DEPT_B);
    await sentEpikrise('C', '2024-03-18T08:00:00+01:00', '2024-03-18T09:00:00+01:00'); // late, 5 working days
    await discharge('D', '2024-03-12T10:00:00+01:00', DEPT_B); // never sent: overdue
    await discharge('E', '2024-03-13T10:00:00+01:00', DEPT_B);
    await track.events([domainEvent('death', { patient: p.E ?? '', stay: `mors:${p.E ?? ''}`, key: 'mors-e', event: 'MORS', at: '2024-03-13T20:00:00+01:00' })], '2024-03-13T21:00:00+01:00', KPI_H);
    await discharge('F', '2024-03-31T22:30:00Z', DEPT_A); // 00:30 on 1 April locally: April
    await sentEpikrise('F', '2024-04-02T08:00:00+02:00', '2024-04-02T09:00:00+02:00');
    await discharge('G', '2024-04-29T10:00:00+02:00', DEPT_A); // due tonight: at risk now
    await discharge('I', '2024-03-05T10:00:00+01:00', DEPT_A, HOSPITAL); // the demo hospital's own, never sent
    // H: the udskrivningsrapport of A's stay, sent on the discharge day (shown when all document types are asked for).
    await track.document({ documentReferenceId: `udsk-${p.A ?? ''}`, documentType: 'udskrivningsrapport', patientId: p.A ?? '', receivedAt: new Date('2024-03-04T14:00:00+01:00'), encounterEnd: new Date('2024-03-04T10:00:00+01:00') });
    await track.progress(`udsk-${p.A ?? ''}`, 'sent', '2024-03-04T15:00:00+01:00', '953741000016009');

    // R: an epikrise the demo hospital really sends, discharged yesterday; Sektorbro delivers it to the GP now.
    const bundle = epikriseBundle({ letterId: 'browser-quality-r', cpr: '0803829990', dischargedAt: '2024-04-29T14:00:00+02:00', timestamp: '2024-04-30T08:00:00+02:00' });
    for (const e of bundle.entry as { resource: { resourceType: string; period?: { start: string } } }[]) {
      if (e.resource.resourceType === 'Encounter' && e.resource.period) e.resource.period.start = '2024-04-22T09:10:00+02:00';
    }
    const posted = await request(t.app).post('/fhir/Bundle').set('Authorization', `Bearer ${tokens['demo-hospital'] ?? ''}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(bundle));
    expect(posted.status, JSON.stringify(posted.body).slice(0, 600)).toBe(201);
    documentReference = `DocumentReference/${(posted.body as { id: string }).id}`;
    await waitFor(async () => {
      const rows = (await api<{ items: Item[] }>('/api/timeliness/discharges?documentType=epikrise&from=2024-04&to=2024-04')).items;
      return rows.some((r) => r.documentReference === documentReference && r.sentAt !== null);
    }, 'the delivered epikrise');

    server = await listen(t.app);
    browser = await launchChromium(CHROMIUM ?? '');
  });
  afterAll(async () => {
    await browser.close();
    await server.close();
    await t.close();
    await gp.close();
  });

  async function api<T>(path: string, client = 'demo-quality'): Promise<T> {
    const res = await request(t.app).get(path).set('Authorization', `Bearer ${tokens[client] ?? ''}`);
    expect(res.status, `${path}: ${JSON.stringify(res.body).slice(0, 300)}`).toBe(200);
    return res.body as T;
  }
  const apiCsv = async (path: string): Promise<string> => {
    const res = await request(t.app).get(path).set('Authorization', `Bearer ${tokens['demo-quality'] ?? ''}`);
    expect(res.status).toBe(200);
    return res.text;
  };

  /** A fresh browser context (its own sessionStorage), the dashboard opened and signed in. */
  async function open(client = 'demo-quality'): Promise<{ context: BrowserContext; page: Page; watch: PageWatch }> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const watch = watchPage(page, server.origin);
    await page.goto(`${server.origin}/quality`);
    await signIn(page, client);
    return { context, page, watch };
  }
  const loaded = async (page: Page): Promise<void> => {
    await page.locator('#month-table tbody tr').first().waitFor();
    await page.locator('#overdue-table tbody tr').first().waitFor();
  };
  const cell = (page: Page, table: string, key: string, col: string): Promise<string> =>
    page.locator(`#${table}-table tr[data-key="${key}"] td[data-col="${col}"]`).innerText();
  const rowKeys = (page: Page, table: string): Promise<string[]> => attributes(page.locator(`#${table}-table tbody tr`), 'data-key');
  const drillIds = async (page: Page, expected: number): Promise<string[]> => {
    await eventually(() => page.locator('#drilldown-table tbody tr[data-id]').count()).toBe(expected);
    return attributes(page.locator('#drilldown-table tbody tr[data-id]'), 'data-id');
  };

  /** Every group of a breakdown on the page holds the API's numbers, as the page writes them. */
  async function expectTableEqualsApi(page: Page, table: string, kpi: Kpi): Promise<void> {
    expect(await rowKeys(page, table)).toEqual(kpi.groups.map((g) => g.key));
    for (const g of kpi.groups) {
      for (const col of COUNT_COLUMNS) expect(await cell(page, table, g.key, col), `${table} ${g.key} ${col}`).toBe(String(g[col]));
      for (const col of SHARE_COLUMNS) expect(await cell(page, table, g.key, col), `${table} ${g.key} ${col}`).toBe(share(g[col]));
    }
  }

  it('when quality signs in, then the trend, the breakdowns and the worklist show the API\'s numbers, all from this server', async () => {
    const { context, page, watch } = await open();
    await loaded(page);
    // The empty picker took the server's default: twelve months up to now on its clock.
    expect(await page.inputValue('#from')).toBe('2023-05');
    expect(await page.inputValue('#to')).toBe('2024-04');
    const query = 'from=2023-05&to=2024-04&documentType=epikrise';
    const months = await api<Kpi>(`/api/timeliness/kpi?${query}&groupBy=month`);
    await expectTableEqualsApi(page, 'month', months);
    await expectTableEqualsApi(page, 'hospital', await api<Kpi>(`/api/timeliness/kpi?${query}&groupBy=hospital`));
    await expectTableEqualsApi(page, 'department', await api<Kpi>(`/api/timeliness/kpi?${query}&groupBy=department`));

    // Hand-counted: March A on time, B and C late, D and I overdue, E excluded; April F and R on time, G pending.
    expect(await cell(page, 'month', '2024-03', 'share')).toBe('20,0 %');
    expect(await cell(page, 'month', '2024-03', 'shareWithinThree')).toBe('40,0 %');
    expect(await cell(page, 'month', '2024-04', 'share')).toBe('100,0 %');
    expect(await page.locator('#month-table tr[data-key="2024-03"] th').innerText()).toBe('marts 2024');
    expect(await page.locator(`#hospital-table tr[data-key="${KPI_H}"] th`).innerText()).toContain('Sydhospitalet (test)');
    expect(await page.locator('#kpi-meta').innerText()).toContain('Mål: 90,0 %');

    // The chart: one bar per month at the API's share, and the target line at the API's target.
    const drawn = await page.evaluate<{ labels: string[]; shares: (number | null)[]; target: number }>(`(() => {
      const c = Chart.getChart(document.getElementById('trend-chart'));
      return { labels: c.data.labels, shares: c.data.datasets[0].data, target: c.options.plugins.targetLine.value };
    })()`);
    expect(drawn).toEqual({ labels: ['marts 2024', 'april 2024'], shares: months.groups.map((g) => (g.share === null ? null : g.share * 100)), target: months.target });

    // The worklist: overdue and at risk, oldest due first, with the time past the deadline.
    const overdue = await api<{ items: Item[] }>('/api/timeliness/overdue');
    expect(await attributes(page.locator('#overdue-table tbody tr'), 'data-id')).toEqual(overdue.items.map((i) => i.id));
    const overdueCell = (patient: string, col: string) => page.locator(`#overdue-table tr:has(td[data-patient="Patient/${patient}"]) td[data-col="${col}"]`).innerText();
    expect(await overdueCell(p.I ?? '', 'timeOverdue')).toBe('54 d 19 t'); // due 6 March 23:59:59.999 (+01:00)
    expect(await overdueCell(p.D ?? '', 'timeOverdue')).toBe('47 d 19 t');
    expect(await overdueCell(p.D ?? '', 'dueAt')).toBe('2024-03-13 23:59');
    expect(await overdueCell(p.G ?? '', 'timeOverdue')).toBe('frist om 3 t 29 m');
    expect(await overdueCell(p.G ?? '', 'state')).toBe('frist nær');

    await screenshot(page, 'quality-da');
    expect(watch.foreignRequests).toEqual([]);
    expect(watch.consoleErrors).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    await context.close();
  });

  it('when a number is clicked, then the discharges behind it open, and a document opens its delivery timeline', async () => {
    const { context, page, watch } = await open();
    await loaded(page);
    const query = 'documentType=epikrise';

    await page.click('#month-table tr[data-key="2024-03"] td[data-col="overdue"] button');
    const overdue = await api<{ items: Item[] }>(`/api/timeliness/discharges?from=2024-03&to=2024-03&${query}&state=overdue`);
    expect(overdue.items.map((i) => i.patient).sort()).toEqual([`Patient/${p.D ?? ''}`, `Patient/${p.I ?? ''}`].sort());
    expect(await drillIds(page, 2)).toEqual(overdue.items.map((i) => i.id));
    expect(await page.locator('#drilldown-title').innerText()).toContain('marts 2024 · Overskredet');

    // "Pending" is the API's pending and at-risk rows together.
    await page.click('#month-table tr[data-key="2024-04"] td[data-col="pending"] button');
    const atRisk = await api<{ items: Item[] }>(`/api/timeliness/discharges?from=2024-04&to=2024-04&${query}&state=at-risk`);
    expect(await drillIds(page, 1)).toEqual(atRisk.items.map((i) => i.id));

    // The share drills down to its denominator: on time, late and overdue.
    await page.click('#month-table tr[data-key="2024-03"] td[data-col="share"] button');
    expect(await drillIds(page, 5)).not.toContain(atRisk.items[0]?.id);

    // The demo hospital's discharges: I (never sent) and R, whose document opens its timeline.
    await page.click(`#hospital-table tr[data-key="${HOSPITAL}"] td[data-col="discharges"] button`);
    const own = await api<{ items: Item[] }>(`/api/timeliness/discharges?from=2023-05&to=2024-04&${query}&hospital=${HOSPITAL}`);
    expect(await drillIds(page, 2)).toEqual(own.items.map((i) => i.id));
    await screenshot(page, 'quality-drilldown');

    await page.click(`#drilldown-table button.document[data-document="${documentReference}"]`);
    const timeline = await api<Deliveries>(`/api/deliveries?document=${documentReference.split('/')[1] ?? ''}`);
    expect(timeline.deliveries.length).toBeGreaterThan(0);
    const deliveries = page.locator('#timeline-body .delivery');
    await eventually(() => deliveries.count()).toBe(timeline.deliveries.length);
    for (const d of timeline.deliveries) {
      const shown = page.locator(`#timeline-body .delivery[data-delivery="${d.id}"]`);
      expect(await shown.getAttribute('data-status')).toBe(d.status);
      expect(await shown.locator('h3').innerText()).toBe(`Til SOR ${d.recipient?.sor ?? ''}`);
      expect(await attributes(shown.locator('li'), 'data-status')).toEqual(d.timeline.map((s) => s.status));
      const first = d.timeline[0];
      expect(await shown.locator('li time').first().innerText()).toBe(wallClock(first?.at ?? ''));
    }
    expect(timeline.deliveries.map((d) => d.recipient?.sor)).toContain(GP_SOR);
    // Received, sent and delivered at the app's "now": 20:30 in Copenhagen.
    expect(await page.locator('#timeline-body .delivery li time').first().innerText()).toBe('2024-04-30 20:30');
    await screenshot(page, 'quality-timeline');
    expect(watch.consoleErrors).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    await context.close();
  });

  it('when a CSV is downloaded, then it is the API\'s CSV for what the page shows', async () => {
    const { context, page } = await open();
    await loaded(page);
    const kpi = await download(page, () => page.click('#csv-month'));
    expect(kpi.name).toBe('timeliness-kpi.csv');
    expect(kpi.text).toBe(await apiCsv('/api/timeliness/kpi?from=2023-05&to=2024-04&documentType=epikrise&groupBy=month&format=csv'));
    expect(kpi.text.split('\r\n')[1]).toBe('2024-03,marts 2024,6,1,3,1,2,0,2,0.2,2,0.4');

    await page.click(`#hospital-table tr[data-key="${KPI_H}"] td[data-col="overdue"] button`);
    await drillIds(page, 1);
    const rows = await download(page, () => page.click('#csv-drilldown'));
    expect(rows.name).toBe('timeliness-discharges.csv');
    expect(rows.text).toBe(await apiCsv(`/api/timeliness/discharges?from=2023-05&to=2024-04&documentType=epikrise&hospital=${KPI_H}&state=overdue&format=csv`));
    expect(rows.text).toContain(`Patient/${p.D ?? ''}`);

    // A number made of two states: one header, the rows of both.
    await page.click('#month-table tr[data-key="2024-04"] td[data-col="pending"] button');
    await drillIds(page, 1);
    const both = (await download(page, () => page.click('#csv-drilldown'))).text.split('\r\n').filter((l) => l !== '');
    expect(both[0]).toBe(DISCHARGE_CSV_COLUMNS.join(','));
    expect(both.slice(1).map((l) => l.split(',')[DISCHARGE_CSV_COLUMNS.indexOf('patient')])).toEqual([`Patient/${p.G ?? ''}`]);
    await context.close();
  });

  it('when the language is switched, then every label is English, and back', async () => {
    const { context, page, watch } = await open();
    await loaded(page);
    await page.click('#language');
    await eventually(() => page.locator('h1').innerText()).toBe('Timely sending of discharge documents');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.locator('#month-table tr[data-key="2024-03"] th').innerText()).toBe('March 2024');
    expect(await page.locator('#month-table thead th').allInnerTexts()).toContain('On time');
    expect(await cell(page, 'month', '2024-03', 'share')).toBe(share(0.2, 'en'));
    expect(await page.locator(`#overdue-table tr:has(td[data-patient="Patient/${p.D ?? ''}"]) td[data-col="timeOverdue"]`).innerText()).toBe('47 d 19 h');
    expect(await page.locator('#language').innerText()).toBe('Dansk');
    await screenshot(page, 'quality-en');
    // The choice survives a reload (the language is kept; the token too, in this tab).
    await page.reload();
    await loaded(page);
    expect(await page.locator('h1').innerText()).toBe('Timely sending of discharge documents');
    await page.click('#language');
    await eventually(() => page.locator('#month-table tr[data-key="2024-03"] th').innerText()).toBe('marts 2024');

    // One dictionary per language, with the same labels in both.
    const keys = await page.evaluate<Record<string, string[]>>(
      "import('/assets/i18n.js').then((m) => Object.fromEntries(Object.entries(m.DICTIONARIES).map(([lang, d]) => [lang, Object.keys(d).sort()])))",
    );
    expect(Object.keys(keys)).toEqual(['da', 'en']);
    expect(keys.en).toEqual(keys.da);
    expect(watch.consoleErrors).toEqual([]);
    await context.close();
  });

  it('when the months are picked, then the figures are those of the new period', async () => {
    const { context, page } = await open();
    await loaded(page);
    await page.fill('#from', '2024-04');
    await page.fill('#to', '2024-04');
    await page.click('#show');
    await eventually(() => rowKeys(page, 'month')).toEqual(['2024-04']);
    await expectTableEqualsApi(page, 'hospital', await api<Kpi>('/api/timeliness/kpi?from=2024-04&to=2024-04&documentType=epikrise&groupBy=hospital'));
    // All document types: March has A's udskrivningsrapport besides the six epikriser.
    await page.fill('#from', '2024-03');
    await page.selectOption('#document-type', '');
    await page.click('#show');
    await eventually(() => cell(page, 'month', '2024-03', 'discharges')).toBe('7');
    await expectTableEqualsApi(page, 'month', await api<Kpi>('/api/timeliness/kpi?from=2024-03&to=2024-04&groupBy=month'));
    await page.click('#month-table tr[data-key="2024-03"] td[data-col="onTime"] button');
    expect(await drillIds(page, 2)).toEqual((await api<{ items: Item[] }>('/api/timeliness/discharges?from=2024-03&to=2024-03&state=on-time')).items.map((i) => i.id));
    expect(await page.locator('#drilldown-table td[data-col="documentType"]').allInnerTexts()).toEqual(expect.arrayContaining(['Epikrise', 'Udskrivningsrapport']));
    await context.close();
  });

  it('when the token is refused (401), then the page renews it and goes on; after a reload it asks to sign in again', async () => {
    const { context, page } = await open();
    await loaded(page);
    const breakToken = `(() => {
      const s = JSON.parse(sessionStorage.getItem('sektorbro.session'));
      s.accessToken += 'x';
      sessionStorage.setItem('sektorbro.session', JSON.stringify(s));
      return s.accessToken;
    })()`;
    const currentToken = (): Promise<string> => page.evaluate<string>("JSON.parse(sessionStorage.getItem('sektorbro.session')).accessToken");
    const stale = await page.evaluate<string>(breakToken);
    await page.click('#refresh-overdue');
    await eventually(currentToken).not.toBe(stale);
    expect(await page.locator('#app').isVisible()).toBe(true);
    expect(await page.locator('#error').isVisible()).toBe(false);

    // A reload forgets the secret (it never leaves memory): a refused token means signing in again.
    await page.evaluate<string>(breakToken);
    await page.reload();
    await page.locator('#sign-in').waitFor({ state: 'visible' });
    expect(await page.locator('#sign-in-error').innerText()).toBe('Din session er udløbet. Log ind igen.');
    expect(await page.evaluate<string>("JSON.stringify([sessionStorage, localStorage])")).not.toContain('demo-quality-secret');
    await context.close();
  });

  it('when a hospital signs in, then it sees its own hospital; a municipality is refused with the API\'s reason; a wrong secret is told', async () => {
    const hospital = await open('demo-hospital');
    await loaded(hospital.page);
    expect(await rowKeys(hospital.page, 'hospital')).toEqual([HOSPITAL]);
    await hospital.context.close();

    const municipality = await open('demo-municipality');
    await municipality.page.locator('#error').waitFor({ state: 'visible' });
    expect(await municipality.page.locator('#error').innerText()).toMatch(/^Fejl 403: .*quality, admin and hospital/);
    await municipality.context.close();

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.origin}/quality`);
    expect(await page.inputValue('#client-id')).toBe('demo-quality'); // the demo hint, as demo clients are on
    await page.fill('#client-secret', 'wrong');
    await page.click('#sign-in-form button[type=submit]');
    await eventually(() => page.locator('#sign-in-error').innerText()).toMatch(/^Login mislykkedes: /);
    expect(await page.locator('#app').isVisible()).toBe(false);
    await context.close();
  });

  it('when the shell and assets are fetched without a token, then they come with a CSP that allows only this server', async () => {
    const shell = await fetch(`${server.origin}/quality`);
    expect(shell.status).toBe(200);
    expect(shell.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = shell.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await shell.text();
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<]+<\/script>|style="/); // no inline code or styles
    expect(html).not.toMatch(/https?:\/\//);
    const chart = await fetch(`${server.origin}/assets/vendor/chart.umd.js`);
    expect(chart.status).toBe(200);
    expect(chart.headers.get('content-type')).toMatch(/javascript/);
    expect(await chart.text()).toBe(readFileSync(CHART_JS_PATH, 'utf8'));
    expect((await fetch(`${server.origin}/assets/quality.js`)).status).toBe(200);
    expect((await fetch(`${server.origin}/assets/nothing-here.js`)).status).toBe(404);
    expect((await fetch(`${server.origin}/assets/%2e%2e/pages.routes.ts`)).status).toBe(404);
  });
});
