import { describe, expect, it } from 'vitest';
import {
  applyHospitalNotification,
  applyHospitalNotificationWithEvents,
  type StayDomainEvent,
  type StayNotification,
  type StayState,
} from '../../../src/medcom/index.ts';
import { notificationOf } from './medcom-examples.ts';

const fold = (notifications: readonly StayNotification[], start?: StayState): StayState => {
  let state = start;
  for (const n of notifications) state = applyHospitalNotification(state, n);
  if (state === undefined) throw new Error('no notifications');
  return state;
};

const foldWithEvents = (notifications: readonly StayNotification[]): { state: StayState; events: StayDomainEvent[] } => {
  let state: StayState | undefined;
  const events: StayDomainEvent[] = [];
  for (const n of notifications) {
    const r = applyHospitalNotificationWithEvents(state, n);
    state = r.state;
    events.push(...r.events);
  }
  if (state === undefined) throw new Error('no notifications');
  return { state, events };
};

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

/** A small deterministic generator (mulberry32), so the duplicate-insertion runs are reproducible. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STIN = notificationOf('hn-stin-admit-inpatient.json');
const STOR = notificationOf('hn-stor-start-leave.json');
const SLOR = notificationOf('hn-slor-end-leave.json');
const SLHJ = notificationOf('hn-slhj-discharge-inpatient.json');
const SEQUENCE = [STIN, STOR, SLOR, SLHJ];

const IG = 'medcom-ig/hospitalnotification';
const IG_STIN = notificationOf('Bundle-a5e5b880-c087-4055-b9ec-99108695f81d.json', IG);
const IG_RE_STIN = notificationOf('Bundle-bfab3e80-9584-11ec-b909-0242ac120002.json', IG);
const IG_AN_STIN = notificationOf('Bundle-c83671a4-9584-11ec-b909-0242ac120002.json', IG);
const IG_STOR = notificationOf('Bundle-d3128d9b-cede-4c7f-8904-809eab322d7d.json', IG);
const IG_SLOR = notificationOf('Bundle-e94de8ee-bd94-475e-b454-b8fbbef8a685.json', IG);
const IG_SLHJ = notificationOf('Bundle-f4aa42a4-86db-4e68-9b38-9dda0dfd5774.json', IG);
const IG_MORS = notificationOf('Bundle-g099bbf3-3fca-4722-a248-bfe1aa956410.json', IG);

/** A follow-up built from an IG notification, as a sender would send it an hour later. */
function followUp(from: StayNotification, change: Partial<StayNotification>): StayNotification {
  const headerId = change.headerId ?? '00000000-0000-4000-8000-000000000001';
  return { ...from, ...change, headerId, chain: [...from.chain, headerId] };
}

