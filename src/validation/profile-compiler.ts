import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4';
import { constraintId } from './base-definitions.ts';
import { loadError, stripVersion } from './conformance-loader.ts';
import type { Loaded } from './conformance-loader.ts';
import type { Expansion, Terminology } from './terminology.ts';
import { choiceKey, deepEqual, deepIncludes, isJsonObject } from './values.ts';
import type { JsonObject } from './values.ts';

/** An allowed type of an element, with the profiles its value (or, for references, its target) must meet. */
export interface TypeRef {
  readonly code: string;
  readonly profiles: readonly string[];
  readonly targetProfiles: readonly string[];
}

/** A fixed or pattern value: `type` is the FHIR type from the `fixed[x]`/`pattern[x]` key. */
export interface SpecifiedValue {
  readonly type: string;
  readonly value: unknown;
}

export type ConstraintResult = 'pass' | 'fail' | 'error';

/**
 * An invariant (ElementDefinition.constraint) with severity error, evaluated with fhirpath.js. It fails when
 * the expression yields anything but `true`, except an empty result: FHIRPath propagates empty through
 * functions (`fullUrl.contains('/_history/').not()` is empty on an entry without fullUrl), so empty means the
 * rule does not apply, as Medplum and the R4 examples assume. Cardinality rules catch missing elements.
 */
export interface CompiledConstraint {
  readonly key: string;
  readonly human: string;
  readonly expression: string;
  /** `base` is the FHIR type of `data` (or the backbone element's path), as fhirpath.js needs it for choice types. */
  evaluate(base: string, data: unknown, resource: JsonObject): ConstraintResult;
  /** Compiles the evaluator for `base` ahead of the first request. */
  prepare(base: string): void;
}

/** One element of a profile snapshot, linked into a tree by element id. */
export interface ElementNode {
  readonly id: string;
  readonly path: string;
  /** Last path segment: `identifier`, `value[x]`. */
  readonly name: string;
  readonly choice: boolean;
  readonly min: number;
  /** `Infinity` for `*`. */
  readonly max: number;
  readonly types: readonly TypeRef[];
  readonly fixed?: SpecifiedValue;
  readonly pattern?: SpecifiedValue;
  /** A required binding to a ValueSet expanded locally. */
  readonly binding?: { readonly valueSet: string; readonly expansion: Expansion };
  readonly constraints: readonly CompiledConstraint[];
  readonly children: readonly ElementNode[];
  readonly slicing?: Slicing;
  readonly sliceName?: string;
  /** A BackboneElement (or Element) with children: Medplum crawls values below it with the base type, not the profile. */
  readonly backbone: boolean;
  /** For `contentReference` elements (`Questionnaire.item.item`): the element whose definition they reuse. */
  readonly reuses?: ElementNode;
}

export interface Slicing {
  readonly rules: 'open' | 'closed' | 'openAtEnd';
  readonly slices: readonly SliceNode[];
}

/** A value at an element: the JSON value and its FHIR type (for choices, from the JSON name). */
export interface ElementValue {
  readonly value: unknown;
  readonly type: string;
}

export interface SliceNode extends ElementNode {
  readonly sliceName: string;
  /** True when the value belongs to this slice (all discriminators match). */
  matches(item: ElementValue): boolean;
}

export interface CompiledProfile {
  readonly url: string;
  /** The constrained type: a resource type, or `Extension` etc. */
  readonly type: string;
  readonly source: string;
  readonly structureDefinition: fhir4.StructureDefinition;
  readonly root: ElementNode;
  /** FHIRPath of every invariant this profile's checker evaluates (to drop Medplum's reports of the same). */
  readonly constraintExpressions: ReadonlySet<string>;
}

/**
 * Invariants the checker never evaluates: `ele-1` (the structural checks cover it, and it would run on every
 * element), `dom-3` (fhirpath.js rejects its `descendants().as(canonical)` on collections), and those Medplum also
 * skips for being historic (`org-1`, `sdf-19`).
 */
const SKIPPED_CONSTRAINTS: ReadonlySet<string> = new Set(['ele-1', 'dom-3', 'org-1', 'sdf-19']);

