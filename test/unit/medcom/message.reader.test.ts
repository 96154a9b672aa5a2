import { describe, expect, it } from 'vitest';
import { currentProvenance, isReadFailure, readMessage, resolveInMessage, type MessageReadFailure } from '../../../src/medcom/index.ts';
import { listExamples } from '../../helpers/examples.ts';
import { entryResource, fhirMessageExamples, loadExample, readOk, resourceOfType } from './medcom-examples.ts';

const INVALID = 'hn-stin-invalid-tek-fcc.json';
const CPR = '2509479989';

type Json = Record<string, unknown>;

function readFailure(bundle: unknown): MessageReadFailure {
  const r = readMessage(bundle);
  if (!isReadFailure(r)) throw new Error('expected the message to be rejected');
  return r;
}

const errorsOf = (f: MessageReadFailure): { diagnostics: string; expression: string[] | undefined }[] =>
  f.issues.filter((i) => i.severity === 'error').map((i) => ({ diagnostics: i.diagnostics, expression: i.expression }));

const kindOfFile = (file: string): string =>
  file.startsWith('hn-') ? 'hospital-notification' : file.startsWith('cc-') ? 'care-communication' : 'acknowledgement';

describe('readMessage on every MedCom example', () => {
  it('when the example folder is listed, then every file is an hn-, cc-, ack- or oioxml- example with its own test table', () => {
    const other = listExamples('medcom', (f) => f !== 'SOURCES.md' && !/^(hn|cc|ack|oioxml)-/.test(f));
    expect(other).toEqual([]);
    expect(fhirMessageExamples()).toHaveLength(29);
  });

  it.each(fhirMessageExamples().filter((f) => f !== INVALID))('when %s is read, then it is accepted with its kind and no errors', (file) => {
    const msg = readOk(file);
    expect(msg.kind).toBe(kindOfFile(file));
    expect(msg.warnings.every((w) => w.severity === 'warning')).toBe(true);
    expect(msg.sender.sor).toMatch(/^\d{11,}$/);
    expect(msg.sender.gln).toMatch(/^579\d{10}$/);
    expect(msg.receiver.sor).toMatch(/^\d{11,}$/);
    // Not always the sender's own SOR: cc-v4.0-reply-message-with-attachment.json names another unit.
    expect(msg.sourceEndpoint).toMatch(/^https:\/\/sor2\.sum\.dsdn\.dk\/#id=\d{11,}$/);
    expect(currentProvenance(msg)?.target).toBe(msg.headerId);
    expect(msg.sentAt).toBe(currentProvenance(msg)?.occurred);
    if (msg.kind === 'acknowledgement') expect(msg.patient).toBeUndefined();
    else expect(msg.patient?.reference).toMatch(/^Patient\//);
  });

  it('when the deliberately invalid HN is read, then it fails for exactly its two real faults', () => {
    const failure = readFailure(loadExample(INVALID));
    expect(errorsOf(failure)).toEqual([
      { diagnostics: expect.stringContaining('event[x]') as string, expression: ['Bundle.entry[0].resource.event'] },
      { diagnostics: 'Encounter.class is missing', expression: ['Bundle.entry[2].resource.class'] },
    ]);
    expect(failure.envelope?.headerId).toBe('c4888e5e-ec5c-4b16-a875-7b287e63e214');
    expect(failure.envelope?.kind).toBe('hospital-notification');
    expect(failure.envelope?.sourceEndpoint).toBe('https://sor2.sum.dsdn.dk/#id=265161000016000');
  });

  it('when the examples carry non-UUID ids, then those are warnings with their location, not errors', () => {
    const staa = readOk('hn-staa-admit-emergency.json');
    expect(staa.headerId).toBe('i50fc5fe-2d11-4ef3-acac-2e2e5c399006');
    expect(staa.warnings).toContainEqual(expect.objectContaining({ severity: 'warning', expression: ['Bundle.entry[0].resource.id'] }));
    const forward = readOk('cc-v5-forward-message.json');
    expect(forward.bundleId).toBe('R-C-forward-8352b67a-23b2-44c5-b43a-725270a90722');
    expect(forward.warnings).toContainEqual(expect.objectContaining({ expression: ['Bundle.id'] }));
  });

  it('when issues are reported for any example or mutation, then no diagnostic contains the CPR number', () => {
    const all = fhirMessageExamples().flatMap((f) => {
      const r = readMessage(loadExample(f));
      return isReadFailure(r) ? r.issues : r.warnings;
    });
    expect(all.length).toBeGreaterThan(0);
    expect(JSON.stringify(all)).not.toContain(CPR);
  });
});

describe('readMessage structure', () => {
  it('when the Provenances are listed newest first, then the stack is ordered oldest first along the revision links', () => {
    const msg = readOk('hn-slhj-discharge-after-staa-stin.json');
    expect(msg.provenance.map((p) => p.activity)).toEqual(['admit-emergency', 'admit-inpatient', 'discharge-inpatient-home']);
    expect(msg.provenance.map((p) => p.target)).toEqual([
      'i50fc5fe-2d11-4ef3-acac-2e2e5c399006',
      'a9b73218-820c-4db4-9fb7-59e498399006',
      'a4894fcf-f8b3-48b7-bb9e-dca526399006',
    ]);
    expect(msg.provenance[2]?.entityRevisionOf).toBe('a9b73218-820c-4db4-9fb7-59e498399006');
  });

  it('when a cancellation is read, then its removal entity names the cancelled header and the historic target may dangle', () => {
    const msg = readOk('hn-an-stin-cancel-admission.json');
    expect(currentProvenance(msg)?.entityRemovalOf).toBe('b9b4818e-02de-4cc4-b418-d20cbc399006');
    expect(msg.provenance[0]?.target).toBe('b9b4818e-02de-4cc4-b418-d20cbc399006');
    expect(msg.warnings.some((w) => w.severity === 'error')).toBe(false);
  });

  it('when fullUrls are absolute (CC) or relative (HN), then references resolve to Type/id either way', () => {
    const cc = readOk('cc-v5-new-message.json');
    expect(cc.focus.kind === 'care-communication' && cc.focus.reference).toBe('Communication/38f751db-339c-46a6-a10d-cb88f72b2150');
    expect(resolveInMessage(cc, 'https://medcomfhir.dk/ig/carecommunication/Patient/8d7f4ef8-ac79-4b7d-b9e7-b769471221b2')?.key).toBe(
      'Patient/8d7f4ef8-ac79-4b7d-b9e7-b769471221b2',
    );
    const hn = readOk('hn-stin-admit-inpatient.json');
    expect(hn.focus.kind === 'hospital-notification' && hn.focus.encounter.status).toBe('in-progress');
    expect(hn.sender).toEqual({
      reference: 'Organization/o7056980-a8b2-42aa-8a0e-c1fc85d1f40d',
      sor: '265161000016000',
      gln: '5790000209354',
      name: 'Hjerteafdelingen på Herlev og Gentofte hospital',
    });
    expect(hn.receiver.sor).toBe('953741000016009');
    expect(hn.receiverEndpoint).toBe('https://sor2.sum.dsdn.dk/#id=953741000016009');
    expect(hn.patient?.identifier).toEqual({ kind: 'cpr', system: 'urn:oid:1.2.208.176.1.2', value: CPR });
  });

  it('when the sender writes its GLN with http:// or the legacy OID, then it is read and normalised', () => {
    for (const system of ['http://www.gs1.org/gln', 'urn:oid:1.3.88']) {
      const bundle = loadExample('hn-stin-admit-inpatient.json');
      const org = entryResource(bundle, 4) as { identifier: { system: string }[] };
      const gln = org.identifier[0];
      if (gln === undefined) throw new Error('no identifier');
      gln.system = system;
      const r = readMessage(bundle);
      expect(isReadFailure(r) ? undefined : r.sender.gln).toBe('5790000209354');
    }
  });

  it('when an Organization in the flow example has no name, then it is still read', () => {
    const ack = readOk('ack-v2-ok-carecommunication-flow.xml');
    expect(ack.sender.name).toBeUndefined();
    expect(ack.sender.gln).toBe('5790000121441');
  });

  it('when a CareCommunication patient has only replacement CPRs, then it is accepted with the X-eCPR', () => {
    const msg = readOk('cc-v5-new-message-replacement-cpr.json');
    expect(msg.patient?.identifier.kind).toBe('x-ecpr');
  });

  it('when an acknowledgement is read, then the response and its OperationOutcome are the focus', () => {
    const ack = readOk('ack-v2-fatal-error-2024.json');
    if (ack.focus.kind !== 'acknowledgement') throw new Error('not an ack');
    expect(ack.focus.response.identifier).toBe('53128d9b-cede-4c7f-8904-809eab322d7d');
    expect(ack.focus.response.code).toBe('fatal-error');
    expect(ack.focus.response.outcome?.resource.issue[0]?.code).toBe('structure');
    expect(ack.warnings).toContainEqual(expect.objectContaining({ expression: ['Bundle.entry[0].resource.response.identifier'] }));
  });
});

describe('readMessage rejections', () => {
  const mutate = (file: string, change: (bundle: Json) => void): MessageReadFailure => {
    const bundle = loadExample(file);
    change(bundle);
    return readFailure(bundle);
  };
  const hn = 'hn-stin-admit-inpatient.json';

  it('when the input is not a Bundle, then it fails at Bundle', () => {
    expect(errorsOf(readFailure({ resourceType: 'Patient' }))[0]?.expression).toEqual(['Bundle']);
    expect(errorsOf(readFailure('text'))[0]?.expression).toEqual(['Bundle']);
    expect(readFailure(null).envelope).toBeUndefined();
  });

  const cases: [string, string, (b: Json) => void, string][] = [
    [hn, 'Bundle.type is not message', (b) => (b.type = 'collection'), 'Bundle.type'],
    [hn, 'the MessageHeader is not first', (b) => (b.entry as unknown[]).reverse(), 'Bundle.entry[0].resource'],
    [hn, 'there is no MessageHeader', (b) => (b.entry = (b.entry as { resource: Json }[]).slice(1)), 'Bundle.entry[0].resource'],
    [hn, 'the event code is unknown', (b) => ((entryResource(b, 0).eventCoding as Json).code = 'homecareobservation-message'), 'Bundle.entry[0].resource.event.code'],
    [hn, 'the event system is wrong', (b) => ((entryResource(b, 0).eventCoding as Json).system = 'http://example.org'), 'Bundle.entry[0].resource.event.system'],
    [hn, 'the sender has no SOR', (b) => ((entryResource(b, 4).identifier as unknown[]).length = 1), 'Bundle.entry[4].resource.identifier'],
    [hn, 'the receiver has no GLN', (b) => (entryResource(b, 3).identifier as unknown[]).shift(), 'Bundle.entry[3].resource.identifier'],
    [hn, 'the sender does not resolve', (b) => (entryResource(b, 0).sender = { reference: 'Organization/missing' }), 'Bundle.entry[0].resource.sender'],
    [hn, 'source.endpoint is missing', (b) => (entryResource(b, 0).source = {}), 'Bundle.entry[0].resource.source.endpoint'],
    [
      hn,
      'two destinations are primary',
      (b) => {
        const h = entryResource(b, 0);
        h.destination = [...(h.destination as unknown[]), ...(h.destination as unknown[])];
      },
      'Bundle.entry[0].resource.destination',
    ],
    [hn, 'the focus does not resolve', (b) => (entryResource(b, 0).focus = [{ reference: 'Encounter/missing' }]), 'Bundle.entry[0].resource.focus[0]'],
    [hn, 'the focus is not an Encounter', (b) => (entryResource(b, 0).focus = [{ reference: 'Patient/t33cef33-3626-422b-955d-d506aaa65fe1' }]), 'Bundle.entry[0].resource.focus[0]'],
    [hn, 'Encounter.status is missing', (b) => delete entryResource(b, 2).status, 'Bundle.entry[2].resource.status'],
    [hn, 'the episode-of-care id is missing', (b) => delete entryResource(b, 2).episodeOfCare, 'Bundle.entry[2].resource.episodeOfCare'],
    [hn, 'there is no Provenance', (b) => (b.entry = (b.entry as { resource: Json }[]).filter((e) => e.resource.resourceType !== 'Provenance')), 'Bundle.entry'],
    [hn, 'no Provenance targets the header', (b) => ((entryResource(b, 5).target as Json[])[0] = { reference: 'MessageHeader/other' }), 'Bundle.entry'],
    [hn, 'the activity is a CareCommunication one', (b) => (((entryResource(b, 5).activity as Json).coding as Json[])[0] = { code: 'new-message' }), 'Bundle.entry[5].resource.activity'],
    [
      hn,
      'there are two Patients',
      (b) => {
        const entries = b.entry as Json[];
        entries.push({ ...entries[1], fullUrl: 'Patient/second', resource: { ...resourceOfType(b, 'Patient'), id: 'second' } });
      },
      'Bundle.entry',
    ],
    [
      hn,
      'the HN patient has only an eCPR',
      (b) => (resourceOfType(b, 'Patient').identifier = [{ system: 'urn:oid:1.2.208.176.1.6.1.1', value: '0703921VJ6' }]),
      'Bundle.entry[1].resource.identifier',
    ],
    ['cc-v5-new-message.json', 'the thread id is missing', (b) => delete resourceOfType(b, 'Communication').identifier, 'Bundle.entry[2].resource.identifier'],
    ['ack-v2-fatal-error-2024.json', 'a fatal ack has no OperationOutcome', (b) => (b.entry = (b.entry as { resource: Json }[]).slice(0, 5)), 'Bundle.entry[0].resource.response.details'],
    ['ack-v2-fatal-error-2024.json', 'the response code is unknown', (b) => ((entryResource(b, 0).response as Json).code = 'maybe'), 'Bundle.entry[0].resource.response.code'],
  ];

  it.each(cases)('when in %s %s, then it fails at the right place', (file, _what, change, expression) => {
    const failure = mutate(file, change);
    expect(errorsOf(failure).map((e) => e.expression?.[0])).toContain(expression);
    expect(JSON.stringify(failure.issues)).not.toContain(CPR);
  });

  it('when the event code is unknown, then the issue names the code it saw', () => {
    const failure = mutate(hn, (b) => ((entryResource(b, 0).eventCoding as Json).code = 'empty-message'));
    expect(errorsOf(failure)[0]?.diagnostics).toContain("'empty-message'");
  });

  it('when a single destination lacks the destinationUse extension, then it is read as primary with a warning', () => {
    const bundle = loadExample(hn);
    delete (entryResource(bundle, 0).destination as Json[])[0]?.extension;
    const r = readMessage(bundle);
    expect(isReadFailure(r)).toBe(false);
    if (!isReadFailure(r)) expect(r.warnings).toContainEqual(expect.objectContaining({ expression: ['Bundle.entry[0].resource.destination[0].extension'] }));
  });
});
