import { describe, expect, it } from 'vitest';
import { checkBundleReferences, indexBundle } from '../../../src/validation/bundle-references.ts';

const bundle = {
  resourceType: 'Bundle',
  type: 'document',
  entry: [
    { fullUrl: 'urn:uuid:0c5e4905-5c2e-4254-8837-770c3724cd13', resource: { resourceType: 'Composition' } },
    { fullUrl: 'https://fhir.example.org/r4/Patient/p1', resource: { resourceType: 'Patient', id: 'p1' } },
    { fullUrl: 'urn:uuid:915a3cfb-2f3e-477b-8a9d-5d86c30e4929', resource: { resourceType: 'Organization', id: 'o1' } },
    { fullUrl: 'https://other.example.org/fhir/Practitioner/x', resource: { resourceType: 'Practitioner', id: 'x' } },
  ],
};
const index = indexBundle(bundle);
const COMPOSITION = 'urn:uuid:0c5e4905-5c2e-4254-8837-770c3724cd13';

describe('indexBundle.resolve', () => {
  it.each([
    ['a urn:uuid fullUrl', 'urn:uuid:915a3cfb-2f3e-477b-8a9d-5d86c30e4929', undefined, 'Organization'],
    ['an absolute fullUrl', 'https://fhir.example.org/r4/Patient/p1', undefined, 'Patient'],
    ['an absolute fullUrl with a version', 'https://fhir.example.org/r4/Patient/p1/_history/2', undefined, 'Patient'],
    ['Type/id of an entry', 'Organization/o1', COMPOSITION, 'Organization'],
    ['Type/id against the RESTful base of the referring entry', 'Practitioner/x', 'https://other.example.org/fhir/Patient/y', 'Practitioner'],
    ['Type/id matching the RESTful fullUrl of an entry', 'Patient/p1', COMPOSITION, 'Patient'],
  ])('when the reference is %s, then it resolves', (_name, reference, from, type) => {
    expect(index.resolve(reference, from)?.resourceType).toBe(type);
  });

  it.each([
    ['an unknown urn:uuid', 'urn:uuid:11111111-1111-4111-8111-111111111111'],
    ['an absolute URL of no entry', 'https://fhir.example.org/r4/Patient/p2'],
    ['a conditional reference', 'Patient?identifier=urn:oid:1.2.208.176.1.2|0101014321'],
    ['Type/id of no entry', 'Patient/p2'],
  ])('when the reference is %s, then it does not resolve', (_name, reference) => {
    expect(index.resolve(reference, COMPOSITION)).toBeUndefined();
  });
});

describe('checkBundleReferences', () => {
  it('when references sit in nested elements and extensions, then each unresolved one is reported once', () => {
    const document = {
      ...bundle,
      entry: [
        {
          fullUrl: COMPOSITION,
          resource: {
            resourceType: 'Composition',
            subject: { reference: 'Patient/0101014321' },
            extension: [{ url: 'urn:x', valueReference: { reference: 'urn:uuid:11111111-1111-4111-8111-111111111111' } }],
            section: [{ entry: [{ reference: COMPOSITION }, { reference: '#x' }] }],
            text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><a href="Patient/9">x</a></div>' },
          },
        },
      ],
    };
    const issues = checkBundleReferences(document, indexBundle(document), 'error');
    expect(issues.map((i) => i.expression?.[0])).toEqual(['Bundle.entry[0].resource.subject.reference', 'Bundle.entry[0].resource.extension[0].valueReference.reference']);
    expect(JSON.stringify(issues)).not.toContain('0101014321');
  });

  it('when an entry is itself a Bundle, then its inner references are its own business', () => {
    const message = { resourceType: 'Bundle', type: 'message', entry: [{ fullUrl: COMPOSITION, resource: { resourceType: 'Bundle', type: 'document', entry: [{ resource: { resourceType: 'Composition', subject: { reference: 'Patient/1' } } }] } }] };
    expect(checkBundleReferences(message, indexBundle(message), 'warning')).toEqual([]);
  });
});
