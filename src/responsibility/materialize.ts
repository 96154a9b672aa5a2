import { deterministicId, messageBundleId, SYSTEM, type AnyResource } from '../shared/index.ts';
import { findRegistryOrganization, type DomainEventRecord, type StoredResource, type StoreTx } from '../store/index.ts';
import { EXTENSION_EVENT_TYPE, readExtensionPayload } from './patient-events.ts';
import { buildResponsibilityView, RESPONSIBILITY_VIEW_TAG } from './fhir-view.ts';
import { loadPatientResponsibility, type ResponsibilityOptions } from './service.ts';

/**
 * Writes the FHIR view of a patient's *behandlingsansvar* (EpisodeOfCare, CareTeam, CarePlan; see
 * fhir-view.ts) in the caller's transaction, with a Provenance for every episode version pointing at
 * the message that caused it, and an outbox entry `responsibility.changed` when the holder now is
 * another one. Writes only what changed, so a replayed message or a second run adds no versions.
 */

/** What the `responsibility.changed` entry says caused it: a message, or the end of a window (the handover). */
export type ResponsibilityChangeReason = 'message' | 'handover' | 'extension';

export interface MaterializeOptions extends ResponsibilityOptions {
  reason?: ResponsibilityChangeReason | undefined;
}

export interface MaterializeResult {
  /** `Type/id/_history/vid` of every version written (Provenances included). */
  written: string[];
  /** The holder at `now` changed (the `responsibility.changed` outbox entry was appended). */
  holderChanged: boolean;
}

export const RESPONSIBILITY_CHANGED = 'responsibility.changed';

const VIEW_TYPES = ['EpisodeOfCare', 'CareTeam', 'CarePlan'] as const;
const PAGE = 200;

/** JSON with object keys sorted: jsonb does not keep key order, so stored and built resources compare by content. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The content that matters: everything but `meta` other than its tags (the store owns versionId and lastUpdated). */
const contentOf = (r: AnyResource | undefined): string => {
  if (r === undefined) return '';
  const { meta, ...rest } = r;
  return canonical({ ...rest, tag: meta?.tag ?? [] });
};

async function storedViews(tx: StoreTx, type: (typeof VIEW_TYPES)[number], patientId: string): Promise<StoredResource[]> {
  const out: StoredResource[] = [];
  let cursor: string | undefined;
  do {
    const page = await tx.resources.search(
      {
        type,
        criteria: [
          { kind: 'reference', param: 'patient', values: [{ type: 'Patient', id: patientId }] },
          { kind: 'meta-tag', system: RESPONSIBILITY_VIEW_TAG.system, code: RESPONSIBILITY_VIEW_TAG.code },
        ],
        count: PAGE,
        cursor,
        total: false,
      },
      { kind: 'all' },
    );
    out.push(...page.items.filter((s) => !s.deleted && s.resource !== undefined));
    cursor = page.next;
  } while (cursor !== undefined);
  return out;
}

