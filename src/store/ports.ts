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
  /** Several current versions in one round trip, keyed `Type/id`; missing ones are absent. */
  readMany(keys: readonly { type: string; id: string }[]): Promise<Map<string, StoredResource>>;
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
  /** The message exactly as received, with its format (what a forward re-sends). */
  payload(headerId: string): Promise<{ bytes: Buffer; format: 'fhir-json' | 'fhir-xml' | 'oioxml'; mediaType: string } | undefined>;
  insert(record: MessageRecord, payload: Buffer, meta: { format: 'fhir-json' | 'fhir-xml' | 'oioxml'; mediaType: string }): Promise<void>;
  stay(key: string): Promise<StayRecord | undefined>;
  putStay(stay: StayRecord, at: Date): Promise<void>;
  appendEvents(events: readonly DomainEventRecord[], at: Date): Promise<void>;
  /** A patient's domain events in the order they were recorded. */
  events(patientId: string): Promise<DomainEventRecord[]>;
  /**
   * Discharge facts (SLHJ, and corrections of one) that happened in [from, to), oldest first; only
   * those of one department when `departmentSor` is given. Responsibility uses them to find the
   * patients to look at; it recomputes each patient's answer from all of their events.
   */
  discharges(range: { from: Date; to: Date; departmentSor?: string | undefined }): Promise<DomainEventRecord[]>;
  /** Extensions of a responsibility window (`type`) said by the department since `since`: more candidates for its overview. */
  recordedBy(query: { type: string; departmentSor: string; since: Date }): Promise<DomainEventRecord[]>;
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
  /** Whether an older entry about this patient is still to be routed (its deliveries go first). */
  pendingBefore(id: number, patientId: string, maxAttempts: number): Promise<boolean>;
}

/**
 * Where a delivery stands. `pending` waits for its next attempt; `in-flight` is being sent (a lease
 * bounds it); `awaiting-ack` was accepted by a MedCom receiver whose acknowledgement is due;
 * `delivered` (FHIR REST) and `acknowledged` (MedCom `ok`) are done; `superseded` was skipped
 * because a newer version reached the receiver first; `dead-letter` waits for a person (permanent
 * failure, retries exhausted, no endpoint); `unroutable` has no recipient.
 */
export type DeliveryStatus = 'pending' | 'in-flight' | 'awaiting-ack' | 'delivered' | 'acknowledged' | 'superseded' | 'dead-letter' | 'unroutable';

export interface DeliveryRecord {
  id: string;
  /** Creation order. */
  seq: number;
  /** The outbox entry it was routed from: deliveries to one (recipient, patient) go out in this order. */
  outboxId: number;
  source: string;
  /** Undefined: no recipient could be resolved; a person must route it. */
  recipientSor: string | undefined;
  patientId: string | undefined;
  /** Why this recipient: the routing decision's basis, kept with the delivery. */
  basis: string;
  status: DeliveryStatus;
  createdAt: Date;
  updatedAt: Date;
  attempts: number;
  /** MedCom resends of a message the receiver already had (missing acknowledgement, transient-error). */
  resends: number;
  nextAttemptAt: Date | undefined;
  leaseUntil: Date | undefined;
  ackDueAt: Date | undefined;
  lastError: string | undefined;
  endpointId: string | undefined;
  /** MedCom: the MessageHeader.id sent, the same on every resend. */
  messageHeaderId: string | undefined;
  documentKey: string | undefined;
  documentVersion: number | undefined;
  sentAt: Date | undefined;
  completedAt: Date | undefined;
  /** Retries give up a configured time after this (routing, or an operator's replay). */
  retrySince: Date;
  timeline: { status: string; at: Date; detail: Record<string, unknown> }[];
}

export type NewDelivery = Pick<DeliveryRecord, 'id' | 'source' | 'recipientSor' | 'patientId' | 'basis' | 'status' | 'outboxId'>
  & Partial<Pick<DeliveryRecord, 'messageHeaderId' | 'documentKey' | 'documentVersion'>>;

