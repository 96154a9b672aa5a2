import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES_DIR, declaredProfile, failedInvariants, loadProfiles, medplumErrors, profileFindings, readExamples } from './profile-set.ts';
import type { Json, StructureDefinition } from './profile-set.ts';

/**
 * One test per profile rule that no example file breaks: a valid example is mutated to break exactly that rule,
 * and both Medplum and the `fhirpath` library (R4 model) must report it.
 */

const profiles = loadProfiles();

interface Entry {
  fullUrl: string;
  resource: Json & { resourceType: string; id: string };
}
type Bundle = Json & { entry: Entry[] };

function readBundle(name: string): Bundle {
  return JSON.parse(readFileSync(join(EXAMPLES_DIR, `${name}.json`), 'utf8')) as Bundle;
}

function profileOf(resource: Json): StructureDefinition {
  const profile = profiles.get(declaredProfile(resource) ?? '');
  if (profile === undefined) {
    throw new Error('example without a known profile');
  }
  return profile;
}

const resourceOf = (b: Bundle, type: string): Json => {
  const found = b.entry.find((e) => e.resource.resourceType === type);
  if (found === undefined) {
    throw new Error(`no ${type} in the example`);
  }
  return found.resource;
};
const fullUrlOf = (b: Bundle, type: string): string => b.entry.find((e) => e.resource.resourceType === type)?.fullUrl ?? '';
const compositionOf = (b: Bundle): Json & { section: Json[]; extension: Json[] } => resourceOf(b, 'Composition') as Json & { section: Json[]; extension: Json[] };
const withoutType = (b: Bundle, type: string): Entry[] => (b.entry = b.entry.filter((e) => e.resource.resourceType !== type));
const sectionCoded = (b: Bundle, code: string): Json & { entry: Json[] } => {
  const section = compositionOf(b).section.find((s) => JSON.stringify(s.code).includes(`"code":"${code}"`));
  if (section === undefined) {
    throw new Error(`no section ${code}`);
  }
  return section as Json & { entry: Json[] };
};
const withoutRecipients = (b: Bundle): void => {
  const composition = compositionOf(b);
  composition.extension = composition.extension.filter((x) => x.url !== 'http://sektorbro.dk/fhir/StructureDefinition/sektorbro-recipient');
};

interface Case {
  readonly rule: string;
  readonly example: string;
  /** Which resource is validated: the Bundle, or the first entry of this type against its own profile. */
  readonly target?: string;
  readonly mutate: (b: Bundle) => void;
  /** The text Medplum must report, when it is not "Constraint <rule> not met" (it names only the first failing root invariant). */
  readonly medplum?: string;
}

const EPI = 'sektorbro-epikrise-bundle-valid-hjertesvigt';
const UDR = 'sektorbro-udskrivningsrapport-bundle-valid-hjertesvigt';
const PFP = 'sektorbro-plejeforloebsplan-bundle-valid-hjertesvigt';
const GOP = 'sektorbro-genoptraeningsplan-bundle-valid-hjertesvigt';