/** FHIRPath functions fhirpath.js cannot run synchronously or at all; invariants using them are not evaluated. */
const UNSUPPORTED_FUNCTIONS: ReadonlySet<string> = new Set(['resolve', 'memberOf', 'conformsTo', 'subsumes', 'subsumedBy', 'hasTemplateIdOf']);

/** Our own invariants must be enforceable: one we cannot evaluate stops start-up. */
const OWN_CONSTRAINT_PREFIX = 'sb-';

const FHIRPATH_SYSTEM_TYPES: Readonly<Record<string, string>> = {
  'http://hl7.org/fhirpath/System.String': 'string',
  'http://hl7.org/fhirpath/System.Boolean': 'boolean',
  'http://hl7.org/fhirpath/System.Integer': 'integer',
  'http://hl7.org/fhirpath/System.Decimal': 'decimal',
  'http://hl7.org/fhirpath/System.Date': 'date',
  'http://hl7.org/fhirpath/System.DateTime': 'dateTime',
  'http://hl7.org/fhirpath/System.Time': 'time',
};

const FHIR_TYPE_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type';

interface MutableNode {
  id: string;
  path: string;
  name: string;
  choice: boolean;
  min: number;
  max: number;
  types: TypeRef[];
  fixed?: SpecifiedValue;
  pattern?: SpecifiedValue;
  binding?: { valueSet: string; expansion: Expansion };
  constraints: CompiledConstraint[];
  children: MutableNode[];
  slicing?: { rules: 'open' | 'closed' | 'openAtEnd'; discriminators: readonly Discriminator[]; slices: MutableNode[] };
  sliceName?: string;
  backbone: boolean;
  contentReference?: string;
  reuses?: MutableNode;
  matches?: (item: ElementValue) => boolean;
}

interface Discriminator {
  readonly type: string;
  readonly path: string;
}

export interface CompileOptions {
  readonly terminology: Terminology;
  /** Required bindings to missing ValueSets under this base stop start-up. */
  readonly localCanonicalBase: string;
  /**
   * The invariants of the R4 base types (`path|key`, see `constraintId`). Medplum evaluates those on every
   * resource it validates (all of a Bundle's entries included), so the checker evaluates only those profiles add.
   */
  readonly baseConstraints: ReadonlySet<string>;
  /**
   * Published packages (MedCom, DK Core) bind elements to ValueSets defined by filters or whole external code
   * systems, which only a terminology server can expand: with this set, such a required binding is left
   * unchecked instead of stopping start-up. Our own profiles never set it.
   */
  readonly skipUnexpandableBindings?: boolean;
}

/**
 * Compiles profile snapshots into element trees the checker walks: invariants parsed, required bindings
 * resolved to local expansions, slice discriminators turned into matchers. A profile rule the checker could
 * not enforce (an `sb-` invariant using `resolve()`, a discriminator it cannot evaluate, a required binding to a
 * local ValueSet that needs a terminology server) stops start-up with an Error naming the file.
 */
export function compileProfiles(structureDefinitions: readonly Loaded<fhir4.StructureDefinition>[], options: CompileOptions): Map<string, CompiledProfile> {
  const trees = new Map<string, { loaded: Loaded<fhir4.StructureDefinition>; root: MutableNode; byId: Map<string, MutableNode> }>();
  for (const loaded of structureDefinitions) {
    const { root, byId } = buildTree(loaded, options);
    trees.set(loaded.resource.url, { loaded, root, byId });
  }
  const rootOf = (profileUrl: string): MutableNode | undefined => trees.get(stripVersion(profileUrl))?.root;
  const profiles = new Map<string, CompiledProfile>();
  for (const [url, { loaded, root, byId }] of trees) {
    for (const node of byId.values()) {
      if (node.slicing !== undefined) {
        for (const slice of node.slicing.slices) {
          slice.matches = compileSliceMatcher(node, slice, node.slicing.discriminators, rootOf, loaded.source);
        }
      }
    }
    const constraintExpressions = new Set<string>();
    for (const node of byId.values()) {
      for (const constraint of node.constraints) {
        constraintExpressions.add(constraint.expression);
        fhirPathBases(node, node === root ? loaded.resource.type : undefined).forEach((base) => {
          constraint.prepare(base);
        });
      }
    }
    // Every slice now has its sliceName and matcher, so the tree is a complete ElementNode tree.
    const complete = root as unknown as ElementNode;
    profiles.set(url, { url, type: loaded.resource.type, source: loaded.source, structureDefinition: loaded.resource, root: complete, constraintExpressions });
  }
  return profiles;
}

