import { describe, expect, it } from 'vitest';
import type { Issue } from '../../../src/shared/index.ts';
import { createMedComValidator, createValidator } from '../../../src/validation/index.ts';
import { readExampleJson } from '../../helpers/examples.ts';

/**
 * issue #5: real faults in MedCom messages are caught, by MedCom's profiles (through the profile checker) or by
 * the Bundle-aware checks of the rules the profiles state in FHIRPath no validator here evaluates. Each test
 * breaks one rule in a valid MedCom example; the example itself is clean (medcom-examples.test.ts).
 */
const medcom = createMedComValidator({ validator: createValidator() });

interface Resource {
  resourceType: string;
  id?: string;
  [key: string]: unknown;
}
interface Entry {
  fullUrl?: string;
  resource: Resource;
}
interface Message {
  entry: Entry[];
  [key: string]: unknown;
}

const message = (name: string): Message => readExampleJson('medcom', name) as unknown as Message;
const resources = (m: Message, type: string): Resource[] => m.entry.filter((e) => e.resource.resourceType === type).map((e) => e.resource);
const first = (m: Message, type: string): Resource => {
  const [found] = resources(m, type);
  if (found === undefined) {
    throw new Error(`the example has no ${type}`);
  }
  return found;
};

function errors(m: Message): Issue[] {
  return medcom.validateMessage(m).issues.filter((i) => i.severity === 'error');
}

/** The errors at `expression` (exactly) whose diagnostics contain `text`. */
function errorsAt(m: Message, expression: string, text = ''): Issue[] {
  return errors(m).filter((i) => i.expression?.[0] === expression && i.diagnostics.includes(text));
}

type Identifier = { system?: string; value?: string }[];
type Coding = { system?: string; code?: string };

