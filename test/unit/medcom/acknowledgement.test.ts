import { describe, expect, it } from 'vitest';
import {
  buildAcknowledgement,
  isReadFailure,
  needsAcknowledgement,
  readAcknowledgement,
  readMessage,
  type AckContext,
  type AckOutcome,
  type MedComMessage,
  type MessageEnvelope,
} from '../../../src/medcom/index.ts';
import { GatewayError, hasErrors, type Issue } from '../../../src/shared/index.ts';
import { createValidator } from '../../../src/validation/index.ts';
import { listExamples } from '../../helpers/examples.ts';
import { fhirMessageExamples, loadExample, readOk } from './medcom-examples.ts';

type Json = Record<string, unknown>;
type Entry = { fullUrl: string; resource: Json & { resourceType: string; meta?: { profile?: string[] }; text?: { div?: string } } };

const US = { sor: '953741000016009', gln: '5790001348120', name: 'Plejecenter Herlev' };
const CTX: AckContext = {
  us: US,
  now: new Date('2024-12-05T10:09:20Z'),
  ids: {
    bundleId: 'afbdcb9c-ab3b-4391-9f5f-98fac2cd89c4',
    headerId: 'b033429c-3d01-4ea1-8d8b-9f45515d952c',
    provenanceId: '4fce9a56-c149-40ce-b29c-1207a52bc2bc',
    outcomeId: '649a459b-88fc-4ef0-8a99-9c85a7617edc',
  },
};
const ISSUE_DETAIL_SYSTEMS = [
  'http://terminology.hl7.org/CodeSystem/operation-outcome',
  'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-acknowledgement-error-codes',
];

const entriesOf = (bundle: unknown): Entry[] => (bundle as { entry: Entry[] }).entry;
const ofType = (bundle: unknown, type: string): Entry['resource'][] =>
  entriesOf(bundle)
    .map((e) => e.resource)
    .filter((r) => r.resourceType === type);
const first = (bundle: unknown, type: string): Json => {
  const r = ofType(bundle, type)[0];
  if (r === undefined) throw new Error(`no ${type}`);
  return r;
};
const keys = (v: unknown): string[] => Object.keys(v as Json).sort();

/** What the IG fixes about an Acknowledgement, without the values that differ per message. */
function shapeOf(bundle: unknown): unknown {
  const b = bundle as Json;
  const header = first(bundle, 'MessageHeader');
  const destination = (header.destination as Json[])[0] ?? {};
  const provenances = ofType(bundle, 'Provenance');
  return {
    bundleKeys: keys(b),
    profile: (b.meta as Json).profile,
    type: b.type,
    entries: entriesOf(bundle).map((e) => ({
      type: e.resource.resourceType,
      profile: e.resource.meta?.profile,
      narrative: typeof e.resource.text?.div === 'string',
      fullUrl: e.fullUrl.replace(/[^/]+$/, '<id>'),
    })),
    headerKeys: keys(header),
    event: header.eventCoding,
    destinationKeys: keys(destination),
    destinationUse: destination.extension,
    responseKeys: keys(header.response),
    definition: header.definition,
    provenanceKeys: provenances.map(keys),
    ackProvenance: { activity: (provenances[1]?.activity as Json | undefined)?.coding, entityRoles: (provenances[1]?.entity as Json[] | undefined)?.map((e) => e.role) },
    organizationIdentifierSystems: ofType(bundle, 'Organization').map((o) => (o.identifier as Json[]).map((i) => i.system)),
    outcomeIssues: ofType(bundle, 'OperationOutcome').flatMap((o) =>
      (o.issue as Json[]).map((i) => ({
        severity: i.severity,
        detailSystems: (((i.details as Json | undefined)?.coding as Json[] | undefined) ?? []).map((c) => c.system),
      })),
    ),
  };
}

const fatal: AckOutcome = {
  code: 'fatal-error',
  issues: [{ severity: 'error', code: 'value', diagnostics: 'A code is not in its value set', expression: ['Bundle.entry[2].resource.class'] }],
};
const transient: AckOutcome = { code: 'transient-error', issues: [{ severity: 'error', code: 'not-supported', diagnostics: 'The mailbox is out of operation' }] };

