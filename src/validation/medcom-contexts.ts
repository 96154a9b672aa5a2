import type { Loaded } from './conformance-loader.ts';
import { stripVersion } from './conformance-loader.ts';
import type { FhirPackage } from './medcom-packages.ts';
import { packageError } from './medcom-packages.ts';
import { PROFILE_REWRITES, VALUE_SET_REWRITES, rewrite } from './medcom-rewrites.ts';
import type { Rewrite } from './medcom-rewrites.ts';
import { compileProfiles } from './profile-compiler.ts';
import type { CompiledProfile } from './profile-compiler.ts';
import { buildTerminology } from './terminology.ts';
import type { Terminology } from './terminology.ts';

/** The MedCom message standards Sektorbro receives (medcom.md §1). */
export type MedComStandard = 'hospital-notification' | 'care-communication' | 'acknowledgement';

/** One kind of message a context validates, recognised by `MessageHeader.eventCoding.code`. */
export interface MessageKind {
  readonly event: string;
  /** Undefined for the messaging IG's own empty message, which belongs to no standard. */
  readonly standard: MedComStandard | undefined;
  readonly bundleProfile: string;
  readonly headerProfile: string;
  /**
   * Profiles every entry of a resource type must meet, whatever it declares. These are the message profile's
   * `conformsTo()` invariants (medcom-messaging-1/-3, medcom-hospitalNotification-1, medcom-careCommunication-1/-3,
   * medcom-acknowledgement-2), which no FHIRPath engine here evaluates.
   */
  readonly entryProfiles: Readonly<Partial<Record<string, readonly string[]>>>;
  /** The ValueSet every Provenance.activity must be in, when a `memberOf()` invariant says so. */
  readonly activityValueSet?: string;
}

/** A message standard at one version: its package, and the messages it validates. */
export interface MedComContextSpec {
  /** `name#version` of the standard's package; its package.json names the dependencies loaded with it. */
  readonly package: string;
  /** The major version a message names (`MessageHeader.definition`, `meta.profile`) to be validated here. */
  readonly major: number;
  readonly messages: readonly MessageKind[];
  /**
   * Dependencies MedCom never published as a package (or not where we could fetch it), and the published version
   * used instead. Keyed and valued by `name#version`.
   */
  readonly substitutes?: Readonly<Record<string, string>>;
}

const IG = 'http://medcomfhir.dk/ig/';
const MESSAGING_PROVENANCE = `${IG}messaging/StructureDefinition/medcom-messaging-provenance`;

const CARE_COMMUNICATION: MessageKind = {
  event: 'care-communication-message',
  standard: 'care-communication',
  bundleProfile: `${IG}carecommunication/StructureDefinition/medcom-careCommunication-message`,
  headerProfile: `${IG}carecommunication/StructureDefinition/medcom-careCommunication-messageHeader`,
  entryProfiles: {
    MessageHeader: [`${IG}carecommunication/StructureDefinition/medcom-careCommunication-messageHeader`],
    Provenance: [`${IG}carecommunication/StructureDefinition/medcom-careCommunication-provenance`],
  },
};

/**
 * The standards and versions Sektorbro validates, newest first within a standard. A message is validated with the
 * first context whose major version it names, or the first for its event when it names none.
 */
