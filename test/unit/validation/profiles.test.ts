import { describe, expect, it } from 'vitest';
import { hasErrors } from '../../../src/shared/index.ts';
import type { Issue } from '../../../src/shared/index.ts';
import { createValidator } from '../../../src/validation/index.ts';
import {
  CPR,
  CPR_SYSTEM,
  TEST_PROFILES_DIR,
  codeSystemUrl,
  composition,
  documentBundle,
  observation,
  patient,
  profileUrl,
  uuid,
  without,
} from '../../fixtures/validation/resources.ts';

const validator = createValidator({ profilesDir: TEST_PROFILES_DIR });

const errors = (issues: readonly Issue[]): Issue[] => issues.filter((i) => i.severity === 'error');

describe('profiles: loading', () => {
  it('when the profiles folder is loaded, then every StructureDefinition is listed by canonical URL', () => {
    expect([...validator.profiles.keys()].sort()).toEqual(
      ['test-composition', 'test-document-bundle', 'test-ext-episode', 'test-observation', 'test-patient', 'test-patient-strict'].map(profileUrl),
    );
    expect(validator.profiles.get(profileUrl('test-patient'))?.type).toBe('Patient');
  });

  it('when the profiles folder is loaded, then the conformance resources include its CodeSystems and ValueSets', () => {
    const types = validator.conformanceResources.map((r) => r.resourceType);
    expect(types.filter((t) => t === 'StructureDefinition')).toHaveLength(6);
    expect(types.filter((t) => t === 'CodeSystem')).toHaveLength(3);
    expect(types.filter((t) => t === 'ValueSet')).toHaveLength(7);
  });

  it('when no profiles folder is given, then no profiles are held', () => {
    expect(createValidator({ extraProfiles: [] }).profiles.size).toBe(0);
  });
});

describe('profiles: valid resources', () => {
  it.each([
    ['Patient', patient()],
    ['Composition', composition()],
    ['Observation', observation()],
    ['document Bundle', documentBundle()],
  ])('when a valid %s declares its profile, then there are no issues', (_name, resource) => {
    expect(validator.validate(resource)).toEqual([]);
  });
});

describe('profiles: cardinality and slicing', () => {
  it('when a profile-required element is missing, then a required error points at it', () => {
    expect(validator.validate(without(patient(), 'name'))).toEqual([
      { severity: 'error', code: 'required', diagnostics: "missing required element 'name'", expression: ['Patient.name'] },
    ]);
  });

  it('when a required child of a BackboneElement is missing (Medplum does not check it), then it is reported per instance', () => {
    const resource = { ...patient(), contact: [{ name: { family: 'Jensen' } }, { telecom: [{ system: 'phone', value: '12345678' }] }] };
    expect(validator.validate(resource)).toEqual([
      { severity: 'error', code: 'required', diagnostics: "missing required element 'name'", expression: ['Patient.contact[1].name'] },
    ]);
  });

  it('when a slice holds more values than allowed, then the slice cardinality is reported on the sliced element', () => {
    const resource = { ...patient(), identifier: [{ system: CPR_SYSTEM, value: CPR }, { system: CPR_SYSTEM, value: '0202024321' }] };
    expect(errors(validator.validate(resource))).toEqual([
      { severity: 'error', code: 'structure', diagnostics: "slice 'cpr' of 'identifier': expected 0..1 values, but found 2", expression: ['Patient.identifier'] },
    ]);
  });

  it('when a required slice is missing, then the slice cardinality is reported', () => {
    const base = composition();
    const section = (base.section as Record<string, unknown>[])[0] ?? {};
    const resource = { ...base, section: [{ ...section, code: { coding: [{ system: codeSystemUrl('test-section'), code: 'plan' }] } }] };
    expect(errors(validator.validate(resource))).toEqual([
      { severity: 'error', code: 'structure', diagnostics: "slice 'summary' of 'section': expected 1..1 values, but found 0", expression: ['Composition.section'] },
    ]);
  });

  it('when a value in a slice lacks an element the slice requires, then it is reported at the value', () => {
    const base = composition();
    const section = (base.section as Record<string, unknown>[])[0] ?? {};
    expect(validator.validate({ ...base, section: [without(section, 'text')] })).toEqual([
      { severity: 'error', code: 'required', diagnostics: "missing required element 'text'", expression: ['Composition.section[0].text'] },
    ]);
  });

  it('when a derived profile tightens its local base, then both profiles’ rules apply', () => {
    const resource = { ...without(patient(), 'name'), meta: { profile: [profileUrl('test-patient-strict')] } };
    expect(errors(validator.validate(resource)).map((i) => i.expression?.[0])).toEqual(['Patient.name', 'Patient.birthDate']);
  });
});

