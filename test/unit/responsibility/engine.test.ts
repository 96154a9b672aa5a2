import { describe, expect, it } from 'vitest';
import {
  applyCorrections,
  computePeriods,
  DEFAULT_RESPONSIBILITY_RULES,
  formatCopenhagenInstant,
  parseEvents,
  parseResponsibilityRules,
  responsibilityAt,
  withDefaultRegion,
  type OrganizationUnit,
  type ResponsibilityAnswer,
  type ResponsibilityRules,
} from '../../../src/responsibility/index.ts';

// Every expected time below is worked out by hand from the rules: 72 (or 96) elapsed hours after
// the discharge instant, written on the Copenhagen wall clock with the offset in force then.

const MED = { sor: '265351000016007', name: 'Medicinsk afdeling', telecom: [{ system: 'phone', value: '+4538620000' }] };
const GERI = { sor: '265361000016004', name: 'Geriatrisk afdeling' };
const GP: OrganizationUnit = { sor: '1017421000016003', name: 'Lægehuset Østerbro', telecom: [{ system: 'phone', value: '+4535350000' }] };

const admitted = (at: string, id = 'a1'): object => ({ id, type: 'admitted', at });
const discharged = (at: string, extra: object = {}, id = 'd1'): object => ({
  id,
  type: 'discharged',
  at,
  department: MED,
  receivesMunicipalCare: true,
  somatic: true,
  ...extra,
});
const readmitted = (at: string, id = 'r1', department: object = GERI): object => ({ id, type: 'readmitted', at, department });
const died = (at: string, id = 'm1'): object => ({ id, type: 'died', at });
const extended = (at: string, until: string, id = 'x1'): object => ({ id, type: 'extended', at, until });
const cancels = (targetId: string, id = 'c1', at = '2024-03-20T09:00:00+01:00'): object => ({ id, type: 'corrected', at, targetId, enteredInError: true });
const corrects = (targetId: string, set: object, id = 'c1', at = '2024-03-20T09:00:00+01:00'): object => ({ id, type: 'corrected', at, targetId, set });

/** `gp: null` runs without a named GP (the plain-list input). */
function answerAt(events: object[], at: string, rules: ResponsibilityRules = DEFAULT_RESPONSIBILITY_RULES, gp: OrganizationUnit | null = GP): ResponsibilityAnswer {
  return responsibilityAt(computePeriods(parseEvents(events), rules, gp ?? undefined), new Date(at));
}

const basisRef = (a: ResponsibilityAnswer): string[] => a.basis.map((b) => `${b.kind}:${b.id}`);
const noteOf = (a: ResponsibilityAnswer, id: string): string => a.basis.filter((b) => b.id === id).map((b) => b.note).join(' | ');

/** The usual stay: admitted 1 March 08:00, discharged 4 March 10:00 (74 h), so the window ends 7 March 10:00. */
const STAY = [admitted('2024-03-01T08:00:00+01:00'), discharged('2024-03-04T10:00:00+01:00')];

const MED_HOLDER = { kind: 'hospital-department', organization: { sor: MED.sor, name: MED.name }, telecom: MED.telecom };
const GP_HOLDER = { kind: 'general-practitioner', organization: { sor: GP.sor, name: GP.name }, telecom: GP.telecom };
const NONE_HOLDER = { kind: 'none', organization: null, telecom: [] };

describe('before the first discharge', () => {
  it('when there are no events, then no holder is named, from and until open', () => {
    const a = answerAt([], '2024-03-05T12:00:00+01:00');
    expect(a).toMatchObject({ holder: NONE_HOLDER, from: null, until: null, inferred: false });
    expect(basisRef(a)).toEqual(['rule:before-first-discharge']);
  });

  it('when only an admission is known, then still no holder', () => {
    expect(answerAt([admitted('2024-03-01T08:00:00+01:00')], '2024-03-02T12:00:00+01:00').holder).toEqual(NONE_HOLDER);
  });

  it('when asked a millisecond before the discharge, then none until the discharge', () => {
    const a = answerAt(STAY, '2024-03-04T09:59:59.999+01:00');
    expect(a).toMatchObject({ holder: NONE_HOLDER, from: null, until: '2024-03-04T10:00:00.000+01:00' });
    expect(basisRef(a)).toContain('event:d1');
  });
});

