import { describe, expect, it } from 'vitest';
import { isCalendarDate } from '../../../src/validation/calendar-dates.ts';
import { isWithin, toExpression, toSafeExpression, toTokens } from '../../../src/validation/expression.ts';

describe('toExpression', () => {
  it('when an ajv instance path has indices, then they become FHIRPath indices', () => {
    expect(toExpression('Bundle', '/entry/1/resource/telecom/0/system')).toBe('Bundle.entry[1].resource.telecom[0].system');
  });

  it('when the instance path is empty, then the expression is the resource type', () => {
    expect(toExpression('Patient', '')).toBe('Patient');
  });

  it('when a segment does not look like an element name, then it is replaced', () => {
    expect(toExpression('Patient', '/1206550VK9/given')).toBe('Patient.(unnamed).given');
  });
});

describe('toSafeExpression', () => {
  it('when a Medplum path holds a payload key, then only that segment is replaced', () => {
    expect(toSafeExpression('Patient.name[0].0101011234')).toBe('Patient.name[0].(unnamed)');
    expect(toSafeExpression('Bundle.entry[0].resource.event[x]')).toBe('Bundle.entry[0].resource.event[x]');
  });
});

describe('isWithin', () => {
  it('when an expression lies below another, then it is within it', () => {
    expect(isWithin(toTokens('Patient.telecom[0].system'), toTokens('Patient.telecom'))).toBe(true);
    expect(isWithin(toTokens('Patient.telecom'), toTokens('Patient.telecom'))).toBe(true);
  });

  it('when expressions are siblings or the outer is deeper, then it is not within', () => {
    expect(isWithin(toTokens('Patient.telecom[1]'), toTokens('Patient.telecom[0]'))).toBe(false);
    expect(isWithin(toTokens('Patient'), toTokens('Patient.name'))).toBe(false);
    expect(isWithin(toTokens('Patient.telecomX'), toTokens('Patient.telecom'))).toBe(false);
  });

  it("when Medplum's choice form meets the concrete JSON name, then they match", () => {
    expect(isWithin(toTokens('Observation.value[x].value'), toTokens('Observation.valueQuantity'))).toBe(true);
    expect(isWithin(toTokens('Observation.valueQuantity.value'), toTokens('Observation.value[x]'))).toBe(true);
    expect(isWithin(toTokens('Observation.value[x]'), toTokens('Observation.valuequantity'))).toBe(false);
  });
});

describe('isCalendarDate', () => {
  it.each([
    ['1991-02-28', true],
    ['1991-02-29', false],
    ['1991-02-30', false],
    ['2000-02-29', true],
    ['1900-02-29', false],
    ['2024-04-31T10:00:00Z', false],
    ['2024-12-31T23:59:59+01:00', true],
    ['2024', true],
    ['2024-06', true],
  ])('when the value is %s, then calendar-valid is %s', (value, expected) => {
    expect(isCalendarDate(value)).toBe(expected);
  });
});