describe('profiles: fixed and pattern values, choice types', () => {
  it('when a fixed value differs, then a value error names the fixed value', () => {
    expect(validator.validate({ ...composition(), language: 'en' })).toEqual([
      { severity: 'error', code: 'value', diagnostics: '\'language\' must have the fixed value "da"', expression: ['Composition.language'] },
    ]);
  });

  it('when a pattern is not matched, then a value error names the pattern', () => {
    const resource = { ...composition(), type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] } };
    expect(validator.validate(resource)).toEqual([
      { severity: 'error', code: 'value', diagnostics: "'type' must match the pattern http://loinc.org#18842-5", expression: ['Composition.type'] },
    ]);
  });

  it('when a pattern is matched by a value with more codings, then it passes', () => {
    const resource = { ...composition(), type: { coding: [{ system: 'urn:x', code: 'y' }, { system: 'http://loinc.org', code: '18842-5', display: 'Discharge summary' }] } };
    expect(validator.validate(resource)).toEqual([]);
  });

  it('when a choice element uses a type the profile does not allow, then that type is reported', () => {
    const resource = { ...without(observation(), 'valueCodeableConcept'), valueString: 'positive' };
    expect(errors(validator.validate(resource))).toContainEqual({
      severity: 'error',
      code: 'structure',
      diagnostics: "type string is not allowed for 'value[x]'; allowed: CodeableConcept",
      expression: ['Observation.valueString'],
    });
  });

  it('when a type slice of a choice element is required but another type is used, then the slice is reported', () => {
    const resource = { ...without(observation(), 'effectiveDateTime'), effectivePeriod: { start: '2024-03-01' } };
    expect(errors(validator.validate(resource))).toEqual([
      {
        severity: 'error',
        code: 'structure',
        diagnostics: "slice 'effectiveDateTime' of 'effective[x]': expected 1..1 values, but found 0",
        expression: ['Observation.effective[x]'],
      },
    ]);
  });

  it('when an extension breaks its own profile (type profile of the slice), then the extension value is reported', () => {
    const resource = { ...patient(), extension: [{ url: profileUrl('test-ext-episode'), valueString: 'x' }] };
    expect(errors(validator.validate(resource))).toEqual([
      {
        severity: 'error',
        code: 'structure',
        diagnostics: "type string is not allowed for 'value[x]'; allowed: Identifier",
        expression: ['Patient.extension[0].valueString'],
      },
    ]);
  });
});

describe('profiles: required bindings to local ValueSets', () => {
  it('when a code is not in the required ValueSet, then a value error lists what is allowed', () => {
    expect(validator.validate({ ...patient(), gender: 'other' })).toEqual([
      {
        severity: 'error',
        code: 'value',
        diagnostics: 'code is not in the required ValueSet http://sektorbro.dk/fhir/ValueSet/test-gender-subset; allowed codes: male, female',
        expression: ['Patient.gender'],
      },
    ]);
  });

  it('when a CodeableConcept below a BackboneElement has no coding from the ValueSet, then it is reported', () => {
    const resource = { ...patient(), contact: [{ name: { family: 'J' }, relationship: [{ coding: [{ system: codeSystemUrl('test-contact-role'), code: 'unknown' }] }] }] };
    expect(validator.validate(resource)).toEqual([
      {
        severity: 'error',
        code: 'value',
        diagnostics: 'no coding is in the required ValueSet http://sektorbro.dk/fhir/ValueSet/test-contact-role; allowed codes: gp, relative, spouse, guardian',
        expression: ['Patient.contact[0].relationship[0]'],
      },
    ]);
  });

  it('when a code sits deeper in a CodeSystem hierarchy, then it is in a ValueSet including the whole system', () => {
    const resource = { ...patient(), contact: [{ name: { family: 'J' }, relationship: [{ coding: [{ system: codeSystemUrl('test-contact-role'), code: 'spouse' }] }] }] };
    expect(validator.validate(resource)).toEqual([]);
  });

  it('when the right code comes with the wrong system, then it is not in the ValueSet', () => {
    const resource = { ...observation(), valueCodeableConcept: { coding: [{ system: 'urn:other', code: 'positive' }] } };
    expect(errors(validator.validate(resource)).map((i) => i.expression?.[0])).toEqual(['Observation.valueCodeableConcept']);
  });

  it('when a code is excluded by the ValueSet, then it is reported on the choice element', () => {
    const resource = { ...observation(), valueCodeableConcept: { coding: [{ system: codeSystemUrl('test-result'), code: 'inconclusive' }] } };
    expect(errors(validator.validate(resource))).toEqual([
      {
        severity: 'error',
        code: 'value',
        diagnostics: 'no coding is in the required ValueSet http://sektorbro.dk/fhir/ValueSet/test-result; allowed codes: positive, negative',
        expression: ['Observation.valueCodeableConcept'],
      },
    ]);
  });

  it('when a code-typed element with a required binding has another valid R4 code, then it is reported', () => {
    expect(errors(validator.validate({ ...composition(), status: 'preliminary' }))).toEqual([
      {
        severity: 'error',
        code: 'value',
        diagnostics: 'code is not in the required ValueSet http://sektorbro.dk/fhir/ValueSet/test-doc-status; allowed codes: final, amended',
        expression: ['Composition.status'],
      },
    ]);
  });
});

