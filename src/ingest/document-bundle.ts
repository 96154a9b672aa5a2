import { GatewayError, SYSTEM, withRegistryTag, type AnyResource, type Issue } from '../shared/index.ts';

export interface BundleEntry {
  index: number;
  fullUrl: string;
  resource: AnyResource;
}

/** Entries of a Bundle, with lookups by fullUrl and by `Type/id`. */
export class EntryIndex {
  readonly entries: BundleEntry[];
  private readonly byUrl = new Map<string, BundleEntry>();
  private readonly byTypeId = new Map<string, BundleEntry>();

  constructor(bundle: AnyResource) {
    const raw = Array.isArray(bundle.entry) ? (bundle.entry as { fullUrl?: unknown; resource?: unknown }[]) : [];
    this.entries = raw.flatMap((e, index) => {
      const resource = e.resource as AnyResource | undefined;
      if (!resource || typeof resource.resourceType !== 'string') return [];
      const fullUrl = typeof e.fullUrl === 'string' ? e.fullUrl : `${resource.resourceType}/${resource.id ?? String(index)}`;
      return [{ index, fullUrl, resource }];
    });
    for (const e of this.entries) {
      this.byUrl.set(e.fullUrl, e);
      if (e.resource.id) this.byTypeId.set(`${e.resource.resourceType}/${e.resource.id}`, e);
      // An absolute fullUrl ending in Type/id is also reachable by that relative reference.
      const tail = /([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})$/.exec(e.fullUrl)?.[1];
      if (tail && !this.byTypeId.has(tail)) this.byTypeId.set(tail, e);
    }
  }

  resolve(reference: string | undefined): BundleEntry | undefined {
    if (!reference) return undefined;
    return this.byUrl.get(reference) ?? this.byTypeId.get(reference);
  }

  resolveRef(ref: unknown): BundleEntry | undefined {
    const r = (ref as { reference?: unknown } | undefined)?.reference;
    return typeof r === 'string' ? this.resolve(r) : undefined;
  }
}

/** A 422 whose single issue points at `expression`. */
export function unprocessableAt(expression: string, diagnostics: string, code: Issue['code'] = 'invalid'): GatewayError {
  return new GatewayError('ingest.invalid-document', 422, [{ severity: 'error', code, diagnostics, expression: [expression] }]);
}

/**
 * Rewrites every `reference` inside `node` that points at an entry of the Bundle to the entry's
 * stored `Type/id`, so stored resources refer to each other by their server ids.
 */
export function rewriteReferences(node: unknown, index: EntryIndex, newIds: ReadonlyMap<BundleEntry, string>): unknown {
  return rewrite(node, index, newIds);
}

/** An entry as it is stored: ids and references rewritten, and never claiming to be registry data. */
export function storedFormOf(entry: BundleEntry, index: EntryIndex, newIds: ReadonlyMap<BundleEntry, string>): AnyResource & { id: string } {
  const rewritten = withRegistryTag(rewrite(entry.resource, index, newIds) as AnyResource, false);
  return { ...rewritten, id: newIds.get(entry) ?? '' };
}

function rewrite(node: unknown, index: EntryIndex, newIds: ReadonlyMap<BundleEntry, string>): unknown {
  if (Array.isArray(node)) return node.map((n) => rewrite(n, index, newIds));
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'reference' && typeof v === 'string') {
      const target = index.resolve(v);
      const id = target && newIds.get(target);
      out[k] = target && id ? `${target.resource.resourceType}/${id}` : v;
    } else {
      out[k] = rewrite(v, index, newIds);
    }
  }
  return out;
}

/** Every SOR code anywhere in a document or message (organisations, a GP named by identifier, ...): they may read it. */
export function collectSors(node: unknown, into: Set<string>, depth = 0): void {
  if (depth > 64 || typeof node !== 'object' || node === null) return;
  if (Array.isArray(node)) {
    for (const n of node) collectSors(n, into, depth + 1);
    return;
  }
  const o = node as Record<string, unknown>;
  if (o.system === SYSTEM.sor && typeof o.value === 'string' && /^\d+$/.test(o.value)) into.add(o.value);
  for (const v of Object.values(o)) collectSors(v, into, depth + 1);
}

/**
 * Entries in one global order (type, then stored id): every writer takes the per-resource locks in
 * the same order, so two documents about the same patient cannot deadlock each other.
 */
export function inLockOrder(entries: readonly BundleEntry[], ids: ReadonlyMap<BundleEntry, string>): BundleEntry[] {
  const key = (e: BundleEntry): string => `${e.resource.resourceType}/${ids.get(e) ?? ''}`;
  return [...entries].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
