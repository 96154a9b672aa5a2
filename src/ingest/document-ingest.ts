import { createHash } from 'node:crypto';
import {
  forbidden,
  hasErrors,
  isResourceLike,
  unprocessable,
  SYSTEM,
  type AnyResource,
  type Clock,
  type Issue,
  deterministicId,
} from '../shared/index.ts';
import type { DocumentRecord, Store, StoreTx, StoredResource } from '../store/index.ts';
import { isGlnSystem } from '../medcom/index.ts';
import { DEFAULT_TIMELINESS_SETTINGS, onDocumentStored, parseInstant, type TimelinessSettings } from '../timeliness/index.ts';
import { materializeResponsibility } from '../responsibility/index.ts';
import type { Validator } from '../validation/index.ts';
import { idForEntry } from './deterministic-ids.ts';
import { collectSors, EntryIndex, inLockOrder, storedFormOf, unprocessableAt, type BundleEntry } from './document-bundle.ts';

const BASE = 'http://sektorbro.dk/fhir';
const DOCUMENT_TYPE_SYSTEM = `${BASE}/CodeSystem/sektorbro-document-type`;
const RECIPIENT_EXT = `${BASE}/StructureDefinition/sektorbro-recipient`;
const EPISODE_EXT = `${BASE}/StructureDefinition/sektorbro-episode-of-care-identifier`;
const OUTCOME_EXT = `${BASE}/StructureDefinition/sektorbro-ingest-outcome`;

/** The four discharge documents and the Bundle profile each must declare (docs/documents.md). */
export const DOCUMENT_TYPES = ['epikrise', 'udskrivningsrapport', 'plejeforloebsplan', 'genoptraeningsplan'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];
export const bundleProfileOf = (t: DocumentType): string => `${BASE}/StructureDefinition/sektorbro-${t}-bundle`;

/** Who submits: a plain value, so ingest needs no auth types. */
export interface Submitter {
  clientId: string;
  /** SOR code of the client's organisation. */
  org: string;
  /** Admin may load documents of any sender (backfill, test data); everyone else only their own. */
  mayActForAnySender: boolean;
}

export interface Payload {
  bytes: Buffer;
  mediaType: string;
  format: DocumentRecord['format'];
  /** `<mapping id>|<version>` when the Bundle was mapped from a legacy format. */
  mapping?: string | undefined;
  /** Warnings from before validation (e.g. input the mapping did not use), answered with the rest. */
  issues?: readonly Issue[] | undefined;
}

export interface IngestResult {
  status: 201;
  /** The DocumentReference, with the warnings as a contained OperationOutcome. */
  body: Record<string, unknown>;
  documentReferenceId: string;
  /** True when this exact payload was accepted before and its original answer is replayed. */
  replay: boolean;
  /** References written, for the audit record. */
  entities: string[];
}

export interface DocumentIngestDeps {
  store: Store;
  validator: Validator;
  clock: Clock;
  /** The timeliness indicator's settings for new expectations (default: the configured defaults). */
  timeliness?: TimelinessSettings | undefined;
}

/**
 * Accepts one discharge document (a FHIR document Bundle, received as such or mapped from OIOXML)
 * and stores, in one transaction: the Bundle as received, every resource it carries under a
 * deterministic id, a DocumentReference indexing it, a Provenance tying them to the verbatim
 * payload, and the ingest record with the answer given. A resubmission of the same bytes replays
 * that answer; a new version supersedes the current one (both stay in history); an older version
 * that arrives late is kept but never overtakes the newer one; a cancellation marks it entered-in-error.
 */
