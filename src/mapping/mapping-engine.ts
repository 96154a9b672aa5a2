import { deterministicId } from '../shared/index.ts';
import { GatewayError } from '../shared/index.ts';
import type { Issue } from '../shared/index.ts';
import { describeSelector, selectElements } from './selector.ts';
import type { Selector } from './selector.ts';
import { formatCopenhagenDateTime, isFailure, normaliseLookupKey } from './transforms.ts';
import type { MappedValue, TransformEnv, TransformOutput } from './transforms.ts';
import { childElements, textOf } from './xml-document.ts';
import type { OioxmlDocument, XmlElement } from './xml-document.ts';
import type { CompiledMapping, CompiledResource, CompiledValue, IdRule, Template, ValueModifiers } from './mapping-spec.ts';

/** The `sektorbro` UUID namespace for deterministic ids (docs/documents.md "Deterministic ids"). */


/** Caller-supplied facts the mapping may use; nothing here may vary between runs of the same input. */
export interface MappingContext {
  /** When the gateway received the message; used only where a spec asks for it (`fromContext`). */
  readonly receivedAt: Date;
  /** SOR id for a GLN/EAN, from the gateway's organisation directory (OIOXML carries no SOR ids). */
  readonly sorForGln?: ((gln: string) => string | undefined) | undefined;
}

export interface EngineResult {
  readonly bundle: Record<string, unknown>;
  readonly issues: Issue[];
}

/** Reference objects travel through value evaluation beside scalars. */
type Evaluated = MappedValue | { readonly reference: string };
type Json = Evaluated | Json[] | { [key: string]: Json };

interface Instance {
  readonly id: string;
  /** The `each` element the instance was made from, for `ref` matching inside `$each`. */
  readonly node: XmlElement | undefined;
  readonly context: XmlElement;
}

/** Caps the warnings one message can produce about unmapped source elements. */
const MAX_UNMAPPED_WARNINGS = 50;

/**
 * Runs a compiled mapping over a parsed OIOXML message and assembles the Bundle. Pure and deterministic:
 * ids are uuidv5 of source identifiers, times come from the message. Collects every missing required value
 * and throws one GatewayError 422 listing them (expression = the OIOXML path); otherwise returns the Bundle
 * with warnings, including one per source element no rule used (cf. FHIR-Converter's unused segments).
 */
export function runMapping(mapping: CompiledMapping, doc: OioxmlDocument, ctx: MappingContext): EngineResult {
  return new MappingRun(mapping, doc, ctx).run();
}

class MappingRun {
  private readonly root: XmlElement;
  private readonly env: TransformEnv;
  private readonly consumed = new Set<XmlElement>();
  private readonly warnings: Issue[] = [];
  private readonly errors: Issue[] = [];
  private readonly seenIssues = new Set<string>();
  private readonly instances = new Map<string, Instance[]>();
  private documentKey = '';

  constructor(
    private readonly mapping: CompiledMapping,
    doc: OioxmlDocument,
    private readonly ctx: MappingContext,
  ) {
    this.root = doc.root;
    this.env = { lookups: mapping.lookups, sorForGln: ctx.sorForGln };
  }

  run(): EngineResult {
    const { output } = this.mapping;
    const keySystem = this.first(this.mapping.documentKey.system, this.root);
    const keyValue = this.first(this.mapping.documentKey.value, this.root);
    if (keySystem === undefined || keyValue === undefined) {
      this.error('required', 'the document key (documentKey) cannot be derived from the message', firstPath(this.mapping.documentKey.value, this.root));
    }
    this.documentKey = `${String(keySystem)}|${String(keyValue)}`;

    for (const resource of this.mapping.resources) this.instantiate(resource);
    const bundleId = this.computeId(output.id, 'Bundle', this.root, 'Bundle');
    const timestamp = this.first(output.timestamp, this.root);
    const identifier =
      output.identifier === undefined
        ? undefined
        : { system: this.first(output.identifier.system, this.root), value: this.first(output.identifier.value, this.root) };

    const entries: Json[] = [];
    const seen = new Set<string>();
    for (const resource of this.mapping.resources) {
      for (const instance of this.instances.get(resource.key) ?? []) {
        if (seen.has(instance.id)) continue;
        seen.add(instance.id);
        const body = this.evalTemplate(resource.body, instance.context);
        const fields = typeof body === 'object' && !Array.isArray(body) && !isReference(body) ? body : {};
        entries.push({
          fullUrl: `urn:uuid:${instance.id}`,
          resource: { resourceType: resource.type, id: instance.id, meta: { profile: [resource.profile] }, ...fields },
        });
      }
    }
    this.reportUnmapped();
    if (this.errors.length > 0) {
      throw new GatewayError('mapping.source-incomplete', 422, this.errors);
    }
    const bundle: Record<string, unknown> = {
      resourceType: 'Bundle',
      id: bundleId,
      meta: { profile: [output.profile] },
      ...(identifier === undefined ? {} : { identifier }),
      type: output.kind,
      timestamp,
      entry: entries,
    };
    return { bundle, issues: this.warnings };
  }

