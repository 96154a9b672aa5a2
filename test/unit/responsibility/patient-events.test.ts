import { describe, expect, it } from 'vitest';
import {
  answerAt,
  computePeriods,
  DEFAULT_RESPONSIBILITY_RULES,
  findPeriodConflicts,
  municipalCareFor,
  readMunicipalCareDocument,
  toResponsibilityEvents,
  type MunicipalCareDocument,
  type OrganizationUnit,
  type PatientFacts,
  type PatientResponsibility,
  type ResponsibilityApiAnswer,
  type ResponsibilityPeriod,
} from '../../../src/responsibility/index.ts';
import type { DomainEventRecord } from '../../../src/store/index.ts';

// Stay facts as message ingest stores them (payload = the reducer's StayDomainEvent); the expected
// answers are worked out by hand from the rules: a 72 h window from the discharge instant.

const MED_SOR = '265161000016000';
const MED: OrganizationUnit = { sor: MED_SOR, name: 'Hjerteafdelingen', telecom: [{ system: 'phone', value: '+4538681000' }] };
const GP: OrganizationUnit = { sor: '1017421000016003', name: 'Lægehuset Østerbro' };
const EOC = '82873e50-325e-4016-8a68-2934bdb2f66d';
const ADMITTED = '2026-02-25T08:00:00+01:00';
const DISCHARGED = '2026-03-02T09:45:30+01:00';
const STAY_KEY = `eoc:${EOC}`;

interface FactOptions {
  headerId?: string;
  cls?: 'IMP' | 'EMER';
  departmentSor?: string | undefined;
  eoc?: string;
  stayKey?: string;
}

let seq = 0;
/** One stored stay fact. `key` is the MessageHeader id of the original event; `headerId` the one that brought this fact. */
function fact(type: string, event: string, key: string, at: string | undefined, o: FactOptions = {}): DomainEventRecord {
  const headerId = o.headerId ?? key;
  const departmentSor = 'departmentSor' in o ? o.departmentSor : MED_SOR;
  const eoc = o.eoc ?? EOC;
  seq += 1;
  return {
    id: `record-${String(seq)}`,
    type,
    occurredAt: at === undefined ? undefined : new Date(at),
    patientId: 'patient-1',
    stayKey: o.stayKey ?? STAY_KEY,
    departmentSor,
    episodeOfCareId: eoc,
    headerId,
    payload: { id: `${type}:${key}:${headerId}`, type, event, key, headerId, at, class: o.cls ?? 'IMP', departmentSor, episodeOfCareId: eoc },
  };
}

/** An extension as ingest or `POST /api/responsibility/extension` records it. */
function extension(key: string, at: string, payload: Record<string, unknown>, departmentSor = MED_SOR): DomainEventRecord {
  seq += 1;
  return { id: `extension:${key}`, type: 'responsibility-extension', occurredAt: new Date(at), patientId: 'patient-1', stayKey: 'responsibility-extension', departmentSor, episodeOfCareId: undefined, headerId: key, payload };
}

const stin = (at = ADMITTED, o: FactOptions = {}): DomainEventRecord => fact('admission', 'STIN', 'h-stin', at, o);
const slhj = (at = DISCHARGED, o: FactOptions = {}): DomainEventRecord => fact('discharge', 'SLHJ', 'h-slhj', at, o);

const report = (o: Partial<MunicipalCareDocument> = {}): MunicipalCareDocument => ({
  reference: 'DocumentReference/udskr-1',
  type: 'udskrivningsrapport',
  episodeOfCareId: EOC,
  dischargeAt: new Date(DISCHARGED),
  date: new Date(DISCHARGED),
  ...o,
});

function facts(records: DomainEventRecord[], o: Partial<PatientFacts> = {}): PatientFacts {
  return { records, departments: new Map([[MED_SOR, MED]]), documents: [], careCommunicationExtension: DEFAULT_RESPONSIBILITY_RULES.careCommunicationExtension, ...o };
}