describe('buildAcknowledgement against the 2024 reference examples', () => {
  const received = readOk('hn-stin-admit-inpatient.json');
  const references: [string, AckOutcome][] = [
    ['ack-v2-ok-2024.xml', { code: 'ok' }],
    ['ack-v2-fatal-error-2024.json', fatal],
    ['ack-v2-transient-error-2024.xml', transient],
  ];

  it.each(references)('when an acknowledgement like %s is built, then its structure matches the reference', (file, outcome) => {
    const reference = loadExample(file);
    const built = buildAcknowledgement(received, outcome, CTX);
    expect(shapeOf(built)).toEqual(shapeOf(reference));
  });

  it('when the CareCommunication converted from XDIS91 is acknowledged, then the values match its published acknowledgement', () => {
    const cc = readOk('cc-v5-converted-from-xdis91.xml');
    const reference = loadExample('ack-v2-ok-carecommunication-flow.xml');
    const built = buildAcknowledgement(cc, { code: 'ok' }, { ...CTX, us: { sor: '328051000016008', gln: '5790000121441', name: 'Social og Sundhed Odense Kommune' } });
    const headerOf = (b: unknown): Json => first(b, 'MessageHeader');
    expect((headerOf(built).response as Json).identifier).toBe((headerOf(reference).response as Json).identifier);
    expect((headerOf(built).destination as Json[])[0]?.endpoint).toBe((headerOf(reference).destination as Json[])[0]?.endpoint);
    expect((headerOf(built).source as Json).endpoint).toBe((headerOf(reference).source as Json).endpoint);
    const orgs = (b: unknown): unknown => ofType(b, 'Organization').map((o) => o.identifier);
    expect(orgs(built)).toEqual([...(orgs(reference) as unknown[])].reverse());
    // The published copy has another occurredDateTime than the CareCommunication it copies; target and activity agree.
    const carried = (b: unknown): unknown => {
      const p = ofType(b, 'Provenance')[0];
      return [p?.target, p?.activity];
    };
    expect(carried(built)).toEqual(carried(reference));
  });
});

