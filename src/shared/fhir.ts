/** Loose shape of any FHIR resource as it arrives over the wire (before validation). */
export interface AnyResource {
  resourceType: string;
  id?: string;
  meta?: fhir4.Meta;
  [key: string]: unknown;
}

export const isResourceLike = (v: unknown): v is AnyResource =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { resourceType?: unknown }).resourceType === 'string';

/** FHIR `id` datatype: [A-Za-z0-9\-\.]{1,64}. */
export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** Identifier systems from domain.md §5. */
export const SYSTEM = {
  cpr: 'urn:oid:1.2.208.176.1.2',
  sor: 'urn:oid:1.2.208.176.1.1',
  gln: 'https://www.gs1.org/gln',
  ydernummer: 'urn:oid:1.2.208.176.1.4',
  kommunekode: 'http://hl7.dk/fhir/core/CodeSystem/dk-core-municipality-codes',
} as const;

/**
 * Marks Organization/Endpoint rows curated through the registry API (admin), as opposed to the
 * copies documents and messages carry. Routing and GLN→SOR lookups trust only registry rows, so a
 * submitter cannot redirect other senders' letters by sending an Organization of its own.
 */
export const REGISTRY_TAG = { system: 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-tag', code: 'registry' } as const;

const isRegistryCoding = (c: { system?: string; code?: string }): boolean => c.system === REGISTRY_TAG.system && c.code === REGISTRY_TAG.code;

export const isRegistryEntry = (resource: AnyResource | undefined): boolean => (resource?.meta?.tag ?? []).some(isRegistryCoding);

/** The resource with the registry tag set (`true`) or removed (`false`). */
export function withRegistryTag<T extends AnyResource>(resource: T, on: boolean): T {
  const tags = (resource.meta?.tag ?? []).filter((c) => !isRegistryCoding(c));
  const meta = { ...resource.meta, tag: on ? [...tags, { ...REGISTRY_TAG }] : tags };
  if (meta.tag.length === 0) delete (meta as { tag?: unknown }).tag;
  return { ...resource, meta };
}

/** A UTF-16 surrogate without its pair: valid in JSON text, but not Unicode, and not a FHIR string. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
