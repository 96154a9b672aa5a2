import { fileURLToPath } from 'node:url';
import type { Issue } from '../shared/index.ts';
import { baseConstraintsOf, indexedBaseSchemas, isBaseType } from './base-definitions.ts';
import { indexBundle } from './bundle-references.ts';
import type { BundleIndex } from './bundle-references.ts';
import { stripVersion } from './conformance-loader.ts';
import { checkMedComBundle } from './medcom-bundle-checks.ts';
import { MEDCOM_CONTEXTS, aliasLegacyCanonical, buildMedComContext } from './medcom-contexts.ts';
import type { MedComContext, MedComStandard, MessageKind } from './medcom-contexts.ts';
import { readFhirPackages } from './medcom-packages.ts';
import { checkProfile } from './profile-checker.ts';
import { PRIMITIVE_TYPES } from './profile-compiler.ts';
import type { CompiledProfile } from './profile-compiler.ts';
import { isJsonObject } from './values.ts';
import type { JsonObject } from './values.ts';
import { MAX_ISSUES, createValidator } from './validator.ts';
import type { Validator } from './validator.ts';

/** The vendored MedCom and DK Core packages (profiles/packages/README.md). */
export const MEDCOM_PACKAGES_DIR = fileURLToPath(new URL('../../profiles/packages/', import.meta.url));

export interface MedComValidatorOptions {
  /** Folder of the published `package.tgz` files; defaults to `profiles/packages/`. */
  readonly packagesDir?: string;
  /**
   * The validator whose base R4 checks (JSON schema, Medplum's core definitions, dates, references) every message
   * also gets, so the process compiles them once. One without profiles is created when absent.
   */
  readonly validator?: Validator;
}

/** The outcome of validating one message. */
export interface MedComValidation {
  /** Undefined when the message is not one of the three standards (an empty message, an unknown event, not a message). */
  readonly standard: MedComStandard | undefined;
  /** Version of the package the message was validated with (`5.0.2`); undefined when none applies. */
  readonly version: string | undefined;
  /** `MessageHeader.eventCoding.code`, when it names a MedCom message. */
  readonly event: string | undefined;
  /** Base R4, MedCom profile and MedCom Bundle issues; `hasErrors(issues)` decides. */
  readonly issues: Issue[];
}

/** A standard at a version, as held. */
export interface MedComContextInfo {
  readonly standard: MedComStandard;
  readonly version: string;
  /** `name#version` of every package it is validated with, the standard's own first. */
  readonly packages: readonly string[];
  /** The in-memory rewrites applied to its StructureDefinitions and ValueSets (medcom-rewrites.ts). */
  readonly rewrites: readonly { readonly canonical: string; readonly rewrite: string }[];
}

/** Validation of MedCom messages against MedCom's own published profiles, loaded once at start-up. */
export interface MedComValidator {
  /**
   * Validates a HospitalNotification 3.x, CareCommunication 5.x (4.x tolerated) or Acknowledgement 2.x message
   * Bundle: base R4, the message profile, each entry against the profiles it declares, the profiles its type
   * must meet in this standard and the target profiles of references to it, and the MedCom rules the profiles state
   * in ways no validator here evaluates (medcom-bundle-checks.ts). The standard comes from
   * `MessageHeader.eventCoding` (else the declared profiles), the version from `MessageHeader.definition` or the
   * declared profile versions. Never throws for bad input; diagnostics never carry payload values.
   */
  validateMessage(bundle: unknown): MedComValidation;
  readonly contexts: readonly MedComContextInfo[];
  /** Every StructureDefinition held, as published, keyed `url|version`. */
  readonly structureDefinitions: ReadonlyMap<string, fhir4.StructureDefinition>;
  /**
   * The profiles (canonical URL → StructureDefinition as published) the messages of `standard` are validated
   * against at `version` (a package version or major; the newest when absent), dependencies included; empty
   * when that version is not held.
   */
  profilesOf(standard: MedComStandard, version?: string): ReadonlyMap<string, fhir4.StructureDefinition>;
  /** Milliseconds `createMedComValidator` took (excluding a validator passed in). */
  readonly startupMs: number;
}

/** Bounds the work one message can cause (entries × profiles). */
const MAX_PROFILE_TASKS = 1000;

const isKnownType = (name: string): boolean => PRIMITIVE_TYPES.has(name) || isBaseType(name);

/**
 * Reads the vendored packages and builds one context per standard and version (MEDCOM_CONTEXTS), so a broken or
 * missing package stops start-up naming the file. The MedCom profiles are compiled for Sektorbro's own profile
 * checker and never registered with Medplum, whose type registry is process-wide: MedCom profiles of one version
 * cannot shadow core types or another version's profiles.
 */
