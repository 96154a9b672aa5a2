/**
 * The demo's synthetic traffic (issue #7, "History on day one"): discharges across three hospitals'
 * departments with a Friday peak; per discharge a STIN and an SLHJ HospitalNotification, an
 * epikrise sent on time, late or never, and for some an udskrivningsrapport to the municipality.
 *
 * Pure and deterministic: a seeded PRNG (mulberry32) decides everything, one stream per calendar
 * day (seed + date), so a day's traffic is the same whatever window it is generated in. Nothing
 * here reads a clock, the network or the disk; the document templates are passed in.
 */
import { formatDateTime, sorEndpoint } from '../medcom/index.ts';
import { SYSTEM, type AnyResource } from '../shared/index.ts';
import { localDateOf, localToInstant } from '../shared/time.ts';
import { addWorkingDays, computeDeadline, type TimelinessSettings } from '../timeliness/index.ts';
import { SLHJ_TEMPLATE, STIN_TEMPLATE } from './templates.ts';

// ───────────────────────────── the PRNG ─────────────────────────────

/** mulberry32: a tiny, well-mixed 32-bit PRNG; numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** FNV-1a: a day's stream seed from `<seed>|<date>`. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The draws the generator makes, over one stream. */
export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  /** An integer from `min` to `max`, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }
  /** One item, each as likely as its weight. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let x = this.next() * total;
    for (const [item, w] of items) {
      x -= w;
      if (x < 0) return item;
    }
    const last = items.at(-1);
    if (last === undefined) throw new RangeError('weighted pick from an empty list');
    return last[0];
  }
  /** A random (version 4) UUID, as a sender's system would make one. */
  uuid(): string {
    const hex = Array.from({ length: 32 }, () => this.int(0, 15).toString(16));
    hex[12] = '4';
    hex[16] = (8 + this.int(0, 3)).toString(16);
    const h = hex.join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}

// ───────────────────────────── the demo's world ─────────────────────────────

export interface DemoOrganization {
  sor: string;
  name: string;
  gln: string;
}

export interface DemoDepartment extends DemoOrganization {
  hospitalSor: string;
  phone: string;
  /** Share of the discharges. */
  weight: number;
}

export interface DemoMunicipality extends DemoOrganization {
  kommunekode: string;
  city: string;
  postalCode: string;
  weight: number;
}

export interface DemoGpPractice extends DemoOrganization {
  weight: number;
}

/** GS1 check digit (mod 10, weights 3 and 1 from the right) completing a 12-digit GLN. */
export function withGlnCheckDigit(twelveDigits: string): string {
  let sum = 0;
  for (let i = 0; i < twelveDigits.length; i++) sum += Number(twelveDigits[twelveDigits.length - 1 - i]) * (i % 2 === 0 ? 3 : 1);
  return `${twelveDigits}${String((10 - (sum % 10)) % 10)}`;
}

/**
 * Units from the MedCom examples and the demo clients keep their real SOR and GLN (Hjerteafdelingen,
 * Herlev Kommune, Lægehuset Østerbro); every other code is made up in the 999999… range the demo
 * clients use, and the unit's name says "(demo)".
 */
export const DEMO_HOSPITALS: readonly DemoOrganization[] = [
  { sor: '999999000001001', name: 'Herlev og Gentofte Hospital (demo)', gln: withGlnCheckDigit('579999900100') },
  { sor: '999999000001002', name: 'Rigshospitalet (demo)', gln: withGlnCheckDigit('579999900101') },
  { sor: '999999000001003', name: 'Bispebjerg og Frederiksberg Hospital (demo)', gln: withGlnCheckDigit('579999900102') },
];

const [HGH, RH, BFH] = ['999999000001001', '999999000001002', '999999000001003'];