/** Fields a delivery step changes; `null` clears a time. */
export interface DeliveryPatch {
  status?: DeliveryStatus;
  attempts?: number;
  resends?: number;
  nextAttemptAt?: Date | null;
  leaseUntil?: Date | null;
  ackDueAt?: Date | null;
  lastError?: string | null;
  endpointId?: string | null;
  sentAt?: Date | null;
  completedAt?: Date | null;
  retrySince?: Date;
}

export interface DeliveryCircuit {
  recipientSor: string;
  /** Consecutive transient failures. */
  failures: number;
  /** While in the future, the recipient is paused. */
  openUntil: Date | undefined;
}

export interface DeliveryRepository {
  /** Creates it unless it exists (ids are deterministic); true when created. */
  create(d: NewDelivery, at: Date): Promise<boolean>;
  addEvent(deliveryId: string, status: string, at: Date, detail: Record<string, unknown>): Promise<void>;
  /** With timelines, in creation order. */
  bySource(source: string): Promise<DeliveryRecord[]>;
  get(id: string): Promise<DeliveryRecord | undefined>;
  /** Takes the delivery's row lock for the rest of the transaction (no timeline). */
  lock(id: string): Promise<DeliveryRecord | undefined>;
  /** Due deliveries (oldest first), leased until `leaseUntil` so no other dispatcher hands them out meanwhile. */
  claimDue(now: Date, limit: number, leaseUntil: Date): Promise<string[]>;
  update(id: string, patch: DeliveryPatch, at: Date): Promise<void>;
  /** An earlier delivery to the same (recipient, patient) that has not finished: it goes first. */
  unfinishedBefore(d: DeliveryRecord): Promise<DeliveryRecord | undefined>;
  /** A newer version of the same document that has reached (or is reaching) the same recipient. */
  newerVersionReached(d: DeliveryRecord): Promise<DeliveryRecord | undefined>;
  /** Makes waiting deliveries to a recipient (and patient) due now. */
  wake(where: { recipientSor: string; patientId?: string | undefined }, at: Date): Promise<void>;
  byMessageHeader(headerId: string): Promise<DeliveryRecord[]>;
  list(q: { statuses?: DeliveryStatus[] | undefined; recipientSor?: string | undefined; count: number; cursor?: string | undefined }): Promise<Page<DeliveryRecord>>;
  counts(): Promise<Record<string, number>>;
  /** The recipient's circuit, locked for the rest of the transaction. */
  circuit(recipientSor: string): Promise<DeliveryCircuit | undefined>;
  putCircuit(c: DeliveryCircuit, at: Date): Promise<void>;
  /** Recipients with failures on record. */
  circuits(): Promise<DeliveryCircuit[]>;
}

/** The documents whose timeliness is tracked (issue #7; domain.md §2-3). */
export type TimelinessDocumentType = 'epikrise' | 'udskrivningsrapport' | 'genoptraeningsplan';

/**
 * Where an expectation stands. `awaiting-discharge`: a document is in but its discharge is not yet
 * known; `pending` → `at-risk` (the configured hours before due) → `overdue` while nothing is sent;
 * `on-time`/`late` once the row's clock time is set; `excluded` with a reason.
 */
export type ExpectationState = 'awaiting-discharge' | 'pending' | 'at-risk' | 'overdue' | 'on-time' | 'late' | 'excluded';

export type ExclusionReason = 'death' | 'transfer' | 'no-gp' | 'objection' | 'cancelled';

/** Which time measures a row: dispatched by Sektorbro (`sent`) or accepted/acknowledged by the receiver (`delivered`). */
export type TimelinessClock = 'sent' | 'delivered';

