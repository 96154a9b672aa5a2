import { describe, expect, it } from 'vitest';
import { buildTerminology } from '../../../src/validation/terminology.ts';
import type { ExpansionResult } from '../../../src/validation/terminology.ts';

const CS = 'http://sektorbro.dk/fhir/CodeSystem/cs';
const vsUrl = (id: string): string => `http://sektorbro.dk/fhir/ValueSet/${id}`;

function codeSystem(content: fhir4.CodeSystem['content'] = 'complete'): fhir4.CodeSystem {
  return {
    resourceType: 'CodeSystem',
    url: CS,
    status: 'draft',
    content,
    concept: [{ code: 'a' }, { code: 'b', concept: [{ code: 'b1' }] }],
  };
}

function valueSet(id: string, compose?: fhir4.ValueSetCompose, expansion?: fhir4.ValueSetExpansion): fhir4.ValueSet {
  return { resourceType: 'ValueSet', url: vsUrl(id), status: 'draft', ...(compose === undefined ? {} : { compose }), ...(expansion === undefined ? {} : { expansion }) };
}

function expand(valueSets: fhir4.ValueSet[], id: string, cs: fhir4.CodeSystem = codeSystem()): ExpansionResult | undefined {
  const terminology = buildTerminology([{ resource: cs, source: 'cs.json' }], valueSets.map((resource, i) => ({ resource, source: `vs${String(i)}.json` })));
  return terminology.expand(vsUrl(id));
}

function codes(result: ExpansionResult | undefined): string[] {
  if (result === undefined || !result.ok) {
    throw new Error(`not expanded: ${result === undefined ? 'unknown' : result.reason}`);
  }
  return [...result.expansion.codes].sort();
}

describe('buildTerminology', () => {
  it('when a ValueSet includes a whole local CodeSystem, then nested concepts are included', () => {
    expect(codes(expand([valueSet('all', { include: [{ system: CS }] })], 'all'))).toEqual(['a', 'b', 'b1']);
  });

  it('when a ValueSet enumerates concepts of an external system, then exactly those are in it, with their system', () => {
    const result = expand([valueSet('g', { include: [{ system: 'http://hl7.org/fhir/administrative-gender', concept: [{ code: 'male' }] }] })], 'g');
    expect(codes(result)).toEqual(['male']);
    expect(result?.ok === true && result.expansion.has('http://hl7.org/fhir/administrative-gender', 'male')).toBe(true);
    expect(result?.ok === true && result.expansion.has(undefined, 'male')).toBe(false);
  });

  it('when a ValueSet includes another and excludes a code, then the result is the difference', () => {
    const sets = [valueSet('all', { include: [{ system: CS }] }), valueSet('some', { include: [{ valueSet: [`${vsUrl('all')}|0.1.0`] }], exclude: [{ system: CS, concept: [{ code: 'b' }] }] })];
    expect(codes(expand(sets, 'some'))).toEqual(['a', 'b1']);
  });

  it('when an include names both a system and a ValueSet, then it is their intersection', () => {
    const sets = [valueSet('two', { include: [{ system: CS, concept: [{ code: 'a' }, { code: 'b' }] }] }), valueSet('x', { include: [{ system: CS, valueSet: [vsUrl('two')] }] })];
    expect(codes(expand(sets, 'x'))).toEqual(['a', 'b']);
  });

  it('when a ValueSet uses a filter, then it is not expandable and says why', () => {
    const result = expand([valueSet('f', { include: [{ system: 'http://snomed.info/sct', filter: [{ property: 'concept', op: 'is-a', value: '1' }] }] })], 'f');
    expect(result).toEqual({ ok: false, reason: 'uses a filter, which needs a terminology server' });
  });

  it('when a ValueSet includes a whole external system, then it is not expandable', () => {
    expect(expand([valueSet('l', { include: [{ system: 'http://loinc.org' }] })], 'l')).toEqual({
      ok: false,
      reason: 'includes all of http://loinc.org, which is not a CodeSystem held locally',
    });
  });

  it('when the local CodeSystem is only a fragment, then including all of it is not expandable', () => {
    expect(expand([valueSet('all', { include: [{ system: CS }] })], 'all', codeSystem('fragment'))).toEqual({
      ok: false,
      reason: `includes all of ${CS}, whose content is not complete`,
    });
  });

  it('when ValueSets include each other in a cycle, then neither is expandable', () => {
    const sets = [valueSet('p', { include: [{ valueSet: [vsUrl('q')] }] }), valueSet('q', { include: [{ valueSet: [vsUrl('p')] }] })];
    expect(expand(sets, 'p')?.ok).toBe(false);
  });

  it('when a ValueSet has an unexpandable compose but carries an expansion, then the expansion is used', () => {
    const vs = valueSet('e', { include: [{ system: 'http://loinc.org' }] }, { timestamp: '2024-01-01', contains: [{ system: 'http://loinc.org', code: '18842-5' }] });
    expect(codes(expand([vs], 'e'))).toEqual(['18842-5']);
  });

  it('when a ValueSet is not held, then expand says nothing', () => {
    expect(expand([], 'none')).toBeUndefined();
  });
});
