import { describe, expect, it } from 'vitest';
import { readCareCommunication, type CareCommunication } from '../../../src/medcom/index.ts';
import { listExamples } from '../../helpers/examples.ts';
import { readOk } from './medcom-examples.ts';

function ccOf(file: string, folder = 'medcom'): CareCommunication {
  const cc = readCareCommunication(readOk(file, folder));
  if ('issues' in cc) throw new Error(JSON.stringify(cc.issues));
  return cc;
}

const expectations: [string, { thread: string; category: string; relation: string; payloads: string; previous?: string; topic?: string }][] = [
  ['cc-v5-new-message.json', { thread: '5fdc8520-7a2f-497c-97ed-fcca13f12f8b', category: 'examination-results', relation: 'new', payloads: 'text*' }],
  [
    'cc-v5-new-message-with-attachment.json',
    { thread: '7d14612c-5f58-4621-928d-267846f948c7', category: 'extended-care-responsibility', relation: 'new', payloads: 'text* attachment*', topic: 'Kritisk tilstand' },
  ],
  ['cc-v5-new-message-episodeofcare.json', { thread: 'a6be8e47-43a0-4a34-8041-083d41eba038', category: 'examination-results', relation: 'new', payloads: 'text*' }],
  ['cc-v5-new-message-replacement-cpr.json', { thread: '077f79ff-f338-4754-af9d-aa1a3e4da6a9', category: 'examination-results', relation: 'new', payloads: 'text*' }],
  [
    'cc-v5-forward-message.json',
    { thread: 'bb5aba27-2112-434a-ac3f-d317ba7a70cd', category: 'examination-results', relation: 'forward', payloads: 'text text*', previous: '42fa2844-5020-45dd-bd5f-77137ba5ca1f' },
  ],
  [
    'cc-v5-reply-message.xml',
    { thread: '5da4dcca-3b7b-4fce-b54a-e670f0c6a17f', category: 'examination-results', relation: 'reply', payloads: 'text text* attachment*', previous: '0ebb6284-eb20-45eb-8113-6620d2d08608' },
  ],
  [
    'cc-v5-converted-from-xdis91.xml',
    { thread: 'bb210642-8a47-4ca6-8724-018872fbd597', category: 'other', relation: 'new', payloads: 'text* attachment*', topic: 'Forundersøgelse' },
  ],
  [
    'cc-v4.1-reply-message.json',
    { thread: 'd6d721a1-f4ec-4906-8946-ef808525bef1', category: 'examination-results', relation: 'reply', payloads: 'text text*', previous: '8f537c84-17f9-4fd1-a3d6-3d4008d6c6ec' },
  ],
  [
    'cc-v4.0-reply-message-with-attachment.json',
    { thread: '18fa94f2-d40d-46a6-b50d-4086c8e184ad', category: 'examination-results', relation: 'reply', payloads: 'text text* attachment*', previous: '42cb9200-f421-4d08-8391-7d51a2503cb4' },
  ],
];