function buildTree(loaded: Loaded<fhir4.StructureDefinition>, options: CompileOptions): { root: MutableNode; byId: Map<string, MutableNode> } {
  const elements = loaded.resource.snapshot?.element ?? [];
  const byId = new Map<string, MutableNode>();
  let root: MutableNode | undefined;
  for (const element of elements) {
    const node = toNode(element, loaded, options);
    if (byId.has(node.id)) {
      throw loadError(loaded.source, `has two snapshot elements with id ${node.id}`);
    }
    byId.set(node.id, node);
    if (root === undefined) {
      root = node;
      continue;
    }
    const lastDot = node.id.lastIndexOf('.');
    const parentId = node.id.slice(0, lastDot);
    const segment = node.id.slice(lastDot + 1);
    const colon = segment.indexOf(':');
    if (colon !== -1) {
      const sliceName = segment.slice(colon + 1);
      const slash = sliceName.lastIndexOf('/');
      const slicedId = `${parentId}.${slash === -1 ? segment.slice(0, colon) : segment.slice(0, colon + 1 + slash)}`;
      const sliced = byId.get(slicedId);
      if (sliced?.slicing === undefined) {
        throw loadError(loaded.source, `has slice ${node.id} without slicing on ${slicedId}`);
      }
      node.sliceName = element.sliceName ?? sliceName;
      sliced.slicing.slices.push(node);
      continue;
    }
    const parent = byId.get(parentId);
    if (parent === undefined) {
      throw loadError(loaded.source, `has snapshot element ${node.id} whose parent is not in the snapshot`);
    }
    parent.children.push(node);
  }
  if (root === undefined) {
    throw loadError(loaded.source, 'has an empty snapshot');
  }
  for (const node of byId.values()) {
    node.backbone = node.types.length === 1 && (node.types[0]?.code === 'BackboneElement' || node.types[0]?.code === 'Element') && node.children.length > 0;
    if (node.contentReference !== undefined) {
      const target = byId.get(node.contentReference.slice(node.contentReference.indexOf('#') + 1));
      if (target === undefined) {
        throw loadError(loaded.source, `has element ${node.id} whose contentReference is not in the snapshot`);
      }
      node.reuses = target;
      node.backbone = true;
    }
  }
  return { root, byId };
}

function toNode(element: fhir4.ElementDefinition, loaded: Loaded<fhir4.StructureDefinition>, options: CompileOptions): MutableNode {
  const id = element.id ?? '';
  if (id === '' || element.path === '') {
    throw loadError(loaded.source, 'has a snapshot element without id or path');
  }
  const name = element.path.slice(element.path.lastIndexOf('.') + 1);
  const specified = (prefix: 'fixed' | 'pattern'): SpecifiedValue | undefined => {
    const key = Object.keys(element).find((k) => k.startsWith(prefix) && k.length > prefix.length);
    return key === undefined ? undefined : { type: lowerFirstIfPrimitive(key.slice(prefix.length)), value: (element as unknown as JsonObject)[key] };
  };
  const fixed = specified('fixed');
  const pattern = specified('pattern');
  const binding = compileBinding(element, loaded, options);
  const node: MutableNode = {
    id,
    path: element.path,
    name,
    choice: name.endsWith('[x]'),
    min: element.min ?? 0,
    max: element.max === undefined || element.max === '*' ? Number.POSITIVE_INFINITY : Number(element.max),
    types: (element.type ?? []).map(toTypeRef),
    constraints: (element.constraint ?? [])
      .filter((c) => !isBaseConstraint(c, element.path, options.baseConstraints))
      .flatMap((c) => compileConstraint(c, id, loaded.source)),
    children: [],
    backbone: false,
    ...(fixed === undefined ? {} : { fixed }),
    ...(pattern === undefined ? {} : { pattern }),
    ...(binding === undefined ? {} : { binding }),
    ...(element.contentReference === undefined ? {} : { contentReference: element.contentReference }),
  };
  if (element.slicing !== undefined) {
    node.slicing = {
      rules: element.slicing.rules,
      discriminators: (element.slicing.discriminator ?? []).map((d) => ({ type: d.type, path: d.path })),
      slices: [],
    };
  }
  return node;
}