export const MEDCOM_CONTEXTS: readonly MedComContextSpec[] = [
  {
    package: 'medcom.fhir.dk.hospitalnotification#3.0.2',
    major: 3,
    messages: [
      {
        event: 'hospital-notification-message',
        standard: 'hospital-notification',
        bundleProfile: `${IG}hospitalnotification/StructureDefinition/medcom-hospitalNotification-message`,
        headerProfile: `${IG}hospitalnotification/StructureDefinition/medcom-hospitalNotification-messageHeader`,
        entryProfiles: {
          MessageHeader: [`${IG}hospitalnotification/StructureDefinition/medcom-hospitalNotification-messageHeader`],
          Provenance: [MESSAGING_PROVENANCE],
        },
        // medcom-hospitalNotification-3 names it under the legacy base `…/fhir/dk-medcom-terminology/`; terminology
        // 1.1.1 publishes it (alone among its resources) under `https:`.
        activityValueSet: 'https://medcomfhir.dk/ig/terminology/ValueSet/medcom-hospitalNotification-messageActivities',
      },
    ],
  },
  { package: 'medcom.fhir.dk.carecommunication#5.0.2', major: 5, messages: [CARE_COMMUNICATION] },
  {
    package: 'medcom.fhir.dk.carecommunication#4.0.3',
    major: 4,
    messages: [CARE_COMMUNICATION],
    // CareCommunication 4.0.3 names packages that are not published where the others are. The nearest published
    // versions replace them; they only supply referenced profiles (Organization, identifiers) and ValueSets, since
    // the CareCommunication profiles carry complete snapshots.
    substitutes: {
      'hl7.fhir.dk.core#3.2.0': 'hl7.fhir.dk.core#3.4.0',
      'medcom.fhir.dk.messaging#2.2.2': 'medcom.fhir.dk.messaging#2.1.0',
      'medcom.fhir.dk.terminology#1.7.0': 'medcom.fhir.dk.terminology#1.8.1',
    },
  },
  {
    package: 'medcom.fhir.dk.acknowledgement#2.0.3',
    major: 2,
    messages: [
      {
        event: 'acknowledgement-message',
        standard: 'acknowledgement',
        bundleProfile: `${IG}acknowledgement/StructureDefinition/medcom-messaging-acknowledgement`,
        headerProfile: `${IG}acknowledgement/StructureDefinition/medcom-messaging-acknowledgementHeader`,
        entryProfiles: {
          MessageHeader: [`${IG}acknowledgement/StructureDefinition/medcom-messaging-acknowledgementHeader`],
          Provenance: [MESSAGING_PROVENANCE],
        },
      },
      {
        // The messaging IG's connection test, acknowledged like any message (the Acknowledgement IG's own example).
        event: 'empty-message',
        standard: undefined,
        bundleProfile: `${IG}messaging/StructureDefinition/medcom-messaging-message`,
        headerProfile: `${IG}messaging/StructureDefinition/medcom-messaging-messageHeader`,
        entryProfiles: {
          MessageHeader: [`${IG}messaging/StructureDefinition/medcom-messaging-messageHeader`],
          Provenance: [MESSAGING_PROVENANCE],
        },
      },
    ],
  },
];

/** A standard's package with its dependencies: profiles compiled for the profile checker, and their terminology. */
export interface MedComContext {
  readonly spec: MedComContextSpec;
  readonly packageName: string;
  readonly version: string;
  /** Package ids in the order a canonical URL is looked up: the standard's package, then its dependencies. */
  readonly packages: readonly string[];
  /** Canonical URL → compiled profile; one version per URL, the one this standard was built against. */
  readonly profiles: ReadonlyMap<string, CompiledProfile>;
  /** Canonical URL → StructureDefinition as published (before rewrites). */
  readonly structureDefinitions: ReadonlyMap<string, fhir4.StructureDefinition>;
  readonly terminology: Terminology;
  /** The rewrites applied, per StructureDefinition or ValueSet (medcom-rewrites.ts). */
  readonly rewrites: readonly { readonly canonical: string; readonly rewrite: string }[];
  /**
   * The compiled profile for a canonical reference (`url`, `url|version`, or a legacy `…/fhir/…` URL). A version
   * must have this context's major version; otherwise undefined.
   */
  resolveProfile(canonical: string): CompiledProfile | undefined;
}

/**
 * Only MedCom and DK Core dependencies are loaded: core R4 comes from the base validation (Medplum, the R4 schema);
 * HL7 terminology and the extension packs are not held.
 */
const isVendoredPackage = (name: string): boolean => name.startsWith('medcom.fhir.dk.') || name === 'hl7.fhir.dk.core';

/** Canonical URLs under these bases must resolve inside a context: a dangling one means a missing package. */
const LOCAL_BASES = ['http://medcomfhir.dk/', 'http://hl7.dk/fhir/core/'];
const isLocalCanonical = (url: string): boolean => LOCAL_BASES.some((b) => url.startsWith(b));

