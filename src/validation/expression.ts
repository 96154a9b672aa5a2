/**
 * FHIRPath-like expressions for issues, and the location arithmetic used to de-duplicate issues
 * that two validators report for the same fault.
 */

/** Element names we are willing to echo into an expression or a message (FHIR names are short identifiers). */
const SAFE_ELEMENT_NAME = /^_?[A-Za-z][A-Za-z0-9_]{0,63}(\[x\])?$/;

/** An expression segment: an element name, optionally Medplum's `[x]`, then array indices. */
const SAFE_SEGMENT = /^_?[A-Za-z][A-Za-z0-9_]{0,63}(\[x\])?(\[\d+\])*$/;

/** Placeholder for a key that does not look like an element name (it may be payload, e.g. a CPR number). */
export const UNNAMED_ELEMENT = '(unnamed)';

/** Returns `key` if it looks like an element name, else a placeholder, so diagnostics never carry payload. */
export function toSafeElementName(key: string): string {
  return SAFE_ELEMENT_NAME.test(key) ? key : UNNAMED_ELEMENT;
}

/**
 * Maps an ajv `instancePath` (`/entry/1/resource/telecom/0/system`) to a FHIRPath-like expression rooted at
 * the resource type (`Bundle.entry[1].resource.telecom[0].system`). The schema only lets valid element names
 * through to nested paths, so all-digit segments are array indices.
 */
export function toExpression(root: string, instancePath: string): string {
  if (instancePath === '') {
    return root;
  }
  let out = root;
  for (const raw of instancePath.slice(1).split('/')) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    out += /^\d+$/.test(segment) ? `[${segment}]` : `.${toSafeElementName(segment)}`;
  }
  return out;
}

/** Replaces any segment of an expression that does not look like an element name (it may be payload). */
export function toSafeExpression(expression: string): string {
  return expression
    .split('.')
    .map((segment) => (SAFE_SEGMENT.test(segment) ? segment : UNNAMED_ELEMENT))
    .join('.');
}

/** Appends a child element to an expression. */
export function childExpression(parent: string, key: string): string {
  return `${parent}.${toSafeElementName(key)}`;
}

/** Splits `Bundle.entry[1].resource.value[x]` into `['Bundle', 'entry', '[1]', 'resource', 'value[x]']`. */
export function toTokens(expression: string): string[] {
  const tokens: string[] = [];
  for (const segment of expression.split('.')) {
    const match = /^([^[]*)((?:\[\d+\])*)$/.exec(segment);
    if (match === null) {
      tokens.push(segment);
      continue;
    }
    const [, name = '', indices = ''] = match;
    tokens.push(name);
    for (const index of indices.match(/\[\d+\]/g) ?? []) {
      tokens.push(index);
    }
  }
  return tokens;
}

/** `value[x]` (Medplum's form) matches the concrete JSON name (`valueQuantity`) used in ajv paths. */
function tokensMatch(a: string, b: string): boolean {
  if (a === b) {
    return true;
  }
  const [choice, concrete] = a.endsWith('[x]') ? [a, b] : b.endsWith('[x]') ? [b, a] : [undefined, undefined];
  if (choice === undefined) {
    return false;
  }
  const base = choice.slice(0, -3);
  const next = concrete.charAt(base.length);
  return concrete.startsWith(base) && next >= 'A' && next <= 'Z';
}

/** True when `inner` is `outer` or lies inside it. */
export function isWithin(inner: readonly string[], outer: readonly string[]): boolean {
  if (outer.length > inner.length) {
    return false;
  }
  return outer.every((token, i) => tokensMatch(inner[i] ?? '', token));
}
