import { describe, expect, it } from 'vitest';
import { formatScope, grantScopes, OAuthError, parseScope, parseScopes, permits, ScopeError } from '../../../src/auth/index.ts';
import type { Interaction } from '../../../src/auth/index.ts';

const letters = (text: string): string => formatScope(parseScope(text));

describe('parseScope', () => {
  it.each([
    ['system/Patient.rs', 'system/Patient.rs'],
    ['system/Patient.r', 'system/Patient.r'],
    ['system/*.cruds', 'system/*.cruds'],
    ['system/Bundle.c', 'system/Bundle.c'],
    ['system/Encounter.cud', 'system/Encounter.cud'],
    ['system/Patient.read', 'system/Patient.rs'],
    ['system/Patient.write', 'system/Patient.cud'],
    ['system/Patient.*', 'system/Patient.cruds'],
    ['system/*.read', 'system/*.rs'],
    ['system/*.*', 'system/*.cruds'],
  ])('when the scope is %s, then it means %s', (text, v2) => {
    expect(letters(text)).toBe(v2);
  });

  it.each([
    ['patient/Patient.rs', 'patient/ scopes need a user context; client credentials grant system/ scopes only'],
    ['user/*.read', 'user/ scopes need a user context'],
    ['launch/patient', 'not a SMART scope'],
    ['openid', 'not a SMART scope'],
    ['system/Patient', 'not a SMART scope'],
    ['system/Patient.rc', 'letters of "cruds" in that order'],
    ['system/Patient.rr', 'letters of "cruds" in that order'],
    ['system/Patient.rx', 'letters of "cruds" in that order'],
    ['system/Patient.readwrite', 'letters of "cruds" in that order'],
    ['system/patient.rs', 'must be a FHIR type name or *'],
    ['system/Observation.rs?category=laboratory', 'scope query parameters are not supported'],
    ['other/Patient.rs', 'only system/ scopes are supported'],
  ])('when the scope is %s, then it is refused', (text, message) => {
    expect(() => parseScope(text)).toThrow(ScopeError);
    expect(() => parseScope(text)).toThrow(message);
  });

  it('when a scope is absurdly long, then the message shows only its beginning', () => {
    const long = `patient/${'A'.repeat(500)}.rs`;
    expect(() => parseScope(long)).toThrow(/…/);
    try {
      parseScope(long);
    } catch (err) {
      expect((err as Error).message.length).toBeLessThan(200);
    }
  });

  it('when a scope string has several spaces, then each scope is parsed', () => {
    expect(parseScopes('  system/Patient.rs   system/Encounter.r ').map(formatScope)).toEqual(['system/Patient.rs', 'system/Encounter.r']);
    expect(parseScopes('')).toEqual([]);
  });
});

describe('grantScopes', () => {
  it.each<[string | undefined, string[], string]>([
    [undefined, ['system/*.rs'], 'system/*.rs'],
    ['', ['system/*.rs'], 'system/*.rs'],
    [undefined, ['system/Patient.read', 'system/Encounter.rs'], 'system/Patient.rs system/Encounter.rs'],
    ['system/Patient.rs', ['system/*.rs'], 'system/Patient.rs'],
    ['system/Patient.r', ['system/*.rs'], 'system/Patient.r'],
    ['system/*.cruds', ['system/*.rs'], 'system/*.rs'],
    ['system/*.rs', ['system/Patient.r', 'system/Organization.rs'], 'system/Patient.r system/Organization.rs'],
    ['system/Patient.cruds', ['system/*.rs'], 'system/Patient.rs'],
    ['system/Patient.read', ['system/*.cruds'], 'system/Patient.rs'],
    ['system/Patient.write', ['system/*.cruds'], 'system/Patient.cud'],
    ['system/Patient.rs system/Encounter.rs', ['system/Patient.rs'], 'system/Patient.rs'],
    ['system/Patient.r system/Patient.s', ['system/*.rs'], 'system/Patient.rs'],
    ['system/*.r system/Patient.r', ['system/*.rs'], 'system/*.r'],
    ['system/*.r system/Patient.rs', ['system/*.rs'], 'system/*.r system/Patient.rs'],
    ['system/Bundle.c', ['system/Bundle.c'], 'system/Bundle.c'],
  ])('when %j is requested and %j allowed, then %s is granted', (requested, allowed, granted) => {
    expect(grantScopes(requested, allowed).scope).toBe(granted);
  });

  it.each<[string, string[], string]>([
    ['system/Patient.rs', ['system/Bundle.c'], 'none of the requested scopes'],
    ['system/*.rs', ['system/Bundle.c'], 'none of the requested scopes'],
    ['system/Patient.c', ['system/*.rs'], 'none of the requested scopes'],
    ['patient/*.rs', ['system/*.rs'], 'need a user context'],
    ['system/Patient.rs launch', ['system/*.rs'], 'not a SMART scope'],
  ])('when %j is requested and %j allowed, then invalid_scope', (requested, allowed, message) => {
    let caught: unknown;
    try {
      grantScopes(requested, allowed);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(OAuthError);
    expect(caught).toMatchObject({ error: 'invalid_scope', status: 400 });
    expect((caught as OAuthError).description).toContain(message);
  });

  it('when the granted scope is parsed again, then it grants the same', () => {
    const first = grantScopes('system/*.rs system/Patient.cruds', ['system/*.cruds']);
    expect(grantScopes(first.scope, ['system/*.cruds']).scope).toBe(first.scope);
  });
});

describe('permits', () => {
  const scopes = parseScopes('system/Patient.rs system/*.r system/Bundle.c');
  it.each<[string, Interaction, boolean]>([
    ['Patient', 'r', true],
    ['Patient', 's', true],
    ['Patient', 'u', false],
    ['Encounter', 'r', true],
    ['Encounter', 's', false],
    ['Bundle', 'c', true],
    ['Bundle', 'd', false],
    ['Organization', 'c', false],
  ])('when asking for %s.%s, then %s', (type, interaction, expected) => {
    expect(permits(scopes, type, interaction)).toBe(expected);
  });

  it('when there are no scopes, then nothing is permitted', () => {
    expect(permits([], 'Patient', 'r')).toBe(false);
  });

  it('when the wildcard allows every interaction, then any type is permitted', () => {
    const all = parseScopes('system/*.cruds');
    expect((['c', 'r', 'u', 'd', 's'] as const).every((i) => permits(all, 'AuditEvent', i))).toBe(true);
  });
});