/**
 * A base invariant sits on the same path in the base type; one inherited onto a path the base type does not
 * have (a datatype's element expanded into a profile) still names its core definition as `source`.
 */
function isBaseConstraint(constraint: fhir4.ElementDefinitionConstraint, path: string, base: ReadonlySet<string>): boolean {
  if (base.has(constraintId(path, constraint.key))) {
    return true;
  }
  return constraint.source?.startsWith(HL7_STRUCTURE_DEFINITION) === true && keysOf(base).has(constraint.key);
}

const baseKeys = new WeakMap<ReadonlySet<string>, ReadonlySet<string>>();

function keysOf(base: ReadonlySet<string>): ReadonlySet<string> {
  let keys = baseKeys.get(base);
  if (keys === undefined) {
    keys = new Set([...base].map((id) => id.slice(id.lastIndexOf('|') + 1)));
    baseKeys.set(base, keys);
  }
  return keys;
}

const HL7_STRUCTURE_DEFINITION = 'http://hl7.org/fhir/StructureDefinition/';

function toTypeRef(type: fhir4.ElementDefinitionType): TypeRef {
  const declared = type.extension?.find((e) => e.url === FHIR_TYPE_EXTENSION)?.valueUrl;
  const code = declared ?? FHIRPATH_SYSTEM_TYPES[type.code] ?? type.code;
  return { code, profiles: type.profile ?? [], targetProfiles: type.targetProfile ?? [] };
}

/**
 * Only required bindings are enforced, and only to ValueSets held locally: others (core, DK Core) are left to
 * the JSON schema's enums or not checked. A required binding to a local ValueSet that cannot be expanded, or to
 * a missing one under our own canonical base, stops start-up.
 */
function compileBinding(
  element: fhir4.ElementDefinition,
  loaded: Loaded<fhir4.StructureDefinition>,
  options: CompileOptions,
): { valueSet: string; expansion: Expansion } | undefined {
  const { terminology, localCanonicalBase: localBase } = options;
  const binding = element.binding;
  if (binding?.strength !== 'required' || binding.valueSet === undefined) {
    return undefined;
  }
  const valueSet = stripVersion(binding.valueSet);
  const result = terminology.expand(valueSet);
  if (result === undefined) {
    if (valueSet.startsWith(localBase)) {
      throw loadError(loaded.source, `binds ${element.id ?? element.path} to ValueSet ${valueSet}, which is not in the profiles folder`);
    }
    return undefined;
  }
  if (!result.ok) {
    if (options.skipUnexpandableBindings === true) {
      return undefined;
    }
    throw loadError(
      loaded.source,
      `binds ${element.id ?? element.path} (required) to ValueSet ${valueSet} (${terminology.sourceOf(valueSet) ?? '?'}), which ${result.reason}`,
    );
  }
  return { valueSet, expansion: result.expansion };
}

type Evaluator = (data: unknown, env: Record<string, unknown>) => unknown;

/**
 * Parsing FHIRPath costs 0.1-2 ms and the same invariants (dom-2, ext-1, ...) recur on many elements of many
 * profiles, so parses and compiled evaluators are shared, keyed by expression (and base). Both are pure.
 */
const parsedFunctions = new Map<string, ReadonlySet<string> | Error>();
const evaluators = new Map<string, Evaluator>();

function functionsOf(expression: string): ReadonlySet<string> | Error {
  let functions = parsedFunctions.get(expression);
  if (functions === undefined) {
    try {
      functions = functionNames(fhirpath.parse(expression));
    } catch (e) {
      functions = e instanceof Error ? e : new Error('FHIRPath does not parse');
    }
    parsedFunctions.set(expression, functions);
  }
  return functions;
}

