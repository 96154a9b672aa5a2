import { describe, expect, it } from 'vitest';
import type { TimelinessExpectation } from '../../../src/store/index.ts';
import {
  adoptable,
  kpiGroup,
  matchDocument,
  measure,
  monthLabel,
  remeasure,
  stateOf,
  toCsv,
  formatCopenhagen,
} from '../../../src/timeliness/index.ts';

const NWD = 'next-working-day@2024.1';
const STRICT = 'dk-strict@2024.1';
const HOUR = 3_600_000;

const due = (dischargedAt: string, rule = NWD, calendar = STRICT): string => formatCopenhagen(measure({ dischargedAt: new Date(dischargedAt), rule, calendar }).dueAt);

function row(over: Partial<TimelinessExpectation> = {}): TimelinessExpectation {
  const at = new Date('2024-03-22T09:00:00Z');
  return {
    id: 'row', documentType: 'epikrise', source: 'notification', dischargeKey: 'stay|h1', patientId: 'p1', stayKey: 'stay', episodeOfCareId: undefined,
    hospitalSor: '265161000016000', departmentSor: undefined, dischargedAt: at, dueAt: undefined, rule: NWD, calendar: STRICT, clock: 'sent',
    state: 'pending', exclusionReason: undefined, exclusionSource: undefined, expectedRecipients: [], documentKey: undefined, documentReferenceId: undefined,
    documentReferenceIds: [], receivedAt: undefined, sentAt: undefined, deliveredAt: undefined, workingDaysElapsed: undefined, withinThree: undefined,
    deliveredWorkingDaysElapsed: undefined, deliveredWithinThree: undefined, alertedAt: undefined, alertAttempts: 0, createdAt: at, updatedAt: at,
    ...over,
  };
}

describe('measure: the deadline of an expectation', () => {
  it('when discharged on a Friday, then the epikrise is due at the end of Monday', () => {
    expect(due('2024-03-22T10:00:00+01:00')).toBe('2024-03-25T23:59:59.999+01:00');
  });

  it('when Easter follows the discharge day, then Skærtorsdag to 2. påskedag are skipped and the deadline is in summer time', () => {
    expect(due('2024-03-27T14:00:00+01:00')).toBe('2024-04-02T23:59:59.999+02:00');
  });

  it('when the discharge is late evening UTC but after midnight in Copenhagen, then the local date counts (and the deadline falls after the DST change)', () => {
    // 22:30Z on Thursday 24 October is 00:30 CEST on Friday 25: next working day Monday 28, in winter time.
    expect(due('2024-10-24T22:30:00Z')).toBe('2024-10-28T23:59:59.999+01:00');
  });

  it('when the row stores dk-public, then 24 December is a working day; dk-strict skips it', () => {
    expect(due('2024-12-23T10:00:00+01:00', NWD, 'dk-public@2024.1')).toBe('2024-12-24T23:59:59.999+01:00');
    expect(due('2024-12-23T10:00:00+01:00', NWD, STRICT)).toBe('2024-12-27T23:59:59.999+01:00');
  });

  it('when the rule is the discharge day (udskrivningsrapport, genoptræningsplan), then it is due at the end of that local day', () => {
    expect(due('2024-03-22T10:00:00+01:00', 'discharge-day@2024.1')).toBe('2024-03-22T23:59:59.999+01:00');
  });

  it('when the stored rule is working-days:3, then it is the third working day', () => {
    expect(due('2024-03-21T10:00:00+01:00', 'working-days:3@2024.1')).toBe('2024-03-26T23:59:59.999+01:00');
  });

  it('when sent, then working days elapsed count from the discharge day, for each clock separately', () => {
    // Thursday 21 → Tuesday 26: Friday 22 and Monday 25 lie between, so 3; Wednesday 27 would be 4.
    const m = measure({ dischargedAt: new Date('2024-03-21T10:00:00+01:00'), sentAt: new Date('2024-03-26T08:00:00+01:00'), deliveredAt: new Date('2024-03-27T08:00:00+01:00'), rule: NWD, calendar: STRICT });
    expect(m).toMatchObject({ workingDaysElapsed: 3, withinThree: true, deliveredWorkingDaysElapsed: 4, deliveredWithinThree: false });
  });
});