/** Maps, runs the engine and answers at `at`, as the service does. */
function ask(f: PatientFacts, at: string, gp: OrganizationUnit | undefined = GP): ResponsibilityApiAnswer {
  const mapped = toResponsibilityEvents(f);
  const p: PatientResponsibility = {
    patientId: 'patient-1',
    events: mapped.events,
    periods: computePeriods(mapped.events, DEFAULT_RESPONSIBILITY_RULES, gp),
    notes: mapped.notes,
    generalPractitioner: gp,
    generalPractitionerBasis: { kind: 'rule', id: 'gp-test', version: '1', note: 'the test GP' },
    sources: new Map(),
  };
  return answerAt(p, new Date(at));
}

const ids = (a: ResponsibilityApiAnswer): string[] => a.basis.map((b) => `${b.kind}:${b.id}`);
const notes = (a: ResponsibilityApiAnswer): string => a.basis.map((b) => b.note).join(' | ');

describe('an inpatient stay (STIN, SLHJ)', () => {
  it('when an udskrivningsrapport for the same episode of care is stored, then the department holds it 72 h, inferred', () => {
    const f = facts([stin(), slhj()], { documents: [report()] });
    const mapped = toResponsibilityEvents(f);
    expect(mapped.events).toEqual([
      { id: 'admission:h-stin:h-stin', type: 'admitted', at: new Date(ADMITTED), department: MED },
      {
        id: 'discharge:h-slhj:h-slhj',
        type: 'discharged',
        at: new Date(DISCHARGED),
        department: MED,
        somatic: true,
        receivesMunicipalCare: true,
        municipalCareInferred: true,
      },
    ]);
    const a = ask(f, '2026-03-03T09:45:30+01:00');
    expect(a).toMatchObject({
      holder: { kind: 'hospital-department', organization: { sor: MED_SOR, name: 'Hjerteafdelingen' }, telecom: MED.telecom },
      from: '2026-03-02T09:45:30.000+01:00',
      until: '2026-03-05T09:45:30.000+01:00',
      inferred: true,
    });
    expect(ids(a)).toEqual(expect.arrayContaining(['source:DocumentReference/udskr-1', 'rule:municipal-care-inferred', 'rule:somatic-assumed']));
    expect(notes(a)).toContain('for the same episode of care');
  });

  it('when no document matches, then the GP holds it from the discharge, not inferred, and the basis says the fact is unknown', () => {
    const a = ask(facts([stin(), slhj()]), '2026-03-03T09:45:30+01:00');
    expect(a).toMatchObject({ holder: { kind: 'general-practitioner', organization: { sor: GP.sor } }, from: '2026-03-02T09:45:30.000+01:00', until: null, inferred: false });
    expect(ids(a)).toContain('rule:municipal-care-unknown');
    expect(ids(a)).toContain('rule:gp-test');
  });

  it('when a document carries another episode-of-care id, then it does not match, however close in time', () => {
    const care = municipalCareFor({ at: new Date(DISCHARGED), episodeOfCareId: EOC }, [report({ episodeOfCareId: '00000000-0000-4000-8000-000000000001' })]);
    expect(care).toMatchObject({ receivesMunicipalCare: false, inferred: false });
  });

  it('when either side lacks an episode-of-care id, then a document whose discharge is within 48 h matches, and one beyond does not', () => {
    const at = new Date(DISCHARGED);
    const hours = (h: number): Date => new Date(at.getTime() + h * 3_600_000);
    expect(municipalCareFor({ at, episodeOfCareId: undefined }, [report({ dischargeAt: hours(48) })]).receivesMunicipalCare).toBe(true);
    expect(municipalCareFor({ at, episodeOfCareId: EOC }, [report({ episodeOfCareId: undefined, dischargeAt: hours(-48) })]).receivesMunicipalCare).toBe(true);
    expect(municipalCareFor({ at, episodeOfCareId: EOC }, [report({ episodeOfCareId: undefined, dischargeAt: hours(48.001) })]).receivesMunicipalCare).toBe(false);
    // Without an encounter end the document's own date decides (a plejeforløbsplan is written before the discharge).
    const plan = report({ type: 'plejeforloebsplan', episodeOfCareId: undefined, dischargeAt: undefined, date: hours(-30) });
    const care = municipalCareFor({ at, episodeOfCareId: undefined }, [plan]);
    expect(care).toMatchObject({ receivesMunicipalCare: true, inferred: true });
    expect(care.basis.map((b) => b.note).join(' ')).toContain('plejeforloebsplan sent to the municipality dated 2026-03-01T03:45:30.000+01:00');
  });

  it('when the window has run out, then the GP holds it from exactly its end', () => {
    const f = facts([stin(), slhj()], { documents: [report()] });
    expect(ask(f, '2026-03-05T09:45:29.999+01:00').holder.kind).toBe('hospital-department');
    const a = ask(f, '2026-03-05T09:45:30+01:00');
    expect(a).toMatchObject({ holder: { kind: 'general-practitioner' }, from: '2026-03-05T09:45:30.000+01:00', inferred: false });
  });

  it('when the discharge has no department SOR, then it starts no window and the basis says why', () => {
    const f = facts([stin(), slhj(DISCHARGED, { departmentSor: undefined })], { documents: [report()] });
    const mapped = toResponsibilityEvents(f);
    expect(mapped.events.map((e) => e.type)).toEqual(['admitted']);
    const a = ask(f, '2026-03-03T00:00:00+01:00');
    expect(a.holder.kind).toBe('none');
    expect(notes(a)).toContain("without the department’s SOR code");
  });
});