  private instantiate(resource: CompiledResource): void {
    const list: Instance[] = [];
    const contexts = resource.each !== undefined ? selectElements(resource.each, this.root, this.root) : [this.contextFor(resource.context)];
    contexts.forEach((context, index) => {
      if (resource.when !== undefined && this.evalValue(resource.when, context).length === 0) return;
      const seed = `${resource.type}/${resource.key}${resource.each === undefined ? '' : `[${index + 1}]`}`;
      const id = this.computeId(resource.id, resource.type, context, seed);
      list.push({ id, node: resource.each === undefined ? undefined : context, context });
    });
    this.instances.set(resource.key, list);
  }

  /** A resource's context element; when absent, an empty stand-in that still names its path in issues. */
  private contextFor(selector: Selector | undefined): XmlElement {
    if (selector === undefined) return this.root;
    const [found] = selectElements(selector, this.root, this.root);
    return found ?? { kind: 'element', name: selector.steps.at(-1) ?? '', namespace: undefined, children: [], path: selector.source };
  }

  private computeId(rule: IdRule, type: string, context: XmlElement, seed: string): string {
    for (const candidate of rule.candidates) {
      const system = this.first(candidate.system, context);
      const value = this.first(candidate.value, context);
      if (system === undefined || value === undefined) continue;
      let input = `${type}|${String(system)}|${String(value)}`;
      if (candidate.qualifier !== undefined) {
        const qualifier = this.first(candidate.qualifier, context);
        if (qualifier === undefined) continue;
        input += `|${String(qualifier)}`;
      }
      return deterministicId(input);
    }
    if (rule.fallback === 'none') {
      this.error('required', `no identifier to derive the ${type} id from`, firstPath(rule.candidates[0]?.value, context));
    }
    return deterministicId(`${this.documentKey}|${seed}`);
  }

  private first(value: CompiledValue, context: XmlElement): MappedValue | undefined {
    const [v] = this.evalValue(value, context);
    return v === undefined || isReference(v) ? undefined : v;
  }

  private evalTemplate(template: Template, context: XmlElement): Json | undefined {
    switch (template.kind) {
      case 'value':
        return this.evalValue(template.value, context)[0];
      case 'object': {
        if (template.when !== undefined && this.evalValue(template.when, context).length === 0) return undefined;
        if (template.unless !== undefined && this.evalValue(template.unless, context).length > 0) return undefined;
        const out: Record<string, Json> = {};
        for (const [key, child] of template.fields) {
          const value = this.evalTemplate(child, context);
          if (value !== undefined) out[key] = value;
        }
        if (Object.keys(out).length === 0 || template.require.some((k) => out[k] === undefined)) return undefined;
        if (template.issue !== undefined) {
          const { severity, diagnostics, expression } = template.issue;
          this.addIssue({ severity, code: 'informational', diagnostics, ...(expression === undefined ? {} : { expression: [expression] }) });
        }
        return out;
      }
      case 'array': {
        const out: Json[] = [];
        const seen = new Set<string>();
        const push = (v: Json): void => {
          const key = JSON.stringify(v);
          if (seen.has(key)) return;
          seen.add(key);
          out.push(v);
        };
        for (const item of template.items) {
          const contexts = item.each === undefined ? [context] : selectElements(item.each, this.root, context);
          for (const c of contexts) {
            if (item.template.kind === 'value') {
              for (const v of this.evalValue(item.template.value, c)) push(v);
            } else {
              const v = this.evalTemplate(item.template, c);
              if (v !== undefined) push(v);
            }
          }
        }
        return out.length === 0 ? undefined : out;
      }
    }
  }

