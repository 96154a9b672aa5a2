import type { Issue } from '../shared/index.ts';
import { stripVersion } from './conformance-loader.ts';
import { PRIMITIVE_TYPES, isInExpansion, lowerFirstIfPrimitive, singleTypeProfile } from './profile-compiler.ts';
import type { CompiledProfile, ElementNode, ElementValue, SpecifiedValue } from './profile-compiler.ts';
import { deepEqual, deepIncludes, isJsonObject } from './values.ts';
import type { JsonObject } from './values.ts';

/** What the checker needs besides the profile: the surroundings of the resource it checks. */
export interface CheckContext {
  readonly profiles: ReadonlyMap<string, CompiledProfile>;
  readonly knownResourceTypes: ReadonlySet<string>;
  /** True for an R4 type name (primitive, datatype or resource). */
  readonly isKnownType: (name: string) => boolean;
  /**
   * True when Medplum validated the resource against the same profile: Medplum then covers the cardinality of
   * the elements it reaches (those not below a BackboneElement, not in a slice, not in a type profile).
   */
  readonly coveredByMedplum: boolean;
  /** The resource type a reference points at inside the enclosing Bundle, if it resolves there. */
  readonly resolveReference?: (reference: string) => string | undefined;
  /** Asks for a nested resource to be validated against a profile (a `type.profile` on a Resource element). */
  readonly requestProfile: (resource: JsonObject, expression: string, profileUrl: string) => void;
  /**
   * Told of every reference whose element names target profiles, so a caller that holds the Bundle can validate
   * the resource it resolves to against them (the profile checker itself sees one resource at a time).
   */
  readonly requestTargetProfiles?: (reference: string, targetProfiles: readonly string[]) => void;
}

export interface CheckResult {
  readonly issues: Issue[];
  /**
   * Expressions where the checker reported a reference target or a choice type the profile disallows: Medplum's
   * reports there (a reference warning, an "additional property") are the same fault in other words.
   */
  readonly reported: ReadonlySet<string>;
}

interface Item extends ElementValue {
  readonly expression: string;
}

/** Type profiles can nest (extensions in extensions); a cycle among them must not recurse forever. */
const MAX_PROFILE_DEPTH = 16;