describe('MedCom messages: faults the fhir-packages README lists', () => {
  it('when a HospitalNotification has no Provenance, then medcom-messaging-2 fails', () => {
    const m = message('hn-stin-admit-inpatient.json');
    m.entry = m.entry.filter((e) => e.resource.resourceType !== 'Provenance');
    expect(errorsAt(m, 'Bundle', 'medcom-messaging-2')).toHaveLength(1);
  });

  it('when the Patient of a HospitalNotification has only a replacement CPR, then it is an error', () => {
    const m = message('hn-stin-admit-inpatient.json');
    first(m, 'Patient').identifier = [{ system: 'urn:oid:1.2.208.176.1.6.1.1', value: '0703921VJ6' }];
    expect(errorsAt(m, 'Bundle', 'medcom-hospitalNotification-4')).toHaveLength(1);
  });

  it('when a CareCommunication Patient has only replacement CPRs, then it is valid', () => {
    const m = message('cc-v5-new-message-replacement-cpr.json');
    expect((first(m, 'Patient').identifier as Identifier).some((i) => i.system === 'urn:oid:1.2.208.176.1.2')).toBe(false);
    expect(errors(m)).toEqual([]);
  });

  it('when a HospitalNotification has only a cc receiver, then the primary slice and medcom-hospitalNotification-5 fail', () => {
    const m = message('hn-stin-admit-inpatient.json');
    const destination = first(m, 'MessageHeader').destination as { extension: { valueCoding: Coding }[] }[];
    const use = destination[0]?.extension[0];
    if (use === undefined) {
      throw new Error('the example has no destination use');
    }
    use.valueCoding.code = 'cc';
    expect(errorsAt(m, 'Bundle.entry[0].resource.destination', "slice 'primary'")).toHaveLength(1);
    expect(errorsAt(m, 'Bundle.entry[0].resource.destination', "slice 'cc'")).toHaveLength(1);
    expect(errorsAt(m, 'Bundle', 'medcom-hospitalNotification-5')).toHaveLength(1);
  });

  it('when an Organization has no SOR identifier, then its SOR-ID slice fails', () => {
    const m = message('hn-stin-admit-inpatient.json');
    const [organization] = resources(m, 'Organization');
    if (organization === undefined) {
      throw new Error('the example has no Organization');
    }
    organization.identifier = (organization.identifier as Identifier).filter((i) => i.system !== 'urn:oid:1.2.208.176.1.1');
    const at = `Bundle.entry[${String(m.entry.findIndex((e) => e.resource === organization))}].resource.identifier`;
    expect(errorsAt(m, at, "slice 'SOR-ID'")).toHaveLength(1);
  });

  it('when the sender Organization declares only MedCom core (no EAN slice) and has no EAN, then the sender target profile still requires it', () => {
    const m = message('hn-stin-admit-inpatient.json');
    const sender = (first(m, 'MessageHeader').sender as { reference: string }).reference;
    const index = m.entry.findIndex((e) => e.fullUrl === sender);
    const organization = m.entry[index]?.resource;
    if (organization === undefined) {
      throw new Error('the example sender is not bundled');
    }
    organization.meta = { profile: ['http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-organization'] };
    organization.identifier = (organization.identifier as Identifier).filter((i) => i.system !== 'https://www.gs1.org/gln');
    expect(errorsAt(m, `Bundle.entry[${String(index)}].resource.identifier`, "slice 'EAN-ID'")).toHaveLength(1);
  });

  it('when a HospitalNotification has two Patients, then medcom-hospitalNotification-2 fails', () => {
    const m = message('hn-stin-admit-inpatient.json');
    const patient = m.entry.find((e) => e.resource.resourceType === 'Patient');
    const copy = structuredClone(patient);
    if (copy === undefined) {
      throw new Error('the example has no Patient');
    }
    copy.resource.id = '0f0c4a9e-7a53-4e8a-9a44-2f7f2d7b0c11';
    copy.fullUrl = `Patient/${copy.resource.id}`;
    m.entry.push(copy);
    expect(errorsAt(m, 'Bundle', 'medcom-hospitalNotification-2')).toHaveLength(1);
  });

  it('when the event code has another system, then the MessageHeader pattern and binding fail', () => {
    const m = message('hn-stin-admit-inpatient.json');
    (first(m, 'MessageHeader').eventCoding as Coding).system = 'http://example.org/events';
    const at = errorsAt(m, 'Bundle.entry[0].resource.eventCoding');
    expect(at.map((i) => i.code).sort()).toEqual(['value', 'value']);
    expect(at.some((i) => i.diagnostics.includes('medcom-messaging-messageTypes'))).toBe(true);
  });
  it('when a text payload has no author, then the author slice of the string payload fails', () => {
    const m = message('cc-v5-new-message.json');
    const payload = (first(m, 'Communication').payload as { contentString?: string; extension: { url: string }[] }[])[0];
    if (payload?.contentString === undefined) {
      throw new Error('the example has no text payload');
    }
    payload.extension = payload.extension.filter((e) => !e.url.endsWith('/medcom-core-practitioner-extension'));
    const at = `Bundle.entry[${String(m.entry.findIndex((e) => e.resource.resourceType === 'Communication'))}].resource.payload[0].extension`;
    expect(errorsAt(m, at, "slice 'author'")).toHaveLength(1);
  });
});

