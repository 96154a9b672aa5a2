import { childElements } from './xml-document.ts';
import type { XmlElement } from './xml-document.ts';

/**
 * A selector: a simple path of local element names (`DischargeLetter/Patient/CivilRegistrationNumber`).
 * Absolute selectors start below `Emessage`; `./Name` and `.` are relative to the current context node
 * (a resource's `context`/`each` node or a `$each` item). `*` matches any element. No predicates, no axes:
 * anything richer belongs in a named transform.
 */
export interface Selector {
  readonly source: string;
  readonly relative: boolean;
  readonly steps: readonly string[];
}

const STEP = /^(\*|[A-Za-z_][A-Za-z0-9_.-]*)$/;

/** Parses a selector; returns an error message (without echoing payload) when the syntax is wrong. */
export function parseSelector(source: string): Selector | string {
  if (source === '.') return { source, relative: true, steps: [] };
  const relative = source.startsWith('./');
  const body = relative ? source.slice(2) : source;
  const steps = body.split('/');
  if (body === '' || steps.some((s) => !STEP.test(s))) {
    return `invalid selector '${source}': use Name/Name/… (local element names or *), optionally starting with ./`;
  }
  return { source, relative, steps };
}

/** Elements matched by `selector`, in document order. */
export function selectElements(selector: Selector, root: XmlElement, context: XmlElement): XmlElement[] {
  let current: XmlElement[] = [selector.relative ? context : root];
  for (const step of selector.steps) {
    const next: XmlElement[] = [];
    for (const element of current) {
      for (const child of childElements(element)) {
        if (step === '*' || child.name === step) next.push(child);
      }
    }
    current = next;
    if (current.length === 0) break;
  }
  return current;
}

/** The path an issue names when `selector` matched nothing: the selector spelt out from the context. */
export function describeSelector(selector: Selector, context: XmlElement): string {
  if (!selector.relative) return selector.source;
  const rest = selector.steps.join('/');
  if (context.path === 'Emessage' || context.path === '') return rest;
  return rest === '' ? context.path : `${context.path}/${rest}`;
}