/** Profiles of definitional resources describe the standard, not messages; they are not compiled. */
const NOT_IN_MESSAGES: ReadonlySet<string> = new Set(['MessageDefinition', 'ImplementationGuide', 'CapabilityStatement']);

/**
 * Older HospitalNotification examples and the 3.0 invariants name profiles under `http://medcomfhir.dk/fhir/<ig>/`,
 * the IGs' canonical base before they moved to `…/ig/<ig>/` (medcom.md §10 #2).
 */
export function aliasLegacyCanonical(url: string): string {
  const legacy = /^http:\/\/medcomfhir\.dk\/fhir\/([a-z]+)\/StructureDefinition\//.exec(url);
  return legacy === null ? url : `${IG}${legacy[1] ?? ''}/StructureDefinition/${url.slice(legacy[0].length)}`;
}

type ConformanceResource = fhir4.StructureDefinition | fhir4.CodeSystem | fhir4.ValueSet;

/**
 * Builds the context of one standard: its package and the dependency versions its package.json names (not those
 * of its dependencies' dependencies, which it overrides), each canonical URL taken from the first package that has
 * it. Only the profiles reachable from the standard's own (type and target profiles, required bindings) are
 * compiled. A missing package, a dangling MedCom/DK Core canonical, a versioned reference to a version the context
 * does not hold, or a profile the checker cannot compile stops start-up with an Error naming the file.
 */
export function buildMedComContext(spec: MedComContextSpec, packages: ReadonlyMap<string, FhirPackage>, baseConstraints: ReadonlySet<string>): MedComContext {
  const top = packages.get(spec.package);
  if (top === undefined) {
    throw packageError(spec.package, 'is not in the packages folder');
  }
  const order: FhirPackage[] = [top];
  for (const dep of top.dependencies.filter((d) => isVendoredPackage(d.name))) {
    const wanted = `${dep.name}#${dep.version}`;
    const id = packages.has(wanted) ? wanted : spec.substitutes?.[wanted];
    const pkg = id === undefined ? undefined : packages.get(id);
    if (pkg === undefined) {
      throw packageError(top.file, `needs ${wanted}, which is not in the packages folder`);
    }
    order.push(pkg);
  }

  const preferred = new Map<string, Loaded<ConformanceResource>>();
  for (const pkg of order) {
    for (const loaded of pkg.resources) {
      const url = loaded.resource.url ?? '';
      if (!preferred.has(url)) {
        preferred.set(url, loaded);
      }
    }
  }

  const seeds = [
    ...top.resources.filter((l) => l.resource.resourceType === 'StructureDefinition' && !NOT_IN_MESSAGES.has(l.resource.type)).map((l) => l.resource.url ?? ''),
    ...spec.messages.flatMap((m) => [m.bundleProfile, m.headerProfile, ...Object.values(m.entryProfiles).flat(), m.activityValueSet]).filter((u): u is string => u !== undefined),
  ];
  const { structureDefinitions, valueSets } = collectClosure(seeds, preferred, top.file);

  const rewrites: { canonical: string; rewrite: string }[] = [];
  const rewriteAll = <T extends fhir4.StructureDefinition | fhir4.ValueSet>(loaded: readonly Loaded<T>[], rules: readonly Rewrite<T>[]): Loaded<T>[] =>
    loaded.map(({ resource, source }) => {
      const result = rewrite(resource, rules);
      result.applied.forEach((id) => rewrites.push({ canonical: resource.url ?? '', rewrite: id }));
      return { resource: result.resource, source };
    });
  const rewritten = rewriteAll(structureDefinitions, PROFILE_REWRITES);
  const codeSystems = [...preferred.values()].filter((l): l is Loaded<fhir4.CodeSystem> => l.resource.resourceType === 'CodeSystem');
  const terminology = buildTerminology(codeSystems, rewriteAll(valueSets, VALUE_SET_REWRITES));
  const profiles = compileProfiles(rewritten, {
    terminology,
    localCanonicalBase: LOCAL_BASES[0] ?? '',
    baseConstraints,
    skipUnexpandableBindings: true,
  });
  for (const message of spec.messages) {
    for (const url of [message.bundleProfile, message.headerProfile, ...Object.values(message.entryProfiles).flat()]) {
      if (url !== undefined && !profiles.has(url)) {
        throw packageError(top.file, `does not define ${url}, which its ${message.event} messages need`);
      }
    }
    if (message.activityValueSet !== undefined && terminology.expand(message.activityValueSet)?.ok !== true) {
      throw packageError(top.file, `needs ValueSet ${message.activityValueSet} expanded locally, which its packages do not allow`);
    }
  }
  const major = (version: string | undefined): string => (version ?? '').split('.')[0] ?? '';
  return {
    spec,
    packageName: top.name,
    version: top.version,
    packages: order.map((p) => p.id),
    profiles,
    structureDefinitions: new Map(structureDefinitions.map((l) => [l.resource.url, l.resource])),
    terminology,
    rewrites,
    resolveProfile(canonical) {
      const bar = canonical.indexOf('|');
      const url = aliasLegacyCanonical(stripVersion(canonical));
      const profile = profiles.get(url);
      if (profile === undefined || bar === -1) {
        return profile;
      }
      return major(canonical.slice(bar + 1)) === major(profile.structureDefinition.version) ? profile : undefined;
    },
  };
}