export function createMedComValidator(opts: MedComValidatorOptions = {}): MedComValidator {
  const validator = opts.validator ?? createValidator();
  const started = performance.now();
  const packages = readFhirPackages(opts.packagesDir ?? MEDCOM_PACKAGES_DIR);
  // The validator indexed the R4 base types with Medplum; their invariants are evaluated by its base run.
  const baseConstraints = new Set(baseConstraintsOf(indexedBaseSchemas()).keys());
  const contexts = MEDCOM_CONTEXTS.map((spec) => buildMedComContext(spec, packages, baseConstraints));
  const structureDefinitions = new Map<string, fhir4.StructureDefinition>();
  for (const context of contexts) {
    for (const sd of context.structureDefinitions.values()) {
      structureDefinitions.set(`${sd.url}|${sd.version ?? ''}`, sd);
    }
  }
  const infos = contexts.flatMap((c): MedComContextInfo[] => {
    const standard = c.spec.messages.find((m) => m.standard !== undefined)?.standard;
    return standard === undefined ? [] : [{ standard, version: c.version, packages: c.packages, rewrites: c.rewrites }];
  });
  return {
    contexts: infos,
    structureDefinitions,
    profilesOf(standard, version) {
      const context = contexts.find(
        (c) =>
          c.spec.messages.some((m) => m.standard === standard) &&
          (version === undefined || c.version === version || String(c.spec.major) === version.split('.')[0]),
      );
      return context?.structureDefinitions ?? new Map();
    },
    startupMs: Math.round(performance.now() - started),
    validateMessage: (bundle) => validateMessage(validator, contexts, bundle),
  };
}

function validateMessage(validator: Validator, contexts: readonly MedComContext[], input: unknown): MedComValidation {
  // MedCom's profiles are checked below, against the standard's own packages.
  const base = validator.validate(input, { resourceType: 'Bundle', declaredProfiles: false });
  if (!isJsonObject(input) || input.resourceType !== 'Bundle') {
    return { standard: undefined, version: undefined, event: undefined, issues: base };
  }
  const dispatched = dispatch(contexts, input);
  if (!dispatched.ok) {
    const { standard, event, issue } = dispatched;
    return { standard, version: undefined, event, issues: merge(base, [issue]) };
  }
  const { context, kind } = dispatched;
  const index = indexBundle(input);
  const profiled = checkMessageProfiles(context, kind, input, index, validator.knownResourceTypes);
  const own = checkMedComBundle({ kind, context, bundle: input, index });
  return { standard: kind.standard, version: context.version, event: kind.event, issues: merge(base, [...profiled, ...own]) };
}

type Dispatch =
  | { readonly ok: true; readonly context: MedComContext; readonly kind: MessageKind }
  | { readonly ok: false; readonly standard: MedComStandard | undefined; readonly event: string | undefined; readonly issue: Issue };

const HEADER = 'Bundle.entry[0].resource';

/**
 * Picks the context and message kind. The event code decides the standard: two HospitalNotification examples
 * declare a legacy profile URL, and meta.profile is optional. Only without an event code (itself an error the
 * profiles report) do the declared profiles decide, so the rest of such a message is still checked.
 */
function dispatch(contexts: readonly MedComContext[], bundle: JsonObject): Dispatch {
  const header = headerOf(bundle);
  const eventCoding = header !== undefined && isJsonObject(header.eventCoding) ? header.eventCoding : undefined;
  const event = typeof eventCoding?.code === 'string' ? eventCoding.code : undefined;
  const declared = [...declaredProfiles(header), ...declaredProfiles(bundle)];
  const declaredUrls = new Set(declared.map((p) => aliasLegacyCanonical(stripVersion(p))));
  const candidates = contexts.flatMap((context) =>
    context.spec.messages
      .filter((kind) => (event === undefined ? declaredUrls.has(kind.bundleProfile) || declaredUrls.has(kind.headerProfile) : kind.event === event))
      .map((kind) => ({ context, kind })),
  );
  const first = candidates[0];
  if (first === undefined) {
    const issue: Issue =
      event === undefined
        ? {
            severity: 'error',
            code: header === undefined ? 'structure' : 'required',
            diagnostics:
              header === undefined
                ? 'a MedCom message must start with its MessageHeader'
                : 'the MessageHeader has no eventCoding and declares no MedCom message profile, so the message cannot be validated as MedCom',
            expression: [header === undefined ? 'Bundle.entry[0]' : `${HEADER}.event[x]`],
          }
        : {
            severity: 'error',
            code: 'not-supported',
            diagnostics: 'the event code is not one of the MedCom messages received here (HospitalNotification, CareCommunication, Acknowledgement)',
            expression: [`${HEADER}.eventCoding.code`],
          };
    return { ok: false, standard: undefined, event: undefined, issue };
  }
  const requested = requestedMajor(bundle, header);
  // An empty message's version is the messaging IG's, which no context is chosen by.
  if (requested === undefined || first.kind.standard === undefined) {
    return { ok: true, ...first };
  }
  const match = candidates.find((c) => c.context.spec.major === requested.major);
  if (match !== undefined) {
    return { ok: true, ...match };
  }
  const supported = candidates.map((c) => `${String(c.context.spec.major)}.x`).join(', ');
  return {
    ok: false,
    standard: first.kind.standard,
    event: first.kind.event,
    issue: {
      severity: 'error',
      code: 'not-supported',
      diagnostics: `version ${String(requested.major)} of this MedCom standard is not supported; supported: ${supported}`,
      expression: [requested.expression],
    },
  };
}

