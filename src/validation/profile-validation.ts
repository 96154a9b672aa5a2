import type { Issue, IssueSeverity } from '../shared/index.ts';
import { checkProfileDefinitions, isBaseType } from './base-definitions.ts';
import { indexBundle } from './bundle-references.ts';
import type { BundleIndex } from './bundle-references.ts';
import { stripVersion } from './conformance-loader.ts';
import { checkProfile } from './profile-checker.ts';
import { SEKTORBRO_CANONICAL_BASE } from './profile-registry.ts';
import type { ProfileRegistry } from './profile-registry.ts';
import { PRIMITIVE_TYPES } from './profile-compiler.ts';
import { isJsonObject } from './values.ts';
import type { JsonObject } from './values.ts';

export interface UnresolvedReferenceSeverity {
  readonly document: IssueSeverity;
  readonly message: IssueSeverity;
}

export interface ProfileOutcome {
  /** Problems with the profiles asked for or declared (unknown, or for another type). */
  readonly selection: Issue[];
  readonly issues: Issue[];
  /** True when Medplum validated the root resource against a profile (which repeats every base check). */
  readonly rootCoveredByMedplum: boolean;
  /** The root Bundle's entries, for reference resolution (empty for other resources). */
  readonly bundleIndex: BundleIndex;
}

/** A resource to validate against one profile, and where it sits. */
interface Task {
  readonly resource: JsonObject;
  readonly expression: string;
  readonly url: string;
  readonly bundle?: BundleIndex;
  readonly fullUrl?: string;
}

const isKnownType = (name: string): boolean => PRIMITIVE_TYPES.has(name) || isBaseType(name);

/** Bundles nest (a message carrying a document); deeper nesting is not followed. */
const MAX_BUNDLE_DEPTH = 3;
/** Bounds the work one request can cause; a Bundle with more profiled resources is rejected. */
const MAX_PROFILE_TASKS = 1000;

const EMPTY_BUNDLE: JsonObject = { resourceType: 'Bundle' };

/**
 * Decides which profiles apply and runs them: the explicit `profile`, every profile the resource declares in
 * `meta.profile` (unless `declared` is false), and for a Bundle every profile each entry declares (Medplum never
 * follows nested profiles).
 * The root's profiles run through Medplum (cached parse) and the profile checker, nested ones through the
 * checker alone; Medplum's reports that the checker makes itself (slice counts, fixed/pattern values,
 * invariants it evaluates, reference targets and choice types it judged) are dropped.
 * Unknown declared profiles are a warning (FHIR allows extra profiles), except ours, which must exist.
 */
