import { readMessage, isReadFailure } from '../medcom/index.ts';
import { messageBundleId, SYSTEM } from '../shared/index.ts';
import { findRegistryOrganizationCached, type StoredResource, type StoreTx } from '../store/index.ts';
import { applyCorrections, computePeriods, formatCopenhagenInstant, type Holder, type ResponsibilityPeriod } from './engine.ts';
import type { DischargedEvent, OrganizationUnit, ResponsibilityEvent } from './events.ts';
import {
  MUNICIPAL_CARE_DOCUMENT_TYPES,
  readMunicipalCareDocument,
  sorOfReference,
  toResponsibilityEvents,
  type MappingNote,
  type MunicipalCareDocument,
  type ResponsibilityBasisEntry,
  EXTENSION_EVENT_TYPE,
} from './patient-events.ts';
import { DEFAULT_RESPONSIBILITY_RULES, type ResponsibilityRules } from './rules.ts';

/**
 * The *behandlingsansvar* use cases over the store: who holds treatment responsibility for a
 * patient at an instant, which patients a department holds it for now, and the gap/overlap check.
 * Reads only; returns plain objects. Access decisions (who may ask about whom) are the caller's.
 */

export interface ResponsibilityOptions {
  rules?: ResponsibilityRules | undefined;
  /** The patient's current Patient, when the caller has just read it (the lookup by CPR): not read again. */
  patient?: StoredResource | undefined;
}

/** The answer of `GET /api/responsibility`. */
export interface ResponsibilityApiAnswer {
  holder: Holder;
  from: string | null;
  until: string | null;
  inferred: boolean;
  basis: ResponsibilityBasisEntry[];
}

/** Everything computed for one patient: the periods, and the notes and GP behind them. */
export interface PatientResponsibility {
  patientId: string;
  events: ResponsibilityEvent[];
  periods: ResponsibilityPeriod[];
  notes: MappingNote[];
  generalPractitioner: OrganizationUnit | undefined;
  /** How the GP was found, or that none is known: it belongs in every answer naming the GP as holder. */
  generalPractitionerBasis: ResponsibilityBasisEntry;
  /** Engine event id → the stored fact it came from. */
  sources: Map<string, { headerId: string }>;
}

const HOUR_MS = 3_600_000;
/** An explicit extension reaches at most this far ahead: a typo in the year must not hand a patient to a ward for years. */
export const MAX_EXTENSION_DAYS = 14;
const CPR_PATTERN = /^\d{10}$/;
/** How many earlier Patient versions are searched for a GP when the current one names none. */
const GP_HISTORY_DEPTH = 20;
const PAGE = 200;

/** The Patient with this CPR number, whatever the caller may see (the caller checks that). */
export async function findPatientByCpr(tx: StoreTx, cpr: string): Promise<StoredResource | undefined> {
  if (!CPR_PATTERN.test(cpr)) return undefined;
  const page = await tx.resources.search(
    { type: 'Patient', criteria: [{ kind: 'token', param: 'identifier', values: [{ system: SYSTEM.cpr, code: cpr }] }], count: 2, total: false },
    { kind: 'all' },
  );
  return page.items.find((s) => !s.deleted && s.resource !== undefined);
}

/** Looks up SOR units once per use case: the registry's name and telecom, else a stored copy's name. */
class Units {
  private readonly cache = new Map<string, Promise<{ unit: OrganizationUnit; registry: fhir4.Organization | undefined }>>();
  constructor(private readonly tx: StoreTx) {}

  get(sor: string): Promise<{ unit: OrganizationUnit; registry: fhir4.Organization | undefined }> {
    let found = this.cache.get(sor);
    if (found === undefined) {
      found = this.lookup(sor);
      this.cache.set(sor, found);
    }
    return found;
  }

  private async lookup(sor: string): Promise<{ unit: OrganizationUnit; registry: fhir4.Organization | undefined }> {
    const registry = await findRegistryOrganizationCached(this.tx.resources, sor);
    if (registry !== undefined) {
      return { unit: { sor, ...(registry.name === undefined ? {} : { name: registry.name }), telecom: registry.telecom ?? [] }, registry };
    }
    // Not curated: the name a message or document gave it is still better than none; its telecom is not trusted.
    const copies = await this.tx.resources.search(
      { type: 'Organization', criteria: [{ kind: 'token', param: 'identifier', values: [{ system: SYSTEM.sor, code: sor }] }], count: 5, total: false },
      { kind: 'all' },
    );
    const name = copies.items.map((s) => (s.resource as fhir4.Organization | undefined)?.name).find((n) => n !== undefined);
    return { unit: { sor, ...(name === undefined ? {} : { name }) }, registry: undefined };
  }
}

