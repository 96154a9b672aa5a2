import { v5 as uuidv5 } from 'uuid';

/** Namespace for Sektorbro's name-based ids (docs/documents.md, "Deterministic ids"). */
export const SEKTORBRO_ID_NAMESPACE = '6f1b3c2e-2f8a-5c7d-9a41-3e0b5d8c7a10';

/**
 * `uuidv5(namespace, name)`, e.g. name `Patient|urn:oid:1.2.208.176.1.2|2509479989`. Ids derived from
 * source identifiers make re-ingest an upsert, never a duplicate (FHIR-Converter's lesson).
 */
export const deterministicId = (name: string): string => uuidv5(name, SEKTORBRO_ID_NAMESPACE);

/** The stored Bundle of a received MedCom message: what a forward sends on. */
export const messageBundleId = (headerId: string): string => deterministicId(`message-bundle|${headerId}`);