describe('eligible discharge', () => {
  it('when somatic, to municipal nursing and 74 h admitted, then the department holds it for 72 h', () => {
    const a = answerAt(STAY, '2024-03-05T12:00:00+01:00');
    expect(a).toEqual({
      holder: MED_HOLDER,
      from: '2024-03-04T10:00:00.000+01:00',
      until: '2024-03-07T10:00:00.000+01:00',
      inferred: false,
      basis: expect.any(Array) as unknown,
    });
    expect(basisRef(a)).toEqual(['event:d1', 'event:a1', 'rule:hovedstaden.window.2022-02-01', 'rule:minimum-stay']);
    expect(a.basis[2]).toMatchObject({ kind: 'rule', version: '1' });
    expect(noteOf(a, 'a1')).toContain('stay of 74 h');
    expect(a.basis[0]).toMatchObject({ kind: 'event', type: 'discharged', at: '2024-03-04T10:00:00.000+01:00' });
  });

  it('when the admission lasted exactly 24 h, then it counts', () => {
    const a = answerAt([admitted('2024-03-03T10:00:00+01:00'), discharged('2024-03-04T10:00:00+01:00')], '2024-03-05T00:00:00+01:00');
    expect(a.holder.kind).toBe('hospital-department');
    expect(a.until).toBe('2024-03-07T10:00:00.000+01:00');
  });

  it('when the admission time is unknown, then the discharge counts and the basis says why', () => {
    const a = answerAt([discharged('2024-03-04T10:00:00+01:00')], '2024-03-05T00:00:00+01:00');
    expect(a.holder.kind).toBe('hospital-department');
    expect(noteOf(a, 'd1')).toContain('length of stay unknown');
  });

  it('when the only admission precedes an earlier discharge, then the later discharge has an unknown stay', () => {
    const events = [admitted('2024-03-01T08:00:00+01:00'), discharged('2024-03-04T10:00:00+01:00', { somatic: false }), discharged('2024-03-04T12:00:00+01:00', {}, 'd2')];
    const a = answerAt(events, '2024-03-05T00:00:00+01:00');
    expect(a).toMatchObject({ holder: MED_HOLDER, from: '2024-03-04T12:00:00.000+01:00', until: '2024-03-07T12:00:00.000+01:00' });
    expect(noteOf(a, 'd2')).toContain('length of stay unknown');
  });
});

describe('non-eligible discharge: the GP from the discharge on, and the basis names the failed condition', () => {
  const at = '2024-03-05T12:00:00+01:00';

  it('when the stay is not somatic, then the GP holds it', () => {
    const a = answerAt([STAY[0] as object, discharged('2024-03-04T10:00:00+01:00', { somatic: false })], at);
    expect(a).toMatchObject({ holder: GP_HOLDER, from: '2024-03-04T10:00:00.000+01:00', until: null, inferred: false });
    expect(noteOf(a, 'd1')).toBe('not an eligible discharge: not a somatic stay');
    expect(basisRef(a)).toContain('rule:general-practitioner-outside-window');
  });

  it('when the patient is not discharged to municipal nursing, then the GP holds it', () => {
    const a = answerAt([STAY[0] as object, discharged('2024-03-04T10:00:00+01:00', { receivesMunicipalCare: false })], at);
    expect(a.holder).toEqual(GP_HOLDER);
    expect(noteOf(a, 'd1')).toBe('not an eligible discharge: not discharged to municipal nursing');
  });

  it('when the stay is 23.5 h, then it is too short', () => {
    const a = answerAt([admitted('2024-03-03T10:30:00+01:00'), discharged('2024-03-04T10:00:00+01:00')], at);
    expect(a.holder).toEqual(GP_HOLDER);
    expect(noteOf(a, 'd1')).toBe('not an eligible discharge: stay of 23.5 h is shorter than 24 h');
  });

  it('when the stay is one millisecond short of 24 h, then it is too short', () => {
    const a = answerAt([admitted('2024-03-03T10:00:00.001+01:00'), discharged('2024-03-04T10:00:00+01:00')], at);
    expect(a.holder.kind).toBe('general-practitioner');
  });

  it('when 24 wall-clock hours span the spring DST change, then only 23 hours elapsed and the stay is too short', () => {
    const a = answerAt([admitted('2024-03-30T10:00:00+01:00'), discharged('2024-03-31T10:00:00+02:00')], '2024-03-31T12:00:00+02:00');
    expect(a.holder.kind).toBe('general-practitioner');
    expect(noteOf(a, 'd1')).toContain('stay of 23 h is shorter than 24 h');
  });

  it('when every condition fails, then each is listed', () => {
    const a = answerAt([admitted('2024-03-04T08:00:00+01:00'), discharged('2024-03-04T10:00:00+01:00', { somatic: false, receivesMunicipalCare: false })], at);
    expect(noteOf(a, 'd1')).toBe('not an eligible discharge: not a somatic stay; not discharged to municipal nursing; stay of 2 h is shorter than 24 h');
  });

  it('when no GP is given, then the GP holder has no organization', () => {
    const a = answerAt([discharged('2024-03-04T10:00:00+01:00', { somatic: false })], at, DEFAULT_RESPONSIBILITY_RULES, null);
    expect(a.holder).toEqual({ kind: 'general-practitioner', organization: null, telecom: [] });
  });
});

