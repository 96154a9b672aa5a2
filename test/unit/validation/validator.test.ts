import { describe, expect, it } from 'vitest';
import { hasErrors } from '../../../src/shared/index.ts';
import { MAX_ISSUES, createValidator } from '../../../src/validation/index.ts';

const validator = createValidator();

/** A minimal valid Encounter; tests break one thing at a time. */
const encounter = (): Record<string, unknown> => ({
  resourceType: 'Encounter',
  status: 'in-progress',
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
});

describe('validator.validate: input shape', () => {
  it.each([
    ['an array', []],
    ['null', null],
    ['a string', 'Patient'],
    ['a number', 42],
  ])('when the input is %s, then one structure error without expression is returned', (_name, input) => {
    expect(validator.validate(input)).toEqual([
      { severity: 'error', code: 'structure', diagnostics: 'a FHIR resource must be a JSON object' },
    ]);
  });

  it('when resourceType is missing, then a required error points at resourceType', () => {
    const issues = validator.validate({ id: 'x' });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ severity: 'error', code: 'required', expression: ['resourceType'] });
  });

  it('when resourceType is not a string, then a structure error points at resourceType', () => {
    expect(validator.validate({ resourceType: 7 })[0]).toMatchObject({ severity: 'error', code: 'structure', expression: ['resourceType'] });
  });

  it('when resourceType is not an R4 type, then a not-supported error points at resourceType', () => {
    expect(validator.validate({ resourceType: 'Patientt' })).toEqual([
      { severity: 'error', code: 'not-supported', diagnostics: 'resourceType is not an R4 resource type', expression: ['resourceType'] },
    ]);
  });

  it('when resourceType differs from the URL type, then an invalid error points at resourceType', () => {
    expect(validator.validate({ resourceType: 'Patient' }, { resourceType: 'Encounter' })).toEqual([
      { severity: 'error', code: 'invalid', diagnostics: 'resourceType does not match the Encounter type', expression: ['resourceType'] },
    ]);
  });

  it('when resourceType matches the URL type, then the resource is validated normally', () => {
    expect(validator.validate({ resourceType: 'Patient', gender: 'female' }, { resourceType: 'Patient' })).toEqual([]);
  });

  it('when the R4 types are listed, then all 146 resource types and no abstract ones are known', () => {
    expect(validator.knownResourceTypes.size).toBe(146);
    expect(validator.knownResourceTypes.has('MessageHeader')).toBe(true);
    expect(validator.knownResourceTypes.has('Resource')).toBe(false);
    expect(validator.knownResourceTypes.has('DomainResource')).toBe(false);
  });
});

describe('validator.validate: structure (JSON schema)', () => {
  it('when an unknown element is present, then one structure error points at the element', () => {
    expect(validator.validate({ resourceType: 'Patient', foo: 1 })).toEqual([
      { severity: 'error', code: 'structure', diagnostics: "unknown element 'foo'", expression: ['Patient.foo'] },
    ]);
  });

  it('when an unknown element is nested in an entry, then the expression follows the entry path', () => {
    const bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Patient', name: [{ family: 'x', nick: 'y' }] } }] };
    expect(validator.validate(bundle)).toEqual([
      { severity: 'error', code: 'structure', diagnostics: "unknown element 'nick'", expression: ['Bundle.entry[0].resource.name[0].nick'] },
    ]);
  });

  it('when Patient.gender is "mand", then a value error lists the allowed codes', () => {
    expect(validator.validate({ resourceType: 'Patient', gender: 'mand' })).toEqual([
      {
        severity: 'error',
        code: 'value',
        diagnostics: 'must be equal to one of the allowed values: male, female, other, unknown',
        expression: ['Patient.gender'],
      },
    ]);
  });

  it('when a bad code sits deep in a Bundle entry, then the expression is FHIRPath-like', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ resource: { resourceType: 'Patient' } }, { resource: { resourceType: 'Patient', telecom: [{ system: 'fax2', value: '1' }] } }],
    };
    const issues = validator.validate(bundle);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ severity: 'error', code: 'value', expression: ['Bundle.entry[1].resource.telecom[0].system'] });
    expect(issues[0]?.diagnostics).toMatch(/^must be equal to one of the allowed values: phone, fax, email/);
  });

  it('when a string is given where an array is expected, then exactly one structure error is returned', () => {
    expect(validator.validate({ resourceType: 'Patient', telecom: 'x' })).toEqual([
      { severity: 'error', code: 'structure', diagnostics: 'must be array', expression: ['Patient.telecom'] },
    ]);
  });

  it('when a string is given where an object is expected, then a structure error points at the array item', () => {
    expect(validator.validate({ resourceType: 'Patient', name: ['Bruno'] })).toEqual([
      { severity: 'error', code: 'structure', diagnostics: 'must be object', expression: ['Patient.name[0]'] },
    ]);
  });

  it('when a boolean is given as a string, then only the type fault is reported, not the pattern as well', () => {
    expect(validator.validate({ resourceType: 'Patient', active: 'yes' })).toEqual([
      { severity: 'error', code: 'structure', diagnostics: 'must be boolean', expression: ['Patient.active'] },
    ]);
  });

  it('when a date has a malformed format, then a value error names the FHIR type', () => {
    expect(validator.validate({ resourceType: 'Patient', birthDate: '1991-2-3' })).toEqual([
      { severity: 'error', code: 'value', diagnostics: 'invalid date format', expression: ['Patient.birthDate'] },
    ]);
  });

  it('when a schema-required element is missing, then a required error points at it', () => {
    const { class: _omitted, ...withoutClass } = encounter();
    expect(validator.validate(withoutClass)).toEqual([
      { severity: 'error', code: 'required', diagnostics: "missing required element 'class'", expression: ['Encounter.class'] },
    ]);
  });

  it('when an entry resource has an unknown resourceType, then the error points at its resourceType', () => {
    const bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Nope' } }] };
    expect(validator.validate(bundle)).toEqual([
      {
        severity: 'error',
        code: 'structure',
        diagnostics: 'resourceType is not an R4 resource type',
        expression: ['Bundle.entry[0].resource.resourceType'],
      },
    ]);
  });

  it('when an entry resource is not an object, then a structure error points at it', () => {
    const bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: 'Patient/1' }] };
    expect(validator.validate(bundle)).toEqual([
      { severity: 'error', code: 'structure', diagnostics: 'must be object', expression: ['Bundle.entry[0].resource'] },
    ]);
  });
});