function headerOf(bundle: JsonObject): JsonObject | undefined {
  const first: unknown = Array.isArray(bundle.entry) ? (bundle.entry as unknown[])[0] : undefined;
  const resource = isJsonObject(first) ? first.resource : undefined;
  return isJsonObject(resource) && resource.resourceType === 'MessageHeader' ? resource : undefined;
}

function declaredProfiles(resource: JsonObject | undefined): string[] {
  const meta = resource?.meta;
  return isJsonObject(meta) && Array.isArray(meta.profile) ? (meta.profile as unknown[]).filter((p): p is string => typeof p === 'string') : [];
}

/**
 * The major version a message names, and where: `MessageHeader.definition` (`…MessageDefinition|5.0`,
 * `…message-definition|4.0.0`), else a version on a profile the MessageHeader or the Bundle declares (`…|3.0.2`).
 */
function requestedMajor(bundle: JsonObject, header: JsonObject | undefined): { major: number; expression: string } | undefined {
  const candidates: { canonical: string; expression: string }[] = [
    ...(typeof header?.definition === 'string' ? [{ canonical: header.definition, expression: `${HEADER}.definition` }] : []),
    ...declaredProfiles(header).map((canonical, j) => ({ canonical, expression: `${HEADER}.meta.profile[${String(j)}]` })),
    ...declaredProfiles(bundle).map((canonical, j) => ({ canonical, expression: `Bundle.meta.profile[${String(j)}]` })),
  ];
  for (const { canonical, expression } of candidates) {
    const version = canonical.includes('|') ? /^(\d+)/.exec(canonical.slice(canonical.indexOf('|') + 1)) : null;
    if (version !== null) {
      return { major: Number(version[1]), expression };
    }
  }
  return undefined;
}

interface Task {
  readonly resource: JsonObject;
  readonly expression: string;
  readonly profile: CompiledProfile;
  readonly fullUrl?: string;
}

/**
 * Runs the profile checker over the message: the Bundle against the message profile, each entry against what it
 * declares and what its type must meet, and every bundled resource a reference points at against the reference's
 * target profiles (the HL7 validator's behaviour inside Bundles; it is how MessageHeader.sender and receiver must
 * be MedCom messaging Organizations with SOR and EAN identifiers, whatever profile the Organization declares).
 */
