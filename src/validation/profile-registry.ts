import { registerProfileSchema } from './base-definitions.ts';
import { loadConformance, loadError, stripVersion } from './conformance-loader.ts';
import type { Loaded } from './conformance-loader.ts';
import { compileProfiles } from './profile-compiler.ts';
import type { CompiledProfile } from './profile-compiler.ts';
import { buildTerminology } from './terminology.ts';

/** Canonical base of Sektorbro's own conformance resources (docs/documents.md). */
export const SEKTORBRO_CANONICAL_BASE = 'http://sektorbro.dk/fhir/';

const HL7_STRUCTURE_DEFINITION = 'http://hl7.org/fhir/StructureDefinition/';

/** The profiles the validator holds, compiled and registered with Medplum, loaded once at start-up. */
export interface ProfileRegistry {
  /** Canonical URL → StructureDefinition, as loaded. */
  readonly profiles: ReadonlyMap<string, fhir4.StructureDefinition>;
  /** Every loaded StructureDefinition, CodeSystem and ValueSet (and other conformance resources), for serving. */
  readonly conformanceResources: readonly fhir4.Resource[];
  readonly compiled: ReadonlyMap<string, CompiledProfile>;
  /** The key Medplum validates this profile under, or undefined when Medplum cannot parse it. */
  medplumKey(url: string): string | undefined;
}

/** Each registry files its profiles under its own keys in Medplum's process-wide registry. */
let registries = 0;

/**
 * Loads, checks and compiles the profiles folder. A StructureDefinition without a snapshot, with an unknown base
 * or type, or that is not a constraint profile stops start-up with an Error naming its file.
 * `base` describes the R4 types Medplum knows: their names and their invariants (`path|key` → FHIRPath).
 */
export function loadProfileRegistry(
  profilesDir: string | undefined,
  extraProfiles: readonly unknown[] | undefined,
  base: { readonly isBaseType: (name: string) => boolean; readonly constraints: ReadonlyMap<string, string> },
): ProfileRegistry {
  const { isBaseType } = base;
  const set = loadConformance(profilesDir, extraProfiles);
  const urls = new Set(set.structureDefinitions.map((l) => l.resource.url));
  set.structureDefinitions.forEach((l) => {
    checkStructureDefinition(l, urls, isBaseType);
  });
  const terminology = buildTerminology(set.codeSystems, set.valueSets);
  const compiled = compileProfiles(set.structureDefinitions, {
    terminology,
    localCanonicalBase: SEKTORBRO_CANONICAL_BASE,
    baseConstraints: new Set(base.constraints.keys()),
  });
  const sds = set.structureDefinitions.map((l) => l.resource);
  registries += 1;
  const keys = new Map<string, string>();
  for (const sd of sds) {
    const key = `sektorbro-profile:${String(registries)}:${sd.url}`;
    if (registerProfileSchema(sd, key, base.constraints)) {
      keys.set(sd.url, key);
    }
  }
  return {
    profiles: new Map(sds.map((sd) => [sd.url, sd])),
    conformanceResources: set.all,
    compiled,
    medplumKey: (url) => keys.get(stripVersion(url)),
  };
}

function checkStructureDefinition(loaded: Loaded<fhir4.StructureDefinition>, localUrls: ReadonlySet<string>, isBaseType: (name: string) => boolean): void {
  const { resource: sd, source } = loaded;
  if (sd.snapshot === undefined || sd.snapshot.element.length === 0) {
    throw loadError(source, 'has no snapshot (compile profiles with `sushi build --snapshot`)');
  }
  if (sd.derivation !== 'constraint' || sd.kind === 'logical') {
    throw loadError(source, 'is not a constraint profile (derivation must be constraint)');
  }
  if ((sd.url).startsWith(HL7_STRUCTURE_DEFINITION)) {
    throw loadError(source, 'uses a core FHIR canonical URL; a profile needs its own');
  }
  if (!isBaseType(sd.type)) {
    throw loadError(source, `constrains ${sd.type}, which is not an R4 type`);
  }
  const base = sd.baseDefinition === undefined ? undefined : stripVersion(sd.baseDefinition);
  const knownBase =
    base !== undefined && (localUrls.has(base) || (base.startsWith(HL7_STRUCTURE_DEFINITION) && isBaseType(base.slice(HL7_STRUCTURE_DEFINITION.length))));
  if (!knownBase) {
    throw loadError(source, `has an unknown base ${base ?? '(none)'}: neither an R4 type nor a profile in the folder`);
  }
  if (sd.snapshot.element[0]?.path !== sd.type) {
    throw loadError(source, `has a snapshot whose first element is not ${sd.type}`);
  }
}