describe('inferred municipal nursing', () => {
  const at = '2024-03-05T12:00:00+01:00';

  it('when the eligible discharge rests on an inferred municipal-care fact, then the answer is inferred', () => {
    const a = answerAt([STAY[0] as object, discharged('2024-03-04T10:00:00+01:00', { municipalCareInferred: true })], at);
    expect(a).toMatchObject({ holder: MED_HOLDER, inferred: true });
    expect(noteOf(a, 'd1')).toContain('municipal nursing inferred');
  });

  it('when the inferred fact is the only reason for the GP, then the GP answer is inferred too', () => {
    const a = answerAt([STAY[0] as object, discharged('2024-03-04T10:00:00+01:00', { municipalCareInferred: true, receivesMunicipalCare: false })], at);
    expect(a).toMatchObject({ holder: GP_HOLDER, inferred: true });
  });

  it('when another condition fails as well, then the GP answer does not rest on the inference', () => {
    const a = answerAt([STAY[0] as object, discharged('2024-03-04T10:00:00+01:00', { municipalCareInferred: true, receivesMunicipalCare: false, somatic: false })], at);
    expect(a).toMatchObject({ holder: GP_HOLDER, inferred: false });
  });

  it('when the window has ended, then the GP answer is not inferred', () => {
    const a = answerAt([STAY[0] as object, discharged('2024-03-04T10:00:00+01:00', { municipalCareInferred: true })], '2024-03-08T00:00:00+01:00');
    expect(a).toMatchObject({ holder: GP_HOLDER, inferred: false });
  });
});

describe('window edges: half-open', () => {
  it('when asked at exactly the discharge, then the department holds it', () => {
    expect(answerAt(STAY, '2024-03-04T10:00:00+01:00').holder).toEqual(MED_HOLDER);
  });

  it('when asked at the last millisecond of the window, then the department still holds it', () => {
    expect(answerAt(STAY, '2024-03-07T09:59:59.999+01:00').holder).toEqual(MED_HOLDER);
  });

  it('when asked at exactly the end, then the GP holds it from the end, open-ended', () => {
    const a = answerAt(STAY, '2024-03-07T10:00:00+01:00');
    expect(a).toMatchObject({ holder: GP_HOLDER, from: '2024-03-07T10:00:00.000+01:00', until: null, inferred: false });
    expect(basisRef(a)).toEqual(['event:d1', 'event:a1', 'rule:hovedstaden.window.2022-02-01', 'rule:minimum-stay', 'rule:general-practitioner-outside-window']);
    expect(noteOf(a, 'general-practitioner-outside-window')).toContain('the window ended at 2024-03-07T10:00:00.000+01:00');
  });

  it('when the same instant is written in UTC, then the answer is the same', () => {
    expect(answerAt(STAY, '2024-03-07T09:00:00Z').holder).toEqual(GP_HOLDER);
    expect(answerAt(STAY, '2024-03-07T08:59:59.999Z').holder).toEqual(MED_HOLDER);
  });
});