describe('acute ambulant stays, leave and death', () => {
  it('when an acute ambulant admission (STAA, EMER) comes inside the window, then the window goes on and the basis says why', () => {
    const staa = fact('admission', 'STAA', 'h-staa', '2026-03-03T10:00:00+01:00', { cls: 'EMER', stayKey: 'eoc:other', eoc: 'other' });
    const f = facts([stin(), slhj(), staa], { documents: [report()] });
    expect(toResponsibilityEvents(f).events.map((e) => e.type)).toEqual(['admitted', 'discharged']);
    const a = ask(f, '2026-03-03T12:00:00+01:00');
    expect(a.holder.kind).toBe('hospital-department');
    expect(ids(a)).toContain('source:admission:h-staa:h-staa');
    expect(notes(a)).toContain('does not end a window');
  });

  it('when an acute ambulant stay ends (SLHJ, EMER), then it starts no window', () => {
    const staa = fact('admission', 'STAA', 'h-staa', '2026-03-01T10:00:00+01:00', { cls: 'EMER' });
    const end = fact('discharge', 'SLHJ', 'h-end', '2026-03-02T22:00:00+01:00', { cls: 'EMER' });
    const f = facts([staa, end], { documents: [report({ dischargeAt: new Date('2026-03-02T22:00:00+01:00') })] });
    expect(toResponsibilityEvents(f).events).toEqual([]);
    const a = ask(f, '2026-03-03T12:00:00+01:00');
    expect(a).toMatchObject({ holder: { kind: 'none' }, from: null });
    expect(ids(a)).toEqual(['rule:before-first-discharge', 'source:admission:h-staa:h-staa', 'source:discharge:h-end:h-end']);
  });

  it('when the patient goes on leave and comes back, then no engine event comes of it', () => {
    const f = facts([stin(), fact('leave-start', 'STOR', 'h-stor', '2026-02-27T10:00:00+01:00'), fact('leave-end', 'SLOR', 'h-slor', '2026-02-27T18:00:00+01:00'), slhj()]);
    expect(toResponsibilityEvents(f).events.map((e) => e.type)).toEqual(['admitted', 'discharged']);
    expect(notes(ask(f, '2026-02-27T12:00:00+01:00'))).toContain('keeps responsibility during leave');
  });

  it('when the patient dies inside the window, then no one holds it from the death on', () => {
    const f = facts([stin(), slhj(), fact('death', 'MORS', 'h-mors', '2026-03-03T07:00:00+01:00', { stayKey: 'eoc:b', eoc: 'b' })], { documents: [report()] });
    const a = ask(f, '2026-03-03T08:00:00+01:00');
    expect(a).toMatchObject({ holder: { kind: 'none' }, from: '2026-03-03T07:00:00.000+01:00', until: null });
    expect(ids(a)).toContain('rule:death-ends-responsibility');
  });

  it('when a readmission (STIN) comes inside the window, then no one holds it under the rule', () => {
    const again = fact('admission', 'STIN', 'h-stin-2', '2026-03-03T10:00:00+01:00', { stayKey: 'eoc:c', eoc: 'c' });
    const a = ask(facts([stin(), slhj(), again], { documents: [report()] }), '2026-03-03T12:00:00+01:00');
    expect(a).toMatchObject({ holder: { kind: 'none' }, from: '2026-03-03T10:00:00.000+01:00' });
    expect(ids(a)).toContain('rule:readmission-ends-window');
  });
});

