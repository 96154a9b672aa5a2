import { describe, expect, it } from 'vitest';
import { hasErrors } from '../../../src/shared/index.ts';
import { createValidator } from '../../../src/validation/index.ts';
import {
  PROFILES_DIR,
  bindingViolations,
  codeSystems,
  danglingReferences,
  declaredProfile,
  entryResources,
  loadProfiles,
  medplumErrors,
  profileFindings,
  readExamples,
} from './profile-set.ts';
import type { Json } from './profile-set.ts';

// The gateway's validator with our profiles loaded: what production runs.
const gateway = createValidator({ profilesDir: PROFILES_DIR });
const profiles = loadProfiles();
const systems = codeSystems();
const examples = readExamples();
const valid = examples.filter((e) => e.file.includes('-valid-'));
const invalid = examples.filter((e) => e.file.includes('-invalid-'));

/**
 * What each invalid example breaks. `findings`: texts Medplum (element rules, slices, patterns, invariants) or the
 * `fhirpath` invariant check must report. `binding` / `dangling`: the rule is a required binding or an in-Bundle
 * reference, which Medplum does not check; the validator's own checks must catch these.
 */
type Expectation = { readonly findings: readonly string[] } | { readonly binding: string } | { readonly dangling: true };

const DOCS = { epikrise: 'epi', udskrivningsrapport: 'udr', plejeforloebsplan: 'pfp', genoptraeningsplan: 'gop' } as const;
const REQUIRED_SECTION_RULES = {
  epikrise: ['sb-epi-3', 'sb-epi-comp-2'],
  udskrivningsrapport: ['sb-udr-3', 'sb-udr-comp-2'],
  plejeforloebsplan: ['sb-pfp-2', 'sb-pfp-comp-1'],
  genoptraeningsplan: ['sb-gop-2', 'sb-gop-comp-1'],
} as const;

const documentCases = Object.entries(DOCS).flatMap(([doc, short]): [string, Expectation][] => [
      [`sektorbro-${doc}-bundle-invalid-missing-cpr.json`, { findings: ['Constraint sb-doc-3 not met', 'Constraint sb-pat-1 not met', 'fhirpath sb-doc-3'] }],
      [`sektorbro-${doc}-bundle-invalid-missing-required-section.json`, { findings: REQUIRED_SECTION_RULES[doc as keyof typeof REQUIRED_SECTION_RULES].map((k) => `Constraint ${k} not met`) }],
      [`sektorbro-${doc}-bundle-invalid-wrong-composition-type.json`, { findings: [`Constraint sb-${short}-1 not met`, 'Composition.type: Value did not match expected pattern'] }],
      [`sektorbro-${doc}-bundle-invalid-unknown-section-code.json`, { binding: 'Composition.section.code' }],
  [`sektorbro-${doc}-bundle-invalid-dangling-reference.json`, { dangling: true }],
]);

const EXPECTED: Record<string, Expectation> = {
  ...Object.fromEntries(documentCases),
  'sektorbro-genoptraeningsplan-bundle-invalid-unknown-level.json': { binding: 'ServiceRequest.category' },
  'sektorbro-genoptraeningsplan-servicerequest-invalid-unknown-level.json': { binding: 'ServiceRequest.category' },
  'sektorbro-plejeforloebsplan-careplan-invalid-unknown-activity-code.json': { binding: 'CarePlan.activity.detail.code' },
  'sektorbro-encounter-invalid-episode-of-care-without-identifier.json': { findings: ['Constraint sb-enc-2 not met'] },
  'sektorbro-encounter-invalid-missing-period-start.json': { findings: ['Constraint sb-enc-1 not met', 'Encounter.period.start: Missing required property'] },
  'sektorbro-encounter-invalid-missing-service-provider.json': { findings: ['Encounter.serviceProvider: Missing required property'] },
  'sektorbro-epikrise-composition-invalid-missing-required-section.json': { findings: ['Constraint sb-epi-comp-1 not met'] },
  'sektorbro-epikrise-composition-invalid-preliminary-status.json': { findings: ['Constraint sb-comp-1 not met'] },
  'sektorbro-genoptraeningsplan-servicerequest-invalid-missing-start-deadline.json': { findings: ['Constraint sb-gop-sr-1 not met', "slice 'start-deadline'"] },
  'sektorbro-genoptraeningsplan-servicerequest-invalid-no-performer.json': { findings: ['ServiceRequest.performer: Missing required property'] },
  'sektorbro-organization-invalid-gln-not-13-digits.json': { findings: ['Constraint sb-org-2 not met'] },
  'sektorbro-organization-invalid-kommunekode-not-padded.json': { findings: ['Constraint sb-org-3 not met'] },
  'sektorbro-organization-invalid-no-name.json': { findings: ['Organization.name: Missing required property'] },
  'sektorbro-organization-invalid-no-sor-or-gln.json': { findings: ['Constraint sb-org-1 not met'] },
  'sektorbro-patient-invalid-cpr-not-10-digits.json': { findings: ['Constraint sb-pat-2 not met'] },
  'sektorbro-patient-invalid-missing-cpr.json': { findings: ['Constraint sb-pat-1 not met'] },
  'sektorbro-patient-invalid-no-identifier.json': { findings: ['Patient.identifier: Missing required property', 'Constraint sb-pat-1 not met'] },
  'sektorbro-patient-invalid-no-name.json': { findings: ['Patient.name: Missing required property'] },
  'sektorbro-patient-invalid-two-d-ecpr.json': { findings: ['Constraint sb-pat-3 not met'] },
  'sektorbro-plejeforloebsplan-careplan-invalid-missing-expected-discharge.json': { findings: ['Constraint sb-pfp-cp-1 not met', "slice 'expected-discharge'"] },
  'sektorbro-plejeforloebsplan-careplan-invalid-wrong-intent.json': { findings: ['CarePlan.intent: Value did not match expected pattern'] },
  'sektorbro-practitioner-invalid-no-name.json': { findings: ['Practitioner.name: Missing required property'] },
};