describe('stateOf', () => {
  const dueAt = new Date('2024-03-25T22:59:59.999Z');
  const base = { exclusionReason: undefined, dischargedAt: new Date('2024-03-22T09:00:00Z'), dueAt, clock: 'sent' as const, sentAt: undefined, deliveredAt: undefined };
  const now = new Date('2024-03-20T00:00:00Z');

  it('when sent exactly at the deadline, then on time; a millisecond later, late', () => {
    expect(stateOf({ ...base, sentAt: dueAt }, now, 4 * HOUR)).toBe('on-time');
    expect(stateOf({ ...base, sentAt: new Date(dueAt.getTime() + 1) }, now, 4 * HOUR)).toBe('late');
  });

  it('when nothing is sent, then pending, at risk from the configured hours before, overdue only after the deadline', () => {
    expect(stateOf(base, new Date(dueAt.getTime() - 4 * HOUR - 1), 4 * HOUR)).toBe('pending');
    expect(stateOf(base, new Date(dueAt.getTime() - 4 * HOUR), 4 * HOUR)).toBe('at-risk');
    expect(stateOf(base, dueAt, 4 * HOUR)).toBe('at-risk');
    expect(stateOf(base, new Date(dueAt.getTime() + 1), 4 * HOUR)).toBe('overdue');
  });

  it('when the row is measured by delivery, then a dispatch alone decides nothing', () => {
    const sentOnly = { ...base, clock: 'delivered' as const, sentAt: new Date(dueAt.getTime() - HOUR) };
    expect(stateOf(sentOnly, new Date(dueAt.getTime() + 1), 4 * HOUR)).toBe('overdue');
    expect(stateOf({ ...sentOnly, deliveredAt: new Date(dueAt.getTime() + HOUR) }, now, 4 * HOUR)).toBe('late');
  });

  it('when excluded or without a discharge, then excluded or awaiting-discharge whatever the clocks say', () => {
    expect(stateOf({ ...base, exclusionReason: 'death', sentAt: dueAt }, now, 0)).toBe('excluded');
    expect(stateOf({ ...base, dischargedAt: undefined, dueAt: undefined }, now, 0)).toBe('awaiting-discharge');
  });

  it('when remeasured, then deadline, working days and state follow the inputs', () => {
    const r = remeasure(row({ dischargedAt: new Date('2024-03-22T10:00:00+01:00'), sentAt: new Date('2024-03-26T08:00:00+01:00') }), now, 4 * HOUR);
    expect(formatCopenhagen(r.dueAt ?? new Date(0))).toBe('2024-03-25T23:59:59.999+01:00');
    expect(r).toMatchObject({ state: 'late', workingDaysElapsed: 2, withinThree: true, updatedAt: now });
  });
});

describe('matchDocument', () => {
  const received = new Date('2024-03-23T12:00:00Z');
  const doc = { documentKey: 'sor|sys|letter-1', episodeOfCareId: undefined, encounterEnd: undefined, receivedAt: received };

  it('when a row already holds this document (an earlier version), then that row, however far its discharge', () => {
    const old = row({ id: 'old', dischargedAt: new Date('2023-01-01T00:00:00Z'), documentKey: doc.documentKey });
    const near = row({ id: 'near', dischargedAt: new Date('2024-03-23T08:00:00Z') });
    expect(matchDocument([near, old], doc)?.id).toBe('old');
  });

  it('when the episode of care agrees, then that row wins over a more recent one; a row of another episode never matches', () => {
    const same = row({ id: 'same', episodeOfCareId: 'e1', dischargedAt: new Date('2024-03-01T08:00:00Z') });
    const other = row({ id: 'other', episodeOfCareId: 'e2', dischargedAt: new Date('2024-03-23T08:00:00Z') });
    expect(matchDocument([other, same], { ...doc, episodeOfCareId: 'e1' })?.id).toBe('same');
    expect(matchDocument([other], { ...doc, episodeOfCareId: 'e1' })).toBeUndefined();
  });

  it('when either side lacks an episode id, then the most recent discharge up to 30 days before the document', () => {
    const recent = row({ id: 'recent', dischargedAt: new Date('2024-03-20T08:00:00Z') });
    const older = row({ id: 'older', dischargedAt: new Date('2024-03-10T08:00:00Z') });
    const tooOld = row({ id: 'too-old', dischargedAt: new Date('2024-02-21T11:00:00Z') }); // 31 days before
    expect(matchDocument([older, recent, tooOld], doc)?.id).toBe('recent');
    expect(matchDocument([tooOld], doc)).toBeUndefined();
  });

  it('when the document states its Encounter end, then only a discharge within a day of it matches', () => {
    const r = row({ id: 'r', dischargedAt: new Date('2024-03-20T08:00:00Z') });
    expect(matchDocument([r], { ...doc, encounterEnd: new Date('2024-03-20T09:00:00Z') })?.id).toBe('r');
    expect(matchDocument([r], { ...doc, encounterEnd: new Date('2024-03-22T09:00:00Z') })).toBeUndefined();
  });

  it('when the discharge was cancelled, then it never matches', () => {
    expect(matchDocument([row({ exclusionReason: 'cancelled', dischargedAt: new Date('2024-03-22T08:00:00Z') })], doc)).toBeUndefined();
  });
});