describe('readmission', () => {
  // Readmitted 5 March 12:00 to the geriatric department, discharged again 8 March 12:00 (72 h stay).
  const INSIDE = [...STAY, readmitted('2024-03-05T12:00:00+01:00'), discharged('2024-03-08T12:00:00+01:00', { department: GERI }, 'd2')];

  it('when readmitted inside the window, then the window ends at the readmission', () => {
    const a = answerAt(INSIDE, '2024-03-05T11:59:59.999+01:00');
    expect(a).toMatchObject({ holder: MED_HOLDER, from: '2024-03-04T10:00:00.000+01:00', until: '2024-03-05T12:00:00.000+01:00' });
    expect(basisRef(a)).toContain('event:r1');
  });

  it('when the patient is an inpatient again, then no holder until the next discharge', () => {
    for (const at of ['2024-03-05T12:00:00+01:00', '2024-03-07T10:30:00+01:00']) {
      const a = answerAt(INSIDE, at);
      expect(a).toMatchObject({ holder: NONE_HOLDER, from: '2024-03-05T12:00:00.000+01:00', until: '2024-03-08T12:00:00.000+01:00' });
      expect(basisRef(a)).toEqual(['event:r1', 'rule:readmission-ends-window', 'event:d2']);
    }
  });

  it('when the later discharge is eligible, then a new window starts for the new department', () => {
    const a = answerAt(INSIDE, '2024-03-10T00:00:00+01:00');
    expect(a).toMatchObject({
      holder: { kind: 'hospital-department', organization: { sor: GERI.sor, name: GERI.name }, telecom: [] },
      from: '2024-03-08T12:00:00.000+01:00',
      until: '2024-03-11T12:00:00.000+01:00',
    });
    expect(noteOf(a, 'r1')).toContain('stay of 72 h');
    expect(answerAt(INSIDE, '2024-03-11T12:00:00+01:00').holder).toEqual(GP_HOLDER);
  });

  it('when the readmission is short (8 h), then its discharge is not eligible and the GP holds it', () => {
    const events = [...STAY, readmitted('2024-03-05T12:00:00+01:00'), discharged('2024-03-05T20:00:00+01:00', { department: GERI }, 'd2')];
    const a = answerAt(events, '2024-03-06T00:00:00+01:00');
    expect(a).toMatchObject({ holder: GP_HOLDER, from: '2024-03-05T20:00:00.000+01:00', until: null });
    expect(noteOf(a, 'd2')).toBe('not an eligible discharge: stay of 8 h is shorter than 24 h');
  });

  it('when readmitted after the window, then the GP held it until the readmission, none during the stay, then a new window', () => {
    const events = [...STAY, readmitted('2024-03-10T08:00:00+01:00'), discharged('2024-03-12T08:00:00+01:00', { department: GERI }, 'd2')];
    expect(answerAt(events, '2024-03-09T00:00:00+01:00')).toMatchObject({ holder: GP_HOLDER, from: '2024-03-07T10:00:00.000+01:00', until: '2024-03-10T08:00:00.000+01:00' });
    expect(answerAt(events, '2024-03-11T00:00:00+01:00')).toMatchObject({ holder: NONE_HOLDER, from: '2024-03-10T08:00:00.000+01:00', until: '2024-03-12T08:00:00.000+01:00' });
    expect(answerAt(events, '2024-03-13T00:00:00+01:00')).toMatchObject({ from: '2024-03-12T08:00:00.000+01:00', until: '2024-03-15T08:00:00.000+01:00' });
  });

  it('when an admitted event follows a discharge, then it ends the window like a readmission', () => {
    const a = answerAt([...STAY, admitted('2024-03-05T12:00:00+01:00', 'a2')], '2024-03-06T00:00:00+01:00');
    expect(a).toMatchObject({ holder: NONE_HOLDER, from: '2024-03-05T12:00:00.000+01:00', until: null });
  });
});

describe('death', () => {
  it('when the patient dies inside the window, then the window ends at death and no holder from then on', () => {
    const events = [...STAY, died('2024-03-05T03:00:00+01:00')];
    expect(answerAt(events, '2024-03-05T02:59:59.999+01:00')).toMatchObject({ holder: MED_HOLDER, until: '2024-03-05T03:00:00.000+01:00' });
    for (const at of ['2024-03-05T03:00:00+01:00', '2024-03-07T10:00:00+01:00', '2025-01-01T00:00:00+01:00']) {
      const a = answerAt(events, at);
      expect(a).toMatchObject({ holder: NONE_HOLDER, from: '2024-03-05T03:00:00.000+01:00', until: null });
      expect(basisRef(a)).toEqual(['event:m1', 'rule:death-ends-responsibility']);
    }
  });

  it('when the patient dies after the window, then the GP held it until death', () => {
    const events = [...STAY, died('2024-03-09T15:00:00+01:00')];
    expect(answerAt(events, '2024-03-08T00:00:00+01:00')).toMatchObject({ holder: GP_HOLDER, from: '2024-03-07T10:00:00.000+01:00', until: '2024-03-09T15:00:00.000+01:00' });
    expect(answerAt(events, '2024-03-10T00:00:00+01:00')).toMatchObject({ holder: NONE_HOLDER, from: '2024-03-09T15:00:00.000+01:00' });
  });

  it('when events follow death, then they do not revive the patient and the basis shows them ignored', () => {
    const events = [...STAY, died('2024-03-05T03:00:00+01:00'), readmitted('2024-03-06T08:00:00+01:00'), discharged('2024-03-08T08:00:00+01:00', {}, 'd2')];
    const a = answerAt(events, '2024-03-09T00:00:00+01:00');
    expect(a).toMatchObject({ holder: NONE_HOLDER, from: '2024-03-05T03:00:00.000+01:00', until: null });
    expect(noteOf(a, 'r1')).toBe('after death: ignored');
    expect(noteOf(a, 'd2')).toBe('after death: ignored');
  });
});

