import { describe, expect, it } from 'vitest';
import { deriveHnEvent, isReadFailure, readHospitalNotification, readMessage, type HnEventInput } from '../../../src/medcom/index.ts';
import { listExamples } from '../../helpers/examples.ts';
import { entryResource, loadExample, readOk } from './medcom-examples.ts';

const examples: [string, { event: string; status: string; class: string; deceased: boolean; leave: number; eoc: string[] }][] = [
  ['hn-stin-admit-inpatient.json', { event: 'STIN', status: 'in-progress', class: 'IMP', deceased: false, leave: 0, eoc: ['local'] }],
  ['hn-staa-admit-emergency.json', { event: 'STAA', status: 'in-progress', class: 'EMER', deceased: false, leave: 0, eoc: ['local'] }],
  ['hn-stor-start-leave.json', { event: 'STOR', status: 'onleave', class: 'IMP', deceased: false, leave: 1, eoc: ['local'] }],
  ['hn-slor-end-leave.json', { event: 'SLOR', status: 'in-progress', class: 'IMP', deceased: false, leave: 1, eoc: ['local'] }],
  ['hn-slhj-discharge-inpatient.json', { event: 'SLHJ', status: 'finished', class: 'IMP', deceased: false, leave: 0, eoc: ['local'] }],
  ['hn-slhj-discharge-after-staa-stin.json', { event: 'SLHJ', status: 'finished', class: 'IMP', deceased: false, leave: 0, eoc: ['local'] }],
  ['hn-mors-deceased-emergency.json', { event: 'MORS', status: 'finished', class: 'EMER', deceased: true, leave: 0, eoc: ['local'] }],
  ['hn-mors-deceased-during-leave.json', { event: 'MORS', status: 'finished', class: 'IMP', deceased: true, leave: 1, eoc: ['local'] }],
  ['hn-an-stin-cancel-admission.json', { event: 'AN_STIN', status: 'entered-in-error', class: 'IMP', deceased: false, leave: 0, eoc: ['local'] }],
  ['hn-re-stin-revise-admission-time.json', { event: 'RE_STIN', status: 'in-progress', class: 'IMP', deceased: false, leave: 0, eoc: ['local'] }],
  ['hn-stin-two-episodeofcare-ids.json', { event: 'STIN', status: 'in-progress', class: 'IMP', deceased: false, leave: 0, eoc: ['local', 'lpr3'] }],
  ['hn-stin-lpr3-episodeofcare-id.json', { event: 'STIN', status: 'in-progress', class: 'IMP', deceased: false, leave: 0, eoc: ['lpr3'] }],
];

function hnOf(bundle: unknown) {
  const msg = readMessage(bundle);
  if (isReadFailure(msg)) throw new Error(JSON.stringify(msg.issues));
  return readHospitalNotification(msg);
}