const HL7_STRUCTURE_DEFINITION = 'http://hl7.org/fhir/StructureDefinition/';
const TYPE_ID_REFERENCE = /^([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
const RESTFUL_REFERENCE = /\/([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
const MAX_LISTED_CODES = 15;

/**
 * Checks `resource` against a compiled profile by walking the snapshot: cardinality where Medplum does not
 * reach, fixed and pattern values, choice types, slicing, required bindings to local ValueSets, the invariants
 * the profile adds, reference target types, and the type profiles of extensions. Issues name the rule and the
 * element, never a payload value; expressions are rooted at `expression` (e.g. `Bundle.entry[2].resource`).
 */
export function checkProfile(profile: CompiledProfile, resource: JsonObject, expression: string, ctx: CheckContext): CheckResult {
  const walk = new ProfileWalk(ctx, resource);
  walk.checkValue(profile.root, { value: resource, type: profile.type, expression }, ctx.coveredByMedplum, 0);
  return { issues: walk.issues, reported: walk.reported };
}

class ProfileWalk {
  readonly issues: Issue[] = [];
  readonly reported = new Set<string>();

  constructor(
    private readonly ctx: CheckContext,
    private readonly resource: JsonObject,
  ) {}

  checkValue(node: ElementNode, item: Item, covered: boolean, depth: number): void {
    const { value } = item;
    if (value === undefined || value === null) {
      return;
    }
    this.checkSpecified(node, item);
    this.checkBinding(node, item);
    this.checkConstraints(node, item);
    if (item.type === 'Reference') {
      this.checkReferenceTarget(node, item, covered);
    }
    if (!isJsonObject(value)) {
      return;
    }
    const definition = node.reuses ?? node;
    if (definition.children.length > 0) {
      this.checkChildren(definition, value, item.expression, covered && !node.backbone && node.sliceName === undefined, depth);
      return;
    }
    const typeProfile = singleTypeProfile(node);
    const target = typeProfile === undefined ? undefined : this.ctx.profiles.get(stripVersion(typeProfile));
    if (target === undefined || depth >= MAX_PROFILE_DEPTH) {
      return;
    }
    if (typeof value.resourceType === 'string') {
      this.ctx.requestProfile(value, item.expression, target.url);
    } else {
      this.checkValue(target.root, item, false, depth + 1);
    }
  }

  private checkChildren(parent: ElementNode, obj: JsonObject, expression: string, covered: boolean, depth: number): void {
    const siblings = new Set(parent.children.map((c) => c.name));
    for (const child of parent.children) {
      const { items, count, strayTypes } = readItems(obj, child, expression, siblings, this.ctx.isKnownType);
      const at = `${expression}.${child.name}`;
      if (!covered) {
        this.checkCardinality(child, count, at);
      }
      for (const stray of strayTypes) {
        this.reported.add(stray.expression);
        const allowed = child.types.map((t) => t.code).join(', ');
        this.issues.push(error('structure', `type ${stray.type} is not allowed for '${child.name}'; allowed: ${allowed}`, stray.expression));
      }
      for (const item of items) {
        this.checkValue(child, item, covered, depth);
      }
      if (child.slicing !== undefined) {
        this.checkSlices(child, items, at, depth);
      }
    }
  }

  private checkCardinality(node: ElementNode, count: number, at: string): void {
    if (count === 0 && node.min > 0) {
      this.issues.push(error('required', `missing required element '${node.name}'`, at));
    } else if (count > 0 && node.max === 0) {
      this.issues.push(error('structure', `element '${node.name}' is not allowed here (the profile sets it to 0..0)`, at));
    } else if (count < node.min || count > node.max) {
      this.issues.push(error('structure', `expected ${cardinality(node)} values of '${node.name}', but found ${count}`, at));
    }
  }

  private checkSlices(sliced: ElementNode, items: readonly Item[], at: string, depth: number): void {
    const slicing = sliced.slicing;
    if (slicing === undefined) {
      return;
    }
    const counts = new Map<string, number>();
    for (const item of items) {
      const slice = slicing.slices.find((s) => s.matches(item));
      if (slice === undefined) {
        if (slicing.rules === 'closed') {
          this.issues.push(error('structure', `'${sliced.name}' value matches none of the slices the profile allows (slicing is closed)`, item.expression));
        }
        continue;
      }
      counts.set(slice.sliceName, (counts.get(slice.sliceName) ?? 0) + 1);
      this.checkValue(slice, item, false, depth);
    }
    for (const slice of slicing.slices) {
      const count = counts.get(slice.sliceName) ?? 0;
      if (count < slice.min || count > slice.max) {
        this.issues.push(error('structure', `slice '${slice.sliceName}' of '${sliced.name}': expected ${cardinality(slice)} values, but found ${count}`, at));
      }
    }
  }

  private checkSpecified(node: ElementNode, item: Item): void {
    const mismatch = (spec: SpecifiedValue, equal: (a: unknown, b: unknown) => boolean): boolean =>
      (node.choice && spec.type !== item.type) || !equal(item.value, spec.value);
    if (node.fixed !== undefined && mismatch(node.fixed, deepEqual)) {
      this.issues.push(error('value', `'${node.name}' must have the fixed value ${describeSpecified(node.fixed)}`, item.expression));
    }
    if (node.pattern !== undefined && mismatch(node.pattern, deepIncludes)) {
      this.issues.push(error('value', `'${node.name}' must match the pattern ${describeSpecified(node.pattern)}`, item.expression));
    }
  }

  private checkBinding(node: ElementNode, item: Item): void {
    const binding = node.binding;
    if (binding === undefined || !['code', 'Coding', 'CodeableConcept'].includes(item.type) || isInExpansion(binding.expansion, item.value)) {
      return;
    }
    const codes = binding.expansion.codes;
    const allowed = codes.length <= MAX_LISTED_CODES ? `; allowed codes: ${codes.join(', ')}` : '';
    const what = item.type === 'CodeableConcept' ? 'no coding is' : 'code is not';
    this.issues.push(error('value', `${what} in the required ValueSet ${binding.valueSet}${allowed}`, item.expression));
  }

  private checkConstraints(node: ElementNode, item: Item): void {
    const constraints = node.reuses === undefined ? node.constraints : [...node.constraints, ...node.reuses.constraints];
    if (constraints.length === 0) {
      return;
    }
    const base = fhirPathBase(node, item);
    for (const constraint of constraints) {
      const result = constraint.evaluate(base, item.value, this.resource);
      if (result === 'fail') {
        this.issues.push(error('invariant', `Constraint ${constraint.key} not met: ${constraint.human}`, item.expression));
      } else if (result === 'error') {
        this.issues.push({
          severity: 'warning',
          code: 'processing',
          diagnostics: `invariant ${constraint.key} could not be evaluated`,
          expression: [item.expression],
        });
      }
    }
  }

  /**
   * Checks the resource type a reference points at against the element's target profiles, when the target is
   * known (`Type/id`, or resolved inside the Bundle). Medplum already warns for `Type/id` references to core
   * targets on the elements it covers; the rest (local target profiles, `urn:uuid:` references) is ours.
   */
  private checkReferenceTarget(node: ElementNode, item: Item, covered: boolean): void {
    const value = item.value;
    const targets = node.types.find((t) => t.code === 'Reference')?.targetProfiles ?? [];
    if (!isJsonObject(value) || typeof value.reference !== 'string' || value.reference.startsWith('#') || targets.length === 0) {
      return;
    }
    this.ctx.requestTargetProfiles?.(value.reference, targets);
    const allowed = new Set<string>();
    for (const target of targets.map(stripVersion)) {
      const core = target.startsWith(HL7_STRUCTURE_DEFINITION) ? target.slice(HL7_STRUCTURE_DEFINITION.length) : undefined;
      const type = this.ctx.profiles.get(target)?.type ?? core;
      if (type === undefined || type === 'Resource') {
        return;
      }
      allowed.add(type);
    }
    const reference = value.reference;
    const typeAndId = TYPE_ID_REFERENCE.exec(reference);
    if (covered && typeAndId !== null && targets.every((t) => t.startsWith(HL7_STRUCTURE_DEFINITION))) {
      return;
    }
    // An absolute URL need not follow the RESTful pattern (`.../ig/vhdir/Network/x`): only R4 types are judged.
    const targetType = this.ctx.resolveReference?.(reference) ?? typeAndId?.[1] ?? RESTFUL_REFERENCE.exec(reference)?.[1];
    if (targetType === undefined || allowed.has(targetType) || !this.ctx.knownResourceTypes.has(targetType)) {
      return;
    }
    this.reported.add(item.expression);
    this.issues.push(error('structure', `reference must point at ${[...allowed].join(' or ')}, not at ${targetType}`, item.expression));
  }
}

/**
 * The values of `child` in `obj`. A primitive counts as present with only its `_name` extension sibling.
 * For a choice element, JSON names of types the profile does not allow are returned as `strayTypes`.
 */
function readItems(
  obj: JsonObject,
  child: ElementNode,
  parentExpression: string,
  siblings: ReadonlySet<string>,
  isKnownType: (name: string) => boolean,
): { items: Item[]; count: number; strayTypes: Item[] } {
  if (child.choice) {
    const base = child.name.slice(0, -3);
    const allowed = new Set(child.types.map((t) => t.code));
    const items: Item[] = [];
    const strayTypes: Item[] = [];
    let count = 0;
    for (const key of Object.keys(obj)) {
      const jsonName = key.startsWith('_') ? key.slice(1) : key;
      const suffix = jsonName.slice(base.length);
      if (!jsonName.startsWith(base) || !/^[A-Z]/.test(suffix) || siblings.has(jsonName) || (key !== jsonName && obj[jsonName] !== undefined)) {
        continue;
      }
      const type = lowerFirstIfPrimitive(suffix);
      if (!allowed.has(type) && !isKnownType(type)) {
        // Not a choice of this element at all: an unknown element, which the structural checks report.
        continue;
      }
      count += 1;
      const item = { value: obj[jsonName], type, expression: `${parentExpression}.${jsonName}` };
      (allowed.has(type) ? items : strayTypes).push(item);
    }
    return { items, count, strayTypes };
  }
  const raw = obj[child.name];
  const extension = obj[`_${child.name}`];
  if (Array.isArray(raw) || Array.isArray(extension)) {
    const values = Array.isArray(raw) ? (raw as unknown[]) : [];
    const count = Math.max(values.length, Array.isArray(extension) ? extension.length : 0);
    const items = values.map((value, i) => ({ value, type: typeOf(child, value), expression: `${parentExpression}.${child.name}[${i}]` }));
    return { items, count, strayTypes: [] };
  }
  const present = raw !== undefined || extension !== undefined;
  const items = raw === undefined ? [] : [{ value: raw, type: typeOf(child, raw), expression: `${parentExpression}.${child.name}` }];
  return { items, count: present ? 1 : 0, strayTypes: [] };
}

function typeOf(node: ElementNode, value: unknown): string {
  if (isJsonObject(value) && typeof value.resourceType === 'string') {
    return value.resourceType;
  }
  return node.types[0]?.code ?? 'Element';
}

/** fhirpath.js needs the FHIR type of the data, or the element path for backbone elements. */
function fhirPathBase(node: ElementNode, item: Item): string {
  if (node.backbone || node.reuses !== undefined) {
    return (node.reuses ?? node).path;
  }
  return item.type;
}

function cardinality(node: ElementNode): string {
  return `${node.min}..${Number.isFinite(node.max) ? String(node.max) : '*'}`;
}

/** Fixed and pattern values come from the profile, not the payload, so they may be shown (compactly). */
function describeSpecified(spec: SpecifiedValue): string {
  const value = spec.value;
  if (PRIMITIVE_TYPES.has(spec.type) || typeof value !== 'object') {
    return JSON.stringify(value);
  }
  const codings = isJsonObject(value) && Array.isArray(value.coding) ? (value.coding as unknown[]) : isJsonObject(value) && 'code' in value ? [value] : [];
  if (codings.length > 0) {
    const text = (v: unknown): string => (typeof v === 'string' ? v : '');
    return codings.map((c) => (isJsonObject(c) ? `${text(c.system)}#${text(c.code)}` : '')).join(', ');
  }
  const json = JSON.stringify(value);
  return json.length > 120 ? `${json.slice(0, 117)}...` : json;
}

function error(code: Issue['code'], diagnostics: string, expression: string): Issue {
  return { severity: 'error', code, diagnostics, expression: [expression] };
}