describe('adoptable', () => {
  const at = new Date('2024-03-22T09:00:00Z');
  const d = { dischargeKey: 'stay|slhj', at, episodeOfCareId: undefined };

  it('when documents arrived before the notification, then it takes one row per type: the closest document-made or waiting one', () => {
    const epikrise = row({ id: 'e', source: 'document', dischargeKey: 'document:a', dischargedAt: new Date(at.getTime() + HOUR) });
    const farther = row({ id: 'e2', source: 'document', dischargeKey: 'document:b', dischargedAt: new Date(at.getTime() + 3 * HOUR) });
    const waiting = row({ id: 'g', documentType: 'genoptraeningsplan', source: 'document', dischargeKey: 'document:c', dischargedAt: undefined, receivedAt: new Date(at.getTime() - 2 * 86_400_000) });
    const notified = row({ id: 'n', documentType: 'udskrivningsrapport', source: 'notification', dischargeKey: 'stay|other', dischargedAt: at });
    expect(adoptable([farther, epikrise, waiting, notified], d).map((r) => r.id)).toEqual(['e', 'g']);
  });

  it('when the document tells a discharge two days away, then it is another discharge', () => {
    expect(adoptable([row({ source: 'document', dischargeKey: 'document:a', dischargedAt: new Date(at.getTime() + 48 * HOUR) })], d)).toEqual([]);
  });
});

describe('kpiGroup', () => {
  it('when some are overdue, then they count against the share; pending and excluded are left out', () => {
    const g = kpiGroup({ key: '2024-03', discharges: 16, excluded: 3, sent: 9, onTime: 7, late: 2, pending: 3, overdue: 1, withinThree: 8 }, 'marts 2024');
    expect(g.share).toBeCloseTo(7 / 10, 12);
    expect(g.shareWithinThree).toBeCloseTo(8 / 10, 12);
    expect(g).toMatchObject({ key: '2024-03', label: 'marts 2024', withinThreeWorkingDays: 8 });
  });

  it('when nothing is measurable yet, then the shares are null, not 0 or 1', () => {
    const g = kpiGroup({ key: 'x', discharges: 2, excluded: 1, sent: 0, onTime: 0, late: 0, pending: 1, overdue: 0, withinThree: 0 }, 'x');
    expect(g.share).toBeNull();
    expect(g.shareWithinThree).toBeNull();
  });
});

describe('toCsv and labels', () => {
  it('when a field holds a comma, a quote or a line break, then it is quoted with quotes doubled; lines end in CRLF', () => {
    expect(toCsv(['a', 'b'], [['x,y', 'say "hi"'], [null, 'two\nlines'], [1, true]])).toBe('a,b\r\n"x,y","say ""hi"""\r\n,"two\nlines"\r\n1,true\r\n');
    expect(toCsv(undefined, [['only']])).toBe('only\r\n');
  });

  it('when the key is a month, then its Danish name', () => {
    expect(monthLabel('2024-03')).toBe('marts 2024');
    expect(monthLabel('2024-12')).toBe('december 2024');
    expect(monthLabel('265161000016000')).toBe('265161000016000');
  });
});
