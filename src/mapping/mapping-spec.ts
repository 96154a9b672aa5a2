import type { Selector } from './selector.ts';
import type { LookupTables, MappedValue, TransformDefinition, TransformParams } from './transforms.ts';

/**
 * The compiled form of a mapping spec (`mappings/<source>/<doc>.yaml`). Produced once at start-up by
 * `compileMappingSpec`, which checks the YAML and resolves every selector, transform, lookup table,
 * reference and profile; the engine only ever sees this form. Property reference: mappings/README.md.
 */

export interface TransformRef {
  readonly name: string;
  readonly params: TransformParams;
  readonly definition: TransformDefinition;
}

/** `required: true` → the mapping fails (422) without the value; `'warning'` → it continues with a warning. */
export type Requirement = 'error' | 'warning' | undefined;

export interface ValueModifiers {
  readonly transforms: readonly TransformRef[];
  readonly lookup: string | undefined;
  readonly equals: string | undefined;
  readonly required: Requirement;
  readonly prefix: string | undefined;
  readonly suffix: string | undefined;
  readonly default: MappedValue | undefined;
}

export type CompiledValue =
  | { readonly kind: 'const'; readonly value: MappedValue }
  | { readonly kind: 'from'; readonly selectors: readonly Selector[]; readonly mods: ValueModifiers }
  | { readonly kind: 'concat'; readonly parts: readonly CompiledValue[]; readonly separator: string; readonly mods: ValueModifiers }
  | { readonly kind: 'each'; readonly selector: Selector; readonly item: CompiledValue; readonly separator: string | undefined; readonly mods: ValueModifiers }
  | { readonly kind: 'ref'; readonly key: string }
  | { readonly kind: 'uuid'; readonly of: CompiledValue; readonly mods: ValueModifiers }
  | { readonly kind: 'fromContext'; readonly name: 'receivedAt'; readonly mods: ValueModifiers };

export interface TemplateIssue {
  readonly severity: 'warning' | 'information';
  readonly diagnostics: string;
  readonly expression: string | undefined;
}

export interface ObjectTemplate {
  readonly kind: 'object';
  readonly fields: readonly (readonly [string, Template])[];
  readonly when: CompiledValue | undefined;
  readonly unless: CompiledValue | undefined;
  readonly require: readonly string[];
  readonly issue: TemplateIssue | undefined;
}

export interface ArrayItem {
  readonly template: Template;
  /** `$each`: instantiate the item once per matched element, with that element as context. */
  readonly each: Selector | undefined;
}

export type Template =
  | { readonly kind: 'value'; readonly value: CompiledValue }
  | ObjectTemplate
  | { readonly kind: 'array'; readonly items: readonly ArrayItem[] };

export interface IdCandidate {
  readonly system: CompiledValue;
  readonly value: CompiledValue;
  readonly qualifier: CompiledValue | undefined;
}

/** docs/documents.md "Deterministic ids": first identifier that resolves, else the document key. */
export interface IdRule {
  readonly candidates: readonly IdCandidate[];
  readonly fallback: 'document' | 'none';
}

export interface CompiledResource {
  readonly key: string;
  readonly type: string;
  readonly profile: string;
  readonly context: Selector | undefined;
  readonly each: Selector | undefined;
  readonly when: CompiledValue | undefined;
  readonly id: IdRule;
  readonly body: ObjectTemplate;
}

export interface CompiledOutput {
  readonly kind: 'document' | 'message';
  readonly profile: string;
  readonly id: IdRule;
  readonly identifier: { readonly system: CompiledValue; readonly value: CompiledValue } | undefined;
  readonly timestamp: CompiledValue;
}

export interface MappingMatch {
  readonly root: string;
  /** Upper-cased. */
  readonly typeCode: string;
  /** Upper-cased. */
  readonly versionCode: string;
}

export interface CompiledMapping {
  readonly id: string;
  readonly version: string;
  readonly file: string;
  readonly match: MappingMatch;
  readonly output: CompiledOutput;
  readonly documentKey: { readonly system: CompiledValue; readonly value: CompiledValue };
  readonly lookups: LookupTables;
  readonly ignore: readonly Selector[];
  readonly resources: readonly CompiledResource[];
}