describe('extension', () => {
  it('when the hospital extends inside the window, then the window ends later', () => {
    const events = [...STAY, extended('2024-03-06T09:00:00+01:00', '2024-03-08T10:00:00+01:00')];
    const a = answerAt(events, '2024-03-07T12:00:00+01:00');
    expect(a).toMatchObject({ holder: MED_HOLDER, from: '2024-03-04T10:00:00.000+01:00', until: '2024-03-08T10:00:00.000+01:00' });
    expect(noteOf(a, 'x1')).toBe('extends the window from 2024-03-07T10:00:00.000+01:00 to 2024-03-08T10:00:00.000+01:00');
    expect(answerAt(events, '2024-03-08T10:00:00+01:00')).toMatchObject({ holder: GP_HOLDER, from: '2024-03-08T10:00:00.000+01:00' });
  });

  it('when an extension would shorten the window, then it is recorded and ignored', () => {
    for (const until of ['2024-03-06T12:00:00+01:00', '2024-03-07T10:00:00+01:00']) {
      const a = answerAt([...STAY, extended('2024-03-05T09:00:00+01:00', until)], '2024-03-06T13:00:00+01:00');
      expect(a.until).toBe('2024-03-07T10:00:00.000+01:00');
      expect(noteOf(a, 'x1')).toMatch(/would not lengthen the window .*: ignored$/);
    }
  });

  it('when an extension arrives after the window ended, then it is recorded and ignored', () => {
    const a = answerAt([...STAY, extended('2024-03-07T11:00:00+01:00', '2024-03-09T10:00:00+01:00')], '2024-03-08T00:00:00+01:00');
    expect(a).toMatchObject({ holder: GP_HOLDER, from: '2024-03-07T10:00:00.000+01:00', until: null });
    expect(noteOf(a, 'x1')).toContain('the window had already ended: ignored');
  });

  it('when an extension arrives at exactly the end, then the window is already over', () => {
    const a = answerAt([...STAY, extended('2024-03-07T10:00:00+01:00', '2024-03-09T10:00:00+01:00')], '2024-03-07T10:00:00+01:00');
    expect(a.holder).toEqual(GP_HOLDER);
  });

  it('when a second extension comes after the original end but inside the extended window, then it applies', () => {
    const events = [...STAY, extended('2024-03-06T09:00:00+01:00', '2024-03-08T10:00:00+01:00'), extended('2024-03-08T09:00:00+01:00', '2024-03-09T10:00:00+01:00', 'x2')];
    expect(answerAt(events, '2024-03-08T12:00:00+01:00')).toMatchObject({ holder: MED_HOLDER, until: '2024-03-09T10:00:00.000+01:00' });
  });

  it('when the extension names the holding department, then it applies; when it names another unit, then it is ignored', () => {
    const byHolder = { ...extended('2024-03-06T09:00:00+01:00', '2024-03-08T10:00:00+01:00'), department: MED.sor };
    expect(answerAt([...STAY, byHolder], '2024-03-07T12:00:00+01:00').until).toBe('2024-03-08T10:00:00.000+01:00');
    const byOther = { ...extended('2024-03-06T09:00:00+01:00', '2024-03-08T10:00:00+01:00'), department: { sor: GERI.sor } };
    const a = answerAt([...STAY, byOther], '2024-03-06T12:00:00+01:00');
    expect(a.until).toBe('2024-03-07T10:00:00.000+01:00');
    expect(noteOf(a, 'x1')).toBe(`extension by ${GERI.sor}, which does not hold the window (${MED.sor}): ignored`);
  });

  it('when the extension\'s end is the configured length rather than sent, then the window is answered as inferred from then on', () => {
    const events = [...parseEvents(STAY), { id: 'x1', type: 'extended' as const, at: new Date('2024-03-06T09:00:00+01:00'), until: new Date('2024-03-08T10:00:00+01:00'), inferred: true }];
    const a = responsibilityAt(computePeriods(events, DEFAULT_RESPONSIBILITY_RULES, GP), new Date('2024-03-07T12:00:00+01:00'));
    expect(a).toMatchObject({ holder: MED_HOLDER, until: '2024-03-08T10:00:00.000+01:00', inferred: true });
    expect(noteOf(a, 'x1')).toContain('(the end is the configured extension length, not sent)');
    // Without the flag, the same stay (municipal care given as a fact) is not inferred.
    expect(answerAt([...STAY, extended('2024-03-06T09:00:00+01:00', '2024-03-08T10:00:00+01:00')], '2024-03-07T12:00:00+01:00').inferred).toBe(false);
  });

  it('when the extension has a department that is not a SOR code or unit, then the input is refused with its path', () => {
    expect(() => parseEvents([...STAY, { ...extended('2024-03-06T09:00:00+01:00', '2024-03-08T10:00:00+01:00'), department: 42 }])).toThrow('events[2].department');
  });

  it('when an extension comes before any discharge, then it is ignored', () => {
    const a = answerAt([extended('2024-03-01T09:00:00+01:00', '2024-03-09T10:00:00+01:00'), ...STAY], '2024-03-02T00:00:00+01:00');
    expect(a.holder).toEqual(NONE_HOLDER);
    expect(noteOf(a, 'x1')).toContain('no window is current: ignored');
    expect(answerAt([extended('2024-03-01T09:00:00+01:00', '2024-03-09T10:00:00+01:00'), ...STAY], '2024-03-07T10:00:00+01:00').holder).toEqual(GP_HOLDER);
  });
});

