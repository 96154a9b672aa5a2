import { isResourceLike, type AnyResource } from '../shared/index.ts';
import { referenceKey } from './identifiers.ts';

/** One entry of a received Bundle, with the `Type/id` key its references resolve by. */
export interface MessageEntry {
  index: number;
  /** `Type/id`, from `resourceType` and `id`. */
  key: string;
  fullUrl: string | undefined;
  resource: AnyResource;
  /** FHIRPath of the resource inside the Bundle, e.g. `Bundle.entry[2].resource`. */
  expression: string;
}

/** The entries of a Bundle that carry a resource (entries without one are skipped). */
export function readEntries(bundle: AnyResource): MessageEntry[] {
  const raw = Array.isArray(bundle.entry) ? (bundle.entry as unknown[]) : [];
  const out: MessageEntry[] = [];
  raw.forEach((entry, index) => {
    const resource = (entry as { resource?: unknown } | null)?.resource;
    if (!isResourceLike(resource)) return;
    const fullUrl = (entry as { fullUrl?: unknown }).fullUrl;
    out.push({
      index,
      key: `${resource.resourceType}/${typeof resource.id === 'string' ? resource.id : ''}`,
      fullUrl: typeof fullUrl === 'string' ? fullUrl : undefined,
      resource,
      expression: `Bundle.entry[${index}].resource`,
    });
  });
  return out;
}

/**
 * Resolves references inside one Bundle: by `fullUrl` as written, by the `Type/id` tail of a
 * relative or absolute fullUrl, and by `resourceType/id` (medcom.md §10 #4, #5).
 */
export class EntryResolver {
  private readonly byUrl = new Map<string, MessageEntry>();
  private readonly byKey = new Map<string, MessageEntry>();

  constructor(readonly entries: readonly MessageEntry[]) {
    for (const e of entries) {
      if (e.fullUrl !== undefined && !this.byUrl.has(e.fullUrl)) this.byUrl.set(e.fullUrl, e);
      if (!this.byKey.has(e.key)) this.byKey.set(e.key, e);
      const tail = e.fullUrl === undefined ? undefined : referenceKey(e.fullUrl);
      if (tail !== undefined && !this.byKey.has(tail)) this.byKey.set(tail, e);
    }
  }

  resolve(reference: unknown): MessageEntry | undefined {
    if (typeof reference !== 'string' || reference === '') return undefined;
    return this.byUrl.get(reference) ?? this.byKey.get(referenceKey(reference));
  }

  /** Resolves a FHIR `Reference` object (`{ reference: '…' }`). */
  resolveRef(ref: unknown): MessageEntry | undefined {
    return this.resolve((ref as { reference?: unknown } | null | undefined)?.reference);
  }
}

/** The `reference` string of a FHIR Reference object, if any. */
export const referenceOf = (ref: unknown): string | undefined => {
  const r = (ref as { reference?: unknown } | null | undefined)?.reference;
  return typeof r === 'string' && r !== '' ? r : undefined;
};