describe('readHospitalNotification on the HN examples', () => {
  it('when the example folder is listed, then every hn-* file is in this table', () => {
    expect([...examples.map(([f]) => f), 'hn-stin-invalid-tek-fcc.json'].sort()).toEqual(listExamples('medcom', (f) => f.startsWith('hn-')));
  });

  it.each(examples)('when %s is read, then it is the event its name says', (file, expected) => {
    const hn = readHospitalNotification(readOk(file));
    if ('issues' in hn) throw new Error(JSON.stringify(hn.issues));
    expect(hn.event).toBe(expected.event);
    expect(hn.encounter.status).toBe(expected.status);
    expect(hn.encounter.class).toBe(expected.class);
    expect(hn.deceased).toBe(expected.deceased);
    expect(hn.encounter.leave).toHaveLength(expected.leave);
    expect(hn.episodeOfCareIds.map((e) => e.kind)).toEqual(expected.eoc);
    expect(hn.serviceProviderSor).toBe('265161000016000');
    expect(hn.warnings.filter((w) => w.severity !== 'warning')).toEqual([]);
  });

  it('when the invalid example is read, then it is rejected for its missing event[x] and Encounter.class only', () => {
    const r = readMessage(loadExample('hn-stin-invalid-tek-fcc.json'));
    if (!isReadFailure(r)) throw new Error('accepted');
    expect(r.issues.filter((i) => i.severity === 'error').flatMap((i) => i.expression)).toEqual([
      'Bundle.entry[0].resource.event',
      'Bundle.entry[2].resource.class',
    ]);
  });

  it('when a STIN asks for the admission report, then the request and its recipient are read', () => {
    const hn = readHospitalNotification(readOk('hn-stin-admit-inpatient.json'));
    if ('issues' in hn) throw new Error('rejected');
    expect(hn.admissionReportRequested).toBe(true);
    expect(hn.admissionReportRecipient).toBe('Organization/o7056980-a8b2-42aa-8a0e-c1fc85d1f40d');
    expect(hn.revises).toBeUndefined();
    expect(hn.chain).toEqual(['b9b4818e-02de-4cc4-b418-d20cbc7b5404']);
  });

  it('when SLOR and MORS-during-leave are read, then the leave periods and the death time come from the Encounter', () => {
    const slor = readHospitalNotification(readOk('hn-slor-end-leave.json'));
    const mors = readHospitalNotification(readOk('hn-mors-deceased-during-leave.json'));
    if ('issues' in slor || 'issues' in mors) throw new Error('rejected');
    expect(slor.encounter.leave).toEqual([{ start: '2023-03-03T14:00:10+01:00', end: '2023-03-05T15:30:00+01:00' }]);
    expect(slor.admissionReportRequested).toBe(false);
    expect(mors.encounter.leave).toEqual([{ start: '2023-03-03T14:00:10+01:00', end: undefined }]);
    expect(mors.encounter.periodEnd).toBe('2023-03-04T09:45:30+01:00');
    expect(mors.activity).toBe('start-leave-inpatient');
  });

  it('when corrections and cancellations are read, then they name the header they revise or cancel', () => {
    const re = readHospitalNotification(readOk('hn-re-stin-revise-admission-time.json'));
    const an = readHospitalNotification(readOk('hn-an-stin-cancel-admission.json'));
    if ('issues' in re || 'issues' in an) throw new Error('rejected');
    expect([re.change, re.revises, re.cancels]).toEqual(['correction', 'b9b4818e-02de-4cc4-b418-d20cbc399006', undefined]);
    expect([an.change, an.cancels]).toEqual(['cancellation', 'b9b4818e-02de-4cc4-b418-d20cbc399006']);
  });

  it('when a STOR claims to be finished, then the issue names what was seen and points at all four elements', () => {
    const bundle = loadExample('hn-stor-start-leave.json');
    entryResource(bundle, 2).status = 'finished';
    const r = hnOf(bundle);
    if (!('issues' in r)) throw new Error('accepted');
    const error = r.issues.find((i) => i.severity === 'error');
    expect(error?.diagnostics).toBe("No HospitalNotification event has class 'IMP', status 'finished', activity 'start-leave-inpatient', deceased false");
    expect(error?.expression).toEqual([
      'Bundle.entry[2].resource.class',
      'Bundle.entry[2].resource.status',
      'Bundle.entry[6].resource.activity',
      'Bundle.entry[1].resource.deceased',
    ]);
  });

  it('when a CareCommunication is given, then it is not a HospitalNotification', () => {
    expect('issues' in readHospitalNotification(readOk('cc-v5-new-message.json'))).toBe(true);
  });
});

describe('readHospitalNotification on the IG examples (JSON and XML)', () => {
  const ig: [string, string][] = [
    ['Bundle-a5e5b880-c087-4055-b9ec-99108695f81d', 'STIN'],
    ['Bundle-bfab3e80-9584-11ec-b909-0242ac120002', 'RE_STIN'],
    ['Bundle-c83671a4-9584-11ec-b909-0242ac120002', 'AN_STIN'],
    ['Bundle-d3128d9b-cede-4c7f-8904-809eab322d7d', 'STOR'],
    ['Bundle-e94de8ee-bd94-475e-b454-b8fbbef8a685', 'SLOR'],
    ['Bundle-f4aa42a4-86db-4e68-9b38-9dda0dfd5774', 'SLHJ'],
    ['Bundle-g099bbf3-3fca-4722-a248-bfe1aa956410', 'MORS'],
    ['Bundle-h1c8e4a8-6b45-4669-94ad-2a99ad96bf03', 'STAA'],
    ['Bundle-kcab461b-f44e-4d97-a041-ef7e64800587', 'SLHJ'],
    ['Bundle-ld31e08a-b91f-49c3-841a-ce80e6380517', 'MORS'],
    ['Bundle-m908i967-9ie3-9023-b9ec-98108695f01d', 'STIN'],
    ['Bundle-n73ccf30-80b9-4bd2-bf50-1ac1914498f0', 'STIN'],
  ];
  it.each(ig.flatMap(([name, event]) => [[`${name}.json`, event] as const, [`${name}.xml`, event] as const]))(
    'when %s is read, then it is %s',
    (file, event) => {
      const hn = readHospitalNotification(readOk(file, 'medcom-ig/hospitalnotification'));
      expect('issues' in hn ? hn.issues : hn.event).toBe(event);
    },
  );
});