describe('corrections', () => {
  it('when the discharge is cancelled (entered in error), then no discharge is known and the basis says why', () => {
    const a = answerAt([...STAY, cancels('d1')], '2024-03-05T12:00:00+01:00');
    expect(a).toMatchObject({ holder: NONE_HOLDER, from: null, until: null });
    expect(noteOf(a, 'c1')).toBe('removes discharged "d1" (entered in error)');
  });

  it('when the discharge time is corrected, then the window moves retroactively', () => {
    const events = [...STAY, corrects('d1', { at: '2024-03-04T16:00:00+01:00' })];
    const a = answerAt(events, '2024-03-07T12:00:00+01:00');
    expect(a).toMatchObject({ holder: MED_HOLDER, from: '2024-03-04T16:00:00.000+01:00', until: '2024-03-07T16:00:00.000+01:00' });
    expect(noteOf(a, 'c1')).toBe('sets at on discharged "d1"');
    expect(noteOf(a, 'a1')).toContain('stay of 80 h');
    // Asked before the correction was made: corrections apply retroactively all the same.
    expect(answerAt(events, '2024-03-04T12:00:00+01:00').holder).toEqual(NONE_HOLDER);
  });

  it('when the discharging department is corrected, then the holder is the corrected department', () => {
    const a = answerAt([...STAY, corrects('d1', { department: GERI })], '2024-03-05T12:00:00+01:00');
    expect(a.holder).toEqual({ kind: 'hospital-department', organization: { sor: GERI.sor, name: GERI.name }, telecom: [] });
  });

  it('when a correction makes the stay 23 h, then the discharge is no longer eligible', () => {
    const a = answerAt([...STAY, corrects('d1', { at: '2024-03-02T07:00:00+01:00' })], '2024-03-03T00:00:00+01:00');
    expect(a).toMatchObject({ holder: GP_HOLDER, from: '2024-03-02T07:00:00.000+01:00' });
  });

  it('when a correction is itself cancelled, then the original stands', () => {
    const events = [...STAY, corrects('d1', { at: '2024-03-04T16:00:00+01:00' }), cancels('c1', 'c2')];
    const a = answerAt(events, '2024-03-05T00:00:00+01:00');
    expect(a).toMatchObject({ from: '2024-03-04T10:00:00.000+01:00', until: '2024-03-07T10:00:00.000+01:00' });
    expect(noteOf(a, 'c2')).toBe('removes corrected "c1" (entered in error)');
  });

  it('when a correction is itself corrected, then the amended value applies', () => {
    const events = [...STAY, corrects('d1', { at: '2024-03-04T16:00:00+01:00' }), corrects('c1', { at: '2024-03-04T18:00:00+01:00' }, 'c2')];
    const a = answerAt(events, '2024-03-05T00:00:00+01:00');
    expect(a).toMatchObject({ from: '2024-03-04T18:00:00.000+01:00', until: '2024-03-07T18:00:00.000+01:00' });
    expect(basisRef(a)).toEqual(expect.arrayContaining(['event:c1', 'event:c2']) as unknown);
  });

  it('when a cancellation of a discharge is itself cancelled, then the discharge is back', () => {
    const a = answerAt([...STAY, cancels('d1'), cancels('c1', 'c2')], '2024-03-05T00:00:00+01:00');
    expect(a.holder).toEqual(MED_HOLDER);
  });

  it('when two corrections target one event, then they apply in their own time order, not input order', () => {
    const events = [...STAY, corrects('d1', { at: '2024-03-04T12:00:00+01:00' }, 'c1', '2024-03-10T09:00:00+01:00'), corrects('d1', { at: '2024-03-04T14:00:00+01:00' }, 'c2', '2024-03-09T09:00:00+01:00')];
    expect(answerAt(events, '2024-03-05T00:00:00+01:00').from).toBe('2024-03-04T12:00:00.000+01:00');
  });

  it('when a correction targets an unknown event, then it is reported in the basis and nothing else changes', () => {
    const a = answerAt([...STAY, corrects('nope', { somatic: false }, 'c9')], '2024-03-05T00:00:00+01:00');
    expect(a).toMatchObject({ holder: MED_HOLDER, until: '2024-03-07T10:00:00.000+01:00' });
    expect(noteOf(a, 'c9')).toBe('targets "nope", which is not a known event: ignored');
  });

  it('when a correction sets a field the target does not have, then that field is reported and ignored', () => {
    const a = answerAt([...STAY, corrects('d1', { until: '2024-03-09T10:00:00+01:00', somatic: false })], '2024-03-05T00:00:00+01:00');
    expect(a.holder).toEqual(GP_HOLDER);
    expect(noteOf(a, 'c1')).toBe('sets somatic on discharged "d1"; until not applicable to discharged: ignored');
  });

  it('when the readmission is cancelled, then the first window stands to its end', () => {
    const events = [...STAY, readmitted('2024-03-05T12:00:00+01:00'), cancels('r1')];
    expect(answerAt(events, '2024-03-06T00:00:00+01:00')).toMatchObject({ holder: MED_HOLDER, until: '2024-03-07T10:00:00.000+01:00' });
  });

  it('when corrections target each other in a cycle, then both are reported and ignored', () => {
    const events = [...STAY, corrects('c2', { somatic: false }, 'c1'), corrects('c1', { somatic: false }, 'c2')];
    const a = answerAt(events, '2024-03-05T00:00:00+01:00');
    expect(a.holder).toEqual(MED_HOLDER);
    expect(noteOf(a, 'c1')).toContain('part of a cycle');
    expect(noteOf(a, 'c2')).toContain('part of a cycle');
  });

  it('applyCorrections orders the timeline by at, ties by input order, and leaves corrections out', () => {
    const result = applyCorrections(
      parseEvents([
        discharged('2024-03-04T10:00:00+01:00'),
        admitted('2024-03-01T08:00:00+01:00'),
        readmitted('2024-03-04T10:00:00+01:00'),
        corrects('a1', { at: '2024-03-01T09:00:00+01:00' }),
      ]),
    );
    expect(result.events.map((e) => e.event.id)).toEqual(['a1', 'd1', 'r1']);
    expect(result.events[0]?.event.at.toISOString()).toBe('2024-03-01T08:00:00.000Z');
    expect(result.events[0]?.corrections.map((b) => b.id)).toEqual(['c1']);
    expect(result.notes).toEqual([]);
  });
});