describe('cancellations and corrections', () => {
  it('when the discharge is cancelled (AN_SLHJ), then the patient is an inpatient again and no one holds it', () => {
    const cancel = fact('cancellation', 'SLHJ', 'h-slhj', DISCHARGED, { headerId: 'h-an' });
    const f = facts([stin(), slhj(), cancel], { documents: [report()] });
    const mapped = toResponsibilityEvents(f);
    expect(mapped.events.at(-1)).toEqual({ id: 'cancellation:h-slhj:h-an', type: 'corrected', at: new Date(DISCHARGED), targetId: 'discharge:h-slhj:h-slhj', enteredInError: true });
    const a = ask(f, '2026-03-03T09:45:30+01:00');
    expect(a).toMatchObject({ holder: { kind: 'none' }, from: null, until: null });
    expect(notes(a)).toContain('removes discharged "discharge:h-slhj:h-slhj" (entered in error)');
  });

  it('when a discharge is corrected twice, then only the latest correction counts and the window follows it', () => {
    const first = fact('correction', 'SLHJ', 'h-slhj', '2026-03-02T12:00:00+01:00', { headerId: 'h-re-1' });
    const second = fact('correction', 'SLHJ', 'h-slhj', '2026-03-02T08:00:00+01:00', { headerId: 'h-re-2' });
    const f = facts([stin(), slhj(), first, second], { documents: [report()] });
    const corrections = toResponsibilityEvents(f).events.filter((e) => e.type === 'corrected');
    expect(corrections).toHaveLength(1);
    expect(corrections[0]).toMatchObject({ id: 'correction:h-slhj:h-re-2', targetId: 'discharge:h-slhj:h-slhj', set: { at: new Date('2026-03-02T08:00:00+01:00') } });
    const a = ask(f, '2026-03-04T12:00:00+01:00');
    expect(a).toMatchObject({ holder: { kind: 'hospital-department' }, from: '2026-03-02T08:00:00.000+01:00', until: '2026-03-05T08:00:00.000+01:00' });
    expect(notes(a)).toContain('superseded by a later correction');
  });

  it('when a correction names another department, then that department holds the window', () => {
    const geri: OrganizationUnit = { sor: '265361000016004', name: 'Geriatrisk afdeling' };
    const moved = fact('correction', 'SLHJ', 'h-slhj', DISCHARGED, { headerId: 'h-re', departmentSor: geri.sor });
    const f = facts([stin(), slhj(), moved], { documents: [report()], departments: new Map([[MED_SOR, MED], [geri.sor, geri]]) });
    expect(ask(f, '2026-03-03T00:00:00+01:00').holder.organization).toEqual({ sor: geri.sor, name: 'Geriatrisk afdeling' });
  });

  it('when a corrected discharge moves away from the only document without an episode id, then the municipal-care fact follows', () => {
    const doc = report({ episodeOfCareId: undefined });
    const moved = fact('correction', 'SLHJ', 'h-slhj', '2026-03-06T09:45:30+01:00', { headerId: 'h-re', eoc: '' });
    const base = [stin(), slhj(DISCHARGED, { eoc: '' })].map((r) => ({ ...r, payload: { ...r.payload, episodeOfCareId: undefined } }));
    const f = facts([...base, { ...moved, payload: { ...moved.payload, episodeOfCareId: undefined } }], { documents: [doc] });
    const a = ask(f, '2026-03-06T12:00:00+01:00');
    expect(a).toMatchObject({ holder: { kind: 'general-practitioner' }, from: '2026-03-06T09:45:30.000+01:00' });
    // The basis holds the municipal-care fact of the corrected discharge only.
    expect(ids(a)).toContain('rule:municipal-care-unknown');
    expect(ids(a)).not.toContain('rule:municipal-care-inferred');
  });

  it('when an acute ambulant admission is cancelled, then nothing happens and the basis says so', () => {
    const staa = fact('admission', 'STAA', 'h-staa', '2026-03-03T10:00:00+01:00', { cls: 'EMER' });
    const cancel = fact('cancellation', 'STAA', 'h-staa', '2026-03-03T10:00:00+01:00', { headerId: 'h-an', cls: 'EMER' });
    const mapped = toResponsibilityEvents(facts([staa, cancel]));
    expect(mapped.events).toEqual([]);
    expect(mapped.notes.map((n) => n.entry.note).join(' ')).toContain('the cancelled event did not change responsibility');
  });
});