describe('profiles: invariants', () => {
  it('when a profile invariant on the resource fails, then it is reported with its key and text', () => {
    const resource = { ...patient(), identifier: [{ system: 'urn:other', value: 'x' }] };
    expect(validator.validate(resource)).toEqual([
      { severity: 'error', code: 'invariant', diagnostics: 'Constraint sb-test-pat-1 not met: A CPR or X-eCPR identifier is required', expression: ['Patient'] },
    ]);
  });

  it('when an invariant on a slice fails, then it is reported at the value in the slice', () => {
    const resource = { ...patient(), identifier: [{ system: 'urn:oid:1.2.208.176.1.6.1.1', value: 'x' }, { system: CPR_SYSTEM, value: '12345' }] };
    expect(validator.validate(resource)).toEqual([
      { severity: 'error', code: 'invariant', diagnostics: 'Constraint sb-test-cpr-1 not met: A CPR number has 10 digits', expression: ['Patient.identifier[1]'] },
    ]);
  });

  it('when an invariant on a BackboneElement fails for one repetition, then only that one is reported', () => {
    const base = composition();
    const sections = [...(base.section as Record<string, unknown>[]), { code: { coding: [{ system: codeSystemUrl('test-section'), code: 'plan' }] }, text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>' } }];
    expect(validator.validate({ ...base, section: sections })).toEqual([
      { severity: 'error', code: 'invariant', diagnostics: 'Constraint sb-test-sec-1 not met: A section has a title', expression: ['Composition.section[1]'] },
    ]);
  });

  it('when two invariants of the same element fail, then both are reported (Medplum stops at the first)', () => {
    const bundle = documentBundle();
    const [first, ...rest] = bundle.entry;
    const resource = { ...bundle, entry: [...rest, ...(first === undefined ? [] : [first])] };
    const keys = errors(validator.validate(resource)).filter((i) => i.expression?.[0] === 'Bundle').map((i) => i.diagnostics.split(' ')[1]);
    expect(keys.sort()).toEqual(['bdl-11', 'sb-test-doc-1']);
  });
});

describe('profiles: which profiles apply', () => {
  it('when a resource declares no profile, then it is validated as base R4 only', () => {
    expect(validator.validate(without(without(patient(), 'meta'), 'name'))).toEqual([]);
  });

  it('when a profile is requested explicitly, then it applies although the resource does not declare it', () => {
    expect(validator.validate(without(without(patient(), 'meta'), 'name'), { profile: profileUrl('test-patient') })).toEqual([
      { severity: 'error', code: 'required', diagnostics: "missing required element 'name'", expression: ['Patient.name'] },
    ]);
  });

  it('when an explicit profile is given with a version suffix, then it is found', () => {
    expect(hasErrors(validator.validate(without(patient(), 'name'), { profile: `${profileUrl('test-patient')}|0.1.0` }))).toBe(true);
  });

  it('when the explicitly requested profile is unknown, then an error says so', () => {
    expect(validator.validate(patient(), { profile: profileUrl('nope') })).toEqual([
      { severity: 'error', code: 'not-supported', diagnostics: 'unknown profile: the validator holds no profile with the requested canonical URL' },
    ]);
  });

  it('when the resource also has structural faults, then the unknown requested profile is still reported', () => {
    const issues = validator.validate({ ...patient(), nickname: 'x' }, { profile: profileUrl('nope') });
    expect(issues).toContainEqual({ severity: 'error', code: 'not-supported', diagnostics: 'unknown profile: the validator holds no profile with the requested canonical URL' });
    expect(issues).toContainEqual({ severity: 'error', code: 'structure', diagnostics: "unknown element 'nickname'", expression: ['Patient.nickname'] });
  });

  it('when the explicitly requested profile is for another type, then an error names both types', () => {
    expect(validator.validate(patient(), { profile: profileUrl('test-composition') })).toEqual([
      { severity: 'error', code: 'invalid', diagnostics: 'the requested profile constrains Composition, not Patient' },
    ]);
  });

  it('when a resource declares an unknown Sektorbro profile, then it is an error at meta.profile', () => {
    expect(validator.validate({ ...patient(), meta: { profile: [profileUrl('sektorbro-nope')] } })).toEqual([
      { severity: 'error', code: 'not-supported', diagnostics: 'declares a Sektorbro profile that does not exist', expression: ['Patient.meta.profile[0]'] },
    ]);
  });

  it('when a resource declares a foreign profile the validator does not hold, then it is a warning only', () => {
    const issues = validator.validate({ ...patient(), meta: { profile: ['http://hl7.dk/fhir/core/StructureDefinition/dk-core-patient', profileUrl('test-patient')] } });
    expect(issues).toEqual([
      {
        severity: 'warning',
        code: 'not-supported',
        diagnostics: 'declares a profile the validator does not hold; validated against base R4 only',
        expression: ['Patient.meta.profile[0]'],
      },
    ]);
  });

  it('when a resource declares a profile of another type, then it is an error at meta.profile', () => {
    expect(validator.validate({ ...patient(), meta: { profile: [profileUrl('test-observation')] } })).toEqual([
      { severity: 'error', code: 'invalid', diagnostics: 'declares a profile that constrains Observation, not this resource type', expression: ['Patient.meta.profile[0]'] },
    ]);
  });
});

describe('profiles: Bundle entries', () => {
  it('when an entry breaks the profile it declares, then the issue is rooted at the entry', () => {
    const bundle = documentBundle();
    const entry = bundle.entry[1];
    if (entry !== undefined) {
      entry.resource = without(entry.resource, 'name');
    }
    expect(validator.validate(bundle)).toEqual([
      { severity: 'error', code: 'required', diagnostics: "missing required element 'name'", expression: ['Bundle.entry[1].resource.name'] },
    ]);
  });

  it('when entries of a plain collection Bundle declare profiles, then they are validated too', () => {
    const bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: observation() }, { resource: { ...patient(), gender: 'other' } }] };
    expect(errors(validator.validate(bundle)).map((i) => i.expression?.[0])).toEqual(['Bundle.entry[1].resource.gender']);
  });

  it('when a reference resolves inside the Bundle to the wrong resource type, then it is reported', () => {
    const bundle = documentBundle();
    const entry = bundle.entry[0];
    if (entry !== undefined) {
      entry.resource = composition(uuid(3));
    }
    expect(validator.validate(bundle)).toEqual([
      {
        severity: 'error',
        code: 'structure',
        diagnostics: 'reference must point at Patient, not at Organization',
        expression: ['Bundle.entry[0].resource.subject'],
      },
    ]);
  });

  it('when the Bundle profile is broken, then Bundle-level and entry-level rules are reported', () => {
    const bundle = without(documentBundle(), 'identifier');
    const entry = bundle.entry[3];
    if (entry !== undefined) {
      bundle.entry[3] = { resource: entry.resource } as (typeof bundle.entry)[number];
    }
    const expressions = errors(validator.validate(bundle)).map((i) => i.expression?.[0]);
    expect(expressions).toContain('Bundle.identifier');
    expect(expressions).toContain('Bundle.entry[3].fullUrl');
  });
});