describe('daylight saving: 72 elapsed hours, so the local end moves by an hour', () => {
  it('when the window spans the spring change (31 March 2024), then it ends at 11:00 summer time', () => {
    const events = [discharged('2024-03-29T10:00:00+01:00')];
    expect(answerAt(events, '2024-03-30T12:00:00+01:00').until).toBe('2024-04-01T11:00:00.000+02:00');
    expect(answerAt(events, '2024-04-01T10:59:59.999+02:00').holder).toEqual(MED_HOLDER);
    expect(answerAt(events, '2024-04-01T11:00:00+02:00')).toMatchObject({ holder: GP_HOLDER, from: '2024-04-01T11:00:00.000+02:00' });
  });

  it('when the window spans the autumn change (27 October 2024), then it ends at 09:00 winter time', () => {
    const events = [discharged('2024-10-25T10:00:00+02:00')];
    const a = answerAt(events, '2024-10-26T12:00:00+02:00');
    expect(a).toMatchObject({ from: '2024-10-25T10:00:00.000+02:00', until: '2024-10-28T09:00:00.000+01:00' });
    expect(answerAt(events, '2024-10-28T08:59:59.999+01:00').holder).toEqual(MED_HOLDER);
    expect(answerAt(events, '2024-10-28T09:00:00+01:00').holder).toEqual(GP_HOLDER);
  });
});