describe('validator.validate: base definitions (Medplum)', () => {
  it('when a minimal valid Encounter is validated, then there are no issues', () => {
    expect(validator.validate(encounter())).toEqual([]);
  });

  it('when Encounter.status is missing, then a required error points at Encounter.status', () => {
    const { status: _omitted, ...withoutStatus } = encounter();
    expect(validator.validate(withoutStatus)).toEqual([
      { severity: 'error', code: 'required', diagnostics: "missing required element 'status'", expression: ['Encounter.status'] },
    ]);
  });

  it('when Bundle.type is missing, then a required error points at Bundle.type', () => {
    const issues = validator.validate({ resourceType: 'Bundle' });
    expect(issues).toContainEqual({
      severity: 'error',
      code: 'required',
      diagnostics: "missing required element 'type'",
      expression: ['Bundle.type'],
    });
    expect(hasErrors(issues)).toBe(true);
  });

  it('when a base invariant fails, then an invariant error names the constraint', () => {
    const bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ request: { method: 'POST', url: 'Patient' } }] };
    const issues = validator.validate(bundle);
    expect(issues.some((i) => i.code === 'invariant' && i.severity === 'error' && i.diagnostics.startsWith('Constraint bdl-3 not met'))).toBe(true);
  });

  it('when both validators flag the same element, then it is reported once', () => {
    const { class: _omitted, ...withoutClass } = encounter();
    const issues = validator.validate({ ...withoutClass, telecom: 'x' });
    expect(issues.filter((i) => i.expression?.[0] === 'Encounter.class')).toHaveLength(1);
  });

  it('when a Type/id reference names a disallowed target, then a warning names the types but not the id', () => {
    const observation = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Organization/2509479989' } };
    const issues = validator.validate(observation);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ severity: 'warning', code: 'structure', expression: ['Observation.subject'] });
    expect(issues[0]?.diagnostics).toContain('Organization');
    expect(issues[0]?.diagnostics).not.toContain('2509479989');
    expect(hasErrors(issues)).toBe(false);
  });

  it('when references are urn:uuid, then no reference warning is raised', () => {
    const observation = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:0c5e4905-5c2e-4254-8837-770c3724cd13' } };
    expect(validator.validate(observation)).toEqual([]);
  });
});

describe('validator.validate: calendar dates', () => {
  it('when a date names a day that does not exist, then a value error points at it', () => {
    expect(validator.validate({ resourceType: 'Patient', birthDate: '1991-02-30' })).toEqual([
      { severity: 'error', code: 'value', diagnostics: 'invalid date: the day does not exist in that month', expression: ['Patient.birthDate'] },
    ]);
  });

  it('when 29 February falls in a leap year, then the date is valid', () => {
    expect(validator.validate({ resourceType: 'Patient', birthDate: '2000-02-29' })).toEqual([]);
  });

  it('when impossible dates sit in choice elements, extensions and entries, then each is found', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        {
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { text: 'x' },
            effectiveDateTime: '2023-04-31T10:00:00+02:00',
            _status: { extension: [{ url: 'http://example.org/x', valueDate: '1900-02-29' }] },
          },
        },
      ],
    };
    const expressions = validator.validate(bundle).map((i) => i.expression?.[0]);
    expect(expressions).toEqual(['Bundle.entry[0].resource.effectiveDateTime', 'Bundle.entry[0].resource._status.extension[0].valueDate']);
  });
});