const CASES: readonly Case[] = [
  // R4's own bdl-11 says the same and comes first, so Medplum names that one.
  { rule: 'sb-doc-1', example: EPI, mutate: (b) => b.entry.push(...b.entry.splice(0, 1)), medplum: 'Constraint bdl-11 not met' },
  { rule: 'sb-doc-2', example: EPI, mutate: (b) => withoutType(b, 'Patient') },
  { rule: 'sb-doc-4', example: EPI, mutate: (b) => withoutType(b, 'Encounter') },
  { rule: 'sb-doc-5', example: EPI, mutate: (b) => withoutType(b, 'Organization') },
  { rule: 'sb-epi-2', example: EPI, mutate: (b) => (compositionOf(b).section = compositionOf(b).section.filter((s) => !JSON.stringify(s.code).includes('anbefaling'))) },
  { rule: 'sb-epi-4', example: EPI, mutate: (b) => ((resourceOf(b, 'Encounter').class as Json).code = 'HH') },
  { rule: 'sb-epi-4', example: EPI, mutate: (b) => delete (resourceOf(b, 'Encounter').period as Json).end },
  { rule: 'sb-udr-2', example: UDR, mutate: (b) => (compositionOf(b).section = compositionOf(b).section.filter((s) => !JSON.stringify(s.code).includes('aktuel-indlaeggelse'))) },
  {
    rule: 'sb-udr-comp-1',
    example: UDR,
    target: 'Composition',
    mutate: (b) => (compositionOf(b).section = compositionOf(b).section.filter((s) => !JSON.stringify(s.code).includes('aktuel-indlaeggelse'))),
  },
  { rule: 'sb-udr-4', example: UDR, mutate: (b) => delete (resourceOf(b, 'Encounter').period as Json).end },
  { rule: 'sb-udr-5', example: UDR, mutate: withoutRecipients },
  {
    rule: 'sb-udr-5',
    example: UDR,
    mutate: (b) => {
      for (const x of compositionOf(b).extension.filter((e) => String(e.url).endsWith('sektorbro-recipient'))) {
        x.valueReference = { reference: fullUrlOf(b, 'Patient') };
      }
    },
  },
  { rule: 'sb-pfp-3', example: PFP, mutate: (b) => (sectionCoded(b, 'forventet-udskrivelse').entry = [{ reference: fullUrlOf(b, 'Patient') }]) },
  { rule: 'sb-pfp-4', example: PFP, mutate: withoutRecipients },
  { rule: 'sb-gop-3', example: GOP, mutate: (b) => (sectionCoded(b, 'genoptraeningsbehov').entry = [{ reference: fullUrlOf(b, 'Patient') }]) },
  { rule: 'sb-gop-4', example: GOP, mutate: withoutRecipients },
  { rule: 'sb-gop-5', example: GOP, mutate: (b) => (resourceOf(b, 'ServiceRequest').performer = [{ reference: fullUrlOf(b, 'Patient') }]) },
  { rule: 'sb-comp-2', example: EPI, target: 'Composition', mutate: (b) => delete compositionOf(b).section[1]?.text },
  {
    rule: 'slice cpr 0..1',
    example: EPI,
    target: 'Patient',
    mutate: (b) => (resourceOf(b, 'Patient').identifier as Json[]).push({ system: 'urn:oid:1.2.208.176.1.2', value: '0101010101' }),
    medplum: "slice 'cpr'",
  },
  {
    rule: 'slice sor 0..1',
    example: EPI,
    target: 'Organization',
    mutate: (b) => (resourceOf(b, 'Organization').identifier as Json[]).push({ system: 'urn:oid:1.2.208.176.1.1', value: '123456789012345' }),
    medplum: "slice 'sor'",
  },
  {
    rule: 'slice episode-of-care-identifier 0..1',
    example: EPI,
    target: 'Composition',
    mutate: (b) => compositionOf(b).extension.push(structuredClone(compositionOf(b).extension.find((x) => String(x.url).endsWith('episode-of-care-identifier')) ?? {})),
    medplum: "slice 'episode-of-care-identifier'",
  },
  { rule: 'Bundle.type = document', example: EPI, mutate: (b) => (b.type = 'collection'), medplum: 'Bundle.type: Value did not match expected pattern' },
];

describe('profile rules without an example file', () => {
  it.each(CASES.map((c) => [c.rule, c] as const))('when a valid example is changed to break %s, then Medplum and fhirpath report it', (_rule, c) => {
    const bundle = readBundle(c.example);
    c.mutate(bundle);
    const target = c.target === undefined ? bundle : resourceOf(bundle, c.target);
    const profile = profileOf(target);

    const medplum = medplumErrors(target, profile);

    if (c.rule.startsWith('sb-')) {
      expect(failedInvariants(target, profile)).toContain(c.rule);
    }
    const text = c.medplum ?? `Constraint ${c.rule} not met`;
    expect(medplum.some((m) => m.includes(text)), JSON.stringify(medplum)).toBe(true);
  });

  it('when the recipient is a relative reference (Organization/<id>) instead of the fullUrl, then the municipality rule still holds', () => {
    const bundle = readBundle(UDR);
    const kommune = bundle.entry.find((e) => e.resource.name === 'Herlev Kommune');
    for (const x of compositionOf(bundle).extension.filter((e) => String(e.url).endsWith('sektorbro-recipient'))) {
      x.valueReference = { reference: `Organization/${String(kommune?.resource.id)}` };
    }

    expect(failedInvariants(bundle, profileOf(bundle))).toEqual([]);
    expect(medplumErrors(bundle, profileOf(bundle))).toEqual([]);
  });

  it('when every invariant of our profiles is listed, then each is broken by an invalid example file or by a case here', () => {
    const all = [...profiles.values()].flatMap((sd) => (sd.snapshot?.element[0]?.constraint ?? []).map((c) => c.key)).filter((k) => k.startsWith('sb-'));
    const fromExamples = readExamples()
      .filter((e) => e.file.includes('-invalid-'))
      .flatMap((e) => profileFindings(e.resource, profiles))
      .flatMap((f) => /(?:Constraint |fhirpath )(sb-[a-z0-9-]+)/.exec(f)?.slice(1) ?? []);
    const covered = new Set([...fromExamples, ...CASES.map((c) => c.rule)]);

    expect([...new Set(all)].filter((k) => !covered.has(k))).toEqual([]);
  });
});