export async function ingestDocument(
  deps: DocumentIngestDeps,
  input: unknown,
  payload: Payload,
  submitter: Submitter,
  audit: (tx: StoreTx, entities: string[]) => Promise<void>,
): Promise<IngestResult> {
  input = normaliseGlnSystems(input);
  const issues = deps.validator.validate(input, { resourceType: 'Bundle' });
  if (hasErrors(issues)) throw unprocessable(issues);
  if (!isResourceLike(input)) throw unprocessableAt('Bundle', 'A document Bundle is expected');
  const doc = analyse(input);
  const warnings = [...(payload.issues ?? []), ...issues].filter((i) => i.severity === 'warning' || i.severity === 'information');

  if (!submitter.mayActForAnySender && doc.senderSor !== submitter.org) {
    throw forbidden(
      `The document's custodian (SOR ${doc.senderSor}) is not your organisation (SOR ${submitter.org}); a client submits only its own documents`,
    );
  }

  const contentHash = createHash('sha256').update(payload.bytes).digest('hex');
  const receivedAt = deps.clock.now();

  return deps.store.transaction(async (tx) => {
    await tx.documents.lock(doc.documentKey);
    const versions = await tx.documents.versions(doc.documentKey);
    const seen = versions.find((v) => v.contentHash === contentHash);
    if (seen) {
      await audit(tx, [`DocumentReference/${seen.documentReferenceId}`]);
      return { status: 201, body: seen.answer, documentReferenceId: seen.documentReferenceId, replay: true, entities: [] };
    }
    const current = [...versions].reverse().find((v) => v.status !== 'superseded');
    const version = (versions.at(-1)?.version ?? 0) + 1;
    const arrivedLate = current !== undefined && doc.timestamp < current.documentTimestamp;
    const cancelled = doc.composition.status === 'entered-in-error';
    const status: DocumentRecord['status'] = arrivedLate ? 'superseded' : cancelled ? 'entered-in-error' : 'current';
    if (arrivedLate) {
      warnings.push({
        severity: 'warning',
        code: 'informational',
        diagnostics: `A newer version of this document (sent ${current.documentTimestamp.toISOString()}) is already current; this one is kept in history only`,
        expression: ['Bundle.timestamp'],
      });
    }

    const write = { writerOrg: submitter.org, grantOrgs: doc.audience };
    const written: StoredResource[] = [];
    // A late older version must not overwrite the resources of the newer one.
    if (!arrivedLate) {
      const ordered = inLockOrder(doc.index.entries, doc.ids).flatMap((entry) => doc.resources.get(entry) ?? []);
      const stored = await tx.resources.readMany(ordered.map((r) => ({ type: r.resourceType, id: r.id })));
      for (const incoming of ordered) {
        // Organizations (by SOR) and Patients (by CPR) are shared by every document that names them, and
        // mostly arrive unchanged: that case takes no lock, or every letter from one department would queue
        // behind the others' transactions. A concurrent change wins, as if this document had come first.
        const seen = stored.get(`${incoming.resourceType}/${incoming.id}`);
        if (seen?.resource && !seen.deleted && sameContent(seen.resource, keepDeathRecord(seen.resource, incoming))) {
          const wanted = [write.writerOrg, ...write.grantOrgs];
          if (!wanted.every((org) => seen.grants.includes(org))) await tx.resources.grant(incoming.resourceType, incoming.id, wanted);
          written.push(seen);
          continue;
        }
        // An entry of this document only (its id comes from the document key, which is locked) that is not
        // stored yet needs no second look; a shared one is read again under its lock: no lost update.
        const shared = incoming.resourceType === 'Patient' || incoming.resourceType === 'Organization';
        const existing = seen || shared ? await tx.resources.readForUpdate(incoming.resourceType, incoming.id) : undefined;
        const resource = keepDeathRecord(existing?.resource, incoming);
        // An unchanged resource (the same Patient in the next version) keeps its version; only its grants grow.
        if (existing?.resource && !existing.deleted && sameContent(existing.resource, resource)) {
          await tx.resources.grant(resource.resourceType, resource.id, [write.writerOrg, ...write.grantOrgs]);
          written.push(existing);
        } else {
          written.push((await tx.resources.update(resource, write)).stored);
        }
      }
      if (current) {
        await tx.documents.setStatus(current.id, 'superseded');
        await supersedeReference(tx, current.documentReferenceId, write);
      }
    }

    const bundleId = deterministicId(`${doc.documentKey}|version|${String(version)}|Bundle`);
    const bundle = await tx.resources.update({ ...input, id: bundleId }, write);
    written.push(bundle.stored);

    const documentReferenceId = deterministicId(`${doc.documentKey}|version|${String(version)}|DocumentReference`);
    // A late older version replaces nothing: the newer one stays current and is not its predecessor.
    const reference = buildDocumentReference(doc, documentReferenceId, bundleId, status, arrivedLate ? undefined : current?.documentReferenceId);
    const storedReference = (await tx.resources.update(reference, write)).stored;
    written.push(storedReference);

    const provenance = buildProvenance(doc, version, written, receivedAt, submitter, contentHash, payload.mapping, bundleId);
    written.push((await tx.resources.update(provenance, write)).stored);

    const answer = answerBody(storedReference, warnings);
    await tx.documents.insert(
      {
        id: deterministicId(`${doc.documentKey}|version|${String(version)}|ingest`),
        documentKey: doc.documentKey,
        version,
        contentHash,
        format: payload.format,
        mediaType: payload.mediaType,
        documentType: doc.type,
        status,
        senderOrg: doc.senderSor,
        clientId: submitter.clientId,
        bundleId,
        documentReferenceId,
        documentTimestamp: doc.timestamp,
        receivedAt,
        mapping: payload.mapping,
        answerStatus: 201,
        answer,
      },
      payload.bytes,
    );
    // The timeliness clock sees the document in the same transaction (a late older version changes nothing).
    if (!arrivedLate && status === 'current') {
      await onDocumentStored(tx, timelinessFacts(doc, documentReferenceId, receivedAt), deps.timeliness ?? DEFAULT_TIMELINESS_SETTINGS, { now: receivedAt });
    }
    // An udskrivningsrapport or plejeforløbsplan is what tells that the patient went home to municipal
    // nursing: the responsibility view may change with it, in this transaction.
    if (!arrivedLate && (doc.type === 'udskrivningsrapport' || doc.type === 'plejeforloebsplan')) {
      await materializeResponsibility(tx, doc.patientId, receivedAt);
    }
    // Delivery follows from the outbox, committed with the document (a late older version is history only).
    if (!arrivedLate) {
      await tx.outbox.append('document.stored', `DocumentReference/${documentReferenceId}`, {
        documentReferenceId,
        documentType: doc.type,
        status,
        patientId: doc.patientId,
        senderSor: doc.senderSor,
        namedRecipients: doc.namedRecipients,
        namedMunicipalities: doc.namedMunicipalities,
        generalPractitioners: doc.generalPractitioners,
        municipalityCodes: doc.municipalityCodes,
      }, receivedAt);
    }
    const entities = written.map((s) => `${s.type}/${s.id}`);
    await audit(tx, entities);
    return { status: 201, body: answer, documentReferenceId, replay: false, entities };
  });
}

