/** Narrowing helpers for reading untrusted FHIR JSON without `any`. */
export type Json = Record<string, unknown>;

export const asObject = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);

/** An array as a dense copy (holes become undefined); anything else is empty. */
export const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? Array.from(v as unknown[]) : []);

/** A string with content; empty and whitespace-only strings count as absent. */
export const asString = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
