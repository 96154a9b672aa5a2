import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  accessFilterFor,
  DEFAULT_SCOPES,
  grantScopes,
  grantsForWrite,
  mayInteract,
  mayRead,
  REGISTRY_TYPES,
  ROLES,
} from '../../../src/auth/index.ts';
import type { Interaction, Principal, Role } from '../../../src/auth/index.ts';
import { GatewayError } from '../../../src/shared/index.ts';
import type { AnyResource } from '../../../src/shared/index.ts';

const SOR: Record<Role, string> = {
  hospital: '265161000016000',
  municipality: '953741000016009',
  gp: '1017421000016003',
  quality: '999999000000001',
  admin: '999999000000002',
  relay: '999999000000003',
};

const principal = (role: Role, scope = 'system/*.cruds'): Principal => {
  const granted = grantScopes(scope, scope.split(' '));
  return { clientId: `c-${role}`, role, org: { sor: SOR[role], name: role }, scopes: granted.scopes, scope: granted.scope };
};

const INTERACTIONS: readonly Interaction[] = ['c', 'r', 'u', 'd', 's'];
const TYPES = ['Patient', 'Encounter', 'Organization', 'Endpoint', 'Bundle', 'AuditEvent'] as const;

/** What each role may do by its role alone (all scopes granted): `<Type>:<letters>`. */
const ROLE_POLICY: Record<Role, Record<(typeof TYPES)[number], string>> = {
  admin: { Patient: 'cruds', Encounter: 'cruds', Organization: 'cruds', Endpoint: 'cruds', Bundle: 'cruds', AuditEvent: 'rs' },
  // A hospital creates Bundles: that is how it submits discharge documents.
  hospital: { Patient: 'rs', Encounter: 'rs', Organization: 'rs', Endpoint: 'rs', Bundle: 'crs', AuditEvent: '' },
  municipality: { Patient: 'rs', Encounter: 'rs', Organization: 'rs', Endpoint: 'rs', Bundle: 'rs', AuditEvent: '' },
  gp: { Patient: 'rs', Encounter: 'rs', Organization: 'rs', Endpoint: 'rs', Bundle: 'rs', AuditEvent: '' },
  quality: { Patient: '', Encounter: '', Organization: 'rs', Endpoint: 'rs', Bundle: '', AuditEvent: '' },
  relay: { Patient: '', Encounter: '', Organization: '', Endpoint: '', Bundle: '', AuditEvent: '' },
};

const allows = (p: Principal, type: string, i: Interaction): boolean => {
  try {
    mayInteract(p, type, i);
    return true;
  } catch (err) {
    if (err instanceof GatewayError && err.status === 403 && err.code === 'auth.forbidden') return false;
    throw err;
  }
};

const refusal = (p: Principal, type: string, i: Interaction): string => {
  try {
    mayInteract(p, type, i);
  } catch (err) {
    return (err as GatewayError).issues[0]?.diagnostics ?? '';
  }
  throw new Error('expected a refusal');
};

describe('mayInteract: role policy with every scope granted', () => {
  const matrix = ROLES.flatMap((role) =>
    TYPES.flatMap((type) => INTERACTIONS.map((i) => [role, type, i, ROLE_POLICY[role][type].includes(i)] as const)),
  );
  it.each(matrix)('when %s does %s.%s, then allowed is %s', (role, type, interaction, expected) => {
    expect(allows(principal(role), type, interaction)).toBe(expected);
  });
});

describe('mayInteract: with the default scopes of each role', () => {
  const matrix = ROLES.flatMap((role) =>
    TYPES.flatMap((type) =>
      INTERACTIONS.map((i) => {
        const byScope = DEFAULT_SCOPES[role].some(
          (s) => s === 'system/*.cruds' || (s === 'system/*.rs' && (i === 'r' || i === 's')) || (s === `system/${type}.c` && i === 'c'),
        );
        return [role, type, i, byScope && ROLE_POLICY[role][type].includes(i)] as const;
      }),
    ),
  );
  it.each(matrix)('when %s does %s.%s, then allowed is %s', (role, type, interaction, expected) => {
    const p = principal(role, DEFAULT_SCOPES[role].join(' '));
    expect(allows(p, type, interaction)).toBe(expected);
  });
});

describe('mayInteract: the reasons given', () => {
  it.each<[string, Principal, string, Interaction, RegExp]>([
    ['a scope that does not cover the type', principal('hospital', 'system/Patient.rs'), 'Encounter', 'r', /scopes do not permit read on Encounter \(needs system\/Encounter\.r\)/],
    ['a scope that does not cover the interaction', principal('hospital', 'system/Patient.r'), 'Patient', 's', /needs system\/Patient\.s/],
    ['admin without write scope', principal('admin', 'system/*.rs'), 'Organization', 'c', /scopes do not permit create on Organization/],
    ['quality reading patient data', principal('quality'), 'Patient', 'r', /Quality clients .* patient data .* aggregates/],
    ['a relay reading', principal('relay'), 'Organization', 's', /Relay clients submit messages only/],
    ['a hospital writing a registry type', principal('hospital'), 'Organization', 'u', /Only admin clients may update registry resources/],
    ['a GP creating a Patient', principal('gp'), 'Patient', 'c', /gp role may not create Patient .* own entry points/],
    ['a municipality reading audit', principal('municipality'), 'AuditEvent', 's', /admin clients only/],
    ['admin deleting audit', principal('admin'), 'AuditEvent', 'd', /written by the gateway only/],
  ])('when %s, then 403 says why', (_name, p, type, interaction, reason) => {
    expect(refusal(p, type, interaction)).toMatch(reason);
  });
});