function checkMessageProfiles(context: MedComContext, kind: MessageKind, bundle: JsonObject, index: BundleIndex, knownResourceTypes: ReadonlySet<string>): Issue[] {
  const issues: Issue[] = [];
  const tasks: Task[] = [];
  const queued = new Set<string>();
  const enqueue = (task: Task): void => {
    const key = `${task.expression}|${task.profile.url}`;
    if (!queued.has(key)) {
      queued.add(key);
      tasks.push(task);
    }
  };
  const messageProfile = context.profiles.get(kind.bundleProfile);
  if (messageProfile !== undefined) {
    enqueue({ resource: bundle, expression: 'Bundle', profile: messageProfile });
  }
  checkDeclared(context, bundle, 'Bundle', issues, (profile) => {
    enqueue({ resource: bundle, expression: 'Bundle', profile });
  });
  const entries = Array.isArray(bundle.entry) ? (bundle.entry as unknown[]) : [];
  const resourceAt = (i: number): JsonObject | undefined => {
    const entry = entries[i];
    return isJsonObject(entry) && isJsonObject(entry.resource) ? entry.resource : undefined;
  };
  entries.forEach((_, i) => {
    const resource = resourceAt(i);
    if (resource === undefined || typeof resource.resourceType !== 'string') {
      return;
    }
    const fullUrl = index.fullUrlOf(i);
    const expression = `Bundle.entry[${String(i)}].resource`;
    const add = (profile: CompiledProfile): void => {
      enqueue({ resource, expression, profile, ...(fullUrl === undefined ? {} : { fullUrl }) });
    };
    checkDeclared(context, resource, expression, issues, add);
    for (const url of kind.entryProfiles[resource.resourceType] ?? []) {
      const profile = context.profiles.get(url);
      if (profile !== undefined) {
        add(profile);
      }
    }
  });

  for (let t = 0; t < tasks.length; t++) {
    const task = tasks[t];
    if (task === undefined) {
      continue;
    }
    if (t >= MAX_PROFILE_TASKS) {
      issues.push({ severity: 'error', code: 'too-long', diagnostics: `too many profiled resources to validate (at most ${String(MAX_PROFILE_TASKS)})` });
      break;
    }
    const { fullUrl } = task;
    const checked = checkProfile(task.profile, task.resource, task.expression, {
      profiles: context.profiles,
      knownResourceTypes,
      isKnownType,
      coveredByMedplum: false,
      resolveReference: (reference) => index.resolve(reference, fullUrl)?.resourceType,
      requestProfile: (nested, expression, url) => {
        const profile = context.profiles.get(url);
        if (profile !== undefined) {
          enqueue({ resource: nested, expression, profile, ...(fullUrl === undefined ? {} : { fullUrl }) });
        }
      },
      requestTargetProfiles: (reference, targetProfiles) => {
        const target = index.resolve(reference, fullUrl);
        const resource = target === undefined ? undefined : resourceAt(target.index);
        if (target === undefined || resource === undefined) {
          return;
        }
        // A reference may allow several profiles of one type (any of them will do): only an unambiguous one is enforced.
        const matching = targetProfiles.map((p) => context.resolveProfile(p)).filter((p) => p?.type === resource.resourceType);
        const [only, ...more] = matching;
        if (only !== undefined && more.length === 0) {
          enqueue({ resource, expression: `Bundle.entry[${String(target.index)}].resource`, profile: only, ...(target.fullUrl === undefined ? {} : { fullUrl: target.fullUrl }) });
        }
      },
    });
    issues.push(...checked.issues);
  }
  return issues;
}

/** Queues the profiles a resource declares that this standard's packages hold; warns about the others. */
function checkDeclared(context: MedComContext, resource: JsonObject, expression: string, issues: Issue[], add: (profile: CompiledProfile) => void): void {
  declaredProfiles(resource).forEach((canonical, j) => {
    const at = `${expression}.meta.profile[${String(j)}]`;
    const profile = context.resolveProfile(canonical);
    if (profile === undefined) {
      issues.push({
        severity: 'warning',
        code: 'not-supported',
        diagnostics: `declares a profile the ${context.packageName} ${context.version} packages do not hold; not validated against it`,
        expression: [at],
      });
    } else if (profile.type !== resource.resourceType) {
      issues.push({ severity: 'error', code: 'invalid', diagnostics: `declares a profile that constrains ${profile.type}, not this resource type`, expression: [at] });
    } else {
      add(profile);
    }
  });
}

/**
 * Base and MedCom findings of the same fault (a missing `Encounter.class`) are reported once, and a base warning
 * (an unresolved reference) gives way to a MedCom error of the same kind at the same place.
 */
function merge(base: readonly Issue[], more: readonly Issue[]): Issue[] {
  const all = [...base, ...more];
  const place = (i: Issue): string => `${i.code}\u0000${i.expression?.join('|') ?? ''}`;
  const errorPlaces = new Set(all.filter((i) => i.severity === 'error' && i.expression !== undefined).map(place));
  const seen = new Set<string>();
  const issues = all.filter((i) => {
    const key = `${i.severity}\u0000${place(i)}\u0000${i.diagnostics}`;
    if (seen.has(key) || (i.severity === 'warning' && errorPlaces.has(place(i)))) {
      return false;
    }
    seen.add(key);
    return true;
  });
  if (issues.length <= MAX_ISSUES) {
    return issues;
  }
  return [...issues.slice(0, MAX_ISSUES), { severity: 'warning', code: 'too-long', diagnostics: `${String(issues.length - MAX_ISSUES)} further issues omitted` }];
}
