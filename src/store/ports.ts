import type { AnyResource } from '../shared/index.ts';

/**
 * The storage port. Two adapters (embedded PGlite, PostgreSQL via `pg`) run the same SQL
 * behind `Db`; repositories are written once against `Db`. Nothing outside `store/` sees SQL.
 */
export interface Db {
  readonly kind: 'pglite' | 'postgres';
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- rows are typed by the caller's SQL
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  /** Multi-statement SQL without parameters (migrations). */
  exec(sql: string): Promise<void>;
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type StorageOptions =
  | { kind: 'pglite'; dataDir: string | undefined } // undefined: in memory (tests)
  | { kind: 'postgres'; url: string; schema?: string }; // schema: tests isolate themselves

export interface StoredResource {
  type: string;
  id: string;
  versionId: number;
  lastUpdated: Date;
  deleted: boolean;
  /** The resource with `id`, `meta.versionId` and `meta.lastUpdated` set by the store. Absent when deleted. */
  resource: AnyResource | undefined;
  /** SOR codes of the organisations that may read this resource. */
  grants: string[];
}

export interface WriteContext {
  /** SOR code of the writing client's organisation; it is always granted read. */
  writerOrg: string;
  /** Further organisations (SOR codes) granted read. */
  grantOrgs: readonly string[];
}

/** What a reader may see: everything (admin, registry types) or rows granted to these orgs. */
export type AccessFilter = { kind: 'all' } | { kind: 'orgs'; orgs: readonly string[] };

export type DatePrefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb';

/** One search criterion; criteria are ANDed, `values` inside one criterion are ORed. */
export type SearchCriterion =
  | { kind: 'id'; values: string[] }
  | { kind: 'token'; param: string; values: { system?: string; code?: string }[] }
  | { kind: 'reference'; param: string; values: { type?: string; id: string }[] }
  | { kind: 'chained-token'; param: string; target: 'Patient'; targetParam: string; values: { system?: string; code?: string }[] }
  | { kind: 'date'; param: string; prefix: DatePrefix; low: Date; high: Date }
  | { kind: 'last-updated'; prefix: DatePrefix; low: Date; high: Date }
  /** Internal (not a search parameter clients use): rows whose `meta.tag` holds this coding. */
  | { kind: 'meta-tag'; system: string; code: string };

export interface SearchQuery {
  type: string;
  criteria: SearchCriterion[];
  count: number;
  /** Opaque cursor from a previous page's `next` link. */
  cursor?: string | undefined;
  total: boolean;
}

export interface Page<T> {
  items: T[];
  /** Cursor for the next page, when there is one. */
  next?: string | undefined;
  total?: number | undefined;
}

export interface ResourceRepository {
  /** Create with a server-assigned id (UUID). */
  create(resource: AnyResource, ctx: WriteContext): Promise<StoredResource>;
  /**
   * Update (or create with a client-chosen id: update-as-create). `ifMatch` is the expected current
   * versionId; a mismatch throws the 412 GatewayError. Writing onto a deleted resource revives it.
   */
  update(resource: AnyResource & { id: string }, ctx: WriteContext & { ifMatch?: number }): Promise<{ stored: StoredResource; created: boolean }>;
  /** Marks deleted (a new version). Returns undefined when there was nothing to delete. */
  delete(type: string, id: string, ctx: WriteContext): Promise<StoredResource | undefined>;
  read(type: string, id: string): Promise<StoredResource | undefined>;
  /** Reads after taking the resource's write lock (inside a transaction): read-modify-write without lost updates. */
  readForUpdate(type: string, id: string): Promise<StoredResource | undefined>;
  vread(type: string, id: string, versionId: number): Promise<StoredResource | undefined>;
  /** Newest first. `id` undefined: the whole type's history. */
  history(type: string, id: string | undefined, opts: { count: number; cursor?: string | undefined; access: AccessFilter }): Promise<Page<StoredResource>>;
  search(query: SearchQuery, access: AccessFilter): Promise<Page<StoredResource>>;
  /** Grant read to more organisations without writing a new version. */
  grant(type: string, id: string, orgs: readonly string[]): Promise<void>;
}

export type AuditAction = 'C' | 'R' | 'U' | 'D' | 'E';
/** FHIR AuditEvent.outcome: 0 success, 4 minor failure (denied, not found), 8 serious, 12 major. */
export type AuditOutcome = '0' | '4' | '8' | '12';

export interface AuditRecord {
  recorded: Date;
  requestId: string;
  clientId: string | undefined;
  org: string | undefined;
  role: string | undefined;
  action: AuditAction;
  /** FHIR restful interaction: read, vread, history-instance, history-type, search-type, create, update, delete, operation. */
  interaction: string;
  outcome: AuditOutcome;
  /** HTTP status of the answer. */
  status: number;
  resourceType: string | undefined;
  /** References (`Type/id`) that were read or written. */
  entities: string[];
  /** The query as received (may hold CPR: the audit store is patient data, read by admin only). */
  query: string | undefined;
  sourceIp: string | undefined;
}

export interface StoredAuditRecord extends AuditRecord {
  id: string;
}

export interface AuditRepository {
  record(r: AuditRecord): Promise<void>;
  read(id: string): Promise<StoredAuditRecord | undefined>;
  /** Newest first. */
  search(q: { since?: Date; until?: Date; clientId?: string; entity?: string; count: number; cursor?: string | undefined }): Promise<Page<StoredAuditRecord>>;
}

/** One-time use of client-assertion ids (SMART private_key_jwt replay protection). */
export interface JtiRepository {
  /** Records the jti; false if it was already used and has not expired. */
  claim(clientId: string, jti: string, expiresAt: Date): Promise<boolean>;
}

/** One accepted version of an ingested document (the payload bytes live beside it, written once). */
export interface DocumentRecord {
  id: string;
  /** Composition.identifier as `system|value`: the identity shared by a document's versions. */
  documentKey: string;
  version: number;
  contentHash: string;
  format: 'fhir-json' | 'oioxml';
  mediaType: string;
  documentType: string;
  status: 'current' | 'superseded' | 'entered-in-error';
  senderOrg: string;
  clientId: string;
  bundleId: string;
  documentReferenceId: string;
  documentTimestamp: Date;
  receivedAt: Date;
  /** `<mapping id>|<version>` when the document was mapped from a legacy format. */
  mapping: string | undefined;
  answerStatus: number;
  /** The response body as given, so a resubmission gets the identical answer. */
  answer: Record<string, unknown>;
}

export interface DocumentRepository {
  /** Serialises concurrent submissions of one document for the rest of the transaction. */
  lock(documentKey: string): Promise<void>;
  findByHash(documentKey: string, contentHash: string): Promise<DocumentRecord | undefined>;
  /** Every accepted version, oldest first. */
  versions(documentKey: string): Promise<DocumentRecord[]>;
  insert(record: DocumentRecord, payload: Buffer): Promise<void>;
  setStatus(id: string, status: DocumentRecord['status']): Promise<void>;
  /** The payload exactly as received. */
  payload(id: string): Promise<Buffer | undefined>;
  /** The ingest record behind a DocumentReference. */
  byReference(documentReferenceId: string): Promise<DocumentRecord | undefined>;
}

/** One received MedCom message, keyed by its MessageHeader.id (stable across resends). */
export interface MessageRecord {
  headerId: string;
  bundleId: string;
  kind: string | undefined;
  status: 'processed' | 'rejected' | 'recorded';
  senderSor: string | undefined;
  clientId: string;
  receivedAt: Date;
  answerStatus: number;
  /** The Acknowledgement Bundle (or OperationOutcome) as given: a duplicate gets it again, identical. */
  answer: Record<string, unknown>;
}

export interface StayRecord {
  key: string;
  encounterId: string;
  patientId: string;
  /** The HospitalNotification reducer's state, as plain JSON. */
  state: unknown;
}

/** A fact other capabilities consume (discharge, admission, leave, death, cancellation, correction). */
export interface DomainEventRecord {
  /** Deterministic, so a replayed message adds nothing. */
  id: string;
  type: string;
  occurredAt: Date | undefined;
  patientId: string;
  stayKey: string;
  departmentSor: string | undefined;
  episodeOfCareId: string | undefined;
  headerId: string;
  payload: Record<string, unknown>;
}

export interface MessageRepository {
  /** Serialises concurrent handling of one message (or one stay) for the rest of the transaction. */
  lock(key: string): Promise<void>;
  findByHeader(headerId: string): Promise<MessageRecord | undefined>;
  findByBundle(bundleId: string): Promise<MessageRecord | undefined>;
  insert(record: MessageRecord, payload: Buffer, meta: { format: 'fhir-json' | 'fhir-xml' | 'oioxml'; mediaType: string }): Promise<void>;
  stay(key: string): Promise<StayRecord | undefined>;
  putStay(stay: StayRecord, at: Date): Promise<void>;
  appendEvents(events: readonly DomainEventRecord[], at: Date): Promise<void>;
  /** A patient's domain events in the order they were recorded. */
  events(patientId: string): Promise<DomainEventRecord[]>;
}

export interface OutboxEntry {
  id: number;
  eventType: string;
  subject: string;
  payload: Record<string, unknown>;
  createdAt: Date;
  attempts: number;
}

/** The transactional outbox: written with the data it is about, drained by delivery's relay. */
export interface OutboxRepository {
  append(eventType: string, subject: string, payload: Record<string, unknown>, at: Date): Promise<void>;
  /** Oldest unprocessed entries that have failed fewer than `maxAttempts` times, locked for this transaction (other relays skip them). */
  claim(limit: number, maxAttempts: number): Promise<OutboxEntry[]>;
  markProcessed(id: number, at: Date): Promise<void>;
  markFailed(id: number, error: string): Promise<void>;
  pending(): Promise<number>;
}

export interface DeliveryRecord {
  id: string;
  source: string;
  /** Undefined: no recipient could be resolved; a person must route it. */
  recipientSor: string | undefined;
  patientId: string | undefined;
  /** Why this recipient: the routing decision's basis, kept with the delivery. */
  basis: string;
  status: string;
  createdAt: Date;
  updatedAt: Date;
  timeline: { status: string; at: Date; detail: Record<string, unknown> }[];
}

export interface DeliveryRepository {
  /** Creates it unless it exists (ids are deterministic); true when created. */
  create(d: Omit<DeliveryRecord, 'createdAt' | 'updatedAt' | 'timeline'>, at: Date): Promise<boolean>;
  addEvent(deliveryId: string, status: string, at: Date, detail: Record<string, unknown>): Promise<void>;
  bySource(source: string): Promise<DeliveryRecord[]>;
}

export interface StoreTx {
  resources: ResourceRepository;
  audit: AuditRepository;
  documents: DocumentRepository;
  messages: MessageRepository;
  outbox: OutboxRepository;
  deliveries: DeliveryRepository;
}

export interface Store extends StoreTx {
  readonly kind: 'pglite' | 'postgres';
  jti: JtiRepository;
  /** Everything inside `fn` commits or rolls back together. */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
