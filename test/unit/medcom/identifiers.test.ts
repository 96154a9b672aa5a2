import { describe, expect, it } from 'vitest';
import {
  idOfReference,
  isUuid,
  isValidGln,
  normaliseEpisodeOfCareId,
  normaliseGlnIdentifier,
  primaryEpisodeOfCareId,
  readEpisodeOfCareIds,
  referenceKey,
} from '../../../src/medcom/index.ts';
import { readExampleJson } from '../../helpers/examples.ts';

const encounterOf = (file: string): unknown =>
  (readExampleJson('medcom', file) as { entry: { resource: { resourceType: string } }[] }).entry.find((e) => e.resource.resourceType === 'Encounter')
    ?.resource;

describe('GLN normalisation', () => {
  it.each(['https://www.gs1.org/gln', 'http://www.gs1.org/gln', 'urn:oid:1.3.88'])('when the system is %s, then it becomes https://www.gs1.org/gln', (system) => {
    expect(normaliseGlnIdentifier({ system, value: ' 5790000209354 ' })).toEqual({ system: 'https://www.gs1.org/gln', value: '5790000209354' });
  });

  it('when the system is SOR or the value is empty, then it is not a GLN', () => {
    expect(normaliseGlnIdentifier({ system: 'urn:oid:1.2.208.176.1.1', value: '265161000016000' })).toBeUndefined();
    expect(normaliseGlnIdentifier({ system: 'https://www.gs1.org/gln', value: '  ' })).toBeUndefined();
    expect(normaliseGlnIdentifier({ system: 'https://www.gs1.org/gln' })).toBeUndefined();
  });

  it('when MedCom test GLNs are checked, then their GS1 check digits hold, and a changed digit fails', () => {
    for (const gln of ['5790000209354', '5790001348120', '5790001387419', '5790000121441', '5790001382445']) expect(isValidGln(gln)).toBe(true);
    expect(isValidGln('5790000209355')).toBe(false);
    expect(isValidGln('579000020935')).toBe(false);
    expect(isValidGln('57900002093a4')).toBe(false);
  });
});

describe('episode-of-care id normalisation', () => {
  const forms = [
    '82873e50-325e-4016-8a68-2934bdb2f66d',
    'urn:uuid:82873e50-325e-4016-8a68-2934bdb2f66d',
    'URN:UUID:82873E50-325E-4016-8A68-2934BDB2F66D',
    '82873e50325e40168a682934bdb2f66d',
    ' 82873E50325E40168A682934BDB2F66D ',
  ];

  it.each(forms)('when the id is written %s, then it normalises to the plain lower-case UUID', (form) => {
    expect(normaliseEpisodeOfCareId(form)).toBe('82873e50-325e-4016-8a68-2934bdb2f66d');
  });

  it('when the id is not a UUID, then it is only trimmed', () => {
    expect(normaliseEpisodeOfCareId(' AB-12 ')).toBe('AB-12');
  });

  it('when an HN Encounter has a local and an LPR3 id, then both are read and the local one is primary', () => {
    const ids = readEpisodeOfCareIds(encounterOf('hn-stin-two-episodeofcare-ids.json'));
    expect(ids.map((i) => i.kind)).toEqual(['local', 'lpr3']);
    expect(ids[1]?.value).toMatch(/^urn:uuid:/);
    expect(ids[1]?.normalised).toBe('ec7be285-726a-4a83-8167-979e549abbf8');
    expect(primaryEpisodeOfCareId(ids)?.kind).toBe('local');
  });

  it('when only an LPR3 id is sent, then it is the primary one', () => {
    const ids = readEpisodeOfCareIds(encounterOf('hn-stin-lpr3-episodeofcare-id.json'));
    expect(ids).toHaveLength(1);
    expect(primaryEpisodeOfCareId(ids)?.kind).toBe('lpr3');
  });

  it('when the CC Encounter carries the id with urn:uuid:, then it matches the same id sent bare in HN', () => {
    const [cc] = readEpisodeOfCareIds(encounterOf('cc-v5-new-message-episodeofcare.json'));
    expect(cc?.kind).toBe('local');
    expect(cc?.normalised).toBe(normaliseEpisodeOfCareId('39E3E169-9ECE-4BA4-BD24-2E0FBEEBC333'));
  });
});

describe('references and ids', () => {
  it.each([
    ['Organization/o7056980-a8b2-42aa-8a0e-c1fc85d1f40d', 'Organization/o7056980-a8b2-42aa-8a0e-c1fc85d1f40d'],
    ['https://medcomfhir.dk/ig/carecommunication/Patient/7b4803a9-a048-4551-9f61-c3143dba3786', 'Patient/7b4803a9-a048-4551-9f61-c3143dba3786'],
    ['http://example.org/fhir/Encounter/1/_history/2', 'Encounter/1'],
    ['urn:uuid:82873e50-325e-4016-8a68-2934bdb2f66d', 'urn:uuid:82873e50-325e-4016-8a68-2934bdb2f66d'],
  ])('when the reference is %s, then its key is %s', (reference, key) => {
    expect(referenceKey(reference)).toBe(key);
  });

  it('when a MessageHeader reference is read, then only its id is returned, and other types give nothing', () => {
    expect(idOfReference('https://medcomfhir.dk/ig/acknowledgement/MessageHeader/abc', 'MessageHeader')).toBe('abc');
    expect(idOfReference('Organization/abc', 'MessageHeader')).toBeUndefined();
  });

  it('when MedCom ids are checked, then hex UUIDs pass and the letter-prefixed quirk ids do not', () => {
    expect(isUuid('b9b4818e-02de-4cc4-b418-d20cbc7b5404')).toBe(true);
    expect(isUuid('t33cef33-3626-422b-955d-d506aaa65fe1')).toBe(false);
    expect(isUuid('R-C-forward-8352b67a-23b2-44c5-b43a-725270a90722')).toBe(false);
  });
});