describe('document and message Bundles: references', () => {
  it('when a document references a resource it does not contain, then an error points at the reference', () => {
    const bundle = documentBundle();
    bundle.entry.pop();
    expect(validator.validate(bundle)).toEqual([
      {
        severity: 'error',
        code: 'not-found',
        diagnostics: 'reference does not resolve inside the Bundle; a document must contain every resource it references',
        expression: ['Bundle.entry[0].resource.section[0].entry[0].reference'],
      },
    ]);
  });

  it('when a document references an absolute URL outside it, then an error says it points outside', () => {
    const bundle = documentBundle();
    const observationEntry = bundle.entry[3];
    if (observationEntry !== undefined) {
      observationEntry.resource = { ...observationEntry.resource, performer: [{ reference: `https://example.org/fhir/Practitioner/${CPR}` }] };
    }
    const issues = validator.validate(bundle);
    expect(issues).toEqual([
      {
        severity: 'error',
        code: 'not-found',
        diagnostics: 'reference points outside the Bundle; a document must contain every resource it references',
        expression: ['Bundle.entry[3].resource.performer[0].reference'],
      },
    ]);
    expect(JSON.stringify(issues)).not.toContain(CPR);
  });

  it('when the same dangling reference sits in a message, then it is a warning', () => {
    const message = {
      resourceType: 'Bundle',
      type: 'message',
      entry: [
        { fullUrl: uuid(1), resource: { resourceType: 'MessageHeader', eventCoding: { system: 'urn:x', code: 'y' }, source: { endpoint: 'urn:x' }, focus: [{ reference: uuid(9) }] } },
      ],
    };
    expect(validator.validate(message)).toEqual([
      {
        severity: 'warning',
        code: 'not-found',
        diagnostics: 'reference does not resolve inside the Bundle; a message must contain every resource it references',
        expression: ['Bundle.entry[0].resource.focus[0].reference'],
      },
    ]);
  });

  it('when the severity for messages is configured, then it is used', () => {
    const strict = createValidator({ unresolvedReferences: { message: 'error' } });
    const message = { resourceType: 'Bundle', type: 'message', entry: [{ fullUrl: uuid(1), resource: { resourceType: 'MessageHeader', eventCoding: { system: 'urn:x', code: 'y' }, source: { endpoint: 'urn:x' }, focus: [{ reference: 'Patient/1' }] } }] };
    expect(strict.validate(message).map((i) => i.severity)).toEqual(['error']);
  });

  it('when references are #contained, Type/id of an entry, or logical, then they resolve', () => {
    const bundle = documentBundle();
    const patientEntry = bundle.entry[1];
    const observationEntry = bundle.entry[3];
    if (patientEntry === undefined || observationEntry === undefined) {
      throw new Error('fixture changed');
    }
    patientEntry.resource = { ...patientEntry.resource, id: 'p1', managingOrganization: { reference: '#org' }, contained: [{ resourceType: 'Organization', id: 'org', name: 'X' }] };
    observationEntry.resource = { ...observationEntry.resource, subject: { reference: 'Patient/p1' }, encounter: { identifier: { system: 'urn:x', value: 'y' } } };
    expect(validator.validate(bundle)).toEqual([]);
  });

  it('when a collection Bundle holds dangling references, then they are not checked', () => {
    const bundle = { ...documentBundle(), meta: undefined, type: 'collection' };
    bundle.entry.pop();
    expect(validator.validate(without(bundle, 'meta'))).toEqual([]);
  });
});