/** What caused a change, as Provenance.entity and agent: the latest stored fact about the patient. */
function causeOf(record: DomainEventRecord | undefined): { entity: fhir4.ProvenanceEntity[]; agent: fhir4.ProvenanceAgent[] } {
  if (record === undefined) return { entity: [], agent: [] };
  const department: fhir4.ProvenanceAgent[] =
    record.departmentSor === undefined
      ? []
      : [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author' }] }, who: { identifier: { system: SYSTEM.sor, value: record.departmentSor } } }];
  const extension = record.type === EXTENSION_EVENT_TYPE ? readExtensionPayload(record.payload) : undefined;
  if (extension?.source === 'api') {
    return {
      entity: [{ role: 'source', what: { identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${record.headerId}` }, display: 'explicit extension (POST /api/responsibility/extension)' } }],
      agent: department,
    };
  }
  // The MedCom message by its MessageHeader.id (as MedCom's own Provenance names it), and the stored message Bundle.
  return {
    entity: [
      ...(extension?.source === 'care-communication' ? [{ role: 'source' as const, what: { reference: extension.communication, type: 'Communication' } }] : []),
      { role: 'source', what: { reference: `MessageHeader/${record.headerId}`, type: 'MessageHeader' } },
      { role: 'source', what: { reference: `Bundle/${messageBundleId(record.headerId)}`, type: 'Bundle' } },
    ],
    agent: extension === undefined ? [] : department,
  };
}

const REASON_TEXT: Record<ResponsibilityChangeReason, string> = {
  message: 'a message changed the responsibility periods',
  handover: 'the window of extended responsibility ended',
  extension: 'the holding department extended the window',
};

/** The Provenance of one EpisodeOfCare version (R4 Provenance: target a version, entity what it was derived from). */
function provenanceFor(episode: StoredResource, cause: DomainEventRecord | undefined, now: Date, reason: ResponsibilityChangeReason): AnyResource & { id: string } {
  const target = `EpisodeOfCare/${episode.id}/_history/${String(episode.versionId)}`;
  const { entity, agent } = reason === 'handover' ? { entity: [], agent: [] } : causeOf(cause);
  return {
    resourceType: 'Provenance',
    id: deterministicId(`Provenance|responsibility|${target}`),
    meta: { tag: [{ ...RESPONSIBILITY_VIEW_TAG }] },
    target: [{ reference: target }],
    recorded: now.toISOString(),
    activity: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: episode.versionId === 1 ? 'CREATE' : 'UPDATE' }],
    },
    reason: [{ text: REASON_TEXT[reason] }],
    agent: [
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'assembler' }] },
        who: { display: 'Sektorbro (derived from the responsibility rules)' },
      },
      ...agent,
    ],
    ...(entity.length === 0 ? {} : { entity }),
  };
}

/**
 * Loads the patient's responsibility (service.ts), builds the view at `now` and writes what changed:
 * new and changed resources, `entered-in-error` for episodes no period backs any more (a cancelled
 * discharge), a Provenance per written episode version. Grants: the organisations that may read the
 * Patient, plus every holder, so the department, the GP and the municipality each can read them.
 */
export async function materializeResponsibility(tx: StoreTx, patientId: string, now: Date, opts: MaterializeOptions = {}): Promise<MaterializeResult> {
  const reason = opts.reason ?? 'message';
  const patient = patientId === '' ? undefined : await tx.resources.read('Patient', patientId);
  if (patient === undefined) return { written: [], holderChanged: false };
  // One materialisation per patient at a time (ingest of two stays, the API's and a worker's poller).
  await tx.messages.lock(`responsibility:${patientId}`);
  const responsibility = await loadPatientResponsibility(tx, patientId, opts);

  const sors = [...new Set(responsibility.periods.flatMap((p) => (p.holder.kind === 'none' || p.holder.organization === null ? [] : [p.holder.organization.sor])))];
  const organizations = new Map<string, string>();
  for (const sor of sors) {
    const id = (await findRegistryOrganization(tx.resources, sor))?.id;
    if (id !== undefined) organizations.set(sor, id);
  }
  const view = buildResponsibilityView({ patientId, periods: responsibility.periods, now, organizations });

  const existing = new Map<string, StoredResource>();
  for (const type of VIEW_TYPES) for (const s of await storedViews(tx, type, patientId)) existing.set(`${s.type}/${s.id}`, s);

  const audience = [...new Set([...patient.grants, ...sors])];
  const writerOrg = audience[0];
  if (writerOrg === undefined) return { written: [], holderChanged: false };
  const ctx = { writerOrg, grantOrgs: audience.slice(1) };
  const cause = (await tx.messages.events(patientId)).at(-1);

  const written: string[] = [];
  const write = async (resource: AnyResource & { id: string }): Promise<void> => {
    const key = `${resource.resourceType}/${resource.id}`;
    const before = existing.get(key) ?? (await tx.resources.read(resource.resourceType, resource.id));
    if (before !== undefined && !before.deleted && contentOf(before.resource) === contentOf(resource)) {
      const missing = audience.filter((o) => !before.grants.includes(o));
      if (missing.length > 0) await tx.resources.grant(resource.resourceType, resource.id, missing);
      return;
    }
    const { stored } = await tx.resources.update(resource, ctx);
    written.push(`${key}/_history/${String(stored.versionId)}`);
    if (stored.type === 'EpisodeOfCare') {
      const provenance = await tx.resources.update(provenanceFor(stored, cause, now, reason), ctx);
      written.push(`Provenance/${provenance.stored.id}/_history/${String(provenance.stored.versionId)}`);
    }
  };

  const wanted = new Set<string>();
  for (const e of view) {
    for (const r of [e.episodeOfCare, e.careTeam, e.carePlan]) {
      if (r === undefined) continue;
      wanted.add(`${r.resourceType}/${r.id}`);
      await write(r as unknown as AnyResource & { id: string });
    }
  }
  // Episodes no period backs any more (a cancelled or moved discharge, a GP now known): withdrawn, not deleted, so history stays readable.
  for (const [key, s] of existing) {
    if (wanted.has(key) || s.resource === undefined || s.resource.status === 'entered-in-error') continue;
    await write({ ...(s.resource as AnyResource & { id: string }), status: 'entered-in-error' });
  }

  // A new holder, or the same holder until another time (an extension): subscribers hear of both.
  const endOf = (e: fhir4.EpisodeOfCare | undefined): string => e?.period?.end ?? '';
  const activeBefore = [...existing.values()]
    .filter((s) => s.type === 'EpisodeOfCare' && s.resource?.status === 'active')
    .map((s) => `${s.id}@${endOf(s.resource as unknown as fhir4.EpisodeOfCare)}`)
    .sort();
  const activeNow = view.filter((e) => e.status === 'active').map((e) => `${e.episodeOfCare.id}@${endOf(e.episodeOfCare)}`).sort();
  const holderChanged = activeBefore.join() !== activeNow.join();
  if (holderChanged) {
    await tx.outbox.append(RESPONSIBILITY_CHANGED, `Patient/${patientId}`, { patientId, focus: `Patient/${patientId}`, reason }, now);
  }
  return { written, holderChanged };
}