describe('buildAcknowledgement content', () => {
  const received = readOk('hn-stin-admit-inpatient.json');
  const validator = createValidator();

  it('when an ok is built, then it is read back as an acknowledgement of the received header without any warning', () => {
    const ack = buildAcknowledgement(received, { code: 'ok' }, CTX);
    const back = readMessage(ack);
    if (isReadFailure(back)) throw new Error(JSON.stringify(back.issues));
    expect(back.warnings).toEqual([]);
    expect(back.kind).toBe('acknowledgement');
    expect(back.sender).toMatchObject({ sor: US.sor, gln: US.gln, name: US.name });
    expect(back.receiver).toMatchObject({ sor: received.sender.sor, gln: received.sender.gln, name: received.sender.name });
    expect(back.receiverEndpoint).toBe(received.sourceEndpoint);
    expect(back.sentAt).toBe('2024-12-05T11:09:20+01:00');
    expect(readAcknowledgement(back)).toMatchObject({ ackOf: received.headerId, code: 'ok', issues: [] });
    expect(needsAcknowledgement(back)).toBe(false);
  });

  it('when an ok is built, then it carries exactly two Provenances: the received latest one and ours revising its header', () => {
    const ack = buildAcknowledgement(received, { code: 'ok' }, CTX);
    const [carried, ours] = ofType(ack, 'Provenance');
    const latest = received.provenance.at(-1)?.resource;
    expect(ofType(ack, 'Provenance')).toHaveLength(2);
    expect(carried?.id).toBe(latest?.id);
    expect(carried?.target).toEqual(latest?.target);
    expect(carried?.activity).toEqual(latest?.activity);
    expect(ours?.entity).toEqual([{ role: 'revision', what: { reference: `MessageHeader/${received.headerId}` } }]);
    expect(ofType(ack, 'OperationOutcome')).toEqual([]);
  });

  it('when the carried Provenance named the sender, then its agent resolves to the destination Organization of the ack', () => {
    const ack = buildAcknowledgement(received, { code: 'ok' }, CTX);
    const carried = ofType(ack, 'Provenance')[0];
    const destination = (first(ack, 'MessageHeader').destination as { receiver: { reference: string } }[])[0];
    expect((carried?.agent as { who: { reference: string } }[])[0]?.who.reference).toBe(destination?.receiver.reference);
  });

  it('when any acknowledgement is built, then base R4 validation finds no errors', () => {
    for (const outcome of [{ code: 'ok' } as AckOutcome, fatal, transient]) {
      const issues = validator.validate(buildAcknowledgement(received, outcome, CTX), { resourceType: 'Bundle' });
      expect(hasErrors(issues)).toBe(false);
    }
  });

  it('when every resource is inspected, then each has the IG profile, a generated narrative without base64, and an absolute fullUrl', () => {
    const ack = buildAcknowledgement(received, fatal, CTX);
    for (const e of entriesOf(ack)) {
      expect(e.resource.meta?.profile).toHaveLength(1);
      expect(e.resource.text?.div).toMatch(/^<div xmlns="http:\/\/www\.w3\.org\/1999\/xhtml">/);
      expect(e.fullUrl).toBe(`https://medcomfhir.dk/ig/acknowledgement/${e.resource.resourceType}/${String(e.resource.id)}`);
    }
    expect(JSON.stringify(ack)).not.toContain(received.patient?.identifier.value ?? 'no-cpr');
  });

  it('when the invalid example is acknowledged from its envelope, then the fatal-error names both faults with MSG codes', () => {
    const failure = readMessage(loadExample('hn-stin-invalid-tek-fcc.json'));
    if (!isReadFailure(failure) || failure.envelope === undefined) throw new Error('expected a failure with an envelope');
    const ack = buildAcknowledgement(failure.envelope, { code: 'fatal-error', issues: failure.issues.filter((i) => i.severity === 'error') }, CTX);
    const back = readMessage(ack);
    if (isReadFailure(back)) throw new Error(JSON.stringify(back.issues));
    const read = readAcknowledgement(back);
    if ('issues' in read && !('ackOf' in read)) throw new Error('not an ack');
    expect(read.code).toBe('fatal-error');
    expect(read.ackOf).toBe('c4888e5e-ec5c-4b16-a875-7b287e63e214');
    expect(read.issues.map((i) => [i.code, i.details[0]?.code, i.expression])).toEqual([
      ['required', 'MSG_BAD_FORMAT', ['Bundle.entry[0].resource.event']],
      ['required', 'MSG_BAD_FORMAT', ['Bundle.entry[2].resource.class']],
    ]);
    for (const i of read.issues) expect(ISSUE_DETAIL_SYSTEMS).toContain(i.details[0]?.system);
  });

  it('when a transient-error has no issues, then a transient issue is still included', () => {
    const ack = buildAcknowledgement(received, { code: 'transient-error' }, CTX);
    expect(ofType(ack, 'OperationOutcome')[0]?.issue).toEqual([
      { severity: 'error', code: 'transient', details: { text: 'The message could not be processed now; resend it unchanged' } },
    ]);
  });

  it('when an ok answers a duplicate with information, then it carries an OperationOutcome with MSG_DUPLICATE_ID', () => {
    const info: Issue = { severity: 'information', code: 'duplicate', diagnostics: 'The message was received before' };
    const ack = buildAcknowledgement(received, { code: 'ok', issues: [info] }, { ...CTX, ids: { ...CTX.ids, outcomeId: undefined } });
    const outcome = ofType(ack, 'OperationOutcome')[0];
    expect((first(ack, 'MessageHeader').response as Json).details).toEqual({ reference: `OperationOutcome/${String(outcome?.id)}` });
    expect(outcome?.issue).toEqual([
      {
        severity: 'information',
        code: 'duplicate',
        details: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/operation-outcome', code: 'MSG_DUPLICATE_ID' }] },
        diagnostics: 'The message was received before',
      },
    ]);
  });

  it('when the same inputs are given twice, then the acknowledgement is identical', () => {
    expect(buildAcknowledgement(received, fatal, CTX)).toEqual(buildAcknowledgement(received, fatal, CTX));
  });

  it('when an acknowledgement would answer an acknowledgement, then it is refused', () => {
    expect(() => buildAcknowledgement(readOk('ack-v2-ok-2024.xml'), { code: 'ok' }, CTX)).toThrow(GatewayError);
  });

  it('when an id is not a UUID, then the build is refused', () => {
    expect(() => buildAcknowledgement(received, { code: 'ok' }, { ...CTX, ids: { ...CTX.ids, headerId: 'not-a-uuid' } })).toThrow(GatewayError);
  });
});