/** One expected document for one discharge, with both clocks and what it was measured with. */
export interface TimelinessExpectation {
  id: string;
  documentType: TimelinessDocumentType;
  /** notification (HN SLHJ), document (its Encounter end), or import (`sektorbro timeliness import`). */
  source: 'notification' | 'document' | 'import';
  dischargeKey: string;
  patientId: string;
  stayKey: string | undefined;
  episodeOfCareId: string | undefined;
  hospitalSor: string;
  departmentSor: string | undefined;
  dischargedAt: Date | undefined;
  dueAt: Date | undefined;
  /** `id@version` of the deadline rule. */
  rule: string;
  /** `id@version` of the working-day calendar. */
  calendar: string;
  clock: TimelinessClock;
  state: ExpectationState;
  exclusionReason: ExclusionReason | undefined;
  exclusionSource: string | undefined;
  expectedRecipients: string[];
  documentKey: string | undefined;
  documentReferenceId: string | undefined;
  documentReferenceIds: string[];
  receivedAt: Date | undefined;
  sentAt: Date | undefined;
  deliveredAt: Date | undefined;
  workingDaysElapsed: number | undefined;
  withinThree: boolean | undefined;
  deliveredWorkingDaysElapsed: number | undefined;
  deliveredWithinThree: boolean | undefined;
  alertedAt: Date | undefined;
  alertAttempts: number;
  createdAt: Date;
  updatedAt: Date;
}

export type TimelinessGroupBy = 'month' | 'hospital' | 'department' | 'documentType';

/** Filters shared by the indicator and its drill-down; `from` and `to` bound the discharge time, both inclusive. */
export interface TimelinessFilter {
  from: Date;
  to: Date;
  hospitalSor?: string | undefined;
  departmentSor?: string | undefined;
  documentType?: TimelinessDocumentType | undefined;
}

/** One group of the indicator, counted in SQL. */
export interface TimelinessKpiRow {
  key: string;
  discharges: number;
  excluded: number;
  sent: number;
  onTime: number;
  late: number;
  pending: number;
  overdue: number;
  withinThree: number;
}

export interface TimelinessRepository {
  /** Serialises tracking of one patient's discharges for the rest of the transaction. */
  lockPatient(patientId: string): Promise<void>;
  /** Records a domain event as applied; false when it already was (a replay). */
  markApplied(eventId: string, at: Date): Promise<boolean>;
  /** Creates it unless a row with its id or its (discharge key, document type) exists; true when created. */
  insert(e: TimelinessExpectation): Promise<boolean>;
  /** Writes every mutable field of an existing row. */
  save(e: TimelinessExpectation): Promise<void>;
  get(id: string): Promise<TimelinessExpectation | undefined>;
  /** The rows with these ids that exist (a bulk import looks up what it loaded before). */
  getMany(ids: readonly string[]): Promise<TimelinessExpectation[]>;
  /** Creates, in one statement, the rows whose id and (discharge key, document type) are new; returns how many it created. */
  insertMany(rows: readonly TimelinessExpectation[]): Promise<number>;
  byPatient(patientId: string): Promise<TimelinessExpectation[]>;
  /** Rows matched to this DocumentReference (any version of the document). */
  byDocumentReference(documentReferenceId: string): Promise<TimelinessExpectation[]>;
  /** pending/at-risk/overdue by time (for rows whose clock time is unset); returns how many changed. */
  refreshStates(now: Date, atRiskMs: number): Promise<number>;
  /** Overdue rows not yet alerted and not leased by another poller, oldest due first, leased until `leaseUntil`. */
  claimAlerts(now: Date, leaseUntil: Date, limit: number): Promise<TimelinessExpectation[]>;
  markAlerted(id: string, at: Date): Promise<void>;
  /** Gives the row back for the next run (the alert failed). */
  releaseAlert(id: string): Promise<void>;
  /** The indicator per group, with `clock` deciding on-time and `now` deciding overdue. */
  kpi(q: TimelinessFilter & { groupBy: TimelinessGroupBy; clock: TimelinessClock; now: Date }): Promise<TimelinessKpiRow[]>;
  /** Folds the changes written since into the daily totals the KPI reads; returns how many it folded (0 while another is at it). */
  compactDaily(): Promise<number>;
  /** The rows behind the indicator, by discharge time; `state` is evaluated at `now`. */
  list(q: TimelinessFilter & { state?: ExpectationState | undefined; now: Date; atRiskMs: number; count: number; cursor?: string | undefined }): Promise<Page<TimelinessExpectation>>;
  /** Rows overdue or at risk at `now` (nothing sent on their clock), oldest due first. */
  open(q: { now: Date; atRiskMs: number; hospitalSor?: string | undefined; limit: number }): Promise<TimelinessExpectation[]>;
  /** How many rows are in each state at `now` (evaluated like `list`), per document type; only non-zero pairs. */
  stateCounts(now: Date, atRiskMs: number): Promise<{ state: ExpectationState; documentType: TimelinessDocumentType; count: number }[]>;
}

