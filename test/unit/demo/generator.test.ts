import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_DEPARTMENTS,
  SLHJ_TEMPLATE,
  STIN_TEMPLATE,
  generateDemo,
  mulberry32,
  readDocumentTemplates,
  withGlnCheckDigit,
  type DemoOptions,
  type DemoPlan,
} from '../../../src/demo/index.ts';
import { PROFILES_DIR } from '../../../src/gateway.ts';
import { isReadFailure, readHospitalNotification, readMessage } from '../../../src/medcom/index.ts';
import { localDateOf } from '../../../src/shared/time.ts';
import { DEFAULT_TIMELINESS_SETTINGS, computeDeadline, isWorkingDay, workingDaysBetween } from '../../../src/timeliness/index.ts';
import { createValidator, type Validator } from '../../../src/validation/index.ts';
import { readExampleJson } from '../../helpers/examples.ts';

const TEMPLATES = readDocumentTemplates();
const SETTINGS = DEFAULT_TIMELINESS_SETTINGS;
const UNTIL = new Date('2026-11-27T12:00:00+01:00');
const plan = (o: Partial<DemoOptions> = {}): DemoPlan => generateDemo({ days: 7, perDay: 4, seed: 3, until: UNTIL, ...o }, TEMPLATES, SETTINGS);
const HOUR = 3_600_000;
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Everything a plan says, bodies included, as comparable text. */
const serialised = (p: DemoPlan): string => JSON.stringify({ ...p, requests: p.requests.map((r) => ({ ...r, body: r.body() })) });