describe('readCareCommunication on the CC examples', () => {
  it('when the example folder is listed, then every cc-* file is in this table', () => {
    expect(expectations.map(([f]) => f).sort()).toEqual(listExamples('medcom', (f) => f.startsWith('cc-')));
  });

  it.each(expectations)('when %s is read, then thread, category, relation and payloads are right', (file, expected) => {
    const cc = ccOf(file);
    expect(cc.threadKey).toBe(expected.thread);
    expect(cc.threadId).toBe(`urn:uuid:${expected.thread}`);
    expect(cc.category).toBe(expected.category);
    expect(cc.relation.kind).toBe(expected.relation);
    expect(cc.relation.previousHeaderId).toBe(expected.previous);
    expect(cc.payloads.map((p) => p.kind + (p.isNew ? '*' : '')).join(' ')).toBe(expected.payloads);
    if (expected.topic !== undefined) expect(cc.topic).toBe(expected.topic);
    const dates = cc.payloads.map((p) => Date.parse(p.date ?? ''));
    expect(dates).toEqual([...dates].sort((a, b) => a - b));
    expect(cc.texts).toHaveLength(cc.payloads.filter((p) => p.kind === 'text').length);
  });

  it('when the extended-care-responsibility example is read, then its PDF is kept with data and metadata', () => {
    const cc = ccOf('cc-v5-new-message-with-attachment.json');
    expect(cc.attachments).toHaveLength(1);
    const a = cc.attachments[0]?.attachment;
    expect(a).toMatchObject({ contentType: 'application/pdf', title: 'Oversigt', creation: '2023-02-25T08:00:00+01:00' });
    expect(Buffer.from(a?.data ?? '', 'base64').subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(cc.specificSender).toBe('CareTeam/02d749bd-dba0-45a9-9b64-7e1918db575a');
    expect(cc.specificRecipients).toEqual(['PractitionerRole/79fa10dc-dd24-460f-96c9-9232398c8fea']);
    expect(cc.relation.newPayloadIds).toEqual(['urn:uuid:786b5da9-d175-4e89-aa91-b65ed8f75e26', 'urn:uuid:9091a874-17c1-4f3f-94fa-93ca9197d652']);
  });

  it('when a reply repeats earlier payloads, then they come first by date and only the new ones are marked new', () => {
    const cc = ccOf('cc-v5-reply-message.xml');
    expect(cc.payloads.map((p) => p.date)).toEqual(['2024-08-11T12:00:00+02:00', '2024-08-12T11:30:00+02:00', '2024-08-12T11:30:00+02:00']);
    expect(cc.payloads[0]?.isNew).toBe(false);
    expect(cc.texts[0]).toMatch(/^Til rette vedkommende/);
  });

  it('when a forward is read, then its thread id is new and differs from the thread it forwards', () => {
    const forward = ccOf('cc-v5-forward-message.json');
    expect(forward.relation.activity).toBe('forward-message');
    expect(forward.threadKey).not.toBe(ccOf('cc-v5-new-message.json').threadKey);
  });

  it('when the XDIS91 conversion is read, then its line breaks are kept in the text', () => {
    expect(ccOf('cc-v5-converted-from-xdis91.xml').texts[0]).toContain('\n');
  });

  it('when Communication.encounter is set, then the Encounter and its urn:uuid episode-of-care id are read', () => {
    const cc = ccOf('cc-v5-new-message-episodeofcare.json');
    expect(cc.encounter?.reference).toBe('Encounter/ede7ee60-4541-438c-922d-1898a14fa3b1');
    expect(cc.encounter?.episodeOfCareIds[0]?.normalised).toBe('39e3e169-9ece-4ba4-bd24-2e0fbeebc333');
  });

  it('when a HospitalNotification is given, then it is not a CareCommunication', () => {
    expect('issues' in readCareCommunication(readOk('hn-stin-admit-inpatient.json'))).toBe(true);
  });
});

describe('readCareCommunication on the IG flow (JSON and XML)', () => {
  const folder = 'medcom-ig/carecommunication';
  const files = listExamples(folder);

  it.each(files)('when %s is read, then it is a CareCommunication with ordered payloads', (file) => {
    const cc = ccOf(file, folder);
    expect(cc.payloads.length).toBeGreaterThan(0);
    const dates = cc.payloads.map((p) => Date.parse(p.date ?? ''));
    expect(dates).toEqual([...dates].sort((a, b) => a - b));
  });

  it('when the XML and JSON twins are read, then they give the same CareCommunication', () => {
    for (const json of files.filter((f) => f.endsWith('.json'))) {
      expect(ccOf(json.replace(/\.json$/, '.xml'), folder)).toEqual(ccOf(json, folder));
    }
  });

  it('when a reply answers a legacy letter, then the letter reference is kept', () => {
    const cc = ccOf('Bundle-k7bfbc0c-553d-11ed-bdc3-0242ac120002.json', folder);
    expect(cc.relation).toMatchObject({ kind: 'reply', previousHeaderId: undefined, previousLetter: 'B300720181623#5790000121526' });
  });

  it('when the flow goes new, reply, reply, forward, reply, then the thread id changes only at the forward', () => {
    const thread = (name: string): string => ccOf(`Bundle-${name}.json`, folder).threadKey;
    const original = thread('add5e7e2-0c0f-4a4a-bfff-f6f984fa7e3c');
    expect(thread('b56549f7-ed10-422d-8088-f7222b686e46')).toBe(original);
    expect(thread('3dcb5618-3055-406a-9034-1b8fc8de0fea')).toBe(original);
    const forwarded = thread('c0426e3e-978f-46e8-a366-a30f27854b0a');
    expect(forwarded).not.toBe(original);
    expect(thread('d11968f5-4bdf-4b50-b146-a8e1cc890fc3')).toBe(forwarded);
  });
});