export function checkProfiles(
  registry: ProfileRegistry,
  resource: JsonObject,
  resourceType: string,
  knownResourceTypes: ReadonlySet<string>,
  explicit: string | undefined,
  declared = true,
): ProfileOutcome {
  const selection: Issue[] = [];
  const issues: Issue[] = [];
  const tasks: Task[] = [];
  const queued = new Set<string>();
  const enqueue = (task: Task): void => {
    const key = `${task.expression}|${task.url}`;
    if (!queued.has(key)) {
      queued.add(key);
      tasks.push(task);
    }
  };
  const bundleIndex = indexBundle(resourceType === 'Bundle' ? resource : EMPTY_BUNDLE);
  const rootTask = { resource, expression: resourceType, ...(resourceType === 'Bundle' ? { bundle: bundleIndex } : {}) };

  if (explicit !== undefined) {
    const profile = registry.compiled.get(stripVersion(explicit));
    if (profile === undefined) {
      selection.push({
        severity: 'error',
        code: 'not-supported',
        diagnostics: 'unknown profile: the validator holds no profile with the requested canonical URL',
      });
    } else if (profile.type !== resourceType) {
      selection.push({ severity: 'error', code: 'invalid', diagnostics: `the requested profile constrains ${profile.type}, not ${resourceType}` });
    } else {
      enqueue({ ...rootTask, url: profile.url });
    }
  }
  const collect = (task: Omit<Task, 'url'>, depth: number): void => {
    if (declared) {
      collectDeclared(registry, task, selection, enqueue);
    }
    if (task.resource.resourceType !== 'Bundle' || depth >= MAX_BUNDLE_DEPTH) {
      return;
    }
    const entries = Array.isArray(task.resource.entry) ? (task.resource.entry as unknown[]) : [];
    const index = depth === 0 ? bundleIndex : indexBundle(task.resource);
    entries.forEach((entry, i) => {
      if (isJsonObject(entry) && isJsonObject(entry.resource) && typeof entry.resource.resourceType === 'string') {
        const fullUrl = index.fullUrlOf(i);
        const expression = `${task.expression}.entry[${String(i)}].resource`;
        collect({ resource: entry.resource, expression, bundle: index, ...(fullUrl === undefined ? {} : { fullUrl }) }, depth + 1);
      }
    });
  };
  collect(rootTask, 0);

  let rootCoveredByMedplum = false;
  for (let t = 0; t < tasks.length; t++) {
    const task = tasks[t];
    const profile = task === undefined ? undefined : registry.compiled.get(task.url);
    if (task === undefined || profile === undefined) {
      continue;
    }
    if (t >= MAX_PROFILE_TASKS) {
      issues.push({ severity: 'error', code: 'too-long', diagnostics: `too many profiled resources to validate (at most ${String(MAX_PROFILE_TASKS)})` });
      break;
    }
    // Medplum validates the root resource against its profile (that run includes every base check and crawls
    // the Bundle's entries with their base types); nested resources get the full profile checker instead,
    // since a Medplum run per entry would only repeat those base checks.
    const key = task.resource === resource ? registry.medplumKey(task.url) : undefined;
    const findings = key === undefined ? [] : checkProfileDefinitions(resource, key, knownResourceTypes);
    rootCoveredByMedplum ||= key !== undefined;
    const { bundle, fullUrl } = task;
    const checked = checkProfile(profile, task.resource, task.expression, {
      profiles: registry.compiled,
      knownResourceTypes,
      isKnownType,
      coveredByMedplum: key !== undefined,
      ...(bundle === undefined ? {} : { resolveReference: (reference: string) => bundle.resolve(reference, fullUrl)?.resourceType }),
      requestProfile: (nested, expression, url) => {
        enqueue({ resource: nested, expression, url, ...(bundle === undefined ? {} : { bundle }) });
      },
    });
    for (const finding of findings) {
      const at = finding.issue.expression?.[0] ?? '';
      const redundant =
        finding.kind === 'slice-count' ||
        finding.kind === 'specified-value' ||
        (finding.kind === 'invariant' && finding.constraint !== undefined && profile.constraintExpressions.has(finding.constraint)) ||
        ((finding.kind === 'reference-target' || finding.kind === 'additional-property') && checked.reported.has(at));
      if (!redundant) {
        issues.push(finding.issue);
      }
    }
    issues.push(...checked.issues);
  }
  return { selection, issues, rootCoveredByMedplum, bundleIndex };
}

function collectDeclared(registry: ProfileRegistry, task: Omit<Task, 'url'>, issues: Issue[], enqueue: (task: Task) => void): void {
  const meta = task.resource.meta;
  const declared = isJsonObject(meta) && Array.isArray(meta.profile) ? (meta.profile as unknown[]) : [];
  const type = task.resource.resourceType;
  declared.forEach((value, j) => {
    if (typeof value !== 'string') {
      return;
    }
    const at = `${task.expression}.meta.profile[${String(j)}]`;
    const url = stripVersion(value);
    const profile = registry.compiled.get(url);
    if (profile === undefined) {
      const ours = url.startsWith(SEKTORBRO_CANONICAL_BASE);
      issues.push({
        severity: ours ? 'error' : 'warning',
        code: 'not-supported',
        diagnostics: ours
          ? 'declares a Sektorbro profile that does not exist'
          : 'declares a profile the validator does not hold; validated against base R4 only',
        expression: [at],
      });
    } else if (profile.type !== type) {
      issues.push({
        severity: 'error',
        code: 'invalid',
        diagnostics: `declares a profile that constrains ${profile.type}, not this resource type`,
        expression: [at],
      });
    } else {
      enqueue({ ...task, url });
    }
  });
}