describe('deriveHnEvent', () => {
  const base: HnEventInput = { class: 'IMP', status: 'in-progress', activity: 'admit-inpatient', deceased: false, activityRun: 1, deadOnArrival: false };
  const ok: [string, Partial<HnEventInput>, string][] = [
    ['STAA', { class: 'EMER', activity: 'admit-emergency' }, 'STAA'],
    ['STIN', {}, 'STIN'],
    ['STOR', { status: 'onleave', activity: 'start-leave-inpatient' }, 'STOR'],
    ['SLOR', { activity: 'end-leave-inpatient' }, 'SLOR'],
    ['SLHJ emergency', { class: 'EMER', status: 'finished', activity: 'discharge-emergency-home' }, 'SLHJ'],
    ['RE_SLHJ', { status: 'finished', activity: 'revise-discharge-inpatient-home' }, 'RE_SLHJ'],
    ['RE_STOR', { status: 'onleave', activity: 'revise-start-leave-inpatient' }, 'RE_STOR'],
    ['AN_STAA', { class: 'EMER', status: 'entered-in-error', activity: 'cancel-admit-emergency' }, 'AN_STAA'],
    ['AN_STIN as cancelled', { status: 'cancelled', activity: 'cancel-admit-inpatient' }, 'AN_STIN'],
    ['AN_STOR back in progress', { activity: 'cancel-start-leave-inpatient' }, 'AN_STOR'],
    ['AN_SLOR back on leave', { status: 'onleave', activity: 'cancel-end-leave-inpatient' }, 'AN_SLOR'],
    ['AN_SLHJ back in progress', { activity: 'cancel-discharge-inpatient-home' }, 'AN_SLHJ'],
    ['MORS dead on arrival', { status: 'finished', deceased: true, deadOnArrival: true }, 'MORS'],
    ['MORS keeping the leave activity', { status: 'finished', deceased: true, activity: 'start-leave-inpatient', activityRun: 2 }, 'MORS'],
    ['RE_MORS after STIN and MORS', { status: 'finished', deceased: true, activityRun: 3 }, 'RE_MORS'],
    ['RE_MORS of a dead-on-arrival MORS', { status: 'finished', deceased: true, activityRun: 2, deadOnArrival: true }, 'RE_MORS'],
    ['AN_MORS back to the previous status', { status: 'onleave', activity: 'start-leave-inpatient', activityRun: 2 }, 'AN_MORS'],
  ];
  it.each(ok)('when the facts are those of %s, then the event is %s', (_name, facts, event) => {
    const r = deriveHnEvent({ ...base, ...facts });
    expect(r.ok ? r.event : r.problem).toBe(event);
    if (r.ok) expect(r.warnings).toEqual([]);
  });

  it.each([
    ['SLHJ while on leave (MedCom SLHJ_I)', { status: 'onleave', activity: 'discharge-inpatient-home' }, 'SLHJ'],
    ['MORS still in progress (MedCom MORS_J)', { deceased: true, activityRun: 2 }, 'MORS'],
  ] as [string, Partial<HnEventInput>, string][])('when the odd state %s is seen, then it is %s with a warning', (_name, facts, event) => {
    const r = deriveHnEvent({ ...base, ...facts });
    expect(r.ok && r.event).toBe(event);
    expect(r.ok && r.warnings).toHaveLength(1);
  });

  it.each([
    ['STIN with class EMER', { class: 'EMER' }],
    ['STOR still in progress', { activity: 'start-leave-inpatient' }],
    ['SLHJ in progress', { activity: 'discharge-inpatient-home' }],
    ['a discharge of the wrong class', { class: 'EMER', status: 'finished', activity: 'discharge-inpatient-home' }],
    ['AN_SLHJ still finished', { status: 'finished', activity: 'cancel-discharge-inpatient-home' }],
    ['a correction with a death', { status: 'finished', deceased: true, activity: 'revise-admit-inpatient' }],
    ['a CareCommunication activity', { activity: 'reply-message' }],
    ['no activity', { activity: undefined }],
    ['class AMB', { class: 'AMB' }],
    ['no class', { class: undefined }],
  ] as [string, Partial<HnEventInput>][])('when the facts are %s, then no event is derived', (_name, facts) => {
    const r = deriveHnEvent({ ...base, ...facts });
    expect(r.ok).toBe(false);
  });
});
