/** Plain-JSON helpers for FHIR values: lookup by expression, and the fixed/pattern comparisons of profiles. */

import { toTokens } from './expression.ts';

export type JsonObject = Readonly<Record<string, unknown>>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The value an expression such as `Bundle.entry[3].resource.value[x]` points at (the first segment is the
 * root and is skipped). `name[x]` matches the concrete JSON name (`valueQuantity`). Undefined when absent.
 */
export function valueAt(root: unknown, expression: string): unknown {
  let current = root;
  for (const token of toTokens(expression).slice(1)) {
    if (token.startsWith('[')) {
      current = Array.isArray(current) ? (current as unknown[])[Number(token.slice(1, -1))] : undefined;
    } else if (isJsonObject(current)) {
      current = token.endsWith('[x]') ? current[choiceKey(current, token.slice(0, -3)) ?? ''] : current[token];
    } else {
      return undefined;
    }
    if (current === undefined) {
      return undefined;
    }
  }
  return current;
}

/** The JSON key of a choice element (`value` → `valueQuantity`) present in `obj`. */
export function choiceKey(obj: JsonObject, base: string): string | undefined {
  return Object.keys(obj).find((key) => key.length > base.length && key.startsWith(base) && isUpperCase(key.charAt(base.length)));
}

function isUpperCase(char: string): boolean {
  return char >= 'A' && char <= 'Z';
}

/** Exact JSON equality (ElementDefinition.fixed[x]). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (!isJsonObject(a) || !isJsonObject(b)) {
    return false;
  }
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => deepEqual(a[key], b[key]));
}

/**
 * Pattern matching (ElementDefinition.pattern[x]): every property the pattern has must be in the value with
 * a matching value; each item of a pattern array must match some item of the value array.
 * https://hl7.org/fhir/R4/elementdefinition-definitions.html#ElementDefinition.pattern_x_
 */
export function deepIncludes(value: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern)) {
    return Array.isArray(value) && pattern.every((p) => value.some((v) => deepIncludes(v, p)));
  }
  if (isJsonObject(pattern)) {
    return isJsonObject(value) && Object.entries(pattern).every(([key, p]) => deepIncludes(value[key], p));
  }
  return value === pattern;
}