async function readAll(tx: StoreTx, query: Parameters<StoreTx['resources']['search']>[0]): Promise<StoredResource[]> {
  const out: StoredResource[] = [];
  let cursor: string | undefined;
  do {
    const page = await tx.resources.search({ ...query, cursor }, { kind: 'all' });
    out.push(...page.items);
    cursor = page.next;
  } while (cursor !== undefined);
  return out;
}

async function municipalCareDocuments(tx: StoreTx, patientId: string): Promise<MunicipalCareDocument[]> {
  const stored = await readAll(tx, {
    type: 'DocumentReference',
    criteria: [
      { kind: 'reference', param: 'patient', values: [{ type: 'Patient', id: patientId }] },
      { kind: 'token', param: 'type', values: MUNICIPAL_CARE_DOCUMENT_TYPES.map((code) => ({ system: 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-document-type', code })) },
      // Superseded versions have a current successor; cancelled documents count for nothing.
      { kind: 'token', param: 'status', values: [{ code: 'current' }] },
    ],
    count: PAGE,
    total: false,
  });
  return stored.flatMap((s) => {
    const doc = s.resource === undefined ? undefined : readMunicipalCareDocument(s.resource as unknown as fhir4.DocumentReference);
    return doc === undefined ? [] : [doc];
  });
}

/**
 * The patient's GP from `Patient.generalPractitioner` (a SOR identifier, or a reference to an
 * Organization with one). A HospitalNotification's Patient names no GP, and its silence is not
 * a change of GP, so earlier versions of the Patient are searched when the current one names none.
 */
async function generalPractitionerOf(tx: StoreTx, units: Units, patient: StoredResource | undefined): Promise<{ unit: OrganizationUnit | undefined; basis: ResponsibilityBasisEntry }> {
  const none = (note: string): { unit: undefined; basis: ResponsibilityBasisEntry } => ({
    unit: undefined,
    basis: { kind: 'rule', id: 'general-practitioner-unknown', version: '1', note },
  });
  if (patient === undefined) return none('the patient is not on record, so no GP is known');
  const withGp = (s: StoredResource | undefined): fhir4.Reference[] => ((s?.resource as fhir4.Patient | undefined)?.generalPractitioner ?? []);
  let version: StoredResource | undefined = withGp(patient).length > 0 ? patient : undefined;
  if (version === undefined) {
    const history = await tx.resources.history('Patient', patient.id, { count: GP_HISTORY_DEPTH, access: { kind: 'all' } });
    version = history.items.find((s) => withGp(s).length > 0);
  }
  for (const ref of withGp(version)) {
    let sor = sorOfReference(ref);
    const target = /^Organization\/([A-Za-z0-9\-.]{1,64})$/.exec(ref.reference ?? '')?.[1];
    let copyName: string | undefined;
    if (sor === undefined && target !== undefined) {
      const org = (await tx.resources.read('Organization', target))?.resource as fhir4.Organization | undefined;
      sor = org?.identifier?.find((i) => i.system === SYSTEM.sor && i.value !== undefined)?.value;
      copyName = org?.name;
    }
    if (sor === undefined || version === undefined) continue;
    const { unit, registry } = await units.get(sor);
    const named = unit.name === undefined && copyName !== undefined ? { ...unit, name: copyName } : unit;
    return {
      unit: named,
      basis: {
        kind: 'source',
        id: `Patient/${patient.id}/_history/${String(version.versionId)}`,
        type: 'general-practitioner',
        at: null,
        note: `the patient's GP is SOR ${sor} (Patient.generalPractitioner)${registry === undefined ? '; not in the registry, so no telecom' : ', named from the registry'}`,
      },
    };
  }
  return none('no GP is known: the patient record names no GP practice with a SOR code');
}

/** Reads everything about one patient and runs the rule engine. */
export async function loadPatientResponsibility(tx: StoreTx, patientId: string, opts: ResponsibilityOptions = {}): Promise<PatientResponsibility> {
  const known = opts.patient?.type === 'Patient' && opts.patient.id === patientId ? opts.patient : undefined;
  return load(tx, patientId, opts.rules ?? DEFAULT_RESPONSIBILITY_RULES, new Units(tx), known);
}

/**
 * Runs independent reads: side by side outside a transaction (a lookup), where the store's pool has
 * connections to spare and the round trips are most of the time (issue #9); inside one they share a
 * connection, so one after the other.
 */
async function inParallel<A, B>(tx: StoreTx, a: () => Promise<A>, b: () => Promise<B>): Promise<[A, B]> {
  if ('transaction' in tx) return Promise.all([a(), b()]);
  return [await a(), await b()];
}

async function load(tx: StoreTx, patientId: string, rules: ResponsibilityRules, units: Units, known: StoredResource | undefined): Promise<PatientResponsibility> {
  const [[records, documents], patient] = await inParallel(
    tx,
    () => inParallel(tx, () => tx.messages.events(patientId), () => municipalCareDocuments(tx, patientId)),
    async () => known ?? tx.resources.read('Patient', patientId),
  );
  const sors = [...new Set(records.flatMap((r) => (r.departmentSor === undefined ? [] : [r.departmentSor])))];
  // Units caches per SOR, so the GP's lookup and a department's never ask twice for one unit.
  const [found, gp] = await inParallel(
    tx,
    async () => {
      const out: OrganizationUnit[] = [];
      for (const sor of sors) out.push((await units.get(sor)).unit);
      return out;
    },
    () => generalPractitionerOf(tx, units, patient),
  );
  const departments = new Map<string, OrganizationUnit>(sors.map((sor, i) => [sor, found[i] as OrganizationUnit]));
  const mapped = toResponsibilityEvents({ records, departments, documents, careCommunicationExtension: rules.careCommunicationExtension });
  return {
    patientId,
    events: mapped.events,
    periods: computePeriods(mapped.events, rules, gp.unit),
    notes: mapped.notes,
    generalPractitioner: gp.unit,
    generalPractitionerBasis: gp.basis,
    sources: new Map([...mapped.sources].map(([id, r]) => [id, { headerId: r.headerId }])),
  };
}

const contains = (p: ResponsibilityPeriod, t: number): boolean => (p.from === null || p.from.getTime() <= t) && (p.until === null || t < p.until.getTime());

/** The period in force at an instant (the engine's periods cover the whole timeline). */
export function periodAt(periods: readonly ResponsibilityPeriod[], at: Date): ResponsibilityPeriod {
  const period = periods.find((p) => contains(p, at.getTime()));
  if (period === undefined) throw new Error('responsibility periods do not cover the timeline');
  return period;
}

/** The answer at an instant: the engine's period, plus the stored facts its basis rests on. */
export function answerAt(p: PatientResponsibility, at: Date): ResponsibilityApiAnswer {
  const period = periodAt(p.periods, at);
  const cited = new Set(period.basis.flatMap((b) => (b.kind === 'event' ? [b.id] : [])));
  const extra = p.notes
    .filter((n) => (n.about !== undefined ? cited.has(n.about) : n.at === undefined || contains(period, n.at.getTime())))
    .map((n) => n.entry);
  const gp = period.holder.kind === 'general-practitioner' ? [p.generalPractitionerBasis] : [];
  const seen = new Set<string>();
  const basis = [...period.basis, ...extra, ...gp].filter((b) => {
    const key = JSON.stringify(b);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return {
    holder: period.holder,
    from: period.from === null ? null : formatCopenhagenInstant(period.from),
    until: period.until === null ? null : formatCopenhagenInstant(period.until),
    inferred: period.inferred,
    basis,
  };
}

/** `GET /api/responsibility?patient=&at=`: who holds responsibility for the patient at `at`. */
export async function responsibilityFor(tx: StoreTx, patientId: string, at: Date, opts: ResponsibilityOptions = {}): Promise<ResponsibilityApiAnswer> {
  return answerAt(await loadPatientResponsibility(tx, patientId, opts), at);
}

// ───────────────────────────── department overview ─────────────────────────────

export interface MunicipalityInvolved {
  sor?: string | undefined;
  name?: string | undefined;
  kommunekode?: string | undefined;
}

export interface DepartmentPatient {
  patient: { id: string; cpr?: string | undefined };
  until: string | null;
  /** Hours until the department's responsibility ends, to two decimals. */
  hoursLeft: number | null;
  municipality: MunicipalityInvolved;
  basis: ResponsibilityBasisEntry[];
}

export interface DepartmentOverview {
  department: { sor: string; name: string | null };
  at: string;
  patients: DepartmentPatient[];
}

/** The longest window any configured rule gives: discharges older than that cannot be held now. */
const longestWindowHours = (rules: ResponsibilityRules): number =>
  Math.max(0, ...Object.values(rules.regions).flatMap((list) => list.map((r) => r.hours)));

/** The furthest an extension reaches beyond the moment it is said (explicit ones are capped, see {@link extendResponsibility}). */
const extensionHorizonHours = (rules: ResponsibilityRules): number => Math.max(MAX_EXTENSION_DAYS * 24, rules.careCommunicationExtension.hours);

const round2 = (n: number): number => Math.round(n * 100) / 100;

const cprOf = (patient: StoredResource | undefined): string | undefined =>
  (patient?.resource as fhir4.Patient | undefined)?.identifier?.find((i) => i.system === SYSTEM.cpr)?.value;

/**
 * The municipality a discharge was notified to: the primary receiver of the HospitalNotification
 * that brought it (stored with the message), with the kommunekode the registry gives that unit;
 * failing that, the kommunekode of the patient's address.
 */
async function municipalityOf(tx: StoreTx, units: Units, headerId: string | undefined, patient: StoredResource | undefined): Promise<MunicipalityInvolved> {
  if (headerId !== undefined) {
    const bundle = await tx.resources.read('Bundle', messageBundleId(headerId));
    const msg = bundle?.resource === undefined ? undefined : readMessage(bundle.resource);
    const receiver = msg === undefined || isReadFailure(msg) ? undefined : msg.receiver;
    if (receiver !== undefined) {
      const { unit, registry } = await units.get(receiver.sor);
      const kommunekode = registry?.identifier?.find((i) => i.system === SYSTEM.kommunekode)?.value;
      return { sor: receiver.sor, name: unit.name ?? receiver.name, ...(kommunekode === undefined ? {} : { kommunekode }) };
    }
  }
  const kommunekode = ((patient?.resource as fhir4.Patient | undefined)?.address ?? [])
    .flatMap((a) => a.extension ?? [])
    .flatMap((x) => x.valueCodeableConcept?.coding ?? [])
    .find((c) => c.system === SYSTEM.kommunekode)?.code;
  return kommunekode === undefined ? {} : { kommunekode };
}

/**
 * `GET /api/responsibility/department/<sor>`: the patients the department holds responsibility
 * for at `now`, each with the end of the window, the hours left and the municipality involved.
 * Candidates are the patients the department discharged within the longest configured window;
 * each one's answer is computed from all of their events.
 */
export async function departmentOverview(
  tx: StoreTx,
  sor: string,
  now: Date,
  opts: ResponsibilityOptions & { includeCpr: boolean },
): Promise<DepartmentOverview> {
  const rules = opts.rules ?? DEFAULT_RESPONSIBILITY_RULES;
  const units = new Units(tx);
  const from = new Date(now.getTime() - longestWindowHours(rules) * HOUR_MS);
  const discharged = await tx.messages.discharges({ from, to: new Date(now.getTime() + 1), departmentSor: sor });
  // An extended window can outlast the longest rule: an extension still in force was said within the horizon.
  const since = new Date(now.getTime() - extensionHorizonHours(rules) * HOUR_MS);
  const extended = await tx.messages.recordedBy({ type: EXTENSION_EVENT_TYPE, departmentSor: sor, since });
  const candidates = [...discharged, ...extended];
  const patients: DepartmentPatient[] = [];
  for (const patientId of [...new Set(candidates.map((c) => c.patientId))]) {
    const p = await load(tx, patientId, rules, units, undefined);
    const answer = answerAt(p, now);
    if (answer.holder.kind !== 'hospital-department' || answer.holder.organization?.sor !== sor) continue;
    const period = periodAt(p.periods, now);
    const discharge = period.basis.find((b) => b.kind === 'event' && b.type === 'discharged');
    const patient = await tx.resources.read('Patient', patientId);
    const cpr = opts.includeCpr ? cprOf(patient) : undefined;
    patients.push({
      patient: { id: patientId, ...(cpr === undefined ? {} : { cpr }) },
      until: answer.until,
      hoursLeft: period.until === null ? null : round2((period.until.getTime() - now.getTime()) / HOUR_MS),
      municipality: await municipalityOf(tx, units, discharge === undefined ? undefined : p.sources.get(discharge.id)?.headerId, patient),
      basis: answer.basis,
    });
  }
  patients.sort((a, b) => (a.hoursLeft ?? Infinity) - (b.hoursLeft ?? Infinity) || (a.patient.id < b.patient.id ? -1 : 1));
  const { unit } = await units.get(sor);
  return { department: { sor, name: unit.name ?? null }, at: formatCopenhagenInstant(now), patients };
}

// ───────────────────────────── gap and overlap report ─────────────────────────────

export interface UnresolvedHolder {
  patient: { id: string; cpr?: string | undefined };
  discharge: { id: string; at: string; department: { sor: string; name: string | null } };
  /** When the GP should have taken over: the discharge (not eligible) or the end of the window. */
  generalPractitionerFrom: string;
  reason: string;
}

export interface PeriodConflict {
  patient: { id: string; cpr?: string | undefined };
  kind: 'overlap' | 'gap';
  first: { holder: Holder; from: string | null; until: string | null };
  second: { holder: Holder; from: string | null; until: string | null };
}

export interface ResponsibilityReport {
  from: string;
  to: string;
  patientsChecked: number;
  dischargesChecked: number;
  /** Discharges after which the holder cannot be named: no GP is known. */
  unresolved: UnresolvedHolder[];
  /** Patients whose periods overlap (two holders at once) or leave a gap: the engine should never produce either. */
  conflicts: PeriodConflict[];
}

const periodView = (p: ResponsibilityPeriod): PeriodConflict['first'] => ({
  holder: p.holder,
  from: p.from === null ? null : formatCopenhagenInstant(p.from),
  until: p.until === null ? null : formatCopenhagenInstant(p.until),
});

/**
 * Checks that periods partition the timeline: sorted, each ending where the next begins, the first
 * from the beginning of time and only the last open-ended. Returns the pairs that break it.
 */
export function findPeriodConflicts(periods: readonly ResponsibilityPeriod[]): { kind: 'overlap' | 'gap'; first: ResponsibilityPeriod; second: ResponsibilityPeriod }[] {
  const time = (d: Date | null, open: number): number => (d === null ? open : d.getTime());
  const sorted = [...periods].sort((a, b) => time(a.from, -Infinity) - time(b.from, -Infinity));
  const out: { kind: 'overlap' | 'gap'; first: ResponsibilityPeriod; second: ResponsibilityPeriod }[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const first = sorted[i];
    const second = sorted[i + 1];
    if (first === undefined || second === undefined) continue;
    const end = time(first.until, Infinity);
    const start = time(second.from, -Infinity);
    if (end > start) out.push({ kind: 'overlap', first, second });
    else if (end < start) out.push({ kind: 'gap', first, second });
  }
  return out;
}

/**
 * `GET /api/responsibility/report?from=&to=`: over the patients discharged in [from, to), the
 * discharges after which the GP should hold responsibility but none is known, and any patient whose
 * periods overlap or leave a gap (a guard: the engine makes a partition).
 */
export async function responsibilityReport(
  tx: StoreTx,
  from: Date,
  to: Date,
  opts: ResponsibilityOptions & { includeCpr: boolean },
): Promise<ResponsibilityReport> {
  const units = new Units(tx);
  const candidates = await tx.messages.discharges({ from, to });
  const patientIds = [...new Set(candidates.map((c) => c.patientId))];
  const unresolved: UnresolvedHolder[] = [];
  const conflicts: PeriodConflict[] = [];
  let dischargesChecked = 0;
  for (const patientId of patientIds) {
    const p = await load(tx, patientId, opts.rules ?? DEFAULT_RESPONSIBILITY_RULES, units, undefined);
    const cpr = opts.includeCpr ? cprOf(await tx.resources.read('Patient', patientId)) : undefined;
    const who = { id: patientId, ...(cpr === undefined ? {} : { cpr }) };
    const discharges = applyCorrections(p.events)
      .events.map((a) => a.event)
      .filter((e): e is DischargedEvent => e.type === 'discharged');
    const inRange = discharges.filter((d) => d.at.getTime() >= from.getTime() && d.at.getTime() < to.getTime());
    dischargesChecked += inRange.length;
    for (const period of p.periods) {
      if (period.holder.kind !== 'general-practitioner' || period.holder.organization !== null || period.from === null) continue;
      const start = period.from.getTime();
      // The discharge this GP period follows: the latest one at or before its start.
      const discharge = discharges.filter((d) => d.at.getTime() <= start).at(-1);
      if (discharge === undefined || !inRange.includes(discharge)) continue;
      unresolved.push({
        patient: who,
        discharge: {
          id: discharge.id,
          at: formatCopenhagenInstant(discharge.at),
          department: { sor: discharge.department.sor, name: discharge.department.name ?? null },
        },
        generalPractitionerFrom: formatCopenhagenInstant(period.from),
        reason: p.generalPractitionerBasis.note,
      });
    }
    for (const c of findPeriodConflicts(p.periods)) {
      conflicts.push({ patient: who, kind: c.kind, first: periodView(c.first), second: periodView(c.second) });
    }
  }
  return {
    from: formatCopenhagenInstant(from),
    to: formatCopenhagenInstant(to),
    patientsChecked: patientIds.length,
    dischargesChecked,
    unresolved,
    conflicts,
  };
}
