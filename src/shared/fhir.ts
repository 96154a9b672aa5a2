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