describe('validator.validate: faults of the schema file and Medplum corrected (seen on R4 spec examples)', () => {
  it('when a CapabilityStatement declares fhirVersion 4.0.1, then it is valid (the schema file stops at 4.0.0)', () => {
    const capability = { resourceType: 'CapabilityStatement', status: 'active', date: '2024-01-01', kind: 'instance', fhirVersion: '4.0.1', format: ['json'], implementation: { description: 'x' }, rest: [{ mode: 'server' }] };
    expect(validator.validate(capability)).toEqual([]);
  });

  it('when a string or code holds a NO-BREAK SPACE, then it is valid (FHIR regexes use XML Schema whitespace)', () => {
    const patient = { resourceType: 'Patient', name: [{ text: 'Anna\u00a0Hansen' }], contact: [{ name: { family: 'x' }, relationship: [{ coding: [{ code: 'CHEST\u00a0' }] }] }] };
    expect(validator.validate(patient)).toEqual([]);
  });

  it('when a string holds only ordinary whitespace, then it is still invalid', () => {
    expect(hasErrors(validator.validate({ resourceType: 'Patient', name: [{ text: ' \t ' }] }))).toBe(true);
  });

  it('when a canonical element carries extensions in its _name sibling, then it is valid', () => {
    const questionnaire = { resourceType: 'Questionnaire', status: 'draft', derivedFrom: ['http://example.org/Questionnaire/q'], _derivedFrom: [{ extension: [{ url: 'urn:x', valueString: 'y' }] }] };
    expect(validator.validate(questionnaire)).toEqual([]);
  });

  it('when base64Binary is wrapped with whitespace, then it is valid; when it is not base64, then it is invalid', () => {
    expect(validator.validate({ resourceType: 'Binary', contentType: 'text/plain', data: 'SGVs\nbG8g\r\nd29y bGQ=' })).toEqual([]);
    expect(validator.validate({ resourceType: 'Binary', contentType: 'text/plain', data: 'SGVs*bG8=' })).toEqual([
      { severity: 'error', code: 'value', diagnostics: 'Invalid base64Binary format', expression: ['Binary.data'] },
    ]);
  });
});

describe('validator.validate: diagnostics never carry payload', () => {
  it('when an unknown key looks like a CPR number, then neither the message nor the expression repeats it', () => {
    const issues = validator.validate({ resourceType: 'Patient', '2509479989': 'x' });
    expect(hasErrors(issues)).toBe(true);
    expect(JSON.stringify(issues)).not.toContain('2509479989');
  });

  it('when a bad enum value carries personal data, then the message does not repeat it', () => {
    const issues = validator.validate({ resourceType: 'Patient', gender: '2509479989' });
    expect(hasErrors(issues)).toBe(true);
    expect(JSON.stringify(issues)).not.toContain('2509479989');
  });
});

describe('validator.validate: volume', () => {
  it('when a Bundle has more faults than the cap, then the issues are capped with a closing note', () => {
    const entry = Array.from({ length: MAX_ISSUES + 10 }, () => ({ resource: { resourceType: 'Patient', gender: 'mand' } }));
    const issues = validator.validate({ resourceType: 'Bundle', type: 'collection', entry });
    expect(issues).toHaveLength(MAX_ISSUES + 1);
    expect(issues.at(-1)).toEqual({ severity: 'warning', code: 'too-long', diagnostics: '10 further issues omitted' });
  });
});

describe('validator.validate: empty values and period order (found by the seeded variants of issue #9)', () => {
  it('when an array is empty, then a structure error points at it', () => {
    const issues = validator.validate({ resourceType: 'Patient', name: [{ family: 'Elmer', given: [] }], telecom: [] });
    expect(issues.filter((i) => i.code === 'structure').map((i) => i.expression?.[0]).sort()).toEqual(['Patient.name[0].given', 'Patient.telecom']);
  });

  it('when an array holds an empty object, then an ele-1 error points at the item', () => {
    const issues = validator.validate({ resourceType: 'Patient', telecom: [{}] });
    expect(issues).toContainEqual({ severity: 'error', code: 'structure', diagnostics: 'ele-1: an empty object; an element must have a value or children', expression: ['Patient.telecom[0]'] });
  });

  it('when a period ends before it starts, then per-1 points at the period', () => {
    const e = { ...encounter(), status: 'finished', period: { start: '2026-03-02T10:00:00+01:00', end: '2026-03-01T10:00:00+01:00' } };
    expect(validator.validate(e)).toEqual([
      { severity: 'error', code: 'invariant', diagnostics: 'per-1: the period ends before it starts (start is after end)', expression: ['Encounter.period'] },
    ]);
  });

  it('when a period ends at a coarser precision that still covers the start, then it is valid', () => {
    expect(validator.validate({ ...encounter(), status: 'finished', period: { start: '2026-03-31T10:00:00+02:00', end: '2026-03' } })).toEqual([]);
    expect(validator.validate({ ...encounter(), status: 'finished', period: { start: '2026-03-01T10:00:00+01:00', end: '2026-03-01T10:00:00+01:00' } })).toEqual([]);
  });
});