/** The first is demo-hospital's own organisation: its traffic goes with that client's token. */
export const DEMO_DEPARTMENTS: readonly DemoDepartment[] = [
  { sor: '265161000016000', name: 'Hjerteafdelingen, Herlev og Gentofte Hospital', gln: '5790000209354', hospitalSor: HGH, phone: '+4538681000', weight: 0.24 },
  { sor: '999999000002001', name: 'Medicinsk afdeling, Herlev og Gentofte Hospital (demo)', gln: withGlnCheckDigit('579999900200'), hospitalSor: HGH, phone: '+4538681100', weight: 0.16 },
  { sor: '999999000002002', name: 'Ortopædkirurgisk afdeling, Herlev og Gentofte Hospital (demo)', gln: withGlnCheckDigit('579999900201'), hospitalSor: HGH, phone: '+4538681200', weight: 0.1 },
  { sor: '999999000002003', name: 'Kardiologisk klinik, Rigshospitalet (demo)', gln: withGlnCheckDigit('579999900202'), hospitalSor: RH, phone: '+4535450000', weight: 0.14 },
  { sor: '999999000002004', name: 'Neurologisk klinik, Rigshospitalet (demo)', gln: withGlnCheckDigit('579999900203'), hospitalSor: RH, phone: '+4535450100', weight: 0.1 },
  { sor: '999999000002005', name: 'Geriatrisk afdeling, Bispebjerg og Frederiksberg Hospital (demo)', gln: withGlnCheckDigit('579999900204'), hospitalSor: BFH, phone: '+4538635000', weight: 0.14 },
  { sor: '999999000002006', name: 'Lungemedicinsk afdeling, Bispebjerg og Frederiksberg Hospital (demo)', gln: withGlnCheckDigit('579999900205'), hospitalSor: BFH, phone: '+4538635100', weight: 0.12 },
];

/** Herlev first (demo-municipality's organisation); kommunekoder are the real ones. */
export const DEMO_MUNICIPALITIES: readonly DemoMunicipality[] = [
  { sor: '953741000016009', name: 'Herlev Kommune', gln: '5790001348120', kommunekode: '0163', city: 'Herlev', postalCode: '2730', weight: 0.34 },
  { sor: '999999000003001', name: 'Gentofte Kommune (demo)', gln: withGlnCheckDigit('579999900300'), kommunekode: '0157', city: 'Hellerup', postalCode: '2900', weight: 0.18 },
  { sor: '999999000003002', name: 'Gladsaxe Kommune (demo)', gln: withGlnCheckDigit('579999900301'), kommunekode: '0159', city: 'Søborg', postalCode: '2860', weight: 0.16 },
  { sor: '999999000003003', name: 'Københavns Kommune (demo)', gln: withGlnCheckDigit('579999900302'), kommunekode: '0101', city: 'København Ø', postalCode: '2100', weight: 0.22 },
  { sor: '999999000003004', name: 'Ballerup Kommune (demo)', gln: withGlnCheckDigit('579999900303'), kommunekode: '0151', city: 'Ballerup', postalCode: '2750', weight: 0.1 },
];

/** Lægehuset Østerbro first (demo-gp's organisation). */
export const DEMO_GP_PRACTICES: readonly DemoGpPractice[] = [
  { sor: '1017421000016003', name: 'Lægehuset Østerbro', gln: '5790002408496', weight: 0.34 },
  { sor: '999999000004001', name: 'Lægerne Herlev Bygade (demo)', gln: withGlnCheckDigit('579999900400'), weight: 0.24 },
  { sor: '999999000004002', name: 'Gentofte Lægehus (demo)', gln: withGlnCheckDigit('579999900401'), weight: 0.22 },
  { sor: '999999000004003', name: 'Lægepraksis Bispebjerg (demo)', gln: withGlnCheckDigit('579999900402'), weight: 0.2 },
];

/** demo-hospital's organisation: the one department that sends with its own client. */
export const DEMO_HOSPITAL_CLIENT_SOR = '265161000016000';

const GIVEN_FEMALE = ['Anna', 'Birgit', 'Else', 'Grethe', 'Hanne', 'Inge', 'Karen', 'Kirsten', 'Lene', 'Mette', 'Susanne', 'Tove'];
const GIVEN_MALE = ['Anders', 'Bent', 'Erik', 'Flemming', 'Hans', 'Jens', 'Jørgen', 'Lars', 'Niels', 'Ole', 'Peter', 'Poul'];
const FAMILY = ['Andersen', 'Christensen', 'Hansen', 'Jensen', 'Larsen', 'Madsen', 'Nielsen', 'Olsen', 'Pedersen', 'Petersen', 'Rasmussen', 'Sørensen'];
const STREETS = ['Bygaden', 'Engvej', 'Havevej', 'Kirkevej', 'Lindevej', 'Møllevej', 'Parkvej', 'Skolevej', 'Stationsvej', 'Toftevej'];