describe('applyHospitalNotification: order and replay', () => {
  const expected = {
    status: 'finished',
    class: 'IMP',
    periodStart: '2023-03-01T12:00:00+01:00',
    periodEnd: '2023-03-07T09:45:30+01:00',
    leave: [{ start: '2023-03-03T14:00:10+01:00', end: '2023-03-05T15:30:00+01:00' }],
  };

  it('when STIN, STOR, SLOR and SLHJ arrive in order, then the stay is finished with its leave', () => {
    const state = fold(SEQUENCE);
    expect(state.encounter).toEqual(expected);
    expect(state.deceased).toBe(false);
    expect(state.timeline.map((t) => t.event)).toEqual(['STIN', 'STOR', 'SLOR', 'SLHJ']);
  });

  it('when the four arrive in each of the 24 orders, then every final state is identical', () => {
    const reference = fold(SEQUENCE);
    const all = permutations(SEQUENCE);
    expect(all).toHaveLength(24);
    for (const order of all) expect(fold(order)).toEqual(reference);
  });

  it('when duplicates are inserted into every order, then every final state is still identical', () => {
    const reference = fold(SEQUENCE);
    const next = random(20231124);
    for (const order of permutations(SEQUENCE)) {
      const withDuplicates = [...order];
      for (let i = 0; i < 4; i++) {
        const copy = order[Math.floor(next() * order.length)];
        if (copy !== undefined) withDuplicates.splice(Math.floor(next() * (withDuplicates.length + 1)), 0, copy);
      }
      expect(withDuplicates.length).toBe(8);
      expect(fold(withDuplicates)).toEqual(reference);
    }
  });

  it('when a notification is applied again, then the state object is returned unchanged and no events follow', () => {
    const state = fold(SEQUENCE);
    for (const n of SEQUENCE) {
      expect(applyHospitalNotification(state, n)).toBe(state);
      expect(applyHospitalNotificationWithEvents(state, n).events).toEqual([]);
    }
  });

  it('when SLHJ arrives before STIN, then the stay still ends finished', () => {
    const state = fold([SLHJ, STIN]);
    expect(state.encounter.status).toBe('finished');
    expect(state.encounter.periodEnd).toBe('2023-03-07T09:45:30+01:00');
    expect(state.timeline.map((t) => t.event)).toEqual(['STIN', 'SLHJ']);
  });

  it('when the IG flow arrives in any order, then the Provenance chain orders it and the end state is the same', () => {
    const flow = [IG_STIN, IG_STOR, IG_SLOR, IG_SLHJ];
    const reference = fold(flow);
    expect(reference.encounter).toEqual({
      status: 'finished',
      class: 'IMP',
      periodStart: '2022-12-07T12:00:00+02:00',
      periodEnd: '2022-12-18T09:45:30+02:00',
      leave: [{ start: '2022-12-13T14:00:10+02:00', end: '2022-12-14T15:30:00+02:00' }],
    });
    expect(reference.episodeOfCareIds.map((e) => e.normalised)).toEqual(['bd481c38-a921-11ed-afa1-0242ac120002']);
    for (const order of permutations(flow)) expect(fold(order)).toEqual(reference);
  });

  it.each([
    ['a correction in the flow', [IG_STIN, IG_RE_STIN, IG_STOR, IG_SLOR, IG_SLHJ], 'finished'],
    ['a cancelled admission with a death', [IG_STIN, IG_RE_STIN, IG_AN_STIN, IG_STOR, IG_MORS], 'entered-in-error'],
  ] as const)('when %s arrives in all 120 orders, then the final state is always the same', (_what, flow, status) => {
    const reference = fold(flow);
    expect(reference.encounter.status).toBe(status);
    for (const order of permutations(flow)) expect(fold(order)).toEqual(reference);
  });

  it('when a resend of one MessageHeader differs, then the earlier-sent version wins whatever the order', () => {
    const resend = { ...STIN, sentAt: '2023-03-01T12:30:00+01:00', encounter: { ...STIN.encounter, periodStart: '2023-03-01T11:00:00+01:00' } };
    expect(fold([STIN, resend])).toEqual(fold([resend, STIN]));
    expect(fold([resend, STIN]).encounter.periodStart).toBe('2023-03-01T12:00:00+01:00');
  });

  it('when the state goes through JSON, then it is unchanged and replays are still no-ops', () => {
    const state = fold(SEQUENCE);
    const stored = JSON.parse(JSON.stringify(state)) as StayState;
    expect(stored).toEqual(state);
    expect(fold(SEQUENCE, stored)).toBe(stored);
  });
});