describe('MedCom messages: bindings', () => {
  it('when Encounter.status is an R4 code outside the HospitalNotification ValueSet, then it is an error', () => {
    const m = message('hn-stin-admit-inpatient.json');
    first(m, 'Encounter').status = 'planned';
    expect(errorsAt(m, 'Bundle.entry[2].resource.status', 'medcom-hospitalNotification-encounterStatus')).toHaveLength(1);
  });

  it('when Encounter.class is ambulatory, then the HospitalNotification class binding fails', () => {
    const m = message('hn-stin-admit-inpatient.json');
    (first(m, 'Encounter').class as Coding).code = 'AMB';
    expect(errorsAt(m, 'Bundle.entry[2].resource.class', 'allowed codes: EMER, IMP')).toHaveLength(1);
  });

  it('when a HospitalNotification Provenance.activity is unknown, then the activity binding fails', () => {
    const m = message('hn-stin-admit-inpatient.json');
    const provenance = first(m, 'Provenance');
    (provenance.activity as { coding: Coding[] }).coding = [{ system: 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes', code: 'no-such-activity' }];
    const at = `Bundle.entry[${String(m.entry.findIndex((e) => e.resource === provenance))}].resource.activity`;
    expect(errorsAt(m, at, 'medcom-messaging-activityCodes')).toHaveLength(1);
  });

  it('when a HospitalNotification Provenance has a CareCommunication activity, then medcom-hospitalNotification-3 fails', () => {
    const m = message('hn-stin-admit-inpatient.json');
    const provenance = first(m, 'Provenance');
    (provenance.activity as { coding: Coding[] }).coding = [{ system: 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes', code: 'new-message' }];
    const at = `Bundle.entry[${String(m.entry.findIndex((e) => e.resource === provenance))}].resource.activity`;
    expect(errorsAt(m, at, 'medcom-hospitalNotification-3')).toHaveLength(1);
  });

  it('when a CareCommunication Provenance.activity is a HospitalNotification activity, then the CareCommunication binding fails', () => {
    const m = message('cc-v5-new-message.json');
    const provenance = first(m, 'Provenance');
    (provenance.activity as { coding: Coding[] }).coding = [{ system: 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes', code: 'admit-inpatient' }];
    const at = `Bundle.entry[${String(m.entry.findIndex((e) => e.resource === provenance))}].resource.activity`;
    expect(errorsAt(m, at, 'medcom-careCommunication-messagingActivities')).toHaveLength(1);
  });

  it('when a CareCommunication category is unknown, then the category binding fails', () => {
    const m = message('cc-v5-new-message.json');
    const communication = first(m, 'Communication');
    (communication.category as { coding: Coding[] }[])[0] = { coding: [{ system: 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-careCommunication-categoryCodes', code: 'gossip' }] };
    const at = `Bundle.entry[${String(m.entry.findIndex((e) => e.resource === communication))}].resource.category[0]`;
    expect(errorsAt(m, at, 'medcom-careCommunication-categories')).toHaveLength(1);
  });
});

describe('MedCom messages: Bundle-aware checks of the resolve() invariants', () => {
  const withAttachment = (): Message => message('cc-v5-new-message-with-attachment.json');
  const indexOf = (m: Message, type: string): number => m.entry.findIndex((e) => e.resource.resourceType === type);

  it('when the specific sender (a CareTeam) belongs to another Organization than MessageHeader.sender, then medcom-careCommunication-11 fails', () => {
    const m = withAttachment();
    const receiver = (first(m, 'MessageHeader').destination as { receiver: { reference: string } }[])[0]?.receiver;
    first(m, 'CareTeam').managingOrganization = [{ ...receiver }];
    expect(errors(m).filter((i) => i.diagnostics.includes('medcom-careCommunication-11'))).toHaveLength(1);
  });

  it('when the specific recipient belongs to the sending Organization, then medcom-careCommunication-12 fails', () => {
    const m = withAttachment();
    const communication = first(m, 'Communication');
    const recipient = (communication.recipient as { reference: string }[])[0]?.reference ?? '';
    const role = m.entry.find((e) => e.fullUrl?.endsWith(recipient) === true)?.resource;
    if (role === undefined) {
      throw new Error('the example recipient is not bundled');
    }
    role.organization = { ...(first(m, 'MessageHeader').sender as { reference: string }) };
    const at = `Bundle.entry[${String(indexOf(m, 'Communication'))}].resource.recipient[0]`;
    expect(errorsAt(m, at, 'medcom-careCommunication-12')).toHaveLength(1);
  });

  it('when an Encounter is bundled but Communication.encounter is not set, then medcom-careCommunication-15 fails', () => {
    const m = message('cc-v5-new-message-episodeofcare.json');
    delete first(m, 'Communication').encounter;
    const at = `Bundle.entry[${String(indexOf(m, 'Communication'))}].resource.encounter`;
    expect(errorsAt(m, at, 'medcom-careCommunication-15')).toHaveLength(1);
  });

  it('when Communication.encounter is set but no Encounter is bundled, then medcom-careCommunication-15 fails', () => {
    const m = message('cc-v5-new-message-episodeofcare.json');
    m.entry = m.entry.filter((e) => e.resource.resourceType !== 'Encounter');
    const at = `Bundle.entry[${String(indexOf(m, 'Communication'))}].resource.encounter`;
    expect(errorsAt(m, at, 'medcom-careCommunication-15')).toHaveLength(1);
  });

  it('when the referenced Encounter has no episode-of-care identifier, then medcom-careCommunication-9 fails', () => {
    const m = message('cc-v5-new-message-episodeofcare.json');
    first(m, 'Encounter').episodeOfCare = [{ reference: 'EpisodeOfCare/1' }];
    const at = `Bundle.entry[${String(indexOf(m, 'Encounter'))}].resource.episodeOfCare`;
    expect(errorsAt(m, at, 'medcom-careCommunication-9')).toHaveLength(1);
  });

  it('when no payload author role is coded, then medcom-careCommunication-7 fails', () => {
    const m = message('cc-v5-new-message.json');
    for (const role of resources(m, 'PractitionerRole')) {
      role.code = [{ text: 'Sygeplejerske' }];
    }
    const at = `Bundle.entry[${String(indexOf(m, 'Communication'))}].resource.payload`;
    expect(errorsAt(m, at, 'medcom-careCommunication-7')).toHaveLength(1);
  });

  it('when the payload author role has no Practitioner with a name, then medcom-careCommunication-8 fails', () => {
    const m = message('cc-v5-new-message.json');
    m.entry = m.entry.filter((e) => e.resource.resourceType !== 'Practitioner');
    const at = `Bundle.entry[${String(indexOf(m, 'Communication'))}].resource.payload`;
    expect(errorsAt(m, at, 'medcom-careCommunication-8')).toHaveLength(1);
  });

  it('when the MessageHeader sender is not bundled, then it is one error (not also a warning)', () => {
    const m = message('hn-stin-admit-inpatient.json');
    (first(m, 'MessageHeader').sender as { reference: string }).reference = 'Organization/0f0c4a9e-7a53-4e8a-9a44-2f7f2d7b0c11';
    const at = medcom.validateMessage(m).issues.filter((i) => i.expression?.[0] === 'Bundle.entry[0].resource.sender.reference');
    expect(at).toEqual([expect.objectContaining({ severity: 'error', code: 'not-found', diagnostics: expect.stringContaining('sender Organization must be in the message') as unknown })]);
  });

  it('when no Provenance targets the MessageHeader, then a warning says so', () => {
    const m = message('hn-stin-admit-inpatient.json');
    (first(m, 'Provenance').target as { reference: string }[])[0] = { reference: 'MessageHeader/0f0c4a9e-7a53-4e8a-9a44-2f7f2d7b0c11' };
    const warnings = medcom.validateMessage(m).issues.filter((i) => i.severity === 'warning' && i.diagnostics.startsWith('no Provenance targets'));
    expect(warnings).toHaveLength(1);
  });
});

describe('MedCom messages: dispatch', () => {
  it('when a CareCommunication names MessageDefinition version 4.0.0, then it is validated with CareCommunication 4.0.3', () => {
    expect(medcom.validateMessage(message('cc-v4.1-reply-message.json'))).toMatchObject({ standard: 'care-communication', version: '4.0.3' });
  });

  it('when a HospitalNotification declares a 3.x profile version, then it is validated with 3.0.2; a 2.x one is not supported', () => {
    const m = message('hn-stin-admit-inpatient.json') as Message & { meta: { profile: string[] } };
    m.meta.profile = [`${String(m.meta.profile[0])}|3.0.1`];
    expect(medcom.validateMessage(m)).toMatchObject({ standard: 'hospital-notification', version: '3.0.2' });
    m.meta.profile = [`${String(m.meta.profile[0]).split('|')[0] ?? ''}|2.0.0`];
    expect(medcom.validateMessage(m)).toMatchObject({ standard: 'hospital-notification', version: undefined });
    expect(errorsAt(m, 'Bundle.meta.profile[0]')).toEqual([expect.objectContaining({ code: 'not-supported' })]);
  });

  it('when a CareCommunication names an unsupported major version, then it is not-supported at MessageHeader.definition', () => {
    const m = message('cc-v5-new-message.json');
    first(m, 'MessageHeader').definition = 'http://medcomfhir.dk/ig/messagedefinitions/MessageDefinition/MedComCareCommunicationMessageDefinition|3.0';
    const result = medcom.validateMessage(m);
    expect(result).toMatchObject({ standard: 'care-communication', version: undefined });
    expect(result.issues.filter((i) => i.severity === 'error')).toEqual([
      expect.objectContaining({ code: 'not-supported', expression: ['Bundle.entry[0].resource.definition'] }),
    ]);
  });

  it('when a CareCommunication 5 has no MessageHeader.definition, then 5.0.2 requires it', () => {
    const m = message('cc-v5-new-message.json');
    delete first(m, 'MessageHeader').definition;
    expect(medcom.validateMessage(m).version).toBe('5.0.2');
    expect(errorsAt(m, 'Bundle.entry[0].resource.definition')).toHaveLength(1);
  });

  it('when the event is not one of the three standards, then the standard is undefined and the event code is not-supported', () => {
    const m = message('cc-v5-new-message.json');
    (first(m, 'MessageHeader').eventCoding as Coding).code = 'homecareobservation-message';
    const result = medcom.validateMessage(m);
    expect(result).toMatchObject({ standard: undefined, version: undefined });
    expect(errorsAt(m, 'Bundle.entry[0].resource.eventCoding.code')).toEqual([expect.objectContaining({ code: 'not-supported' })]);
  });

  it('when the MessageHeader has no event and declares no MedCom profile, then it cannot be dispatched', () => {
    const m = message('hn-stin-invalid-tek-fcc.json');
    delete first(m, 'MessageHeader').meta;
    delete m.meta;
    const result = medcom.validateMessage(m);
    expect(result.standard).toBeUndefined();
    expect(errorsAt(m, 'Bundle.entry[0].resource.event[x]', 'no eventCoding')).toHaveLength(1);
  });

  it('when the input is not a Bundle, then only base issues come back', () => {
    const result = medcom.validateMessage({ resourceType: 'Patient' });
    expect(result).toMatchObject({ standard: undefined, version: undefined, event: undefined });
    expect(result.issues).toEqual([expect.objectContaining({ severity: 'error', expression: ['resourceType'] })]);
  });

  it('when an entry declares a profile the standard does not hold, then it is a warning at its meta.profile', () => {
    const m = message('hn-stin-admit-inpatient.json');
    first(m, 'Patient').meta = { profile: ['http://example.org/StructureDefinition/other-patient'] };
    const index = m.entry.findIndex((e) => e.resource.resourceType === 'Patient');
    const issues = medcom.validateMessage(m).issues.filter((i) => i.expression?.[0] === `Bundle.entry[${String(index)}].resource.meta.profile[0]`);
    expect(issues).toEqual([expect.objectContaining({ severity: 'warning', code: 'not-supported' })]);
  });

  it('when an issue is reported, then its diagnostics carry no payload value', () => {
    const m = message('hn-stin-admit-inpatient.json');
    const patient = first(m, 'Patient');
    const cpr = (patient.identifier as Identifier)[0]?.value ?? '';
    patient.identifier = [{ system: 'urn:oid:1.2.208.176.1.6.1.1', value: cpr }];
    first(m, 'Encounter').status = 'planned';
    const text = JSON.stringify(medcom.validateMessage(m).issues);
    expect(cpr).toMatch(/^\d{10}$/);
    expect(text).not.toContain(cpr);
    expect(text).not.toContain('planned');
  });
});