// ───────────────────────────── the plan ─────────────────────────────

export interface DemoOptions {
  /** How many calendar days of traffic, ending with the day of `until`. */
  days: number;
  /** Discharges per day on average (a Friday peak, quieter weekends). */
  perDay: number;
  seed: number;
  /** The end of the simulation: nothing is sent at or after it. */
  until: Date;
}

export type EpikriseOutcome = 'on-time' | 'late' | 'never';

export interface DemoPatient {
  cpr: string;
  given: string;
  family: string;
  gender: 'female' | 'male';
  birthDate: string;
  street: string;
  phone: string;
}

export interface DemoDischarge {
  patient: DemoPatient;
  department: DemoDepartment;
  municipality: DemoMunicipality;
  gp: DemoGpPractice;
  episodeOfCareId: string;
  admittedAt: Date;
  dischargedAt: Date;
  /** Admitted at least 24 hours (the stays that may go to municipal nursing). */
  longStay: boolean;
  epikrise: EpikriseOutcome;
  /** By the configured rule and calendar. */
  epikriseDueAt: Date;
  epikriseSentAt: Date | undefined;
  udskrivningsrapportSentAt: Date | undefined;
}

export type DemoStep = 'STIN' | 'SLHJ' | 'epikrise' | 'udskrivningsrapport';

/** Which demo client sends: a department's own client, or (for the departments without one) the relay or admin. */
export type DemoClientId = 'demo-hospital' | 'demo-relay' | 'demo-admin';

export interface DemoRequest {
  /** The simulated time the request is made. */
  at: Date;
  step: DemoStep;
  client: DemoClientId;
  path: '/fhir/$process-message' | '/fhir/Bundle';
  /** Index into `DemoPlan.discharges`. */
  discharge: number;
  /** Built when sent (a plan of three months holds thousands of them). */
  body(): AnyResource;
}

export interface DemoPlan {
  options: DemoOptions;
  /** The first request's time: where the simulated clock starts. */
  from: Date;
  until: Date;
  /** Every generated discharge, including those not yet discharged at `until` (only their STIN went). */
  discharges: DemoDischarge[];
  /** In time order, all before `until`. */
  requests: DemoRequest[];
}