describe('what the engine does not see', () => {
  it('when the holding department sends a CareCommunication extended-care-responsibility, then the window runs 72 h from it and the answer says the end is inferred', () => {
    // Discharged 2 March 09:45:30 (+01:00), window to 5 March 09:45:30; the message on 4 March 12:00 moves it to 7 March 12:00.
    const f = facts([stin(), slhj(), extension('h-cc', '2026-03-04T12:00:00+01:00', { source: 'care-communication', communication: 'Communication/cc-1' })], { documents: [report()] });
    expect(toResponsibilityEvents(f).events.map((e) => e.type)).toEqual(['admitted', 'discharged', 'extended']);
    const a = ask(f, '2026-03-06T13:00:00+01:00');
    expect(a.holder.kind).toBe('hospital-department');
    expect(a.until).toBe('2026-03-07T12:00:00.000+01:00');
    expect(a.inferred).toBe(true);
    expect(ids(a)).toContain('rule:care-communication-extension');
    expect(notes(a)).toContain('Communication/cc-1');
    expect(ask(f, '2026-03-07T12:00:00+01:00').holder.kind).toBe('general-practitioner');
  });

  it('when another unit sends the CareCommunication, then the window is not extended', () => {
    const f = facts([stin(), slhj(), extension('h-cc', '2026-03-04T12:00:00+01:00', { source: 'care-communication', communication: 'Communication/cc-1' }, '330461000016004')], {
      documents: [report()],
    });
    const a = ask(f, '2026-03-04T13:00:00+01:00');
    expect(a.until).toBe('2026-03-05T09:45:30.000+01:00');
    expect(notes(a)).toContain('which does not hold the window');
  });

  it('when the department extends explicitly, then the window ends at the time it gave, with no configured length in the basis', () => {
    const f = facts([stin(), slhj(), extension('x-1', '2026-03-04T12:00:00+01:00', { source: 'api', until: '2026-03-06T08:00:00.000Z', clientId: 'herlev' })], { documents: [report()] });
    const a = ask(f, '2026-03-05T10:00:00+01:00');
    expect(a.until).toBe('2026-03-06T09:00:00.000+01:00');
    expect(ids(a)).not.toContain('rule:care-communication-extension');
    expect(notes(a)).toContain('extends the window from');
    expect(ask(f, '2026-03-06T09:00:00+01:00').holder.kind).toBe('general-practitioner');
  });

  it('when a stored extension is unreadable, then it is reported and extends nothing', () => {
    const bad = extension('x-2', '2026-03-04T12:00:00+01:00', { source: 'api', until: 42 });
    const mapped = toResponsibilityEvents(facts([stin(), slhj(), bad], { documents: [report()] }));
    expect(mapped.events.map((e) => e.type)).toEqual(['admitted', 'discharged']);
    expect(mapped.notes.map((n) => n.entry.note).join(' ')).toContain('an unreadable stored extension');
  });

  it('when a stored payload is not a stay fact, then it is reported and skipped', () => {
    const junk: DomainEventRecord = { ...stin(), id: 'junk', payload: { hello: 'world' } };
    const mapped = toResponsibilityEvents(facts([junk]));
    expect(mapped.events).toEqual([]);
    expect(mapped.notes[0]?.entry).toMatchObject({ kind: 'source', id: 'junk', note: 'an unreadable stored fact: ignored' });
  });

  it('when a DocumentReference is read, then its type, normalised episode id and discharge come out', () => {
    const doc = readMunicipalCareDocument({
      resourceType: 'DocumentReference',
      id: 'ref-1',
      status: 'current',
      type: { coding: [{ system: 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-document-type', code: 'plejeforloebsplan' }] },
      date: '2026-03-01T10:00:00.000Z',
      content: [{ attachment: {} }],
      context: { period: { start: '2026-02-25T08:00:00+01:00', end: DISCHARGED }, related: [{ identifier: { value: 'URN:UUID:82873E50325E40168A682934BDB2F66D' } }] },
    });
    expect(doc).toEqual({
      reference: 'DocumentReference/ref-1',
      type: 'plejeforloebsplan',
      episodeOfCareId: EOC,
      dischargeAt: new Date(DISCHARGED),
      date: new Date('2026-03-01T10:00:00.000Z'),
    });
    const epikrise = { resourceType: 'DocumentReference', id: 'e', status: 'current', content: [], type: { coding: [{ system: 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-document-type', code: 'epikrise' }] } } as const;
    expect(readMunicipalCareDocument(epikrise as unknown as fhir4.DocumentReference)).toBeUndefined();
  });
});

describe('the partition guard of the report', () => {
  const holder = { kind: 'none' as const, organization: null, telecom: [] };
  const period = (from: string | null, until: string | null): ResponsibilityPeriod => ({
    holder,
    from: from === null ? null : new Date(from),
    until: until === null ? null : new Date(until),
    inferred: false,
    basis: [],
  });

  it("when the engine's periods are checked, then they partition the timeline", () => {
    const mapped = toResponsibilityEvents(facts([stin(), slhj(), fact('death', 'MORS', 'h-mors', '2026-03-03T07:00:00+01:00')], { documents: [report()] }));
    const periods = computePeriods(mapped.events, DEFAULT_RESPONSIBILITY_RULES, GP);
    expect(periods.length).toBeGreaterThan(2);
    expect(findPeriodConflicts(periods)).toEqual([]);
  });

  it('when two periods overlap or leave a gap, then each pair is reported', () => {
    const overlap = [period(null, '2026-03-02T10:00:00Z'), period('2026-03-02T09:00:00Z', null)];
    expect(findPeriodConflicts(overlap).map((c) => c.kind)).toEqual(['overlap']);
    const gap = [period(null, '2026-03-02T10:00:00Z'), period('2026-03-02T11:00:00Z', null)];
    expect(findPeriodConflicts(gap).map((c) => c.kind)).toEqual(['gap']);
    const openTwice = [period(null, null), period('2026-03-02T11:00:00Z', null)];
    expect(findPeriodConflicts(openTwice).map((c) => c.kind)).toEqual(['overlap']);
  });
});