describe('readAcknowledgement and needsAcknowledgement on the examples', () => {
  const acks: [string, string, string, string[]][] = [
    ['ack-ok.json', '42cb9200-f421-4d08-8391-7d51a2503cb4', 'ok', []],
    ['ack-transient-error.json', '42cb9200-f421-4d08-8391-7d51a2503cb4', 'transient-error', ['message-development-error']],
    ['ack-fatal-error.json', '5b89a5d0-707a-4b42-8597-ef694e399006', 'fatal-error', ['message-development-error']],
    ['ack-v2-fatal-error-2024.json', '53128d9b-cede-4c7f-8904-809eab322d7d', 'fatal-error', ['MSG_VALUESET_VALUE_UNKNOWN']],
    ['ack-v2-ok-2024.xml', '42cb9200-f421-4d08-8391-7d51a2503cb4', 'ok', []],
    ['ack-v2-transient-error-2024.xml', '53128d9b-cede-4c7f-8904-809eab322d7d', 'transient-error', ['MSG_Mailbox_Out_Of_Operation']],
    ['ack-v2-ok-carecommunication-flow.xml', '60098c38-6fe1-41ba-aa92-d4809022de88', 'ok', []],
  ];

  it('when the example folder is listed, then every ack-* file is in this table', () => {
    expect(acks.map(([f]) => f).sort()).toEqual(listExamples('medcom', (f) => f.startsWith('ack-')));
  });

  it.each(acks)('when %s is read, then it acknowledges %s with %s', (file, ackOf, code, details) => {
    const read = readAcknowledgement(readOk(file));
    if (!('ackOf' in read)) throw new Error(JSON.stringify(read.issues));
    expect(read.ackOf).toBe(ackOf);
    expect(read.code).toBe(code);
    expect(read.issues.flatMap((i) => i.details.map((d) => d.code))).toEqual(details);
  });

  it('when any example is read, then only the acknowledgements need no acknowledgement', () => {
    for (const file of fhirMessageExamples()) {
      const r = readMessage(loadExample(file));
      const envelope: MessageEnvelope | undefined = isReadFailure(r) ? r.envelope : r;
      expect(envelope === undefined ? file : needsAcknowledgement(envelope)).toBe(!file.startsWith('ack-'));
    }
  });

  it.each(listExamples('medcom-ig/acknowledgement', (f) => !f.startsWith('Bundle-eb26be85')))('when IG example %s is read, then it is an acknowledgement', (file) => {
    expect('ackOf' in readAcknowledgement(readOk(file, 'medcom-ig/acknowledgement'))).toBe(true);
  });

  it('when the IG empty message is read, then its event is not supported but it can still be acknowledged', () => {
    const r = readMessage(loadExample('Bundle-eb26be85-fdb7-454d-a980-95cba6d1745b.json', 'medcom-ig/acknowledgement'));
    if (!isReadFailure(r) || r.envelope === undefined) throw new Error('expected a failure with an envelope');
    // Its one Provenance targets another MessageHeader than its own: an IG example slip, reported too.
    expect(r.issues.filter((i) => i.severity === 'error').map((i) => i.expression?.[0])).toEqual(['Bundle.entry[0].resource.event.code', 'Bundle.entry']);
    expect(needsAcknowledgement(r.envelope)).toBe(true);
  });

  it('when a HospitalNotification is given, then it is not read as an acknowledgement', () => {
    const hn: MedComMessage = readOk('hn-stin-admit-inpatient.json');
    expect('ackOf' in readAcknowledgement(hn)).toBe(false);
  });
});