function evaluatorFor(base: string, expression: string): Evaluator {
  const key = `${base}\u0000${expression}`;
  let evaluator = evaluators.get(key);
  if (evaluator === undefined) {
    evaluator = fhirpath.compile({ base, expression }, r4) as Evaluator;
    evaluators.set(key, evaluator);
  }
  return evaluator;
}

function compileConstraint(constraint: fhir4.ElementDefinitionConstraint, elementId: string, source: string): CompiledConstraint[] {
  const expression = constraint.expression;
  if (constraint.severity !== 'error' || SKIPPED_CONSTRAINTS.has(constraint.key) || expression === undefined || expression === '') {
    return [];
  }
  const own = constraint.key.startsWith(OWN_CONSTRAINT_PREFIX);
  const functions = functionsOf(expression);
  if (functions instanceof Error) {
    if (own) {
      throw loadError(source, `has invariant ${constraint.key} on ${elementId} whose FHIRPath does not parse`, functions);
    }
    return [];
  }
  const unsupported = [...functions].find((f) => UNSUPPORTED_FUNCTIONS.has(f));
  if (unsupported !== undefined) {
    if (own) {
      throw loadError(source, `has invariant ${constraint.key} on ${elementId} using ${unsupported}(), which the validator cannot evaluate`);
    }
    return [];
  }
  return [
    {
      key: constraint.key,
      human: constraint.human,
      expression,
      prepare(base) {
        evaluatorFor(base, expression);
      },
      evaluate(base, data, resource) {
        try {
          const result = evaluatorFor(base, expression)(data, { resource, rootResource: resource });
          return Array.isArray(result) && (result.length === 0 || (result.length === 1 && result[0] === true)) ? 'pass' : 'fail';
        } catch {
          return 'error';
        }
      },
    },
  ];
}

/**
 * The FHIRPath bases a node's values can have: the profiled type at the root, the element path for backbone
 * elements, else each allowed type (a `Resource` element's base is only known per value).
 */
function fhirPathBases(node: MutableNode, rootType: string | undefined): string[] {
  if (rootType !== undefined) {
    return [rootType];
  }
  if (node.backbone || node.reuses !== undefined) {
    return [(node.reuses ?? node).path];
  }
  return node.types.map((t) => t.code).filter((code) => code !== 'Resource' && code !== 'BackboneElement' && code !== 'Element');
}

/** Names of the functions a parsed FHIRPath expression invokes. */
function functionNames(ast: unknown): Set<string> {
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (!isJsonObject(node)) {
      return;
    }
    if (node.type === 'FunctionInvocation' && typeof node.text === 'string') {
      names.add(node.text);
    }
    if (Array.isArray(node.children)) {
      node.children.forEach(visit);
    }
  };
  visit(ast);
  return names;
}

/** FHIR primitive type names, as they appear lower-case in type codes and capitalised in JSON choice names. */
export const PRIMITIVE_TYPES: ReadonlySet<string> = new Set([
  'base64Binary',
  'boolean',
  'canonical',
  'code',
  'date',
  'dateTime',
  'decimal',
  'id',
  'instant',
  'integer',
  'markdown',
  'oid',
  'positiveInt',
  'string',
  'time',
  'unsignedInt',
  'uri',
  'url',
  'uuid',
  'xhtml',
]);

/** `DateTime` (from `valueDateTime`) → `dateTime`; `CodeableConcept` stays. */
export function lowerFirstIfPrimitive(suffix: string): string {
  const lower = suffix.charAt(0).toLowerCase() + suffix.slice(1);
  return PRIMITIVE_TYPES.has(lower) ? lower : suffix;
}

type Matcher = (item: ElementValue) => boolean;

/**
 * Builds the test that assigns a value to a slice: every discriminator must match. Supports `value` and
 * `pattern` (a fixed or pattern value, or a required binding, at the discriminator path), `exists`, `type` and
 * `profile` (on declared `meta.profile`). https://hl7.org/fhir/R4/profiling.html#discriminator
 */
