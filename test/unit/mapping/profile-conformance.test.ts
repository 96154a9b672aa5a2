import { describe, expect, it } from 'vitest';
import { mapOioxml, parseOioxml } from '../../../src/mapping/index.ts';
import { hasErrors } from '../../../src/shared/index.ts';
import { createValidator } from '../../../src/validation/index.ts';
import { discoverGoldenCases, LIMITS, loadTestRegistry, PROFILES_DIR, profilesOnDisk, RECEIVED_AT, sorForGln } from './mapping-test-kit.ts';

const registry = loadTestRegistry();
const validator = createValidator({ profilesDir: PROFILES_DIR });
const cases = discoverGoldenCases();
const documents = cases.filter((c) => !c.name.startsWith('xdis91-'));
const messages = cases.filter((c) => c.name.startsWith('xdis91-'));
const mapCase = (input: Buffer): fhir4.Bundle => mapOioxml(registry, parseOioxml(input, LIMITS), { receivedAt: RECEIVED_AT, sorForGln }).bundle;

describe('mapped bundles against their profiles (profiles/)', () => {
  it('when profiles/ is read, then every Sektorbro profile a mapping targets is there', () => {
    const onDisk = profilesOnDisk();
    const targeted = new Set(
      registry.mappings.flatMap((m) => [m.output.profile, ...m.resources.map((r) => r.profile)]).filter((p) => p.startsWith('http://sektorbro.dk/')),
    );
    expect([...targeted].filter((p) => !onDisk.includes(p))).toEqual([]);
  });

  it.each(documents)('when $name is mapped, then the document Bundle conforms to its declared profiles without any issue', ({ input }) => {
    expect(validator.validate(mapCase(input), { resourceType: 'Bundle' })).toEqual([]);
  });

  // MedCom's CareCommunication profiles are not vendored into profiles/, so the validator checks base R4 and warns.
  it.each(messages)('when $name is mapped, then the CareCommunication has no errors (MedCom profiles not held: warnings only)', ({ input }) => {
    const issues = validator.validate(mapCase(input), { resourceType: 'Bundle' });
    expect(hasErrors(issues)).toBe(false);
    expect(issues.every((i) => i.code === 'not-supported' && i.diagnostics.includes('does not hold'))).toBe(true);
  });

  it('when a mapped epikrise loses its recommendation section and the CPR, then profile validation reports both (negative control)', () => {
    const epikrise = documents.find((c) => c.name === 'xdis01-epikrise-herlev-ami');
    expect(epikrise).toBeDefined();
    const bundle = structuredClone(mapCase(epikrise?.input ?? Buffer.alloc(0)));
    const composition = bundle.entry?.[0]?.resource as fhir4.Composition;
    composition.section = composition.section?.filter((s) => s.code?.coding?.[0]?.code !== 'anbefaling-til-egen-laege');
    (bundle.entry?.[1]?.resource as fhir4.Patient).identifier = [];
    const issues = validator.validate(bundle, { resourceType: 'Bundle' });
    expect(hasErrors(issues)).toBe(true);
    expect(issues.map((i) => i.expression?.[0])).toEqual(expect.arrayContaining(['Bundle.entry[0].resource', 'Bundle.entry[1].resource.identifier']));
  });
});