  private evalValue(value: CompiledValue, context: XmlElement): Evaluated[] {
    switch (value.kind) {
      case 'const':
        return [value.value];
      case 'ref': {
        const instances = this.instances.get(value.key) ?? [];
        const own = instances.filter((i) => i.node === context);
        const chosen = own.length > 0 ? own : instances;
        return chosen.map((i) => ({ reference: `urn:uuid:${i.id}` }));
      }
      case 'from':
        return this.evalFrom(value.selectors, value.mods, context);
      case 'concat': {
        const parts = value.parts.flatMap((p) => scalars(this.evalValue(p, context)).map(String)).filter((s) => s !== '');
        const joined = parts.length === 0 ? [] : [parts.join(value.separator)];
        return this.finish(this.applyTextChain(joined, value.mods), value.mods, firstPath(value, context));
      }
      case 'each': {
        const items = selectElements(value.selector, this.root, context).flatMap((node) => scalars(this.evalValue(value.item, node)));
        const strings = items.filter((v) => v !== '');
        const joined = value.separator === undefined ? strings : strings.length === 0 ? [] : [strings.map(String).join(value.separator)];
        return this.finish(this.applyTextChain(joined, value.mods), value.mods, firstPath(value, context));
      }
      case 'uuid': {
        const parts = scalars(this.evalValue(value.of, context));
        const ids = parts.length === 0 ? [] : [deterministicId(`${this.documentKey}|${parts.map(String).join('|')}`)];
        return this.finish(this.applyTextChain(ids, value.mods), value.mods, firstPath(value.of, context));
      }
      case 'fromContext':
        return this.finish(this.applyTextChain([formatCopenhagenDateTime(this.ctx.receivedAt)], value.mods), value.mods, 'receivedAt');
    }
  }

  private evalFrom(selectors: readonly Selector[], mods: ValueModifiers, context: XmlElement): Evaluated[] {
    let matched: XmlElement[] = [];
    for (const selector of selectors) {
      matched = selectElements(selector, this.root, context);
      if (matched.length > 0) break;
    }
    const [firstSelector] = selectors;
    const path = matched[0]?.path ?? (firstSelector === undefined ? '' : describeSelector(firstSelector, context));
    for (const m of matched) this.consumed.add(m);
    const [head, ...rest] = mods.transforms;
    let values: MappedValue[];
    let failure: string | undefined;
    if (head !== undefined && head.definition.input === 'element') {
      const out = matched.length === 0 ? undefined : head.definition.apply(matched, head.params, this.env);
      ({ values, failure } = collect(out));
      const chained = this.applyTextChain(values, { ...mods, transforms: rest });
      return this.finish(chained, mods, path, failure);
    }
    values = matched.map(textOf).filter((t) => t !== '');
    return this.finish(this.applyTextChain(values, mods), mods, path);
  }

  /** Runs the text transforms of a chain; failures are remembered so `finish` can report them. */
  private lastFailure: string | undefined;

  private applyTextChain(values: readonly MappedValue[], mods: ValueModifiers): MappedValue[] {
    let current = [...values];
    this.lastFailure = undefined;
    for (const t of mods.transforms) {
      if (t.definition.input !== 'text') continue;
      const next: MappedValue[] = [];
      for (const v of current) {
        const { values: out, failure } = collect(t.definition.apply(v, t.params, this.env));
        if (failure !== undefined) this.lastFailure = failure;
        next.push(...out);
      }
      current = next;
    }
    return current;
  }

  /** Lookup, equals, prefix/suffix, default and the required check, in that order. */
  private finish(values: MappedValue[], mods: ValueModifiers, path: string, elementFailure?: string): Evaluated[] {
    const failure = elementFailure ?? this.lastFailure;
    this.lastFailure = undefined;
    let out = values;
    if (mods.lookup !== undefined) {
      const table = this.mapping.lookups.get(mods.lookup);
      const mapped: MappedValue[] = [];
      for (const v of out) {
        const hit = table?.get(normaliseLookupKey(String(v)));
        if (hit === undefined) {
          this.addIssue({
            severity: 'warning',
            code: 'value',
            diagnostics: `a code in the OIOXML element is not in lookup table '${mods.lookup}' and was left out; expression gives its XML path`,
            expression: [path],
          });
        } else {
          mapped.push(hit);
        }
      }
      out = mapped;
    }
    if (mods.equals !== undefined) {
      const wanted = normaliseLookupKey(mods.equals);
      out = out.filter((v) => normaliseLookupKey(String(v)) === wanted);
    }
    if (mods.prefix !== undefined || mods.suffix !== undefined) {
      out = out.map((v) => `${mods.prefix ?? ''}${String(v)}${mods.suffix ?? ''}`);
    }
    if (out.length === 0 && mods.default !== undefined) out = [mods.default];
    if (out.length === 0) {
      const reason = failure === undefined ? 'is missing or empty' : `is not ${failure}`;
      if (mods.required === 'error') {
        this.error(failure === undefined ? 'required' : 'value', `required OIOXML element ${reason}; expression gives its XML path`, path);
      } else if (mods.required === 'warning' || failure !== undefined) {
        this.addIssue({
          severity: 'warning',
          code: failure === undefined ? 'required' : 'value',
          diagnostics: `OIOXML element ${reason} and was left out; expression gives its XML path`,
          expression: [path],
        });
      }
    }
    return out;
  }