function compileSliceMatcher(
  sliced: MutableNode,
  slice: MutableNode,
  discriminators: readonly Discriminator[],
  rootOf: (profileUrl: string) => MutableNode | undefined,
  source: string,
): Matcher {
  if (discriminators.length === 0) {
    throw loadError(source, `slices ${sliced.id} without a discriminator, which the validator cannot evaluate`);
  }
  const matchers = discriminators.map((d) => compileDiscriminator(d, slice, rootOf, source));
  return (item) => matchers.every((m) => m(item));
}

function compileDiscriminator(d: Discriminator, slice: MutableNode, rootOf: (profileUrl: string) => MutableNode | undefined, source: string): Matcher {
  const fail = (why: string): Error => loadError(source, `slice ${slice.id}: discriminator ${d.type} '${d.path}' ${why}`);
  const segments = parseDiscriminatorPath(d.path);
  if (segments === undefined) {
    throw fail('uses a path the validator cannot evaluate');
  }
  const target = findElement(slice, segments, rootOf);
  const read = (item: ElementValue): unknown[] => readPath(item.value, segments);
  switch (d.type) {
    case 'value':
    case 'pattern': {
      const expected = target?.fixed ?? target?.pattern ?? implicitExtensionUrl(slice, segments);
      if (expected !== undefined) {
        const exact = target?.fixed !== undefined;
        return (item) => read(item).some((v) => (exact ? deepEqual(v, expected.value) : deepIncludes(v, expected.value)));
      }
      const expansion = target?.binding?.expansion;
      if (expansion !== undefined) {
        return (item) => read(item).some((v) => isInExpansion(expansion, v));
      }
      throw fail('has no fixed value, pattern or required binding to match');
    }
    case 'exists': {
      if (target === undefined || (target.min === 0 && target.max !== 0)) {
        throw fail('does not say whether the element must exist');
      }
      const mustExist = target.min > 0;
      return (item) => read(item).length > 0 === mustExist;
    }
    case 'type': {
      const codes = new Set((target ?? slice).types.map((t) => t.code));
      if (codes.size === 0) {
        throw fail('names no type');
      }
      if (segments.length > 0 && target?.choice === true) {
        // A choice element (`payload.content[x]`): the JSON name (`contentString`) carries the type.
        const parent = segments.slice(0, -1);
        const name = target.name.slice(0, -3);
        return (item) => readPath(item.value, parent).some((v) => isJsonObject(v) && codes.has(choiceTypeOf(v, name) ?? ''));
      }
      const isResourceOfType = (v: unknown): boolean => isJsonObject(v) && typeof v.resourceType === 'string' && codes.has(v.resourceType);
      return (item) => (segments.length === 0 ? codes.has(item.type) : read(item).some(isResourceOfType));
    }
    case 'profile': {
      const profiles = new Set((target ?? slice).types.flatMap((t) => t.profiles.map(stripVersion)));
      if (profiles.size === 0) {
        throw fail('names no profile');
      }
      return (item) => read(item).some((v) => declaredProfiles(v).some((p) => profiles.has(p)));
    }
    default:
      throw fail('is not supported by the validator');
  }
}

/** A step of a discriminator path: an element name, or `extension('url')` (the extensions with that url). */
interface PathSegment {
  readonly name: string;
  readonly extensionUrl?: string;
}

const EXTENSION_SEGMENT = /^extension\('([^']+)'\)$/;

/**
 * Parses the FHIRPath subset discriminators use (https://hl7.org/fhir/R4/profiling.html#discriminator): element
 * names, `extension('url')`, and a leading `$this.`, which names the sliced element itself and can be dropped.
 * Undefined for anything else (`resolve()`, `ofType()`), which the checker cannot evaluate.
 */
