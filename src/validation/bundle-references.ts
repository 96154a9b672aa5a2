import type { Issue, IssueSeverity } from '../shared/index.ts';
import { childExpression } from './expression.ts';
import { isJsonObject } from './values.ts';
import type { JsonObject } from './values.ts';

/** An entry a reference can point at. */
export interface BundleTarget {
  readonly index: number;
  readonly resourceType: string;
  readonly fullUrl?: string;
}

/** Resolves references the way https://hl7.org/fhir/R4/bundle.html#references describes, inside one Bundle. */
export interface BundleIndex {
  /** The entry `reference` (made in the entry whose fullUrl is `from`) points at, if any. */
  resolve(reference: string, from?: string): BundleTarget | undefined;
  /** The fullUrl of entry `index`. */
  fullUrlOf(index: number): string | undefined;
}

const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const RELATIVE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
/** `<base>/<Type>/<id>[/_history/<v>]`: the RESTful form of an absolute URL, whose base resolves relative references. */
const RESTFUL = /^(.*)\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

export function indexBundle(bundle: JsonObject): BundleIndex {
  const entries = Array.isArray(bundle.entry) ? (bundle.entry as unknown[]) : [];
  const byFullUrl = new Map<string, BundleTarget>();
  const byTypeAndId = new Map<string, BundleTarget>();
  const fullUrls: (string | undefined)[] = [];
  entries.forEach((entry, index) => {
    const fullUrl = isJsonObject(entry) && typeof entry.fullUrl === 'string' ? entry.fullUrl : undefined;
    fullUrls.push(fullUrl);
    const resource = isJsonObject(entry) && isJsonObject(entry.resource) ? entry.resource : undefined;
    if (resource === undefined || typeof resource.resourceType !== 'string') {
      return;
    }
    const target: BundleTarget = { index, resourceType: resource.resourceType, ...(fullUrl === undefined ? {} : { fullUrl }) };
    if (fullUrl !== undefined && !byFullUrl.has(fullUrl)) {
      byFullUrl.set(fullUrl, target);
    }
    const restful = fullUrl === undefined ? null : RESTFUL.exec(fullUrl);
    const typeAndId = [
      typeof resource.id === 'string' ? `${resource.resourceType}/${resource.id}` : undefined,
      restful === null ? undefined : `${restful[2] ?? ''}/${restful[3] ?? ''}`,
    ];
    for (const key of typeAndId) {
      if (key !== undefined && !byTypeAndId.has(key)) {
        byTypeAndId.set(key, target);
      }
    }
  });
  return {
    fullUrlOf: (index) => fullUrls[index],
    resolve(reference, from) {
      if (ABSOLUTE.test(reference)) {
        return byFullUrl.get(reference) ?? byFullUrl.get(withoutHistory(reference));
      }
      const relative = RELATIVE.exec(reference);
      if (relative === null) {
        return undefined;
      }
      const typeAndId = `${relative[1] ?? ''}/${relative[2] ?? ''}`;
      const base = from === undefined ? null : RESTFUL.exec(from);
      if (base !== null) {
        const absolute = byFullUrl.get(`${base[1] ?? ''}/${typeAndId}`);
        if (absolute !== undefined) {
          return absolute;
        }
      }
      return byTypeAndId.get(typeAndId);
    },
  };
}

function withoutHistory(url: string): string {
  const at = url.indexOf('/_history/');
  return at === -1 ? url : url.slice(0, at);
}

/**
 * In a document or message Bundle every reference must point at an entry (https://hl7.org/fhir/R4/documents.html,
 * "the document SHALL include every resource it references"), except references to contained resources (`#id`).
 * Identifier-only (logical) references have nothing to resolve. The reference value is never echoed: it can carry
 * a CPR number (`Patient/0101011234`).
 */
export function checkBundleReferences(bundle: JsonObject, index: BundleIndex, severity: IssueSeverity): Issue[] {
  const issues: Issue[] = [];
  const entries = Array.isArray(bundle.entry) ? (bundle.entry as unknown[]) : [];
  const kind = bundle.type === 'message' ? 'message' : 'document';
  entries.forEach((entry, i) => {
    if (!isJsonObject(entry) || !isJsonObject(entry.resource)) {
      return;
    }
    const from = index.fullUrlOf(i);
    visitReferences(entry.resource, `Bundle.entry[${i}].resource`, (reference, expression) => {
      if (reference.startsWith('#') || index.resolve(reference, from) !== undefined) {
        return;
      }
      const outside = ABSOLUTE.test(reference) && !reference.startsWith('urn:');
      issues.push({
        severity,
        code: 'not-found',
        diagnostics: outside
          ? `reference points outside the Bundle; a ${kind} must contain every resource it references`
          : `reference does not resolve inside the Bundle; a ${kind} must contain every resource it references`,
        expression: [expression],
      });
    });
  });
  return issues;
}

/** Calls `visit` for every `reference` string in `resource`; nested Bundles are their own scope and are skipped. */
function visitReferences(node: unknown, expression: string, visit: (reference: string, expression: string) => void): void {
  if (Array.isArray(node)) {
    node.forEach((item: unknown, i) => {
      visitReferences(item, `${expression}[${i}]`, visit);
    });
    return;
  }
  if (!isJsonObject(node)) {
    return;
  }
  if (node.resourceType === 'Bundle') {
    return;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === 'reference' && typeof value === 'string') {
      visit(value, childExpression(expression, key));
    } else if (key !== 'text' && typeof value === 'object' && value !== null) {
      visitReferences(value, childExpression(expression, key), visit);
    }
  }
}