describe('accessFilterFor and mayRead', () => {
  it.each(ROLES.flatMap((role) => TYPES.map((type) => [role, type] as const)))('when %s reads %s rows, then the filter fits', (role, type) => {
    const expected = role === 'admin' || REGISTRY_TYPES.includes(type) ? { kind: 'all' } : { kind: 'orgs', orgs: [SOR[role]] };
    expect(accessFilterFor(principal(role), type)).toEqual(expected);
  });

  it.each<[Role, string, string[], boolean]>([
    ['admin', 'Patient', [], true],
    ['hospital', 'Patient', ['265161000016000'], true],
    ['hospital', 'Patient', ['953741000016009'], false],
    ['gp', 'Patient', ['265161000016000', '1017421000016003'], true],
    ['gp', 'Encounter', [], false],
    ['municipality', 'Organization', [], true],
    ['quality', 'Endpoint', [], true],
  ])('when %s reads a %s granted to %j, then mayRead is %s', (role, type, grants, expected) => {
    expect(mayRead(principal(role), { type, grants })).toBe(expected);
  });
});

describe('grantsForWrite on the DK Core examples', () => {
  const dir = '/work/shared/examples/dk-core';
  const example = (file: string): AnyResource => JSON.parse(readFileSync(join(dir, file), 'utf8')) as AnyResource;
  /** Resolves Organization references through the example Organizations' own SOR identifiers. */
  const orgSors = new Map(
    readdirSync(dir)
      .filter((f) => f.startsWith('Organization-'))
      .map((f) => example(f))
      .map((o) => [`Organization/${o.id ?? ''}`, (o.identifier as { system: string; value: string }[]).find((i) => i.system === 'urn:oid:1.2.208.176.1.1')?.value]),
  );
  const calls: string[] = [];
  const resolve = (ref: string): Promise<string | undefined> => {
    calls.push(ref);
    return Promise.resolve(orgSors.get(ref));
  };

  it.each([
    ['Patient-283.json', ['79641000016006']],
    ['Patient-john.json', ['487341000016005']],
    ['Patient-Bruno.json', []],
    ['Patient-ukendt.json', []],
    ['Organization-CenterForDiabetes.json', ['633271000016006']],
    ['Organization-19f9ee18-7677-4caf-88fe-8f6df2f2906e.json', ['12345678901']],
    ['Encounter-0c5e4905-5c2e-4254-8837-770c3724cd13.json', ['12345678901']],
    ['Encounter-915a3cfb-2f3e-477b-8a9d-5d86c30e4929.json', ['12345678901']],
  ])('when %s is written, then %j may read it', async (file, expected) => {
    expect(await grantsForWrite(example(file), resolve)).toEqual(expected);
  });

  it('when an Encounter refers to two organisations, then each is resolved once and both are granted', async () => {
    calls.length = 0;
    const sors: Record<string, string> = {
      'Organization/19f9ee18-7677-4caf-88fe-8f6df2f2906e': '265161000016000',
      'Organization/8510eec9-180b-4e9c-95b6-02fad9f853d3': '265161000016001',
    };
    const encounter = example('Encounter-0c5e4905-5c2e-4254-8837-770c3724cd13.json');
    const twice = { ...encounter, location: [{ location: { reference: 'Location/x' } }], participant: [{ individual: encounter.serviceProvider }] };
    const grants = await grantsForWrite(twice, (ref) => {
      calls.push(ref);
      return Promise.resolve(sors[ref]);
    });
    expect(grants.sort()).toEqual(['265161000016000', '265161000016001']);
    expect(calls.sort()).toEqual(Object.keys(sors).sort());
  });
});

describe('grantsForWrite: the walk', () => {
  const none = (): Promise<string | undefined> => Promise.resolve(undefined);
  const sor = (value: string) => ({ system: 'urn:oid:1.2.208.176.1.1', value });

  it.each<[string, AnyResource, string[]]>([
    ['a versioned reference', { resourceType: 'Patient', managingOrganization: { reference: 'Organization/a/_history/3' } }, ['111']],
    ['an absolute reference to another server', { resourceType: 'Patient', managingOrganization: { reference: 'https://x.example/fhir/Organization/a' } }, []],
    ['a reference to another type', { resourceType: 'Patient', link: [{ other: { reference: 'Patient/a' } }] }, []],
    ['a contained Organization', { resourceType: 'Patient', contained: [{ resourceType: 'Organization', id: 'c', identifier: [sor('222')] }] }, ['222']],
    ['an extension valueIdentifier', { resourceType: 'Patient', extension: [{ url: 'x', valueIdentifier: sor('333') }] }, ['333']],
    ['an identifier of another system', { resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.208.176.1.2', value: '0108589995' }] }, []],
    ['a SOR value that is not digits', { resourceType: 'Patient', generalPractitioner: [{ identifier: sor('abc') }] }, []],
    ['the same SOR twice', { resourceType: 'Patient', generalPractitioner: [{ identifier: sor('444') }, { identifier: sor(' 444 ') }] }, ['444']],
  ])('when a resource has %s, then the grants are %j', async (_name, resource, expected) => {
    expect(await grantsForWrite(resource, (ref) => Promise.resolve(ref === 'Organization/a' ? '111' : undefined))).toEqual(expected);
  });

  it('when the resolver knows no SOR for a reference, then it adds nothing', async () => {
    expect(await grantsForWrite({ resourceType: 'Encounter', serviceProvider: { reference: 'Organization/unknown' } }, none)).toEqual([]);
  });

  it('when a resource is absurdly deep, then the walk stops without overflowing', async () => {
    let deep: Record<string, unknown> = { identifier: sor('555') };
    for (let i = 0; i < 100_000; i++) deep = { extension: [deep] };
    const shallow = { resourceType: 'Basic', identifier: [sor('666')], ...deep };
    expect(await grantsForWrite(shallow, none)).toEqual(['666']);
  });
});