function parseDiscriminatorPath(path: string): PathSegment[] | undefined {
  const relative = path === '$this' ? '' : path.startsWith('$this.') ? path.slice('$this.'.length) : path;
  if (relative === '') {
    return [];
  }
  const segments: PathSegment[] = [];
  for (const raw of relative.match(/extension\('[^']*'\)|[^.]+/g) ?? []) {
    const extension = EXTENSION_SEGMENT.exec(raw);
    if (extension !== null) {
      segments.push({ name: 'extension', extensionUrl: extension[1] ?? '' });
    } else if (/^[A-Za-z][A-Za-z0-9]*$/.test(raw)) {
      segments.push({ name: raw });
    } else {
      return undefined;
    }
  }
  return segments;
}

/** The type a choice element has in `obj`, from its JSON name: `contentString` → `string`. */
function choiceTypeOf(obj: JsonObject, name: string): string | undefined {
  const key = choiceKey(obj, name);
  return key === undefined ? undefined : lowerFirstIfPrimitive(key.slice(name.length));
}

/**
 * Finds the element at `segments` below `node`, following a single type profile where the snapshot stops. For
 * `extension('url')` it takes the extension slice whose profile is that url, else the extension definition itself.
 */
function findElement(node: MutableNode, segments: readonly PathSegment[], rootOf: (profileUrl: string) => MutableNode | undefined): MutableNode | undefined {
  let current: MutableNode | undefined = node;
  for (const segment of segments) {
    if (current === undefined) {
      return undefined;
    }
    let children: MutableNode[] = current.reuses?.children ?? current.children;
    if (children.length === 0) {
      const profile = singleTypeProfile(current);
      children = profile === undefined ? [] : (rootOf(profile)?.children ?? []);
    }
    const name = segment.name;
    const element: MutableNode | undefined = children.find((c) => c.name === name || (c.choice && c.name.slice(0, -3) === name));
    const url = segment.extensionUrl;
    current =
      url === undefined
        ? element
        : (element?.slicing?.slices.find((s) => {
            const profile = singleTypeProfile(s);
            return profile !== undefined && stripVersion(profile) === url;
          }) ?? rootOf(url));
  }
  return current;
}

/** An extension's `url` equals the canonical URL of its definition, even when the snapshot does not repeat it. */
function implicitExtensionUrl(slice: MutableNode, segments: readonly PathSegment[]): SpecifiedValue | undefined {
  const profile = singleTypeProfile(slice);
  if (segments.length !== 1 || segments[0]?.name !== 'url' || segments[0].extensionUrl !== undefined || slice.types[0]?.code !== 'Extension' || profile === undefined) {
    return undefined;
  }
  return { type: 'uri', value: stripVersion(profile) };
}

export function singleTypeProfile(node: { readonly types: readonly TypeRef[] }): string | undefined {
  const [only, ...rest] = node.types;
  if (only === undefined || rest.length > 0) {
    return undefined;
  }
  const [profile, ...more] = only.profiles;
  return more.length > 0 ? undefined : profile;
}

function readPath(value: unknown, segments: readonly PathSegment[]): unknown[] {
  let current: unknown[] = [value];
  for (const segment of segments) {
    const next: unknown[] = [];
    for (const v of current) {
      if (!isJsonObject(v)) {
        continue;
      }
      const child = v[segment.name] ?? v[choiceKey(v, segment.name) ?? ''];
      const values = Array.isArray(child) ? (child as unknown[]) : child === undefined ? [] : [child];
      const url = segment.extensionUrl;
      next.push(...(url === undefined ? values : values.filter((e) => isJsonObject(e) && e.url === url)));
    }
    current = next;
  }
  return current.filter((v) => v !== undefined && v !== null);
}

function declaredProfiles(value: unknown): string[] {
  if (!isJsonObject(value) || !isJsonObject(value.meta) || !Array.isArray(value.meta.profile)) {
    return [];
  }
  return (value.meta.profile as unknown[]).filter((p): p is string => typeof p === 'string').map(stripVersion);
}

/** Membership of a `code`, Coding or CodeableConcept value in an expansion. */
export function isInExpansion(expansion: Expansion, value: unknown): boolean {
  if (typeof value === 'string') {
    return expansion.hasCode(value);
  }
  if (!isJsonObject(value)) {
    return false;
  }
  if (Array.isArray(value.coding)) {
    return (value.coding as unknown[]).some((c) => isJsonObject(c) && isCodingIn(expansion, c));
  }
  return isCodingIn(expansion, value);
}

function isCodingIn(expansion: Expansion, coding: JsonObject): boolean {
  return typeof coding.code === 'string' && expansion.has(typeof coding.system === 'string' ? coding.system : undefined, coding.code);
}
