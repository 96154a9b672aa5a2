import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Issue } from '../../../src/shared/index.ts';
import { createValidator } from '../../../src/validation/index.ts';

/**
 * Every example of the R4 specification (npm `hl7.fhir.r4.examples`, the published 4.0.1 examples) must validate
 * as base R4 without errors. Definitional resources are skipped; the definitional Bundles (all of R4's
 * StructureDefinitions, ValueSets, ...) are kept, as they are Bundles like any other. All examples are checked,
 * none sampled.
 */
const EXAMPLES_DIR = dirname(createRequire(import.meta.url).resolve('hl7.fhir.r4.examples/package.json'));

const DEFINITIONAL_TYPES: ReadonlySet<string> = new Set([
  'StructureDefinition',
  'ValueSet',
  'CodeSystem',
  'ConceptMap',
  'SearchParameter',
  'OperationDefinition',
  'CapabilityStatement',
  'CompartmentDefinition',
  'ImplementationGuide',
  'NamingSystem',
  'StructureMap',
  'GraphDefinition',
  'MessageDefinition',
  'ExampleScenario',
  'TerminologyCapabilities',
]);

interface KnownFault {
  readonly reason: string;
  /** Every error of the example must be this fault, so the entry cannot hide another one. */
  readonly matches: (issue: Issue) => boolean;
}

/** Examples that are invalid R4 as published; each reason was checked against the file. */
const KNOWN_INVALID: Readonly<Record<string, KnownFault>> = {
  // Questionnaire.item.linkId is 1..1, and the nested items of this example (item[0].item[0] etc.) have none.
  'Questionnaire-qs1.json': {
    reason: 'nested items lack the required linkId',
    matches: (i) => i.code === 'required' && /\.item\[\d+\]\.linkId$/.test(i.expression?.[0] ?? ''),
  },
  // ras-2 is `probability is decimal implies (probability as decimal) <= 100`. On a prediction without
  // probability, `{} is decimal` is empty, so the whole expression is empty, and an invariant holds only when
  // it evaluates to true (fhirpath.js and Medplum both give {}). The expression assumed `{} is decimal` = false.
  'RiskAssessment-breastcancer-risk.json': {
    reason: 'ras-2 evaluates to empty on a prediction without probability',
    matches: (i) => i.diagnostics.startsWith('Constraint ras-2 not met') && i.expression?.[0] === 'RiskAssessment.prediction[0]',
  },
  'RiskAssessment-prognosis.json': {
    reason: 'ras-2 evaluates to empty on a prediction without probability',
    matches: (i) => i.diagnostics.startsWith('Constraint ras-2 not met') && i.expression?.[0] === 'RiskAssessment.prediction[0]',
  },
  // bdl-7: seven fullUrls (http://hl7.org/fhir/StructureDefinition/de-Quantity.value, .comparator, .unit, ...) occur
  // three times each, without meta.versionId: the data elements of Quantity, SimpleQuantity and MoneyQuantity share ids.
  'Bundle-dataelements.json': {
    reason: 'repeated fullUrls (bdl-7)',
    matches: (i) => i.diagnostics.startsWith('Constraint bdl-7 not met') && i.expression?.[0] === 'Bundle',
  },
};

/**
 * Examples that break a rule base validation reports as a warning only, which a profile makes an error.
 * R4 MedicationRequest.dispenseRequest.performer is Reference(Organization); this example points at
 * Practitioner/f001 (Medplum reports wrong reference targets as warnings).
 */
const KNOWN_INVALID_AS_PROFILE: Readonly<Record<string, KnownFault>> = {
  'MedicationRequest-medrx0301.json': {
    reason: 'dispenseRequest.performer points at a Practitioner',
    matches: (i) => i.expression?.[0] === 'MedicationRequest.dispenseRequest.performer' && i.diagnostics.startsWith('reference must point at Organization'),
  },
};

interface Example {
  readonly file: string;
  readonly resourceType: string;
  /** A Bundle of definitional resources (all of R4's StructureDefinitions etc.). */
  readonly definitional: boolean;
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(join(EXAMPLES_DIR, file), 'utf8'));
}

/** Example files with a resource that is not definitional (decided by reading each file once). */
function readExamples(): Example[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((file) => {
      const resource = readJson(file) as { resourceType?: unknown; entry?: { resource?: { resourceType?: string } }[] };
      if (typeof resource.resourceType !== 'string' || DEFINITIONAL_TYPES.has(resource.resourceType)) {
        return [];
      }
      const entries = resource.entry ?? [];
      const definitional = entries.length > 0 && entries.every((e) => DEFINITIONAL_TYPES.has(e.resource?.resourceType ?? ''));
      return [{ file, resourceType: resource.resourceType, definitional }];
    });
}

const examples = readExamples();
const files = examples.map((e) => e.file);
const validator = createValidator();
const errorsOf = (issues: readonly Issue[]): Issue[] => issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');

function expectOnlyKnownFault(errors: readonly Issue[], known: KnownFault | undefined): void {
  if (known === undefined) {
    expect(errors).toEqual([]);
    return;
  }
  expect(errors.length, `allowlisted (${known.reason}) but valid: remove it from the allowlist`).toBeGreaterThan(0);
  expect(errors.filter((i) => !known.matches(i))).toEqual([]);
}

describe('R4 specification examples', () => {
  it('when the examples package is read, then it holds the published examples and every allowlisted file', () => {
    expect(files.length).toBeGreaterThanOrEqual(700);
    expect(Object.keys(KNOWN_INVALID).filter((f) => !files.includes(f))).toEqual([]);
  });

  it.each(files)('when %s is validated as base R4, then it has no errors (or exactly its known fault)', (file) => {
    expectOnlyKnownFault(errorsOf(validator.validate(readJson(file))), KNOWN_INVALID[file]);
  });
});

/**
 * The profile checker walks snapshots over real data: with copies of the core StructureDefinitions as profiles
 * (same snapshot, own URL), every example must get no error that base validation does not give.
 */
describe('R4 specification examples against copies of their core definitions as profiles', () => {
  const profiled = examples.filter((e) => !e.definitional);
  const copyUrl = (type: string): string => `http://example.org/fhir/StructureDefinition/core-copy-${type}`;
  const copies = [...new Set(profiled.map((e) => e.resourceType))].map((type) => ({
    ...(readJson(`StructureDefinition-${type}.json`) as Record<string, unknown>),
    url: copyUrl(type),
    derivation: 'constraint',
    baseDefinition: `http://hl7.org/fhir/StructureDefinition/${type}`,
  }));
  const withCopies = createValidator({ extraProfiles: copies });

  it('when the allowlist is read, then it names only examples that are checked here', () => {
    expect(Object.keys(KNOWN_INVALID_AS_PROFILE).filter((f) => !profiled.some((e) => e.file === f))).toEqual([]);
  });

  it.each(profiled.map((e) => [e.file, e.resourceType]))('when %s is validated against its core copy, then it adds no error', (file, type) => {
    const resource = readJson(file);
    const baseErrors = new Set(errorsOf(validator.validate(resource)).map((i) => JSON.stringify(i)));
    const added = errorsOf(withCopies.validate(resource, { profile: copyUrl(type) })).filter((i) => !baseErrors.has(JSON.stringify(i)));
    expectOnlyKnownFault(added, KNOWN_INVALID_AS_PROFILE[file]);
  });
});
