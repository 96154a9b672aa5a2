import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/shared/index.ts';
import { parseSearch } from '../../../src/store/search-parse.ts';
import { describeSearchCapabilities, describeSearchParameters, STORED_TYPES } from '../../../src/store/search-parameters.ts';

const limits = { defaultCount: 50, maxCount: 1000 };
const parse = (type: string, query: string) => parseSearch(type, [...new URLSearchParams(query).entries()], limits);

function rejection(type: string, query: string): GatewayError {
  try {
    parse(type, query);
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('parseSearch: parameters it does not know', () => {
  it('when a parameter is misspelt (patiant=), then it is a 400 naming it and listing the supported ones', () => {
    const err = rejection('Encounter', 'patiant=Patient/1');
    expect(err.status).toBe(400);
    expect(err.issues[0]?.expression).toEqual(['patiant']);
    expect(err.issues[0]?.code).toBe('not-supported');
    expect(err.issues[0]?.diagnostics).toContain("'patiant'");
    expect(err.issues[0]?.diagnostics).toContain('patient');
    expect(err.issues[0]?.diagnostics).toContain('identifier');
  });

  it('when Patient is searched by a parameter other than identifier, then it is refused', () => {
    expect(rejection('Patient', 'name=Else').issues[0]?.expression).toEqual(['name']);
  });

  it('when a modifier such as :exact is used, then it is a 400 saying modifiers are not supported', () => {
    const err = rejection('Patient', 'identifier:exact=x');
    expect(err.issues[0]?.code).toBe('not-supported');
    expect(err.issues[0]?.diagnostics).toMatch(/:exact.*not supported/);
  });

  it('when a parameter name looks like a CPR number, then the diagnostics do not echo it', () => {
    const err = rejection('Patient', '0101010101=x');
    expect(err.issues[0]?.diagnostics).not.toContain('0101010101');
    expect(err.issues[0]?.expression).toBeUndefined();
  });

  it('when several parameters are wrong, then every one is reported', () => {
    expect(rejection('Encounter', 'foo=1&bar=2&_count=0').issues).toHaveLength(3);
  });

  it('when the type is not a stored type, then it is refused', () => {
    expect(rejection('Medication', '').status).toBe(400);
  });

  it('when _format or _pretty is given, then it is left to the HTTP layer', () => {
    expect(parse('Patient', '_format=json&_pretty=true').criteria).toEqual([]);
  });

  it('when a chain is not supported on the type, then it is a 400 listing the supported chains', () => {
    const err = rejection('Encounter', 'patient.name=x');
    expect(err.issues[0]?.diagnostics).toContain('patient.identifier');
    expect(rejection('Organization', 'patient.identifier=x').issues[0]?.code).toBe('not-supported');
  });
});

describe('parseSearch: _id, tokens and references', () => {
  it('when _id has commas, then the ids are ORed in one criterion', () => {
    expect(parse('Patient', '_id=a,b').criteria).toEqual([{ kind: 'id', values: ['a', 'b'] }]);
  });

  it('when _id is not a FHIR id, then it is a 400 naming _id', () => {
    expect(rejection('Patient', '_id=a b').issues[0]?.expression).toEqual(['_id']);
  });

  it('when a token is given in each FHIR form, then system and code are split accordingly', () => {
    const q = parse('Patient', 'identifier=urn:oid:1.2.208.176.1.2|0101010101,|abc,http://x|,plain');
    expect(q.criteria).toEqual([
      {
        kind: 'token',
        param: 'identifier',
        values: [{ system: 'urn:oid:1.2.208.176.1.2', code: '0101010101' }, { system: '', code: 'abc' }, { system: 'http://x' }, { code: 'plain' }],
      },
    ]);
  });

  it('when a token value escapes a comma or pipe, then it stays part of the value', () => {
    expect(parse('Patient', 'identifier=a\\,b|c\\|d').criteria).toEqual([
      { kind: 'token', param: 'identifier', values: [{ system: 'a,b', code: 'c|d' }] },
    ]);
  });

  it('when a token is only a pipe, then it is a 400', () => {
    expect(rejection('Patient', 'identifier=|').issues[0]?.expression).toEqual(['identifier']);
  });

  it('when a parameter is repeated, then the criteria are ANDed (two criteria)', () => {
    expect(parse('Encounter', 'status=finished&status=in-progress').criteria).toHaveLength(2);
  });

  it('when a reference is Type/id, a bare id or an absolute URL, then type and id are extracted', () => {
    const q = parse('Encounter', 'patient=Patient/123,456,https://fhir.example.dk/r4/Patient/789');
    expect(q.criteria).toEqual([
      { kind: 'reference', param: 'patient', values: [{ type: 'Patient', id: '123' }, { id: '456' }, { type: 'Patient', id: '789' }] },
    ]);
  });

  it('when patient= references another type, then it is a 400', () => {
    expect(rejection('Encounter', 'patient=Group/1').issues[0]?.expression).toEqual(['patient']);
  });

  it('when a reference is malformed, then it is a 400 naming the parameter', () => {
    expect(rejection('Encounter', 'subject=not a ref').issues[0]?.expression).toEqual(['subject']);
  });

  it('when a chained patient.identifier is given, then it becomes a chained-token criterion', () => {
    expect(parse('Encounter', 'patient.identifier=urn:oid:1.2.208.176.1.2|0101010101').criteria).toEqual([
      {
        kind: 'chained-token',
        param: 'patient',
        target: 'Patient',
        targetParam: 'identifier',
        values: [{ system: 'urn:oid:1.2.208.176.1.2', code: '0101010101' }],
      },
    ]);
    expect(parse('Observation', 'subject.identifier=x').criteria[0]).toMatchObject({ kind: 'chained-token', param: 'subject' });
  });

  it('when a value is empty, then it is a 400 rather than matching everything', () => {
    expect(rejection('Encounter', 'patient=').issues[0]?.expression).toEqual(['patient']);
  });

  it('when a malformed value is a CPR number, then the diagnostics do not echo it', () => {
    const err = rejection('Encounter', 'date=0101010101');
    expect(err.issues[0]?.expression).toEqual(['date']);
    expect(err.issues[0]?.diagnostics).not.toContain('0101010101');
  });
});

describe('parseSearch: dates', () => {
  it('when a date has no prefix, then it is eq over the whole local day', () => {
    expect(parse('Encounter', 'date=2024-03-31').criteria).toEqual([
      { kind: 'date', param: 'date', prefix: 'eq', low: new Date('2024-03-30T23:00:00.000Z'), high: new Date('2024-03-31T21:59:59.999Z') },
    ]);
  });

  it.each(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb'])('when the prefix is %s, then it is kept', (prefix) => {
    expect(parse('Encounter', `date=${prefix}2024-01`).criteria[0]).toMatchObject({ prefix });
  });

  it('when the prefix is ap, then it is a 400 (not supported)', () => {
    expect(rejection('Encounter', 'date=ap2024').issues[0]?.diagnostics).toContain("'ap'");
  });

  it('when _lastUpdated has an offset dateTime, then it becomes a last-updated criterion', () => {
    expect(parse('Patient', '_lastUpdated=gt2024-06-01T10:00:00%2B02:00').criteria).toEqual([
      { kind: 'last-updated', prefix: 'gt', low: new Date('2024-06-01T08:00:00.000Z'), high: new Date('2024-06-01T08:00:00.999Z') },
    ]);
  });

  it.each(['2024-02-30', 'ge', 'yesterday', '2024-01-01,2024-01-02'])('when the date is %j, then it is a 400 naming date', (v) => {
    expect(rejection('Encounter', `date=${v}`).issues[0]?.expression).toEqual(['date']);
  });

  it('when a type has no date parameter (Patient), then date= is unknown', () => {
    expect(rejection('Patient', 'date=2024').issues[0]?.code).toBe('not-supported');
  });
});

describe('parseSearch: paging and totals', () => {
  it('when nothing is given, then the default count and an accurate total are used', () => {
    expect(parse('Patient', '')).toEqual({ type: 'Patient', criteria: [], count: 50, cursor: undefined, total: true });
  });

  it('when _count is within bounds, then it is used', () => {
    expect(parse('Patient', '_count=1000').count).toBe(1000);
  });

  it.each(['0', '1001', '-1', 'ten', '1.5'])('when _count is %s, then it is a 400 naming _count', (v) => {
    expect(rejection('Patient', `_count=${v}`).issues[0]?.expression).toEqual(['_count']);
  });

  it('when _total=none, then no total is asked for', () => {
    expect(parse('Patient', '_total=none').total).toBe(false);
    expect(rejection('Patient', '_total=maybe').issues[0]?.expression).toEqual(['_total']);
  });

  it('when _cursor is given, then it is passed on; a malformed one is a 400', () => {
    expect(parse('Patient', '_cursor=czEyMw').cursor).toBe('czEyMw');
    expect(rejection('Patient', '_cursor=a/b').issues[0]?.expression).toEqual(['_cursor']);
  });

  it('when _count is given twice, then it is a 400', () => {
    expect(rejection('Patient', '_count=1&_count=2').issues[0]?.expression).toEqual(['_count']);
  });
});

describe('search-parameter registry', () => {
  it('when the CapabilityStatement is described, then every stored type has _id and _lastUpdated', () => {
    const all = describeSearchCapabilities();
    expect(Object.keys(all).sort()).toEqual([...STORED_TYPES].sort());
    for (const params of Object.values(all)) expect(params.map((p) => p.name).slice(0, 2)).toEqual(['_id', '_lastUpdated']);
  });

  it('when Patient is described, then it has identifier only besides the common parameters', () => {
    expect(describeSearchParameters('Patient').map((p) => p.name)).toEqual(['_id', '_lastUpdated', 'identifier']);
  });

  it('when Encounter is described, then it follows the R4 names and types', () => {
    expect(describeSearchParameters('Encounter').map((p) => [p.name, p.type])).toEqual([
      ['_id', 'token'],
      ['_lastUpdated', 'date'],
      ['date', 'date'],
      ['identifier', 'token'],
      ['patient', 'reference'],
      ['status', 'token'],
      ['subject', 'reference'],
      ['type', 'token'],
    ]);
  });

  it('when every described parameter is searched with a plausible value, then parseSearch accepts it', () => {
    const sample = { token: 'x', reference: 'Patient/1', date: '2024' } as const;
    for (const type of STORED_TYPES) {
      for (const p of describeSearchParameters(type)) {
        const value = p.name === '_id' ? 'a' : p.name === 'organization' ? 'Organization/1' : sample[p.type];
        expect(() => parse(type, `${p.name}=${encodeURIComponent(value)}`), `${type}.${p.name}`).not.toThrow();
      }
    }
  });
});
