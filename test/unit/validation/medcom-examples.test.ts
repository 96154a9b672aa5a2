import { readFileSync } from 'node:fs';
import { Fhir } from 'fhir';
import { describe, expect, it } from 'vitest';
import { hasErrors } from '../../../src/shared/index.ts';
import type { Issue } from '../../../src/shared/index.ts';
import { createMedComValidator, createValidator } from '../../../src/validation/index.ts';
import { examplePath, listExamples } from '../../helpers/examples.ts';

/**
 * issue #5: MedCom's valid example messages pass MedCom's own published profiles with no error, whether they
 * come as JSON or XML; the deliberately invalid one fails for exactly its real faults.
 */
const medcom = createMedComValidator({ validator: createValidator() });
const xml = new Fhir();

function readMessage(folder: string, name: string): unknown {
  const text = readFileSync(examplePath(folder, name), 'utf8');
  return name.endsWith('.xml') ? xml.xmlToObj(text) : JSON.parse(text);
}

const errorsOf = (issues: readonly Issue[]): Issue[] => issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');

const INVALID = 'hn-stin-invalid-tek-fcc.json';
const isMessage = (name: string): boolean => /\.(json|xml)$/.test(name) && !name.startsWith('oioxml-');

/** `standard` and `version` each example must be validated with (by its event and MessageHeader.definition). */
function expectedFor(folder: string, name: string): { standard: string | undefined; version: string } {
  if (folder === 'medcom-ig/messaging' || name.startsWith('Bundle-eb26be85')) {
    return { standard: undefined, version: '2.0.3' };
  }
  if (name.startsWith('hn-') || folder.endsWith('hospitalnotification')) {
    return { standard: 'hospital-notification', version: '3.0.2' };
  }
  if (name.startsWith('ack-') || folder.endsWith('acknowledgement')) {
    return { standard: 'acknowledgement', version: '2.0.3' };
  }
  return { standard: 'care-communication', version: name.startsWith('cc-v4') ? '4.0.3' : '5.0.2' };
}

const examples = [
  ...listExamples('medcom', (n) => isMessage(n) && n !== INVALID).map((name) => ['medcom', name] as const),
  ...['hospitalnotification', 'carecommunication', 'acknowledgement', 'messaging'].flatMap((ig) =>
    listExamples(`medcom-ig/${ig}`, isMessage).map((name) => [`medcom-ig/${ig}`, name] as const),
  ),
];

describe('MedCom examples against MedCom packages', () => {
  it('when the example folders are read, then every standard and both formats are there', () => {
    expect(examples.length).toBe(77);
    expect(examples.filter(([, n]) => n.endsWith('.xml')).length).toBe(29);
  });

  it.each(examples)('when %s/%s is validated, then it has no errors', (folder, name) => {
    const result = medcom.validateMessage(readMessage(folder, name));
    expect(errorsOf(result.issues)).toEqual([]);
    expect({ standard: result.standard, version: result.version }).toEqual(expectedFor(folder, name));
  });

  it('when the JSON and XML forms of an example are validated, then they give the same issues', () => {
    const fromJson = medcom.validateMessage(readMessage('medcom-ig/carecommunication', 'Bundle-3dcb5618-3055-406a-9034-1b8fc8de0fea.json'));
    const fromXml = medcom.validateMessage(readMessage('medcom-ig/carecommunication', 'Bundle-3dcb5618-3055-406a-9034-1b8fc8de0fea.xml'));
    expect(fromXml).toEqual(fromJson);
  });

  it('when the deliberately invalid HospitalNotification is validated, then it fails for the missing event and Encounter.class only', () => {
    const result = medcom.validateMessage(readMessage('medcom', INVALID));
    expect(result.standard).toBe('hospital-notification');
    expect(hasErrors(result.issues)).toBe(true);
    expect(errorsOf(result.issues).map((i) => i.expression?.[0]).sort()).toEqual([
      'Bundle.entry[0].resource.event[x]',
      'Bundle.entry[2].resource.class',
    ]);
  });

  it('when an example declares the legacy …/fhir/hospitalnotification/ profile, then it is validated as a HospitalNotification', () => {
    const bundle = readMessage('medcom', 'hn-an-stin-cancel-admission.json') as { meta: { profile: string[] } };
    expect(bundle.meta.profile[0]).toMatch(/^http:\/\/medcomfhir\.dk\/fhir\/hospitalnotification\//);
    const result = medcom.validateMessage(bundle);
    expect(result.issues.filter((i) => i.expression?.[0]?.startsWith('Bundle.meta.profile') === true)).toEqual([]);
    expect(result.standard).toBe('hospital-notification');
  });

  it('when a valid example is validated, then every issue left is a warning about a reference to an earlier message', () => {
    const result = medcom.validateMessage(readMessage('medcom', 'hn-slor-end-leave.json'));
    expect(result.issues.length).toBeGreaterThan(0);
    for (const issue of result.issues) {
      expect(issue).toMatchObject({ severity: 'warning', code: 'not-found' });
      expect(issue.expression?.[0]).toMatch(/^Bundle\.entry\[\d+\]\.resource\.(target|entity\[\d+\]\.what|agent\[\d+\]\.who)/);
    }
  });
});
