/** Ingest: accept documents (and later MedCom messages), validate, store with provenance, answer. */
export { ingestDocument, DOCUMENT_TYPES, bundleProfileOf } from './document-ingest.ts';
export type { DocumentIngestDeps, DocumentType, IngestResult, Payload, Submitter } from './document-ingest.ts';
export { processMessage } from './message-ingest.ts';
export type { MessageIngestDeps, MessagePayload, MessageResult, MessageSubmitter } from './message-ingest.ts';