/**
 * The StructureDefinitions and ValueSets reachable from `seeds` through type profiles, target profiles and
 * required bindings. References outside MedCom and DK Core (core R4, HL7 terminology and extensions) are not
 * followed: core types come from the base validation, the rest is not held.
 */
function collectClosure(
  seeds: readonly string[],
  preferred: ReadonlyMap<string, Loaded<ConformanceResource>>,
  file: string,
): { structureDefinitions: Loaded<fhir4.StructureDefinition>[]; valueSets: Loaded<fhir4.ValueSet>[] } {
  const structureDefinitions = new Map<string, Loaded<fhir4.StructureDefinition>>();
  const valueSets = new Map<string, Loaded<fhir4.ValueSet>>();
  const todo: { canonical: string; from: string }[] = seeds.map((canonical) => ({ canonical, from: file }));
  const follow = (canonical: string, from: string): void => {
    if (isLocalCanonical(canonical)) {
      todo.push({ canonical, from });
    }
  };
  for (let next = todo.pop(); next !== undefined; next = todo.pop()) {
    const { canonical, from } = next;
    const url = stripVersion(canonical);
    const loaded = preferred.get(url);
    if (loaded === undefined) {
      throw packageError(from, `refers to ${url}, which no package of this standard defines`);
    }
    const version = canonical.includes('|') ? canonical.slice(canonical.indexOf('|') + 1) : undefined;
    if (version !== undefined && loaded.resource.version !== version) {
      throw packageError(from, `refers to version ${version} of ${url}, but ${loaded.source} is version ${loaded.resource.version ?? '(none)'}`);
    }
    const resource = loaded.resource;
    if (resource.resourceType === 'StructureDefinition') {
      if (structureDefinitions.has(url) || resource.derivation !== 'constraint' || resource.kind === 'logical') {
        continue;
      }
      structureDefinitions.set(url, { resource, source: loaded.source });
      for (const element of resource.snapshot?.element ?? []) {
        const at = `${loaded.source} (${element.id ?? element.path})`;
        for (const type of element.type ?? []) {
          [...(type.profile ?? []), ...(type.targetProfile ?? [])].forEach((p) => {
            follow(p, at);
          });
        }
        if (element.binding?.strength === 'required' && element.binding.valueSet !== undefined) {
          follow(element.binding.valueSet, at);
        }
      }
    } else if (resource.resourceType === 'ValueSet' && !valueSets.has(url)) {
      valueSets.set(url, { resource, source: loaded.source });
      for (const include of [...(resource.compose?.include ?? []), ...(resource.compose?.exclude ?? [])]) {
        (include.valueSet ?? []).forEach((vs) => {
          follow(vs, loaded.source);
        });
      }
    }
  }
  return { structureDefinitions: [...structureDefinitions.values()], valueSets: [...valueSets.values()] };
}