describe('applyHospitalNotification: corrections and cancellations', () => {
  it('when RE_STIN corrects the admission time, then the start changes and it takes the STIN place', () => {
    const state = fold([IG_STIN, IG_RE_STIN]);
    expect(state.encounter.periodStart).toBe('2022-12-07T13:00:00+02:00');
    expect(state.encounter.status).toBe('in-progress');
    expect(state.timeline).toHaveLength(1);
    expect(state.timeline[0]).toMatchObject({ key: IG_STIN.headerId, event: 'STIN', headerId: IG_RE_STIN.headerId });
    expect(fold([IG_RE_STIN, IG_STIN])).toEqual(state);
  });

  it('when RE_STIN is sent after the SLHJ, then the stay stays finished and only the start is corrected', () => {
    const lateCorrection = { ...IG_RE_STIN, sentAt: '2022-12-19T10:00:00+02:00' };
    const state = fold([IG_SLHJ, lateCorrection, IG_STIN]);
    expect(state.encounter.status).toBe('finished');
    expect(state.encounter.periodStart).toBe('2022-12-07T13:00:00+02:00');
  });

  it('when AN_STIN cancels the admission, then the stay is entered-in-error in either order', () => {
    const state = fold([IG_STIN, IG_AN_STIN]);
    expect(state.encounter.status).toBe('entered-in-error');
    expect(state.timeline).toEqual([]);
    expect(state.cancelled[IG_STIN.headerId]).toEqual({ by: IG_AN_STIN.headerId, event: 'STIN' });
    expect(fold([IG_AN_STIN, IG_STIN])).toEqual(state);
  });

  it('when a correction is cancelled (MedCom PF-tec-02), then the whole admission is withdrawn', () => {
    const cancelCorrection = { ...IG_AN_STIN, cancels: IG_RE_STIN.headerId };
    for (const order of permutations([IG_STIN, IG_RE_STIN, cancelCorrection])) {
      expect(fold(order).encounter.status).toBe('entered-in-error');
    }
  });

  it('when MORS arrives, then the patient is dead at the end time; AN_MORS restores the previous status', () => {
    const dead = fold([IG_STIN, IG_MORS]);
    expect([dead.deceased, dead.deathAt, dead.encounter.status]).toEqual([true, '2022-12-09T09:45:30+02:00', 'finished']);
    const anMors = followUp(IG_MORS, {
      event: 'AN_MORS',
      baseEvent: 'MORS',
      change: 'cancellation',
      sentAt: '2022-12-09T10:45:32+02:00',
      cancels: IG_MORS.headerId,
      deceased: false,
      encounter: { ...IG_STIN.encounter },
    });
    for (const order of permutations([IG_STIN, IG_MORS, anMors])) {
      const state = fold(order);
      expect([state.deceased, state.deathAt, state.encounter.status, state.encounter.periodEnd]).toEqual([false, undefined, 'in-progress', undefined]);
    }
  });

  it('when a second MORS revises the first (RE_MORS with an unchanged activity), then it corrects the death time', () => {
    const reMors = followUp(IG_MORS, {
      sentAt: '2022-12-09T10:45:32+02:00',
      revises: IG_MORS.headerId,
      encounter: { ...IG_MORS.encounter, periodEnd: '2022-12-09T08:00:00+02:00' },
    });
    const state = fold([reMors, IG_MORS, IG_STIN]);
    expect(state.timeline.map((t) => [t.event, t.headerId])).toEqual([
      ['STIN', IG_STIN.headerId],
      ['MORS', reMors.headerId],
    ]);
    expect(state.deathAt).toBe('2022-12-09T08:00:00+02:00');
  });

  it('when AN_SLHJ withdraws a discharge, then the stay is in progress again without an end', () => {
    const anSlhj = followUp(IG_SLHJ, {
      event: 'AN_SLHJ',
      change: 'cancellation',
      sentAt: '2022-12-18T10:45:32+02:00',
      cancels: IG_SLHJ.headerId,
      encounter: { ...IG_SLHJ.encounter, status: 'in-progress', periodEnd: undefined },
    });
    const state = fold([IG_STIN, IG_SLHJ, anSlhj]);
    expect([state.encounter.status, state.encounter.periodEnd]).toEqual(['in-progress', undefined]);
    expect(fold([anSlhj, IG_SLHJ, IG_STIN])).toEqual(state);
  });

  it('when AN_SLOR withdraws a return from leave, then the stay is on leave with the leave open', () => {
    const anSlor = followUp(IG_SLOR, {
      event: 'AN_SLOR',
      change: 'cancellation',
      sentAt: '2022-12-14T16:30:02+02:00',
      cancels: IG_SLOR.headerId,
      encounter: { ...IG_SLOR.encounter, status: 'onleave', leave: [{ start: '2022-12-13T14:00:10+02:00', end: undefined }] },
    });
    const state = fold([IG_STIN, IG_STOR, IG_SLOR, anSlor]);
    expect(state.encounter.status).toBe('onleave');
    expect(state.encounter.leave).toEqual([{ start: '2022-12-13T14:00:10+02:00', end: undefined }]);
  });
});

