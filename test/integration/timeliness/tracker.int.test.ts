import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyHospitalNotificationWithEvents, type StayState } from '../../../src/medcom/index.ts';
import { deterministicId } from '../../../src/shared/index.ts';
import type { DomainEventRecord } from '../../../src/store/index.ts';
import { DEFAULT_TIMELINESS_SETTINGS, formatCopenhagen, refreshStates, setManualExclusion } from '../../../src/timeliness/index.ts';
import { backends, openTestStore, type TestStore } from '../../helpers/store.ts';
import { notificationOf } from '../../unit/medcom/medcom-examples.ts';
import { DEPT_A, DEPT_B, GP, HOSPITAL, domainEvent, newPatient, slhj, tracking } from './fixtures.ts';

const BACKENDS = await backends();
const t = (d: Date | undefined): string | undefined => (d === undefined ? undefined : formatCopenhagen(d));

describe.each(BACKENDS)('timeliness tracker on $name', (backend) => {
  let ts: TestStore;
  let track: ReturnType<typeof tracking>;
  beforeAll(async () => {
    ts = await openTestStore(backend);
    track = tracking(ts.store);
  });
  afterAll(async () => { await ts.close(); });

  describe('expectations from HospitalNotification discharges', () => {
    it('when an inpatient is discharged on a Friday, then an epikrise is expected by the end of Monday, with the rule, calendar and clock stored', async () => {
      const p = newPatient('friday');
      await track.events([slhj(p, '2024-03-22T10:00:00+01:00', { dept: DEPT_B, episode: '82873e50-325e-4016-8a68-2934bdb2f66d' })], '2024-03-22T12:00:00+01:00');
      const r = await track.one(p);
      expect(t(r.dueAt)).toBe('2024-03-25T23:59:59.999+01:00');
      expect(r).toMatchObject({
        state: 'pending', source: 'notification', hospitalSor: HOSPITAL, departmentSor: DEPT_B, episodeOfCareId: '82873e50-325e-4016-8a68-2934bdb2f66d',
        rule: 'next-working-day@2024.1', calendar: 'dk-strict@2024.1', clock: 'sent', exclusionReason: undefined,
      });
    });

    it('when the days after the discharge are Easter, then the deadline skips Skærtorsdag to 2. påskedag and is in summer time', async () => {
      const p = newPatient('easter');
      await track.events([slhj(p, '2024-03-27T14:00:00+01:00')], '2024-03-27T15:00:00+01:00');
      expect(t((await track.one(p)).dueAt)).toBe('2024-04-02T23:59:59.999+02:00');
    });

    it('when the discharge is just after midnight Copenhagen time (still the day before in UTC), then the local date decides, across the DST change', async () => {
      const p = newPatient('dst');
      await track.events([slhj(p, '2024-10-24T22:30:00Z')], '2024-10-25T08:00:00+02:00');
      expect(t((await track.one(p)).dueAt)).toBe('2024-10-28T23:59:59.999+01:00');
    });

    it('when the discharge is not inpatient (EMER), then no epikrise is expected', async () => {
      const p = newPatient('emer');
      await track.events([slhj(p, '2024-03-22T10:00:00+01:00', { cls: 'EMER' })], '2024-03-22T12:00:00+01:00');
      expect(await track.rows(p)).toEqual([]);
    });

    it('when the same events arrive twice, then nothing changes, not even the update time', async () => {
      const p = newPatient('replay');
      const events = [slhj(p, '2024-03-22T10:00:00+01:00')];
      await track.events(events, '2024-03-22T12:00:00+01:00');
      const before = await track.one(p);
      await track.events(events, '2024-03-29T12:00:00+01:00');
      expect(await track.one(p)).toEqual(before);
    });

    it('when a replayed discharge comes after its correction, then the corrected time stays', async () => {
      const p = newPatient('replay-after-correction');
      const original = slhj(p, '2024-03-21T10:00:00+01:00', { key: 'k1' });
      const correction = domainEvent('correction', { patient: p, stay: `stay:${p}`, key: 'k1', headerId: 're1', event: 'SLHJ', at: '2024-03-22T10:00:00+01:00', dept: DEPT_A });
      await track.events([original, correction], '2024-03-22T12:00:00+01:00');
      await track.events([original], '2024-03-22T13:00:00+01:00');
      expect(t((await track.one(p)).dueAt)).toBe('2024-03-25T23:59:59.999+01:00');
    });

    it('when the stay is told by real MedCom notifications (STIN, SLHJ) through the reducer, then the epikrise follows the SLHJ', async () => {
      let state: StayState | undefined;
      const events: DomainEventRecord[] = [];
      const patient = newPatient('medcom');
      for (const file of ['hn-stin-admit-inpatient.json', 'hn-slhj-discharge-inpatient.json']) {
        const r = applyHospitalNotificationWithEvents(state, notificationOf(file));
        state = r.state;
        // As message-ingest's toDomainEvent records them.
        events.push(...r.events.map((e) => ({
          id: deterministicId(`domain-event|${e.id}`), type: e.type, occurredAt: e.at ? new Date(e.at) : undefined, patientId: patient,
          stayKey: 'eoc:d3d03544-f116-4070-a823-d5c64e6a7c46', departmentSor: e.departmentSor, episodeOfCareId: e.episodeOfCareId, headerId: e.headerId, payload: { ...e },
        })));
      }
      await track.events(events, '2023-03-07T10:00:00+01:00');
      const r = await track.one(patient);
      // SLHJ Tuesday 7 March 2023 09:45:30 → end of Wednesday 8 March.
      expect(t(r.dischargedAt)).toBe('2023-03-07T09:45:30.000+01:00');
      expect(t(r.dueAt)).toBe('2023-03-08T23:59:59.999+01:00');
      expect(r).toMatchObject({ departmentSor: '265161000016000', episodeOfCareId: 'd3d03544-f116-4070-a823-d5c64e6a7c46' });
    });
  });

  describe('measuring: sent, delivered, corrections', () => {
    it('when sent exactly at the deadline, then on time; and a later dispatch does not move the first one', async () => {
      const p = newPatient('exact');
      await track.events([slhj(p, '2024-03-22T10:00:00+01:00')], '2024-03-22T12:00:00+01:00');
      await track.document({ documentReferenceId: `doc-${p}`, patientId: p, receivedAt: new Date('2024-03-25T08:00:00+01:00'), encounterEnd: new Date('2024-03-22T10:00:00+01:00') });
      await track.progress(`doc-${p}`, 'sent', '2024-03-25T23:59:59.999+01:00');
      await track.progress(`doc-${p}`, 'sent', '2024-03-27T10:00:00+01:00');
      const r = await track.one(p);
      expect(r).toMatchObject({ state: 'on-time', workingDaysElapsed: 1, withinThree: true, documentReferenceId: `doc-${p}` });
      expect(t(r.sentAt)).toBe('2024-03-25T23:59:59.999+01:00');
      expect(t(r.receivedAt)).toBe('2024-03-25T08:00:00.000+01:00');
    });

    it('when sent a millisecond after the deadline, then late', async () => {
      const p = newPatient('late');
      await track.events([slhj(p, '2024-03-22T10:00:00+01:00')], '2024-03-22T12:00:00+01:00');
      await track.document({ documentReferenceId: `doc-${p}`, patientId: p, receivedAt: new Date('2024-03-25T08:00:00+01:00') });
      await track.progress(`doc-${p}`, 'sent', '2024-03-26T00:00:00.000+01:00');
      expect(await track.one(p)).toMatchObject({ state: 'late', workingDaysElapsed: 2 });
    });

    it('when a correction (RE_SLHJ) moves the discharge a day later, then the deadline moves and late becomes on time', async () => {
      const p = newPatient('correction');
      await track.events([slhj(p, '2024-03-21T10:00:00+01:00', { key: 'orig' })], '2024-03-21T12:00:00+01:00');
      await track.document({ documentReferenceId: `doc-${p}`, patientId: p, receivedAt: new Date('2024-03-22T08:00:00+01:00') });
      await track.progress(`doc-${p}`, 'sent', '2024-03-25T09:00:00+01:00');
      // Thursday 21 → due end of Friday 22; sent Monday 25: late, Friday between → 2 working days.
      expect(await track.one(p)).toMatchObject({ state: 'late', workingDaysElapsed: 2 });
      await track.events([domainEvent('correction', { patient: p, stay: `stay:${p}`, key: 'orig', headerId: 're-orig', event: 'SLHJ', at: '2024-03-22T10:00:00+01:00', dept: DEPT_B, previousAt: '2024-03-21T10:00:00+01:00' })], '2024-03-25T10:00:00+01:00');
      const r = await track.one(p);
      expect(t(r.dueAt)).toBe('2024-03-25T23:59:59.999+01:00');
      expect(r).toMatchObject({ state: 'on-time', workingDaysElapsed: 1, departmentSor: DEPT_B });
    });

    it('when the epikrise goes to someone other than the GP, then it does not count; to the GP it does', async () => {
      const p = newPatient('not-gp');
      await track.events([slhj(p, '2024-03-22T10:00:00+01:00')], '2024-03-22T12:00:00+01:00');
      await track.document({ documentReferenceId: `doc-${p}`, patientId: p, receivedAt: new Date('2024-03-22T13:00:00+01:00') });
      expect(await track.progress(`doc-${p}`, 'sent', '2024-03-22T14:00:00+01:00', '953741000016009')).toEqual([]);
      expect((await track.one(p)).sentAt).toBeUndefined();
      await track.progress(`doc-${p}`, 'delivered', '2024-03-26T14:00:00+01:00');
      // A delivery implies a dispatch: both clocks are set, on the sent clock it is late.
      expect(await track.one(p)).toMatchObject({ state: 'late', deliveredWorkingDaysElapsed: 2 });
    });

    it('when the clock is delivered, then a dispatch alone leaves it open and the receipt decides', async () => {
      const p = newPatient('delivered-clock');
      const byDelivery = tracking(ts.store, { ...DEFAULT_TIMELINESS_SETTINGS, clock: 'delivered' });
      await byDelivery.events([slhj(p, '2024-03-22T10:00:00+01:00')], '2024-03-22T12:00:00+01:00');
      await byDelivery.document({ documentReferenceId: `doc-${p}`, patientId: p, receivedAt: new Date('2024-03-22T13:00:00+01:00') });
      await byDelivery.progress(`doc-${p}`, 'sent', '2024-03-22T14:00:00+01:00');
      expect(await byDelivery.one(p)).toMatchObject({ clock: 'delivered', state: 'pending' });
      await byDelivery.progress(`doc-${p}`, 'delivered', '2024-03-25T09:00:00+01:00');
      expect(await byDelivery.one(p)).toMatchObject({ state: 'on-time', deliveredWorkingDaysElapsed: 1 });
    });
  });

  describe('documents before or without notifications', () => {
    it('when the epikrise arrives before the SLHJ, then it makes the expectation and the notification later takes it over: one row, the HN time', async () => {
      const p = newPatient('doc-first');
      await track.document({ documentReferenceId: `doc-${p}`, patientId: p, receivedAt: new Date('2024-03-22T11:00:00+01:00'), encounterEnd: new Date('2024-03-22T09:00:00+01:00'), departmentSor: DEPT_B });
      expect(await track.one(p)).toMatchObject({ source: 'document', departmentSor: DEPT_B });
      await track.progress(`doc-${p}`, 'sent', '2024-03-22T11:05:00+01:00');
      await track.events([slhj(p, '2024-03-22T10:00:00+01:00', { dept: DEPT_A })], '2024-03-22T12:00:00+01:00');
      const r = await track.one(p);
      expect(r).toMatchObject({ source: 'notification', departmentSor: DEPT_A, state: 'on-time', documentReferenceId: `doc-${p}` });
      expect(t(r.dischargedAt)).toBe('2024-03-22T10:00:00.000+01:00');
    });

    it('when no notification tells the discharge, then the epikrise Encounter end does; an outpatient (AMB) epikrise expects nothing', async () => {
      const p = newPatient('doc-only');
      await track.document({ documentReferenceId: `doc-${p}`, patientId: p, receivedAt: new Date('2024-03-23T11:00:00+01:00'), encounterEnd: new Date('2024-03-22T16:00:00+01:00') });
      const r = await track.one(p);
      expect(t(r.dueAt)).toBe('2024-03-25T23:59:59.999+01:00');
      const q = newPatient('amb');
      expect(await track.document({ documentReferenceId: `doc-${q}`, patientId: q, receivedAt: new Date('2024-03-23T11:00:00+01:00'), encounterEnd: new Date('2024-03-22T16:00:00+01:00'), encounterClass: 'AMB' })).toBeUndefined();
      expect(await track.rows(q)).toEqual([]);
    });

    it('when an udskrivningsrapport arrives for a notified stay, then it is due by the end of the discharge day', async () => {
      const p = newPatient('udskrivningsrapport');
      await track.events([slhj(p, '2024-03-22T10:00:00+01:00', { dept: DEPT_B })], '2024-03-22T12:00:00+01:00');
      await track.document({ documentReferenceId: `udsk-${p}`, documentType: 'udskrivningsrapport', patientId: p, receivedAt: new Date('2024-03-23T08:00:00+01:00'), encounterEnd: new Date('2024-03-22T10:00:00+01:00') });
      await track.progress(`udsk-${p}`, 'sent', '2024-03-23T08:01:00+01:00', '953741000016009');
      const r = await track.one(p, 'udskrivningsrapport');
      expect(t(r.dueAt)).toBe('2024-03-22T23:59:59.999+01:00');
      expect(r).toMatchObject({ rule: 'discharge-day@2024.1', state: 'late', source: 'notification', departmentSor: DEPT_B, dischargeKey: (await track.one(p)).dischargeKey });
    });

    it('when a genoptræningsplan comes before the discharge, then it waits for the SLHJ, which gives it its deadline', async () => {
      const p = newPatient('ggop');
      const episode = 'D3D03544F1164070A823D5C64E6A7C46'; // as OIOXML writes it: no hyphens, upper case
      await track.document({ documentReferenceId: `ggop-${p}`, documentType: 'genoptraeningsplan', patientId: p, receivedAt: new Date('2024-03-20T15:00:00+01:00'), episodeOfCareId: episode, generalPractitioners: [] });
      expect(await track.one(p, 'genoptraeningsplan')).toMatchObject({ state: 'awaiting-discharge', dueAt: undefined, exclusionReason: undefined });
      await track.progress(`ggop-${p}`, 'sent', '2024-03-20T15:30:00+01:00', '953741000016009');
      await track.events([slhj(p, '2024-03-22T10:00:00+01:00', { episode: 'd3d03544-f116-4070-a823-d5c64e6a7c46' })], '2024-03-22T12:00:00+01:00');
      const r = await track.one(p, 'genoptraeningsplan');
      expect(t(r.dueAt)).toBe('2024-03-22T23:59:59.999+01:00');
      expect(r).toMatchObject({ state: 'on-time', source: 'notification', workingDaysElapsed: 0 });
      expect((await track.rows(p)).map((x) => x.documentType).sort()).toEqual(['epikrise', 'genoptraeningsplan']);
    });

    it('when a new version of the epikrise arrives, then it joins the same expectation; a dispatch of either version counts', async () => {
      const p = newPatient('versions');
      await track.events([slhj(p, '2024-03-22T10:00:00+01:00')], '2024-03-22T12:00:00+01:00');
      const key = `${HOSPITAL}|urn:test|letter-${p}`;
      await track.document({ documentReferenceId: `v1-${p}`, documentKey: key, patientId: p, receivedAt: new Date('2024-03-22T13:00:00+01:00') });
      await track.document({ documentReferenceId: `v2-${p}`, documentKey: key, patientId: p, receivedAt: new Date('2024-03-26T13:00:00+01:00') });
      await track.progress(`v1-${p}`, 'sent', '2024-03-22T13:05:00+01:00');
      const r = await track.one(p);
      expect(r).toMatchObject({ documentReferenceIds: [`v1-${p}`, `v2-${p}`], documentReferenceId: `v2-${p}`, state: 'on-time' });
      expect(t(r.receivedAt)).toBe('2024-03-22T13:00:00.000+01:00');
    });
  });

  describe('exclusions', () => {
    it('when the patient dies before the deadline, then the epikrise is excluded (death); a cancelled death takes it back', async () => {
      const p = newPatient('death');
      await track.events([slhj(p, '2024-03-22T10:00:00+01:00')], '2024-03-22T12:00:00+01:00');
      await track.events([domainEvent('death', { patient: p, stay: `other-stay:${p}`, key: 'mors1', event: 'MORS', at: '2024-03-23T07:00:00+01:00' })], '2024-03-23T08:00:00+01:00');
      expect(await track.one(p)).toMatchObject({ state: 'excluded', exclusionReason: 'death' });
      await track.events([domainEvent('cancellation', { patient: p, stay: `other-stay:${p}`, key: 'mors1', headerId: 'an-mors1', event: 'MORS', at: '2024-03-23T07:00:00+01:00' })], '2024-03-23T09:00:00+01:00');
      expect(await track.one(p)).toMatchObject({ state: 'pending', exclusionReason: undefined });
    });

    it('when the patient dies after the deadline was missed, then it stays overdue', async () => {
      const p = newPatient('death-late');
      await track.events([slhj(p, '2024-03-22T10:00:00+01:00')], '2024-03-22T12:00:00+01:00');
      await track.events([domainEvent('death', { patient: p, stay: `other-stay:${p}`, key: 'mors2', event: 'MORS', at: '2024-04-10T07:00:00+02:00' })], '2024-04-10T08:00:00+02:00');
      expect((await track.one(p)).exclusionReason).toBeUndefined();
    });

    it('when the discharge is cancelled (AN_SLHJ), or the admission before it (AN_STIN), then excluded as cancelled', async () => {
      const p = newPatient('an-slhj');
      await track.events([slhj(p, '2024-03-22T10:00:00+01:00', { key: 'slhj-x' })], '2024-03-22T12:00:00+01:00');
      await track.events([domainEvent('cancellation', { patient: p, stay: `stay:${p}`, key: 'slhj-x', headerId: 'an-x', event: 'SLHJ', at: '2024-03-22T10:00:00+01:00' })], '2024-03-22T13:00:00+01:00');
      expect(await track.one(p)).toMatchObject({ state: 'excluded', exclusionReason: 'cancelled' });

      const q = newPatient('an-stin');
      await track.events([slhj(q, '2024-03-22T10:00:00+01:00')], '2024-03-22T12:00:00+01:00');
      await track.events([domainEvent('cancellation', { patient: q, stay: `stay:${q}`, key: 'stin-y', headerId: 'an-y', event: 'STIN', at: '2024-03-18T10:00:00+01:00' })], '2024-03-22T13:00:00+01:00');
      expect(await track.one(q)).toMatchObject({ state: 'excluded', exclusionReason: 'cancelled' });
    });

    it('when the epikrise names no GP, then excluded (no-gp); a later version naming one takes it back', async () => {
      const p = newPatient('no-gp');
      const key = `${HOSPITAL}|urn:test|no-gp-${p}`;
      await track.events([slhj(p, '2024-03-22T10:00:00+01:00')], '2024-03-22T12:00:00+01:00');
      await track.document({ documentReferenceId: `a-${p}`, documentKey: key, patientId: p, receivedAt: new Date('2024-03-22T13:00:00+01:00'), generalPractitioners: [] });
      expect(await track.one(p)).toMatchObject({ state: 'excluded', exclusionReason: 'no-gp' });
      await track.document({ documentReferenceId: `b-${p}`, documentKey: key, patientId: p, receivedAt: new Date('2024-03-22T14:00:00+01:00'), generalPractitioners: [GP] });
      expect(await track.one(p)).toMatchObject({ exclusionReason: undefined, expectedRecipients: [GP] });
    });

    it('when the Encounter says transferred to another hospital, then excluded (transfer)', async () => {
      const p = newPatient('transfer');
      await track.document({ documentReferenceId: `doc-${p}`, patientId: p, receivedAt: new Date('2024-03-22T13:00:00+01:00'), encounterEnd: new Date('2024-03-22T10:00:00+01:00'), dischargeDisposition: 'other-hcf' });
      expect(await track.one(p)).toMatchObject({ state: 'excluded', exclusionReason: 'transfer' });
    });

    it('when a person records the patient\'s objection, then excluded (objection), and it can be withdrawn', async () => {
      const p = newPatient('objection');
      await track.events([slhj(p, '2024-03-22T10:00:00+01:00')], '2024-03-22T12:00:00+01:00');
      const id = (await track.one(p)).id;
      const now = new Date('2024-03-22T13:00:00+01:00');
      await ts.store.transaction((tx) => setManualExclusion(tx, id, 'objection', 'demo-hospital', DEFAULT_TIMELINESS_SETTINGS, now));
      expect(await track.one(p)).toMatchObject({ state: 'excluded', exclusionReason: 'objection', exclusionSource: 'client:demo-hospital' });
      await ts.store.transaction((tx) => setManualExclusion(tx, id, undefined, 'demo-hospital', DEFAULT_TIMELINESS_SETTINGS, now));
      expect(await track.one(p)).toMatchObject({ state: 'pending', exclusionReason: undefined });
    });
  });

  describe('states over time and the overdue list', () => {
    it('when time passes, then pending → at-risk → overdue, listed oldest due first, and each overdue row is handed out for alerting once', async () => {
      const hospital = '999000000000777'; // a hospital of this case alone, so the list holds only its rows
      const a = newPatient('open-a');
      const b = newPatient('open-b');
      const c = newPatient('open-c');
      await track.events([slhj(a, '2024-05-06T10:00:00+02:00')], '2024-05-06T12:00:00+02:00', hospital); // due Tue 7 May
      await track.events([slhj(b, '2024-05-03T10:00:00+02:00')], '2024-05-03T12:00:00+02:00', hospital); // due Mon 6 May
      await track.events([slhj(c, '2024-05-03T11:00:00+02:00')], '2024-05-03T12:00:00+02:00', hospital);
      await track.document({ documentReferenceId: `doc-${c}`, patientId: c, receivedAt: new Date('2024-05-03T12:00:00+02:00') });
      await track.progress(`doc-${c}`, 'sent', '2024-05-03T12:01:00+02:00');

      const atRisk = new Date('2024-05-06T21:00:00+02:00'); // b due 23:59:59.999, 4 h ahead: at risk
      const handed = await ts.store.transaction((tx) => refreshStates(tx, atRisk, DEFAULT_TIMELINESS_SETTINGS));
      expect(handed.filter((h) => h.hospitalSor === hospital)).toEqual([]);
      expect((await track.one(b)).state).toBe('at-risk');
      expect((await track.one(a)).state).toBe('pending');

      const later = new Date('2024-05-08T09:00:00+02:00');
      const open = await ts.store.transaction((tx) => tx.timeliness.open({ now: later, atRiskMs: 4 * 3_600_000, hospitalSor: hospital, limit: 10 }));
      expect(open.map((r) => r.patientId)).toEqual([b, a]);

      const first = (await ts.store.transaction((tx) => refreshStates(tx, later, DEFAULT_TIMELINESS_SETTINGS))).filter((h) => h.hospitalSor === hospital);
      expect(first.map((r) => r.patientId)).toEqual([b, a]);
      expect(first.map((r) => r.alertAttempts)).toEqual([1, 1]);
      expect((await track.one(a)).state).toBe('overdue');
      // Leased: a second check in the same minute hands nothing out again.
      expect((await ts.store.transaction((tx) => refreshStates(tx, later, DEFAULT_TIMELINESS_SETTINGS))).filter((h) => h.hospitalSor === hospital)).toEqual([]);
      await ts.store.transaction(async (tx) => { for (const r of first) await tx.timeliness.markAlerted(r.id, later); });
      const muchLater = new Date('2024-05-20T09:00:00+02:00');
      expect((await ts.store.transaction((tx) => refreshStates(tx, muchLater, DEFAULT_TIMELINESS_SETTINGS))).filter((h) => h.hospitalSor === hospital)).toEqual([]);
    });

    it('when a correction moves an overdue deadline later, then the next refresh makes it pending again', async () => {
      const p = newPatient('back-to-pending');
      await track.events([slhj(p, '2024-06-03T10:00:00+02:00', { key: 'k' })], '2024-06-03T12:00:00+02:00');
      await ts.store.transaction((tx) => refreshStates(tx, new Date('2024-06-05T09:00:00+02:00'), DEFAULT_TIMELINESS_SETTINGS));
      expect((await track.one(p)).state).toBe('overdue');
      await track.events([domainEvent('correction', { patient: p, stay: `stay:${p}`, key: 'k', headerId: 're-k', event: 'SLHJ', at: '2024-06-04T10:00:00+02:00' })], '2024-06-05T09:00:00+02:00');
      // Discharged Tuesday 4 June: the next working day would be Wednesday 5, Grundlovsdag, which dk-strict skips → Thursday 6.
      const r = await track.one(p);
      expect(t(r.dueAt)).toBe('2024-06-06T23:59:59.999+02:00');
      expect(r.state).toBe('pending');
    });
  });
});