/** The binding violations of a resource and, for a Bundle, of its entries against their own profiles. */
function allBindingViolations(resource: Json): string[] {
  return [resource, ...(resource.resourceType === 'Bundle' ? entryResources(resource) : [])].flatMap((r) => {
    const profile = profiles.get(declaredProfile(r) ?? '');
    return profile === undefined ? [] : bindingViolations(r, profile, systems);
  });
}

describe('profile examples', () => {
  it('when the invalid examples are listed, then each has a stated expectation', () => {
    expect(invalid.map((e) => e.file).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(valid.map((e) => [e.file, e.resource] as const))('when valid example %s is validated by the gateway validator, then it has no errors', (_file, resource) => {
    expect(gateway.validate(resource).filter((i) => hasErrors([i]))).toEqual([]);
  });

  it.each(invalid.map((e) => [e.file, e.resource] as const))('when invalid example %s is validated by the gateway validator, then it is rejected', (_file, resource) => {
    expect(hasErrors(gateway.validate(resource))).toBe(true);
  });

  it.each(invalid.map((e) => [e.file, e.resource] as const))('when invalid example %s is validated as base R4, then it is structurally valid', (_file, resource) => {
    // Only the profile may catch an invalid example; each entry of a Bundle too.
    const resources = [resource, ...(resource.resourceType === 'Bundle' ? entryResources(resource) : [])];
    expect(resources.flatMap((r) => medplumErrors(r))).toEqual([]);
  });

  it.each(valid.map((e) => [e.file, e.resource] as const))(
    'when valid example %s is checked against its profile (and each entry against its own), then nothing is found',
    (_file, resource) => {
      expect(profileFindings(resource, profiles)).toEqual([]);
      expect(allBindingViolations(resource)).toEqual([]);
      if (resource.resourceType === 'Bundle') {
        expect(danglingReferences(resource)).toEqual([]);
      }
    },
  );

  it.each(invalid.map((e) => [e.file, e.resource] as const))('when invalid example %s is checked, then it fails for its stated reason only', (file, resource) => {
    const expected = EXPECTED[file];
    const findings = profileFindings(resource, profiles);
    if (expected === undefined) {
      throw new Error(`no expectation for ${file}`);
    }
    if ('findings' in expected) {
      for (const text of expected.findings) {
        expect(findings.some((f) => f.includes(text)), `${text} in ${JSON.stringify(findings)}`).toBe(true);
      }
      expect(allBindingViolations(resource)).toEqual([]);
    } else if ('binding' in expected) {
      // Medplum does not check bindings: the example passes it and breaks only the binding.
      expect(findings).toEqual([]);
      expect(allBindingViolations(resource)).toEqual([expected.binding]);
    } else {
      // Medplum does not resolve references: the example passes it and has a reference to no entry.
      expect(findings).toEqual([]);
      expect(allBindingViolations(resource)).toEqual([]);
      expect(danglingReferences(resource).length).toBeGreaterThan(0);
    }
  });
});
