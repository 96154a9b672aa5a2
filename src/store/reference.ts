export interface ParsedReference {
  /** The target type; undefined for `urn:uuid:` / `urn:oid:` references, whose target is not known. */
  type: string | undefined;
  id: string;
}

const RELATIVE = /^([A-Z][A-Za-z]{1,63})\/([A-Za-z0-9\-.]{1,64})$/;
const ABSOLUTE = /^https?:\/\/[^\s?#]*\/([A-Z][A-Za-z]{1,63})\/([A-Za-z0-9\-.]{1,64})$/;
const HISTORY = /\/_history\/[A-Za-z0-9\-.]{1,64}$/;
const URN = /^urn:(uuid|oid):[A-Za-z0-9\-.]{1,128}$/;

/**
 * Splits a FHIR `Reference.reference` into type and id (https://hl7.org/fhir/R4/references.html):
 * `Patient/1`, `Patient/1/_history/2` and `http://host/fhir/Patient/1` all give Patient/1.
 * Contained (`#x`) and other shapes give undefined.
 */
export function parseReference(reference: string): ParsedReference | undefined {
  if (URN.test(reference)) return { type: undefined, id: reference };
  const plain = reference.replace(HISTORY, '');
  const m = RELATIVE.exec(plain) ?? ABSOLUTE.exec(plain);
  return m?.[1] !== undefined && m[2] !== undefined ? { type: m[1], id: m[2] } : undefined;
}