/** What the timeliness tracker needs of a stored document: its discharge, episode, department and GP. */
function timelinessFacts(doc: AnalysedDocument, documentReferenceId: string, receivedAt: Date): Parameters<typeof onDocumentStored>[1] {
  const c = doc.resources.get(doc.index.entries[0] as BundleEntry) ?? doc.composition;
  const enc = (doc.encounter ? doc.resources.get(doc.encounter) : undefined) as fhir4.Encounter | undefined;
  const episode = ((c.extension ?? []) as fhir4.Extension[]).find((e) => e.url === EPISODE_EXT)?.valueIdentifier?.value ?? enc?.episodeOfCare?.[0]?.identifier?.value;
  const providerId = /^Organization\/(.+)$/.exec(enc?.serviceProvider?.reference ?? '')?.[1];
  const provider = [...doc.resources.values()].find((r) => r.resourceType === 'Organization' && r.id === providerId) as fhir4.Organization | undefined;
  return {
    documentReferenceId,
    documentType: doc.type,
    patientId: doc.patientId,
    senderSor: doc.senderSor,
    generalPractitioners: doc.generalPractitioners,
    receivedAt,
    documentKey: doc.documentKey,
    episodeOfCareId: episode,
    encounterEnd: typeof enc?.period?.end === 'string' ? parseInstant(enc.period.end) : undefined,
    encounterClass: enc?.class.code,
    departmentSor: provider?.identifier?.find((i) => i.system === SYSTEM.sor)?.value,
    dischargeDisposition: enc?.hospitalization?.dischargeDisposition?.coding?.[0]?.code,
  };
}