describe('mulberry32 and the GLN check digit', () => {
  it('when seeded alike, then the sequences are equal, within [0, 1) and evenly spread; other seeds differ', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(Array.from({ length: 10_000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
    const c = mulberry32(43);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(xs.slice(0, 5));
  });

  it('when completing the GLNs of the MedCom examples, then the published check digits come out', () => {
    for (const gln of ['5790000209354', '5790001348120', '5790002408496']) expect(withGlnCheckDigit(gln.slice(0, 12))).toBe(gln);
  });
});

describe('generateDemo: a deterministic plan', () => {
  it('when generated twice with the same options, then the plans are identical, bodies included; another seed gives another plan', () => {
    expect(serialised(plan())).toBe(serialised(plan()));
    expect(serialised(plan({ seed: 4 }))).not.toBe(serialised(plan()));
  });

  it('when a longer window ends the same day, then the days both cover have the same traffic', () => {
    const short = plan({ days: 3 });
    const long = plan({ days: 6 });
    const firstDay = localDateOf(short.discharges[0]?.dischargedAt ?? UNTIL);
    const tail = long.discharges.filter((d) => localDateOf(d.dischargedAt) >= firstDay);
    expect(JSON.stringify(tail)).toBe(JSON.stringify(short.discharges));
  });

  it('when planned, then requests are in time order, all before the end, starting where the plan says', () => {
    const p = plan();
    const times = p.requests.map((r) => r.at.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(Math.max(...times)).toBeLessThan(UNTIL.getTime());
    expect(p.from).toEqual(p.requests[0]?.at);
    for (const [i, d] of p.discharges.entries()) {
      const own = p.requests.filter((r) => r.discharge === i);
      expect(own[0]?.step).toBe('STIN');
      if (d.dischargedAt < UNTIL) expect(own[1]?.step).toBe('SLHJ');
    }
  });
});

describe('generateDemo: realistic traffic over a year', () => {
  const year = generateDemo({ days: 364, perDay: 10, seed: 1, until: UNTIL }, TEMPLATES, SETTINGS);
  const ds = year.discharges;

  it('when a year is planned, then a day averages about --per-day, Friday is the busiest weekday and weekends are quiet', () => {
    expect(ds.length / 364).toBeGreaterThan(9);
    expect(ds.length / 364).toBeLessThan(11);
    const perWeekday = [0, 0, 0, 0, 0, 0, 0];
    for (const d of ds) {
      const day = localDateOf(d.dischargedAt);
      const weekday = new Date(`${day}T12:00:00Z`).getUTCDay();
      perWeekday[weekday] = (perWeekday[weekday] ?? 0) + 1;
    }
    const [sun = 0, mon = 0, tue = 0, wed = 0, thu = 0, fri = 0, sat = 0] = perWeekday;
    expect(fri).toBeGreaterThan(Math.max(mon, tue, wed, thu) * 1.2);
    expect(Math.max(sat, sun)).toBeLessThan(Math.min(mon, tue, wed, thu) * 0.7);
  });

  it('when a year is planned, then about 80% of epikriser go on time, 12% late and 8% never', () => {
    const share = (o: string): number => ds.filter((d) => d.epikrise === o).length / ds.length;
    expect(share('on-time')).toBeGreaterThan(0.76);
    expect(share('on-time')).toBeLessThan(0.84);
    expect(share('late')).toBeGreaterThan(0.09);
    expect(share('late')).toBeLessThan(0.15);
    expect(share('never')).toBeGreaterThan(0.05);
    expect(share('never')).toBeLessThan(0.11);
  });

  it('when an epikrise is on time, then it goes after the discharge and by the deadline; when late, then 1 to 5 working days after it', () => {
    for (const d of ds) {
      const due = computeDeadline({ dischargedAt: d.dischargedAt, rule: SETTINGS.rule, calendar: SETTINGS.calendar }).dueBy;
      expect(d.epikriseDueAt).toEqual(due);
      if (d.epikrise === 'never') expect(d.epikriseSentAt).toBeUndefined();
      const sent = d.epikriseSentAt;
      if (sent === undefined) continue;
      expect(sent.getTime()).toBeGreaterThan(d.dischargedAt.getTime());
      if (d.epikrise === 'on-time') expect(sent.getTime()).toBeLessThanOrEqual(due.getTime());
      if (d.epikrise === 'late') {
        expect(sent.getTime()).toBeGreaterThan(due.getTime());
        expect(isWorkingDay(localDateOf(sent), SETTINGS.calendar)).toBe(true);
        const after = workingDaysBetween(localDateOf(due), localDateOf(sent), SETTINGS.calendar) + 1;
        expect(after).toBeGreaterThanOrEqual(1);
        expect(after).toBeLessThanOrEqual(5);
      }
    }
  });

  it('when a stay is shorter than a day, then no udskrivningsrapport goes; some long stays have one, sent soon after the discharge', () => {
    for (const d of ds) {
      const stay = d.dischargedAt.getTime() - d.admittedAt.getTime();
      expect(d.longStay).toBe(stay >= 24 * HOUR);
      if (!d.longStay) expect(d.udskrivningsrapportSentAt).toBeUndefined();
      if (d.udskrivningsrapportSentAt) expect(d.udskrivningsrapportSentAt.getTime() - d.dischargedAt.getTime()).toBeLessThanOrEqual(2 * HOUR);
    }
    const longStays = ds.filter((d) => d.longStay);
    const withReport = longStays.filter((d) => d.udskrivningsrapportSentAt).length / longStays.length;
    expect(withReport).toBeGreaterThan(0.3);
    expect(withReport).toBeLessThan(0.5);
  });

  it('when a year is planned, then every department discharges patients and CPR numbers are well-formed and unique', () => {
    expect(new Set(ds.map((d) => d.department.sor))).toEqual(new Set(DEMO_DEPARTMENTS.map((d) => d.sor)));
    expect(ds.every((d) => /^(0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])\d{6}$/.test(d.patient.cpr))).toBe(true);
    expect(ds.every((d) => Number(d.patient.cpr.at(-1)) % 2 === (d.patient.gender === 'male' ? 1 : 0))).toBe(true);
    expect(new Set(ds.map((d) => d.patient.cpr)).size).toBeGreaterThan(ds.length * 0.99);
  });
});

describe('generateDemo: the messages and documents', () => {
  const p = plan();

  it('when the MedCom templates are compared with the published examples, then only the narratives are left out', () => {
    const withoutText = (node: unknown): unknown =>
      Array.isArray(node) ? node.map(withoutText)
      : typeof node === 'object' && node !== null ? Object.fromEntries(Object.entries(node).filter(([k]) => k !== 'text').map(([k, v]) => [k, withoutText(v)]))
      : node;
    expect(STIN_TEMPLATE).toEqual(withoutText(readExampleJson('medcom', 'hn-stin-admit-inpatient.json')));
    expect(SLHJ_TEMPLATE).toEqual(withoutText(readExampleJson('medcom', 'hn-slhj-discharge-inpatient.json')));
  });

  it('when HospitalNotifications are built, then MedCom\'s reader takes each without warnings, with the stay\'s department and a chain to its own STIN', () => {
    const headers = new Set<string>();
    const templateIds = new Set(JSON.stringify([STIN_TEMPLATE, SLHJ_TEMPLATE]).match(/[0-9a-z]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g));
    const stinHeaderOf = new Map<number, string>();
    for (const r of p.requests.filter((x) => x.step === 'STIN' || x.step === 'SLHJ')) {
      const body = r.body();
      const msg = readMessage(body);
      if (isReadFailure(msg)) throw new Error(JSON.stringify(msg.issues));
      const hn = readHospitalNotification(msg);
      if ('issues' in hn) throw new Error(JSON.stringify(hn.issues));
      const d = p.discharges[r.discharge];
      expect(hn.event).toBe(r.step);
      expect(hn.warnings).toEqual([]);
      expect(hn.serviceProviderSor).toBe(d?.department.sor);
      expect(msg.sender.sor).toBe(d?.department.sor);
      expect(hn.episodeOfCareIds.map((e) => e.value)).toEqual([d?.episodeOfCareId]);
      expect(headers.has(msg.headerId)).toBe(false);
      headers.add(msg.headerId);
      const ids = JSON.stringify(body).match(/[0-9a-z]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? [];
      expect(ids.filter((id) => templateIds.has(id))).toEqual([]);
      expect([msg.headerId, msg.bundleId].every((id) => UUID4.test(id))).toBe(true);
      if (r.step === 'STIN') stinHeaderOf.set(r.discharge, msg.headerId);
      else expect(hn.revises).toBe(stinHeaderOf.get(r.discharge));
    }
    expect(headers.size).toBeGreaterThan(20);
  });

  let validator: Validator;
  beforeAll(() => {
    validator = createValidator({ profilesDir: PROFILES_DIR }); // compiles the R4 schema: seconds
  });

  it('when documents are built, then they are valid against the profiles and name the stay\'s patient, GP or municipality and episode', () => {
    const docs = p.requests.filter((r) => r.step === 'epikrise' || r.step === 'udskrivningsrapport');
    expect(new Set(docs.map((r) => r.step))).toEqual(new Set(['epikrise', 'udskrivningsrapport']));
    for (const r of docs.slice(0, 6)) {
      const body = r.body();
      const errors = validator.validate(body, { resourceType: 'Bundle' }).filter((i) => i.severity === 'error' || i.severity === 'fatal');
      expect(errors, r.step).toEqual([]);
      const d = p.discharges[r.discharge];
      const text = JSON.stringify(body);
      expect(text).toContain(`"value":"${d?.patient.cpr ?? ''}"`);
      expect(text).toContain(d?.episodeOfCareId);
      expect(text).toContain(r.step === 'epikrise' ? d?.gp.sor : d?.municipality.sor);
      expect(text).not.toContain('2509479989'); // the example's patient is gone
    }
  });

  it('when a department has its own demo client, then it sends with it; the others go through the relay (messages) and admin (documents)', () => {
    for (const r of p.requests) {
      const own = p.discharges[r.discharge]?.department.sor === '265161000016000';
      const expected = own ? 'demo-hospital' : r.path === '/fhir/$process-message' ? 'demo-relay' : 'demo-admin';
      expect(r.client).toBe(expected);
    }
  });
});
