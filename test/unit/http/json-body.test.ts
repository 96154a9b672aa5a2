import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertJsonContentType, maxNestingDepth, parseJsonBody } from '../../../src/http/json-body.ts';
import { GatewayError } from '../../../src/shared/index.ts';
import { examplePath } from '../../helpers/examples.ts';

const suite = examplePath('jsontestsuite', 'test_parsing');
const files = readdirSync(suite);

const outcome = (file: string): 'accepted' | 'rejected' | 'crashed' => {
  try {
    parseJsonBody(readFileSync(examplePath('jsontestsuite', 'test_parsing', file)), 100);
    return 'accepted';
  } catch (e) {
    return e instanceof GatewayError && e.status === 400 ? 'rejected' : 'crashed';
  }
};

describe('parseJsonBody against JSONTestSuite', () => {
  it.each(files.filter((f) => f.startsWith('y_')))('when %s must be accepted, then it is', (file) => {
    expect(outcome(file)).toBe('accepted');
  });
  it.each(files.filter((f) => f.startsWith('n_')))('when %s must be rejected, then it is, with a 400', (file) => {
    expect(outcome(file)).toBe('rejected');
  });
  it.each(files.filter((f) => f.startsWith('i_')))('when %s may go either way, then it never crashes', (file) => {
    expect(outcome(file)).not.toBe('crashed');
  });
});

describe('parseJsonBody', () => {
  it('when JSON is broken, then the message names line and column but no fragment of the body', () => {
    try {
      parseJsonBody(Buffer.from('{\n  "resourceType": "Patient",\n  "name": [ "Bruno" "Elmer" ]\n}'), 100);
      expect.unreachable();
    } catch (e) {
      const text = JSON.stringify((e as GatewayError).issues);
      expect(text).toMatch(/line 3, column/);
      expect(text).not.toMatch(/Bruno|Elmer/);
    }
  });

  it('when the body holds a token that V8 would quote back, then it is not echoed', () => {
    try {
      parseJsonBody(Buffer.from('{"cpr": 2509479989x}'), 100);
      expect.unreachable();
    } catch (e) {
      expect(JSON.stringify((e as GatewayError).issues)).not.toMatch(/2509479989/);
    }
  });

  it('when nesting is deeper than allowed, then it is refused before parsing', () => {
    const deep = '['.repeat(101) + ']'.repeat(101);
    expect(() => parseJsonBody(Buffer.from(deep), 100)).toThrow(GatewayError);
    expect(() => parseJsonBody(Buffer.from('['.repeat(100) + ']'.repeat(100)), 100)).not.toThrow();
  });

  it('when brackets sit inside strings, then they do not count as nesting', () => {
    expect(maxNestingDepth('{"a":"[[[[{{{{\\"]]"}')).toBe(1);
  });

  it('when the body is not UTF-8, then it is refused rather than silently repaired', () => {
    try {
      parseJsonBody(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), 100);
      expect.unreachable();
    } catch (e) {
      expect((e as GatewayError).issues[0]?.diagnostics).toMatch(/UTF-8/);
    }
  });

  it('when the body is empty, then that is said', () => {
    expect(() => parseJsonBody(Buffer.alloc(0), 100)).toThrow(GatewayError);
  });
});

describe('assertJsonContentType', () => {
  it.each(['application/fhir+json', 'application/json', 'application/fhir+json; charset=utf-8', 'application/fhir+json;fhirVersion=4.0'])(
    'when Content-Type is %s, then it is accepted',
    (ct) => {
      expect(() => { assertJsonContentType(ct); }).not.toThrow();
    },
  );
  it.each([undefined, 'text/plain', 'application/fhir+xml', 'application/fhir+json; charset=latin1'])('when Content-Type is %s, then 415', (ct) => {
    try {
      assertJsonContentType(ct);
      expect.unreachable();
    } catch (e) {
      expect((e as GatewayError).status).toBe(415);
    }
  });
});