interface AnalysedDocument {
  type: DocumentType;
  documentKey: string;
  timestamp: Date;
  senderSor: string;
  composition: AnyResource;
  bundleIdentifier: unknown;
  index: EntryIndex;
  /** Each entry's resource with its stored id and rewritten references. */
  resources: Map<BundleEntry, AnyResource & { id: string }>;
  ids: Map<BundleEntry, string>;
  patientId: string;
  encounter: BundleEntry | undefined;
  /** SOR codes of every organisation the document names: they may read it. */
  audience: string[];
  /** SOR codes of the organisations the Composition addresses (`sektorbro-recipient`). */
  namedRecipients: string[];
  /** Those of them that are municipalities (carry a kommunekode). */
  namedMunicipalities: string[];
  /** SOR codes of the patient's GP (`Patient.generalPractitioner`). */
  generalPractitioners: string[];
  /** Kommunekoder of the patient's addresses (DK Core municipality code extension). */
  municipalityCodes: string[];
}

/** Checks the document-level rules ingest depends on and computes the stored form. */
function analyse(bundle: AnyResource): AnalysedDocument {
  if (bundle.resourceType !== 'Bundle' || bundle.type !== 'document') {
    throw unprocessableAt('Bundle.type', 'Only document Bundles (Bundle.type = document) are accepted here; MedCom messages go to $process-message');
  }
  const index = new EntryIndex(bundle);
  const first = index.entries[0];
  if (first?.index !== 0 || first.resource.resourceType !== 'Composition') {
    throw unprocessableAt('Bundle.entry[0].resource', 'The first entry of a document Bundle must be its Composition');
  }
  const composition = first.resource;
  const at = (path: string) => `Bundle.entry[0].resource.${path}`;

  const typeCodings = ((composition.type as fhir4.CodeableConcept | undefined)?.coding ?? []);
  const type = typeCodings.find((c) => c.system === DOCUMENT_TYPE_SYSTEM)?.code;
  if (!type || !(DOCUMENT_TYPES as readonly string[]).includes(type)) {
    throw unprocessableAt(at('type'), `Composition.type must carry a code from ${DOCUMENT_TYPE_SYSTEM}: ${DOCUMENT_TYPES.join(', ')}`, 'value');
  }
  const docType = type as DocumentType;
  const declared = (bundle.meta?.profile ?? []);
  if (!declared.includes(bundleProfileOf(docType))) {
    throw unprocessableAt('Bundle.meta.profile', `A ${docType} Bundle must declare the profile ${bundleProfileOf(docType)}`, 'value');
  }

  const identifier = composition.identifier as fhir4.Identifier | undefined;
  if (!identifier?.system || !identifier.value) {
    throw unprocessableAt(at('identifier'), 'Composition.identifier (system and value) identifies the document across its versions and is required', 'required');
  }

  const timestamp = new Date(typeof bundle.timestamp === 'string' ? bundle.timestamp : '');
  if (Number.isNaN(timestamp.getTime())) throw unprocessableAt('Bundle.timestamp', 'Bundle.timestamp is required in a document', 'required');

  const patientEntry = index.resolveRef(composition.subject);
  if (patientEntry?.resource.resourceType !== 'Patient') {
    throw unprocessableAt(at('subject'), 'Composition.subject must refer to the Patient entry of the Bundle', 'required');
  }
  const custodian = index.resolveRef(composition.custodian);
  if (custodian?.resource.resourceType !== 'Organization') {
    throw unprocessableAt(at('custodian'), 'Composition.custodian must refer to the sending Organization entry of the Bundle', 'required');
  }
  const senderSor = sorOf(custodian.resource);
  if (!senderSor) {
    throw unprocessableAt(`Bundle.entry[${String(custodian.index)}].resource.identifier`, 'The sending Organization needs a SOR identifier (urn:oid:1.2.208.176.1.1)', 'required');
  }

  // A document's identity is its sender's: another sender reusing the identifier makes another document.
  const documentKey = `${senderSor}|${identifier.system}|${identifier.value}`;
  const ids = new Map<BundleEntry, string>();
  for (const e of index.entries) ids.set(e, idForEntry(e.resource, documentKey, e.fullUrl));
  const resources = new Map<BundleEntry, AnyResource & { id: string }>();
  for (const e of index.entries) resources.set(e, storedFormOf(e, index, ids));

  const audience = new Set<string>([senderSor]);
  collectSors(bundle, audience);
  const sorOfRef = (ref: unknown): string | undefined => {
    const target = index.resolveRef(ref);
    if (target?.resource.resourceType === 'Organization') return sorOf(target.resource);
    const id = (ref as { identifier?: fhir4.Identifier } | undefined)?.identifier;
    return id?.system === SYSTEM.sor ? id.value : undefined;
  };
  const defined = (xs: (string | undefined)[]): string[] => [...new Set(xs.filter((x): x is string => x !== undefined))];
  const recipientRefs = ((composition.extension ?? []) as fhir4.Extension[]).filter((e) => e.url === RECIPIENT_EXT).map((e) => e.valueReference);
  const namedRecipients = defined(recipientRefs.map(sorOfRef));
  const isMunicipality = (ref: unknown): boolean =>
    ((index.resolveRef(ref)?.resource.identifier ?? []) as fhir4.Identifier[]).some((i) => i.system === SYSTEM.kommunekode);
  const namedMunicipalities = defined(recipientRefs.filter(isMunicipality).map(sorOfRef));
  const generalPractitioners = defined(((patientEntry.resource.generalPractitioner ?? []) as fhir4.Reference[]).map(sorOfRef));
  const municipalityCodes = defined(
    ((patientEntry.resource.address ?? []) as fhir4.Address[]).flatMap((a) =>
      (a.extension ?? []).flatMap((x) => x.valueCodeableConcept?.coding ?? []).filter((c) => c.system === SYSTEM.kommunekode).map((c) => c.code),
    ),
  );
  return {
    type: docType,
    documentKey,
    timestamp,
    senderSor,
    composition,
    bundleIdentifier: bundle.identifier,
    index,
    resources,
    ids,
    patientId: ids.get(patientEntry) ?? '',
    encounter: index.resolveRef(composition.encounter),
    audience: [...audience],
    namedRecipients,
    namedMunicipalities,
    generalPractitioners,
    municipalityCodes,
  };
}