describe('96 hours', () => {
  const hovedstaden96 = parseResponsibilityRules({
    regions: {
      hovedstaden: [
        { id: 'hovedstaden.window.2022-02-01', version: '1', effectiveFrom: '2022-02-01', hours: 72 },
        { id: 'hovedstaden.window.2026-01-01', version: '2', effectiveFrom: '2026-01-01', hours: 96 },
      ],
    },
  });

  it('when Hovedstaden is configured with 96 h from 2026, then a 2026 discharge gets 96 h and cites that rule', () => {
    const a = answerAt([discharged('2026-02-02T10:00:00+01:00')], '2026-02-05T12:00:00+01:00', hovedstaden96);
    expect(a).toMatchObject({ holder: MED_HOLDER, until: '2026-02-06T10:00:00.000+01:00' });
    expect(a.basis).toContainEqual({ kind: 'rule', id: 'hovedstaden.window.2026-01-01', version: '2', note: '96 h window for discharges in hovedstaden from 2026-01-01' });
  });

  it('when the same 2026 discharge runs on the defaults, then it is 72 h', () => {
    expect(answerAt([discharged('2026-02-02T10:00:00+01:00')], '2026-02-03T00:00:00+01:00').until).toBe('2026-02-05T10:00:00.000+01:00');
    expect(answerAt([discharged('2025-12-31T10:00:00+01:00')], '2026-01-01T00:00:00+01:00', hovedstaden96).until).toBe('2026-01-03T10:00:00.000+01:00');
  });

  it('when a discharge names Sjælland after its move to 96 h, then the window is 96 h', () => {
    const a = answerAt([discharged('2025-03-03T10:00:00+01:00', { region: 'sjaelland' })], '2025-03-04T00:00:00+01:00');
    expect(a.until).toBe('2025-03-07T10:00:00.000+01:00');
    expect(basisRef(a)).toContain('rule:sjaelland.window.2025-01-01');
  });

  it('when a Sjælland discharge is before the move, then the window is 72 h', () => {
    expect(answerAt([discharged('2024-03-04T10:00:00+01:00', { region: 'sjaelland' })], '2024-03-05T00:00:00+01:00').until).toBe('2024-03-07T10:00:00.000+01:00');
  });

  it('when the discharge is just after midnight local time but still 31 Dec in UTC, then the local date picks the rule', () => {
    const newYear = answerAt([discharged('2025-01-01T00:30:00+01:00', { region: 'sjaelland' })], '2025-01-02T00:00:00+01:00');
    expect(newYear.until).toBe('2025-01-05T00:30:00.000+01:00');
    const eve = answerAt([discharged('2024-12-31T23:30:00+01:00', { region: 'sjaelland' })], '2025-01-02T00:00:00+01:00');
    expect(eve.until).toBe('2025-01-03T23:30:00.000+01:00');
  });

  it('when the default region is Sjælland, then discharges without a region use it', () => {
    const rules = withDefaultRegion(DEFAULT_RESPONSIBILITY_RULES, 'sjaelland');
    expect(answerAt([discharged('2025-03-03T10:00:00+01:00')], '2025-03-04T00:00:00+01:00', rules).until).toBe('2025-03-07T10:00:00.000+01:00');
  });

  it('when the region had no scheme yet, or is unknown, then the GP holds it and the basis says why', () => {
    const early = answerAt([discharged('2023-11-15T10:00:00+01:00', { region: 'sjaelland' })], '2023-11-16T00:00:00+01:00');
    expect(early.holder).toEqual(GP_HOLDER);
    expect(noteOf(early, 'd1')).toBe('not an eligible discharge: no window rule in force in sjaelland on 2023-11-15');
    const unknown = answerAt([discharged('2024-03-04T10:00:00+01:00', { region: 'oestdanmark' })], '2024-03-05T00:00:00+01:00');
    expect(noteOf(unknown, 'd1')).toBe('not an eligible discharge: no rules for region "oestdanmark"');
  });
});

describe('computePeriods', () => {
  it('when events arrive out of order, then the periods cover the timeline without gaps, in time order', () => {
    const events = [
      discharged('2024-03-08T12:00:00+01:00', { department: GERI }, 'd2'),
      readmitted('2024-03-05T12:00:00+01:00'),
      ...STAY,
    ];
    const periods = computePeriods(parseEvents(events), DEFAULT_RESPONSIBILITY_RULES, GP);
    expect(periods.map((p) => [p.holder.kind, p.from === null ? null : formatCopenhagenInstant(p.from), p.until === null ? null : formatCopenhagenInstant(p.until)])).toEqual([
      ['none', null, '2024-03-04T10:00:00.000+01:00'],
      ['hospital-department', '2024-03-04T10:00:00.000+01:00', '2024-03-05T12:00:00.000+01:00'],
      ['none', '2024-03-05T12:00:00.000+01:00', '2024-03-08T12:00:00.000+01:00'],
      ['hospital-department', '2024-03-08T12:00:00.000+01:00', '2024-03-11T12:00:00.000+01:00'],
      ['general-practitioner', '2024-03-11T12:00:00.000+01:00', null],
    ]);
  });

  it('when a discharge and a readmission share an instant, then input order decides', () => {
    const dischargeFirst = [discharged('2024-03-04T10:00:00+01:00'), readmitted('2024-03-04T10:00:00+01:00')];
    expect(answerAt(dischargeFirst, '2024-03-04T10:00:00+01:00').holder).toEqual(NONE_HOLDER);
    const readmissionFirst = [readmitted('2024-03-04T10:00:00+01:00'), discharged('2024-03-04T10:00:00+01:00')];
    // Now the readmission starts the stay, which lasts 0 h: not eligible.
    expect(answerAt(readmissionFirst, '2024-03-04T10:00:00+01:00').holder).toEqual(GP_HOLDER);
  });
});

describe('formatCopenhagenInstant', () => {
  it('when the instant is in winter or summer, then it carries +01:00 or +02:00 and milliseconds', () => {
    expect(formatCopenhagenInstant(new Date('2024-03-25T09:00:00Z'))).toBe('2024-03-25T10:00:00.000+01:00');
    expect(formatCopenhagenInstant(new Date('2024-07-01T22:30:00.045Z'))).toBe('2024-07-02T00:30:00.045+02:00');
  });
});