  private error(code: Issue['code'], diagnostics: string, path: string): void {
    const issue: Issue = { severity: 'error', code, diagnostics, expression: [path] };
    const key = issueKey(issue);
    if (this.seenIssues.has(key)) return;
    this.seenIssues.add(key);
    this.errors.push(issue);
  }

  private addIssue(issue: Issue): void {
    const key = issueKey(issue);
    if (this.seenIssues.has(key)) return;
    this.seenIssues.add(key);
    this.warnings.push(issue);
  }

  private reportUnmapped(): void {
    // TypeCode and VersionCode were read by recognition, before the engine ran.
    const recognition: Selector = { source: 'Letter', relative: false, steps: [this.mapping.match.root, 'Letter'] };
    const letterCodes = selectElements(recognition, this.root, this.root).flatMap((l) =>
      childElements(l).filter((c) => c.name === 'TypeCode' || c.name === 'VersionCode'),
    );
    const ignored = new Set([...letterCodes, ...this.mapping.ignore.flatMap((s) => selectElements(s, this.root, this.root))]);
    const unmapped: string[] = [];
    const walk = (element: XmlElement, covered: boolean): void => {
      const isCovered = covered || this.consumed.has(element) || ignored.has(element);
      const children = childElements(element);
      if (children.length === 0) {
        if (!isCovered) unmapped.push(element.path);
        return;
      }
      for (const child of children) walk(child, isCovered);
    };
    for (const child of childElements(this.root)) walk(child, false);
    for (const path of unmapped.slice(0, MAX_UNMAPPED_WARNINGS)) {
      this.addIssue({
        severity: 'warning',
        code: 'informational',
        diagnostics: 'OIOXML element not mapped by this mapping (its content is not in the FHIR output); expression gives its XML path',
        expression: [path],
      });
    }
    if (unmapped.length > MAX_UNMAPPED_WARNINGS) {
      this.addIssue({
        severity: 'warning',
        code: 'informational',
        diagnostics: `${unmapped.length - MAX_UNMAPPED_WARNINGS} further unmapped OIOXML elements not listed`,
      });
    }
  }
}

function collect(out: TransformOutput): { values: MappedValue[]; failure: string | undefined } {
  if (out === undefined) return { values: [], failure: undefined };
  if (isFailure(out)) return { values: [], failure: out.expected };
  if (Array.isArray(out)) return { values: (out as readonly MappedValue[]).filter((v) => v !== ''), failure: undefined };
  return { values: out === '' ? [] : [out as MappedValue], failure: undefined };
}

const isReference = (v: unknown): v is { readonly reference: string } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { reference?: unknown }).reference === 'string' && Object.keys(v).length === 1;

const scalars = (values: readonly Evaluated[]): MappedValue[] => values.filter((v): v is MappedValue => !isReference(v));

const issueKey = (i: Issue): string => `${i.severity}|${i.code}|${i.diagnostics}|${i.expression?.join(',') ?? ''}`;

/** The XML path an issue about `value` should name: its first selector, spelt out from the context. */
function firstPath(value: CompiledValue | undefined, context: XmlElement): string {
  if (value === undefined) return context.path;
  switch (value.kind) {
    case 'from': {
      const [selector] = value.selectors;
      return selector === undefined ? context.path : describeSelector(selector, context);
    }
    case 'concat':
      for (const part of value.parts) {
        const path = firstPath(part, context);
        if (path !== context.path) return path;
      }
      return context.path;
    case 'each':
      return describeSelector(value.selector, context);
    case 'uuid':
      return firstPath(value.of, context);
    case 'const':
    case 'ref':
    case 'fromContext':
      return context.path;
  }
}