function sorOf(org: AnyResource): string | undefined {
  const ids = (org.identifier ?? []) as fhir4.Identifier[];
  return ids.find((i) => i.system === SYSTEM.sor && i.value)?.value;
}

async function supersedeReference(tx: StoreTx, id: string, write: { writerOrg: string; grantOrgs: string[] }): Promise<void> {
  const prev = await tx.resources.read('DocumentReference', id);
  if (!prev?.resource || prev.deleted) return;
  const { meta: _meta, ...rest } = prev.resource;
  await tx.resources.update({ ...rest, id, status: 'superseded' }, write);
}

function buildDocumentReference(
  doc: AnalysedDocument,
  id: string,
  bundleId: string,
  status: DocumentRecord['status'],
  replaces: string | undefined,
): AnyResource & { id: string } {
  const c = doc.resources.get(doc.index.entries[0] as BundleEntry) ?? doc.composition;
  const encounter = doc.encounter ? doc.resources.get(doc.encounter) : undefined;
  const recipients = ((c.extension ?? []) as fhir4.Extension[]).filter((e) => e.url === RECIPIENT_EXT);
  const episode = ((c.extension ?? []) as fhir4.Extension[]).find((e) => e.url === EPISODE_EXT)?.valueIdentifier;
  const docStatus = c.status === 'entered-in-error' ? 'entered-in-error' : c.status === 'amended' ? 'amended' : 'final';
  return {
    resourceType: 'DocumentReference',
    id,
    ...(recipients.length > 0 ? { extension: recipients } : {}),
    ...(doc.bundleIdentifier ? { masterIdentifier: doc.bundleIdentifier } : {}),
    identifier: [c.identifier],
    status,
    docStatus,
    type: c.type,
    subject: { reference: `Patient/${doc.patientId}` },
    date: doc.timestamp.toISOString(),
    ...(Array.isArray(c.author) ? { author: c.author } : {}),
    ...(c.custodian ? { custodian: c.custodian } : {}),
    ...(replaces ? { relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${replaces}` } }] } : {}),
    ...(typeof c.title === 'string' ? { description: c.title } : {}),
    content: [
      {
        attachment: {
          contentType: 'application/fhir+json',
          url: `Bundle/${bundleId}`,
          ...(typeof c.title === 'string' ? { title: c.title } : {}),
          ...(typeof c.date === 'string' ? { creation: c.date } : {}),
        },
        format: { system: 'urn:ietf:rfc:3986', code: bundleProfileOf(doc.type) },
      },
    ],
    context: {
      ...(encounter ? { encounter: [{ reference: `Encounter/${encounter.id}` }] } : {}),
      ...(encounter?.period ? { period: encounter.period } : {}),
      ...(episode ? { related: [{ identifier: episode }] } : {}),
    },
  };
}

function buildProvenance(
  doc: AnalysedDocument,
  version: number,
  written: StoredResource[],
  receivedAt: Date,
  submitter: Submitter,
  contentHash: string,
  mapping: string | undefined,
  bundleId: string,
): AnyResource & { id: string } {
  return {
    resourceType: 'Provenance',
    id: deterministicId(`${doc.documentKey}|version|${String(version)}|Provenance`),
    target: written.map((s) => ({ reference: `${s.type}/${s.id}/_history/${String(s.versionId)}` })),
    recorded: receivedAt.toISOString(),
    ...(mapping ? { policy: [`${BASE}/mapping/${mapping}`] } : {}),
    activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: version === 1 ? 'CREATE' : 'UPDATE' }] },
    agent: [
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'custodian' }] },
        who: { identifier: { system: SYSTEM.sor, value: doc.senderSor } },
      },
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'performer' }] },
        who: { identifier: { system: 'urn:sektorbro:client-id', value: submitter.clientId } },
      },
    ],
    entity: [
      // The verbatim payload, kept in the ingest record under this hash.
      { role: 'source', what: { identifier: { system: 'urn:sektorbro:payload-sha256', value: contentHash } } },
      { role: 'source', what: { reference: `Bundle/${bundleId}` } },
    ],
  };
}

function answerBody(reference: StoredResource, warnings: Issue[]): Record<string, unknown> {
  const outcome: fhir4.OperationOutcome = {
    resourceType: 'OperationOutcome',
    id: 'outcome',
    issue: (warnings.length > 0 ? warnings : [{ severity: 'information', code: 'informational', diagnostics: 'Document accepted' } as Issue]).map((i) => ({
      severity: i.severity,
      code: i.code,
      diagnostics: i.diagnostics,
      ...(i.expression ? { expression: i.expression } : {}),
    })),
  };
  return {
    ...reference.resource,
    contained: [outcome],
    extension: [...((reference.resource?.extension ?? []) as fhir4.Extension[]), { url: OUTCOME_EXT, valueReference: { reference: '#outcome' } }],
  };
}

/** Equal FHIR content, ignoring `meta` (the store's) and key order (jsonb reorders keys). */
function sameContent(a: AnyResource, b: AnyResource): boolean {
  const { meta: _a, ...ra } = a;
  const { meta: _b, ...rb } = b;
  return stableStringify(ra) === stableStringify(rb);
}

function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * GLNs arrive as `https://www.gs1.org/gln`, `http://www.gs1.org/gln` (DK Core >= 3.5.0) or
 * `urn:oid:1.3.88`; Sektorbro stores one form (domain.md §5). The payload bytes keep what was sent.
 */
function normaliseGlnSystems(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normaliseGlnSystems);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === 'system' && isGlnSystem(v) ? SYSTEM.gln : normaliseGlnSystems(v);
  return out;
}

/**
 * One Patient row serves every document and message about a person: a document that says nothing
 * about death must not erase a death a HospitalNotification recorded.
 */
export function keepDeathRecord<T extends AnyResource>(existing: AnyResource | undefined, incoming: T): T {
  if (incoming.resourceType !== 'Patient' || !existing || incoming.deceasedBoolean !== undefined || incoming.deceasedDateTime !== undefined) return incoming;
  if (existing.deceasedDateTime !== undefined) return { ...incoming, deceasedDateTime: existing.deceasedDateTime };
  if (existing.deceasedBoolean !== undefined) return { ...incoming, deceasedBoolean: existing.deceasedBoolean };
  return incoming;
}

/**
 * Nor must a HospitalNotification, whose minimal data set has no GP, erase the GP a document named:
 * routing, timeliness and responsibility all ask the Patient who the GP is.
 */
export function keepGeneralPractitioner<T extends AnyResource>(existing: AnyResource | undefined, incoming: T): T {
  if (incoming.resourceType !== 'Patient' || !existing || incoming.generalPractitioner !== undefined || existing.generalPractitioner === undefined) return incoming;
  return { ...incoming, generalPractitioner: existing.generalPractitioner };
}