/** The valid document examples (profiles/examples/) the demo's documents are made from. */
export interface DocumentTemplates {
  epikrise: AnyResource;
  udskrivningsrapport: AnyResource;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Sunday first (Date#getUTCDay); Friday is the peak, weekends are quiet; the mean is 1. */
const WEEKDAY_FACTOR = [0.45, 1, 1, 1, 1.05, 1.5, 0.5].map((f, _i, all) => (f * all.length) / all.reduce((s, x) => s + x, 0));

/** How epikriser go (the issue: on time about 80%, late about 12%, never about 8%). */
const EPIKRISE_OUTCOMES: readonly (readonly [EpikriseOutcome, number])[] = [['on-time', 0.8], ['late', 0.12], ['never', 0.08]];
/** Working days after the deadline a late epikrise goes (1 to 5). */
const LATENESS_DAYS: readonly (readonly [number, number])[] = [[1, 0.45], [2, 0.25], [3, 0.15], [4, 0.1], [5, 0.05]];
/** Stays shorter than a day (no udskrivningsrapport, no extended responsibility). */
const SHORT_STAY_SHARE = 0.15;
/** Long stays whose patient goes to municipal nursing: an udskrivningsrapport goes to the municipality. */
const MUNICIPAL_CARE_SHARE = 0.4;

const parseDay = (localDate: string): { year: number; month: number; day: number } => {
  const [year = NaN, month = NaN, day = NaN] = localDate.split('-').map(Number);
  return { year, month, day };
};

/** The calendar date `n` days after (or before) `localDate`. */
export function addDays(localDate: string, n: number): string {
  const { year, month, day } = parseDay(localDate);
  const d = new Date(Date.UTC(year, month - 1, day + n));
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

const weekdayOf = (localDate: string): number => {
  const { year, month, day } = parseDay(localDate);
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
};

/** A Copenhagen wall-clock time on a local date. */
const at = (localDate: string, hour: number, minute: number, second = 0): Date => localToInstant({ ...parseDay(localDate), hour, minute, second });

/** How many discharges a day has: the average, shaped by the weekday, with some noise. */
export function dischargesOn(localDate: string, perDay: number, rng: Rng): number {
  const factor = WEEKDAY_FACTOR[weekdayOf(localDate)] ?? 1;
  return Math.max(0, Math.round(perDay * factor * (0.8 + 0.4 * rng.float())));
}

function newPatient(rng: Rng): DemoPatient {
  const gender = rng.chance(0.5) ? 'female' : 'male';
  const born = new Date(Date.UTC(rng.int(1930, 2003), 0, 1) + rng.int(0, 364) * DAY_MS);
  const year = born.getUTCFullYear();
  const dd = String(born.getUTCDate()).padStart(2, '0');
  const mm = String(born.getUTCMonth() + 1).padStart(2, '0');
  const yy = String(year % 100).padStart(2, '0');
  // The 7th digit tells the century (0-3: 1900s; 4: 2000-2036); the last digit is odd for men.
  const centuryDigit = year >= 2000 ? 4 : rng.int(0, 3);
  const last = rng.int(0, 4) * 2 + (gender === 'male' ? 1 : 0);
  const cpr = `${dd}${mm}${yy}${String(centuryDigit)}${String(rng.int(0, 99)).padStart(2, '0')}${String(last)}`;
  return {
    cpr,
    given: rng.pick(gender === 'female' ? GIVEN_FEMALE : GIVEN_MALE),
    family: rng.pick(FAMILY),
    gender,
    birthDate: `${String(year)}-${mm}-${dd}`,
    street: `${rng.pick(STREETS)} ${String(rng.int(1, 120))}`,
    phone: `+45${String(rng.int(20_000_000, 99_999_999))}`,
  };
}

type TimingSettings = Pick<TimelinessSettings, 'rule' | 'calendar'>;

/** One discharge on `localDate`, with everything random about it drawn now. */
function newDischarge(localDate: string, rng: Rng, settings: TimingSettings): DemoDischarge & { ids: DischargeIds } {
  const department = rng.weighted(DEMO_DEPARTMENTS.map((d) => [d, d.weight] as const));
  const municipality = rng.weighted(DEMO_MUNICIPALITIES.map((m) => [m, m.weight] as const));
  const gp = rng.weighted(DEMO_GP_PRACTICES.map((g) => [g, g.weight] as const));
  const patient = newPatient(rng);
  const [fromHour, toHour] = rng.weighted([[[9, 11], 0.35], [[12, 14], 0.35], [[15, 17], 0.2], [[18, 22], 0.1]] as const);
  const dischargedAt = at(localDate, rng.int(fromHour, toHour), rng.int(0, 59), rng.int(0, 59));
  const shortStay = rng.chance(SHORT_STAY_SHARE);
  const stayMs = shortStay
    ? rng.int(4, 22) * HOUR_MS + rng.int(0, 59) * MINUTE_MS
    : Math.max(25 * HOUR_MS, rng.int(1, 12) * DAY_MS + rng.int(-6, 6) * HOUR_MS + rng.int(0, 59) * MINUTE_MS);
  const admittedAt = new Date(dischargedAt.getTime() - stayMs);

  const epikrise = rng.weighted(EPIKRISE_OUTCOMES);
  const dueAt = computeDeadline({ dischargedAt, calendar: settings.calendar, rule: settings.rule }).dueBy;
  let epikriseSentAt: Date | undefined;
  if (epikrise === 'on-time') {
    // Between 20 minutes after the discharge and an hour before the deadline, most of them early.
    const earliest = dischargedAt.getTime() + 20 * MINUTE_MS;
    const latest = dueAt.getTime() - HOUR_MS;
    const span = latest - earliest;
    epikriseSentAt = span > 0 ? new Date(earliest + Math.round(span * rng.float() ** 2)) : new Date(dischargedAt.getTime() + (dueAt.getTime() - dischargedAt.getTime()) / 2);
  } else if (epikrise === 'late') {
    const day = addWorkingDays(localDateOf(dueAt), rng.weighted(LATENESS_DAYS), settings.calendar);
    epikriseSentAt = at(day, rng.int(8, 15), rng.int(0, 59), rng.int(0, 59));
  }
  const udskrivningsrapportSentAt = !shortStay && rng.chance(MUNICIPAL_CARE_SHARE) ? new Date(dischargedAt.getTime() + rng.int(5, 90) * MINUTE_MS) : undefined;
  const ids: DischargeIds = {
    episodeOfCare: rng.uuid(),
    stin: templateIds(STIN_TEMPLATE, rng),
    slhj: templateIds(SLHJ_TEMPLATE, rng),
    epikrise: { bundle: rng.uuid(), bundleIdentifier: rng.uuid(), letter: rng.uuid() },
    udskrivningsrapport: { bundle: rng.uuid(), bundleIdentifier: rng.uuid(), letter: rng.uuid() },
    delays: { stinSeconds: rng.int(30, 180), slhjSeconds: rng.int(30, 180), postSeconds: rng.int(2, 20), writtenMinutes: rng.int(1, 10) },
  };
  return {
    patient,
    department,
    municipality,
    gp,
    episodeOfCareId: ids.episodeOfCare,
    admittedAt,
    dischargedAt,
    longStay: !shortStay,
    epikrise,
    epikriseDueAt: dueAt,
    epikriseSentAt,
    udskrivningsrapportSentAt,
    ids,
  };
}

interface LetterIds {
  bundle: string;
  bundleIdentifier: string;
  letter: string;
}

/** Every id a discharge's messages and documents carry, drawn when the discharge is. */
interface DischargeIds {
  episodeOfCare: string;
  /** Template resource id → the new one, per message (the Bundle's own id under the key `Bundle`). */
  stin: Map<string, string>;
  slhj: Map<string, string>;
  epikrise: LetterIds;
  udskrivningsrapport: LetterIds;
  delays: { stinSeconds: number; slhjSeconds: number; postSeconds: number; writtenMinutes: number };
}

/** New UUIDs for the Bundle and every entry of a template, in the template's order. */
function templateIds(template: Readonly<Record<string, unknown>>, rng: Rng): Map<string, string> {
  const ids = new Map<string, string>([['Bundle', rng.uuid()]]);
  for (const e of entriesOf(template)) if (typeof e.resource.id === 'string') ids.set(e.resource.id, rng.uuid());
  return ids;
}

/**
 * The demo's traffic from `until - days` to `until`. Requests at or after `until` are left out
 * (an admission today whose discharge is still to come; an epikrise that will be late).
 */
export function generateDemo(options: DemoOptions, templates: DocumentTemplates, settings: TimingSettings): DemoPlan {
  if (!Number.isInteger(options.days) || options.days < 1 || options.days > 366) throw new RangeError('days must be a whole number from 1 to 366');
  if (!Number.isFinite(options.perDay) || options.perDay <= 0 || options.perDay > 1000) throw new RangeError('perDay must be a number above 0 and at most 1000');
  if (!Number.isInteger(options.seed)) throw new RangeError('seed must be a whole number');
  if (Number.isNaN(options.until.getTime())) throw new RangeError('until must be a valid instant');

  const lastDay = localDateOf(options.until);
  const discharges: (DemoDischarge & { ids: DischargeIds })[] = [];
  for (let back = options.days - 1; back >= 0; back--) {
    const day = addDays(lastDay, -back);
    const rng = new Rng(hash32(`${String(options.seed)}|${day}`));
    const count = dischargesOn(day, options.perDay, rng);
    const today = Array.from({ length: count }, () => newDischarge(day, rng, settings));
    discharges.push(...today.sort((a, b) => a.dischargedAt.getTime() - b.dischargedAt.getTime()));
  }

  const requests: DemoRequest[] = [];
  discharges.forEach((d, i) => {
    const viaOwnClient = d.department.sor === DEMO_HOSPITAL_CLIENT_SOR;
    const messageClient: DemoClientId = viaOwnClient ? 'demo-hospital' : 'demo-relay';
    const documentClient: DemoClientId = viaOwnClient ? 'demo-hospital' : 'demo-admin';
    const { delays } = d.ids;
    const stinAt = new Date(d.admittedAt.getTime() + delays.stinSeconds * 1000);
    const slhjAt = new Date(d.dischargedAt.getTime() + delays.slhjSeconds * 1000);
    const message = (step: 'STIN' | 'SLHJ', written: Date): DemoRequest => ({
      at: new Date(written.getTime() + delays.postSeconds * 1000),
      step,
      client: messageClient,
      path: '/fhir/$process-message',
      discharge: i,
      body: () => hospitalNotification(step, d, { stinAt, slhjAt }),
    });
    const document = (step: 'epikrise' | 'udskrivningsrapport', sent: Date): DemoRequest => ({
      at: sent,
      step,
      client: documentClient,
      path: '/fhir/Bundle',
      discharge: i,
      body: () => dischargeDocument(templates[step], step, d, new Date(sent.getTime() - delays.writtenMinutes * MINUTE_MS)),
    });
    requests.push(message('STIN', stinAt), message('SLHJ', slhjAt));
    if (d.epikriseSentAt) requests.push(document('epikrise', d.epikriseSentAt));
    if (d.udskrivningsrapportSentAt) requests.push(document('udskrivningsrapport', d.udskrivningsrapportSentAt));
  });
  const stepOrder: Record<DemoStep, number> = { STIN: 0, SLHJ: 1, udskrivningsrapport: 2, epikrise: 3 };
  const inWindow = requests
    .filter((r) => r.at.getTime() < options.until.getTime())
    .sort((a, b) => a.at.getTime() - b.at.getTime() || a.discharge - b.discharge || stepOrder[a.step] - stepOrder[b.step]);
  const first = inWindow[0];
  return {
    options,
    from: first ? first.at : options.until,
    until: options.until,
    discharges: discharges.map(({ ids: _ids, ...d }) => d),
    requests: inWindow,
  };
}

// ───────────────────────────── building the resources ─────────────────────────────

interface Entry {
  fullUrl: string;
  resource: AnyResource & { id?: string };
}

function entriesOf(bundle: Readonly<Record<string, unknown>>): Entry[] {
  const entries = bundle.entry;
  if (!Array.isArray(entries)) throw new Error('template: a Bundle with entries is expected');
  return entries as Entry[];
}

/** The entry a reference (`Type/id` or a fullUrl) points at, or an Error: the templates are known to resolve. */
function resolve(bundle: Readonly<Record<string, unknown>>, reference: string | undefined, what: string): AnyResource {
  const found = entriesOf(bundle).find((e) => e.fullUrl === reference || `${e.resource.resourceType}/${e.resource.id ?? ''}` === reference);
  if (!found) throw new Error(`template: ${what} (${reference ?? 'no reference'}) does not resolve`);
  return found.resource;
}

function only(bundle: Readonly<Record<string, unknown>>, type: string): AnyResource {
  const found = entriesOf(bundle).filter((e) => e.resource.resourceType === type);
  if (found.length !== 1 || !found[0]) throw new Error(`template: exactly one ${type} is expected`);
  return found[0].resource;
}

/** Replaces template ids by the new ones: entry ids, fullUrls and every `Type/id` reference. */
function remapIds(node: unknown, ids: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(node)) return node.map((n) => remapIds(n, ids));
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (typeof v === 'string' && (k === 'reference' || k === 'fullUrl')) {
      const m = /^([A-Za-z]+)\/(.+)$/.exec(v);
      const mapped = m?.[2] === undefined ? undefined : ids.get(m[2]);
      out[k] = m && mapped ? `${m[1] ?? ''}/${mapped}` : v;
    } else if (typeof v === 'string' && k === 'id') {
      out[k] = ids.get(v) ?? v;
    } else {
      out[k] = remapIds(v, ids);
    }
  }
  return out;
}

const ref = (r: AnyResource): string => `${r.resourceType}/${r.id ?? ''}`;

const organizationIdentifiers = (o: DemoOrganization): fhir4.Identifier[] => [
  { system: SYSTEM.gln, value: o.gln },
  { system: SYSTEM.sor, value: o.sor },
];

const ACTIVITY_ADMIT = 'admit-inpatient';

/**
 * A STIN or SLHJ from the MedCom example: new UUIDs for the Bundle and every entry (references
 * follow), the demo's patient, stay, times and organisations, and a Provenance chain that points at
 * the demo's own STIN (the example pair's chain points at another STIN id).
 */
function hospitalNotification(step: 'STIN' | 'SLHJ', d: DemoDischarge & { ids: DischargeIds }, times: { stinAt: Date; slhjAt: Date }): AnyResource {
  const template = step === 'STIN' ? STIN_TEMPLATE : SLHJ_TEMPLATE;
  const ids = step === 'STIN' ? d.ids.stin : d.ids.slhj;
  const bundle = remapIds(structuredClone(template), ids) as AnyResource;
  const sentAt = step === 'STIN' ? times.stinAt : times.slhjAt;
  bundle.id = ids.get('Bundle');
  bundle.timestamp = formatDateTime(sentAt);

  const header = only(bundle, 'MessageHeader') as AnyResource & fhir4.MessageHeader;
  const destination = header.destination?.[0];
  const senderOrg = resolve(bundle, header.sender?.reference, 'MessageHeader.sender');
  const receiverOrg = resolve(bundle, destination?.receiver?.reference, 'MessageHeader.destination.receiver');
  if (!destination) throw new Error('template: MessageHeader.destination is expected');
  destination.endpoint = sorEndpoint(d.municipality.sor);
  header.source.endpoint = sorEndpoint(d.department.sor);
  Object.assign(senderOrg, { identifier: organizationIdentifiers(d.department), name: d.department.name });
  Object.assign(receiverOrg, { identifier: organizationIdentifiers(d.municipality), name: d.municipality.name });

  const patient = only(bundle, 'Patient') as AnyResource & fhir4.Patient;
  patient.identifier = [{ system: SYSTEM.cpr, value: d.patient.cpr }];
  patient.name = [{ use: 'official', family: d.patient.family, given: [d.patient.given] }];

  const encounter = only(bundle, 'Encounter') as AnyResource & fhir4.Encounter;
  encounter.episodeOfCare = [{ identifier: { system: sorEndpoint(d.department.sor), value: d.episodeOfCareId } }];
  encounter.period = { start: formatDateTime(d.admittedAt), ...(step === 'SLHJ' ? { end: formatDateTime(d.dischargedAt) } : {}) };
  encounter.serviceProvider = { reference: ref(senderOrg) };

  const stinHeaderId = d.ids.stin.get(only(STIN_TEMPLATE, 'MessageHeader').id ?? '');
  if (stinHeaderId === undefined) throw new Error('template: the STIN MessageHeader has no id');
  for (const e of entriesOf(bundle)) {
    if (e.resource.resourceType !== 'Provenance') continue;
    const p = e.resource as AnyResource & fhir4.Provenance;
    const admission = p.activity?.coding?.some((c) => c.code === ACTIVITY_ADMIT) === true;
    // The admission's Provenance belongs to the STIN; the current one (the SLHJ's) revises it.
    const when = formatDateTime(admission ? times.stinAt : sentAt);
    p.target = [{ reference: `MessageHeader/${admission ? stinHeaderId : header.id ?? ''}` }];
    p.occurredDateTime = when;
    p.recorded = when;
    p.agent = [{ who: { reference: ref(senderOrg) } }];
    if (!admission) p.entity = [{ role: 'revision', what: { reference: `MessageHeader/${stinHeaderId}` } }];
  }
  return bundle;
}

const RECIPIENT_EXT = 'http://sektorbro.dk/fhir/StructureDefinition/sektorbro-recipient';
const EPISODE_EXT = 'http://sektorbro.dk/fhir/StructureDefinition/sektorbro-episode-of-care-identifier';

const narrative = (...paragraphs: string[]): fhir4.Narrative => ({
  status: 'generated',
  div: `<div xmlns="http://www.w3.org/1999/xhtml">${paragraphs.map((p) => `<p>${escapeXml(p)}</p>`).join('')}</div>`,
});

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const danishDate = (isoDate: string): string => isoDate.split('-').reverse().join('-');

/**
 * An epikrise (to the GP) or udskrivningsrapport (to the municipality) from the profile's valid
 * example: a new document identity, the demo's patient (CPR, GP, municipality of residence), stay,
 * episode of care and sending department. The clinical sections stay as the example wrote them.
 */
function dischargeDocument(template: AnyResource, type: 'epikrise' | 'udskrivningsrapport', d: DemoDischarge & { ids: DischargeIds }, writtenAt: Date): AnyResource {
  const bundle = structuredClone(template);
  const ids = d.ids[type];
  const composition = entriesOf(bundle)[0]?.resource as (AnyResource & fhir4.Composition) | undefined;
  if (composition?.resourceType !== 'Composition') throw new Error('template: the first entry must be the Composition');
  const patient = resolve(bundle, composition.subject?.reference, 'Composition.subject') as AnyResource & fhir4.Patient;
  const encounter = resolve(bundle, composition.encounter?.reference, 'Composition.encounter') as AnyResource & fhir4.Encounter;
  const custodian = resolve(bundle, composition.custodian?.reference, 'Composition.custodian');
  const gp = resolve(bundle, patient.generalPractitioner?.[0]?.reference, 'Patient.generalPractitioner');
  const recipients = (composition.extension ?? []).filter((x) => x.url === RECIPIENT_EXT).map((x) => resolve(bundle, x.valueReference?.reference, 'sektorbro-recipient'));
  const episode = { system: sorEndpoint(d.department.sor), value: d.episodeOfCareId };
  const written = formatDateTime(writtenAt);

  bundle.id = ids.bundle;
  bundle.identifier = { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${ids.bundleIdentifier}` };
  bundle.timestamp = written;
  composition.identifier = { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${ids.letter}` };
  composition.date = written;
  composition.extension = (composition.extension ?? []).map((x) => (x.url === EPISODE_EXT ? { ...x, valueIdentifier: episode } : x));
  composition.text = narrative(composition.title, `Fra ${d.department.name}`, `Udskrevet ${formatDateTime(d.dischargedAt)}`);

  const municipalityCoding = { system: SYSTEM.kommunekode, code: d.municipality.kommunekode, display: d.municipality.city };
  Object.assign(patient, {
    text: narrative(`${d.patient.given} ${d.patient.family}, ${d.patient.gender === 'male' ? 'mand' : 'kvinde'}, født ${danishDate(d.patient.birthDate)}`),
    identifier: [{ use: 'official', system: SYSTEM.cpr, value: d.patient.cpr }],
    name: [{ use: 'official', family: d.patient.family, given: [d.patient.given] }],
    telecom: [{ system: 'phone', value: d.patient.phone, use: 'home' }],
    gender: d.patient.gender,
    birthDate: d.patient.birthDate,
    address: [
      {
        extension: [{ url: 'http://hl7.dk/fhir/core/StructureDefinition/dk-core-municipalityCodes', valueCodeableConcept: { coding: [municipalityCoding] } }],
        use: 'home',
        line: [d.patient.street],
        postalCode: d.municipality.postalCode,
        city: d.municipality.city,
        country: 'DK',
      },
    ],
  });
  Object.assign(encounter, {
    text: narrative(`Indlæggelse på ${d.department.name}`, `${formatDateTime(d.admittedAt)} til ${formatDateTime(d.dischargedAt)}`),
    episodeOfCare: [{ identifier: episode }],
    period: { start: formatDateTime(d.admittedAt), end: formatDateTime(d.dischargedAt) },
  });
  Object.assign(custodian, {
    text: narrative(d.department.name),
    identifier: [{ system: SYSTEM.sor, value: d.department.sor }, { system: SYSTEM.gln, value: d.department.gln }],
    name: d.department.name,
    telecom: [{ system: 'phone', value: d.department.phone, use: 'work' }],
  });
  Object.assign(gp, {
    text: narrative(`${d.gp.name}. SOR ${d.gp.sor}`),
    identifier: [{ system: SYSTEM.sor, value: d.gp.sor }, { system: SYSTEM.gln, value: d.gp.gln }],
    name: d.gp.name,
  });
  // The epikrise names the GP (the same entry as Patient.generalPractitioner); the udskrivningsrapport the municipality.
  for (const r of recipients) {
    if (r === gp) continue;
    Object.assign(r, {
      text: narrative(`${d.municipality.name}. SOR ${d.municipality.sor}, kommunekode ${d.municipality.kommunekode}`),
      identifier: [
        { system: SYSTEM.sor, value: d.municipality.sor },
        { system: SYSTEM.gln, value: d.municipality.gln },
        { system: SYSTEM.kommunekode, value: d.municipality.kommunekode },
      ],
      name: d.municipality.name,
    });
  }
  return bundle;
}