describe('stay domain events', () => {
  it('when the sequence arrives in order, then admission, leave-start, leave-end and discharge follow, each once', () => {
    const { events } = foldWithEvents([IG_STIN, IG_STOR, IG_SLOR, IG_SLHJ]);
    expect(events.map((e) => [e.type, e.at])).toEqual([
      ['admission', '2022-12-07T12:00:00+02:00'],
      ['leave-start', '2022-12-13T14:00:10+02:00'],
      ['leave-end', '2022-12-14T15:30:00+02:00'],
      ['discharge', '2022-12-18T09:45:30+02:00'],
    ]);
    expect(events.at(-1)).toEqual({
      id: `discharge:${IG_SLHJ.headerId}:${IG_SLHJ.headerId}`,
      type: 'discharge',
      event: 'SLHJ',
      key: IG_SLHJ.headerId,
      headerId: IG_SLHJ.headerId,
      at: '2022-12-18T09:45:30+02:00',
      class: 'IMP',
      departmentSor: '265161000016000',
      episodeOfCareId: 'bd481c38-a921-11ed-afa1-0242ac120002',
    });
  });

  it('when the sequence arrives in any order, then the same set of events is emitted', () => {
    const ids = (events: StayDomainEvent[]): string[] => events.map((e) => e.id).sort();
    const reference = ids(foldWithEvents(SEQUENCE).events);
    expect(reference).toHaveLength(4);
    for (const order of permutations(SEQUENCE)) expect(ids(foldWithEvents([...order, ...order]).events)).toEqual(reference);
  });

  it('when a correction arrives, then a correction event carries the new and the previous time', () => {
    const { events } = foldWithEvents([IG_STIN, IG_RE_STIN]);
    expect(events.map((e) => e.type)).toEqual(['admission', 'correction']);
    expect(events[1]).toMatchObject({
      event: 'STIN',
      key: IG_STIN.headerId,
      headerId: IG_RE_STIN.headerId,
      at: '2022-12-07T13:00:00+02:00',
      previousAt: '2022-12-07T12:00:00+02:00',
    });
  });

  it('when a cancellation arrives, then a cancellation event names the withdrawn event and the cancelling message', () => {
    const { events } = foldWithEvents([IG_STIN, IG_AN_STIN]);
    expect(events.map((e) => e.type)).toEqual(['admission', 'cancellation']);
    expect(events[1]).toMatchObject({ event: 'STIN', key: IG_STIN.headerId, headerId: IG_AN_STIN.headerId });
  });

  it('when the cancellation arrives before the event it cancels, then nothing is announced', () => {
    expect(foldWithEvents([IG_AN_STIN, IG_STIN]).events).toEqual([]);
  });

  it('when a death arrives, then a death event carries the time', () => {
    const { events } = foldWithEvents([IG_STIN, IG_MORS]);
    expect(events.map((e) => [e.type, e.at])).toEqual([
      ['admission', '2022-12-07T12:00:00+02:00'],
      ['death', '2022-12-09T09:45:30+02:00'],
    ]);
  });
});