describe('profiles: diagnostics never carry payload', () => {
  it('when many rules fail on values holding a CPR number, then no issue repeats it', () => {
    const bundle = documentBundle();
    const [compositionEntry, patientEntry, , observationEntry] = bundle.entry;
    if (compositionEntry === undefined || patientEntry === undefined || observationEntry === undefined) {
      throw new Error('fixture changed');
    }
    compositionEntry.resource = { ...compositionEntry.resource, language: CPR, status: CPR, subject: { reference: `Patient/${CPR}` } };
    patientEntry.resource = {
      ...patientEntry.resource,
      meta: { profile: [profileUrl('test-patient'), `http://example.org/${CPR}`, profileUrl(CPR)] },
      gender: CPR,
      identifier: [{ system: CPR_SYSTEM, value: `${CPR}x` }],
      contact: [{ name: { family: CPR }, relationship: [{ coding: [{ system: CPR, code: CPR }] }] }],
    };
    observationEntry.resource = { ...observationEntry.resource, valueCodeableConcept: { coding: [{ system: codeSystemUrl('test-result'), code: CPR }] } };
    const issues = validator.validate(bundle);
    expect(errors(issues).length).toBeGreaterThanOrEqual(6);
    expect(JSON.stringify(issues)).not.toContain(CPR);
  });
});
