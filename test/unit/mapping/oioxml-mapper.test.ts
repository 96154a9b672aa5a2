import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mapOioxml, parseOioxml, recogniseOioxml } from '../../../src/mapping/index.ts';
import { GatewayError } from '../../../src/shared/index.ts';
import { FIXTURES_DIR, LIMITS, loadTestRegistry, RECEIVED_AT, sorForGln } from './mapping-test-kit.ts';
import { examplePath } from '../../helpers/examples.ts';

const registry = loadTestRegistry();
const epikrise = readFileSync(join(FIXTURES_DIR, 'xdis01-epikrise-herlev-ami.input.xml'), 'utf8');
const xdis91 = readFileSync(examplePath('medcom', 'oioxml-xdis91-clinicalemail.xml'), 'utf8');

function failure(xml: string, lookup: (gln: string) => string | undefined = sorForGln): GatewayError {
  try {
    mapOioxml(registry, parseOioxml(xml, LIMITS), { receivedAt: RECEIVED_AT, sorForGln: lookup });
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  throw new Error('expected the mapping to fail');
}

describe('recogniseOioxml', () => {
  it('when an XDIS01 letter has a lower-case VersionCode, then type and version are recognised upper-cased', () => {
    const doc = parseOioxml(epikrise.replace('<VersionCode>XD0134L</VersionCode>', '<VersionCode>xd0134l</VersionCode>'), LIMITS);
    expect(recogniseOioxml(doc)).toEqual({
      root: 'DischargeLetter',
      typeCode: 'XDIS01',
      versionCode: 'XD0134L',
      namespace: 'http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2005/08/07/',
    });
  });

  it('when the document element is not Emessage, then it is an unknown family (415) naming the element', () => {
    const error = failure('<Bundle xmlns="http://hl7.org/fhir"><id value="x"/></Bundle>');
    expect(error.status).toBe(415);
    expect(error.issues[0]?.diagnostics).toContain('Bundle');
  });
});

describe('mapOioxml', () => {
  it('when the letter family is unknown, then 415 names the root element, TypeCode and VersionCode', () => {
    const xml = epikrise
      .replaceAll('DischargeLetter', 'CasualtyWardLetter')
      .replace('<TypeCode>XDIS01</TypeCode>', '<TypeCode>XDIS03</TypeCode>')
      .replace('<VersionCode>XD0134L</VersionCode>', '<VersionCode>XD0334L</VersionCode>');
    const error = failure(xml);
    expect(error.status).toBe(415);
    expect(error.code).toBe('mapping.unknown-document');
    expect(error.issues[0]?.diagnostics).toContain('root element CasualtyWardLetter, TypeCode XDIS03, VersionCode XD0334L');
  });

  it('when a known family arrives in an unsupported version, then 422 names what was recognised and what is supported', () => {
    const error = failure(epikrise.replace('<VersionCode>XD0134L</VersionCode>', '<VersionCode>XD0130L</VersionCode>'));
    expect(error.status).toBe(422);
    expect(error.code).toBe('mapping.unsupported-version');
    expect(error.issues[0]?.diagnostics).toContain('root element DischargeLetter, TypeCode XDIS01, VersionCode XD0130L');
    expect(error.issues[0]?.diagnostics).toContain('supported VersionCode: XD0134L');
    expect(error.issues[0]?.expression).toEqual(['DischargeLetter/Letter/VersionCode']);
  });

  it('when TypeCode and the root element disagree, then 422', () => {
    const error = failure(epikrise.replaceAll('DischargeLetter', 'ReportOfDischarge'));
    expect(error.status).toBe(422);
    expect(error.issues[0]?.diagnostics).toContain('root element DischargeLetter');
  });

  it('when the CPR number is missing, then 422 with the XML path in expression and no CPR in the outcome', () => {
    const error = failure(epikrise.replace('<CivilRegistrationNumber>2509479989</CivilRegistrationNumber>', ''));
    expect(error.status).toBe(422);
    expect(error.code).toBe('mapping.source-incomplete');
    expect(error.issues).toContainEqual({
      severity: 'error',
      code: 'required',
      diagnostics: 'required OIOXML element is missing or empty; expression gives its XML path',
      expression: ['DischargeLetter/Patient/CivilRegistrationNumber'],
    });
  });

  it('when several required values are missing, then all are reported at once', () => {
    const xml = epikrise
      .replace('<CivilRegistrationNumber>2509479989</CivilRegistrationNumber>', '')
      .replace(/<Discharge>[\s\S]*?<\/Discharge>/, '');
    const paths = failure(xml).issues.map((i) => i.expression?.[0]);
    expect(paths).toEqual(expect.arrayContaining(['DischargeLetter/Patient/CivilRegistrationNumber', 'DischargeLetter/Discharge']));
  });

  it('when a date is not a calendar date, then 422 says what was expected, at the element path', () => {
    const error = failure(epikrise.replace('<Date>2025-01-08</Date>', '<Date>2025-02-30</Date>'));
    expect(error.issues).toContainEqual(expect.objectContaining({ code: 'value', expression: ['DischargeLetter/Admission'] }));
    expect(error.issues[0]?.diagnostics).toContain('calendar-valid');
  });

  it('when the genoptræningsplan deadline holds no date, then 422 names RehabilitationDeadline', () => {
    const ggop = readFileSync(join(FIXTURES_DIR, 'ggop-genoptraeningsplan-specialiseret.input.xml'), 'utf8').replace(
      'Genoptræningen skal påbegyndes senest 21-01-2025.',
      'Fri tekst',
    );
    const error = failure(ggop);
    expect(error.issues).toEqual([expect.objectContaining({ code: 'value', expression: ['RehabilitationPlan/RehabilitationDeadline'] })]);
  });

  it('when the SOR directory does not know the XDIS91 parties, then the CareCommunication cannot be made (422 at EANIdentifier)', () => {
    const error = failure(xdis91, () => undefined);
    expect(error.status).toBe(422);
    expect(error.issues.map((i) => i.expression?.[0])).toEqual(
      expect.arrayContaining(['ClinicalEmail/Receiver/EANIdentifier', 'ClinicalEmail/Sender/EANIdentifier']),
    );
    expect(error.issues[0]?.diagnostics).toContain('SOR id');
  });

  it('when a code is not in a lookup table, then a warning names the element, not the code', () => {
    const result = mapOioxml(registry, parseOioxml(epikrise.replace('<StatusCode>nytbrev</StatusCode>', '<StatusCode>hemmeligkode</StatusCode>'), LIMITS), {
      receivedAt: RECEIVED_AT,
      sorForGln,
    });
    const warning = result.issues.find((i) => i.code === 'value');
    expect(warning?.expression).toEqual(['DischargeLetter/Letter/StatusCode']);
    expect(JSON.stringify(result.issues)).not.toContain('hemmeligkode');
    const composition = result.bundle.entry?.[0]?.resource as fhir4.Composition;
    expect(composition.status).toBe('final');
  });

  it('when the sender is unknown to the SOR directory, then the document still maps with GLN only and no episode id', () => {
    const result = mapOioxml(registry, parseOioxml(epikrise, LIMITS), { receivedAt: RECEIVED_AT });
    const sender = result.bundle.entry?.find((e) => e.resource?.resourceType === 'Organization')?.resource as fhir4.Organization;
    expect(sender.identifier).toEqual([{ system: 'https://www.gs1.org/gln', value: '5790000209354' }]);
    const composition = result.bundle.entry?.[0]?.resource as fhir4.Composition;
    expect(composition.extension?.map((e) => e.url)).not.toContain('http://sektorbro.dk/fhir/StructureDefinition/sektorbro-episode-of-care-identifier');
  });

  it('when the same document arrives as a new envelope, then resource ids are the same and only the Bundle id changes', () => {
    const first = mapOioxml(registry, parseOioxml(epikrise, LIMITS), { receivedAt: RECEIVED_AT, sorForGln });
    const resent = mapOioxml(registry, parseOioxml(epikrise.replace('HGH20250114150201', 'HGH20250114160000'), LIMITS), {
      receivedAt: RECEIVED_AT,
      sorForGln,
    });
    expect(resent.bundle.id).not.toBe(first.bundle.id);
    expect(resent.bundle.entry?.map((e) => e.resource?.id)).toEqual(first.bundle.entry?.map((e) => e.resource?.id));
  });
});