export type SubscriptionStatus = 'requested' | 'active' | 'error' | 'off';
export type SubscriptionContent = 'empty' | 'id-only' | 'full-resource';

/** What delivery needs of a Subscription (the resource itself is stored like any other). */
export interface SubscriptionRecord {
  id: string;
  /** SOR of the subscriber's organisation: its notifications carry only what that organisation may see. */
  org: string;
  clientId: string;
  /** Backport topic canonical; undefined for an R4 criteria subscription. */
  topic: string | undefined;
  resourceType: string;
  /** Search parameters (a query string) a focus resource must match; may be empty. */
  filter: string;
  endpoint: string;
  headers: [string, string][];
  content: SubscriptionContent;
  secret: string | undefined;
  heartbeatSeconds: number | undefined;
  status: SubscriptionStatus;
  error: string | undefined;
  eventsCount: number;
  lastSentAt: Date | undefined;
  version: number;
}

export interface SubscriptionEvent {
  subscriptionId: string;
  eventNumber: number;
  focus: string;
  patientId: string | undefined;
  occurredAt: Date;
}

export interface SubscriptionRepository {
  /** Creates or replaces the row (its events and event count stay). */
  put(s: Omit<SubscriptionRecord, 'eventsCount' | 'lastSentAt'>, at: Date): Promise<void>;
  get(id: string): Promise<SubscriptionRecord | undefined>;
  /**
   * Subscriptions that record events about `resourceType`: every one not switched off. Events of a
   * `requested` one wait for its handshake; those of one in `error` wait for `$events`.
   */
  active(resourceType: string): Promise<SubscriptionRecord[]>;
  setStatus(id: string, status: SubscriptionStatus, error: string | undefined, at: Date): Promise<void>;
  /** Records the next event (numbered from 1 per subscription) and returns its number. */
  addEvent(id: string, e: { focus: string; patientId: string | undefined; occurredAt: Date }): Promise<number>;
  /** Events from `since` to `until` (both inclusive), oldest first. */
  events(id: string, since: number, until: number, limit: number): Promise<SubscriptionEvent[]>;
  markSent(id: string, at: Date): Promise<void>;
  /** Active subscriptions with a heartbeat period that nothing was sent to for that long. */
  dueHeartbeats(now: Date): Promise<SubscriptionRecord[]>;
}

export interface StoreTx {
  subscriptions: SubscriptionRepository;
  resources: ResourceRepository;
  audit: AuditRepository;
  documents: DocumentRepository;
  messages: MessageRepository;
  outbox: OutboxRepository;
  deliveries: DeliveryRepository;
  timeliness: TimelinessRepository;
}

export interface Store extends StoreTx {
  readonly kind: 'pglite' | 'postgres';
  jti: JtiRepository;
  /** Everything inside `fn` commits or rolls back together. */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
