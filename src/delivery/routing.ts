import { isRegistryEntry, REGISTRY_TAG, SYSTEM } from '../shared/index.ts';
import type { OutboxEntry, ResourceRepository } from '../store/index.ts';

/** One recipient and why it was chosen; the basis is kept with the delivery. */
export interface RoutedRecipient {
  sor: string;
  basis: string;
}

export interface RoutingDecision {
  source: string;
  patientId: string | undefined;
  recipients: RoutedRecipient[];
  /** Why no recipient could be found: the delivery is flagged for a person, never dropped. */
  unroutable?: string | undefined;
}

/** Finds a registry Organization's SOR code by one of its identifiers (kommunekode, ydernummer, ...). */
export type OrganizationLookup = (system: string, value: string) => Promise<string | undefined>;

const KOMMUNEKODE = 'http://hl7.dk/fhir/core/CodeSystem/dk-core-municipality-codes';

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/**
 * Who receives what (issue #6, "Routing"): recipients the document or message names come first;
 * otherwise the registry decides: an epikrise goes to the patient's GP, an udskrivningsrapport and a
 * plejeforløbsplan to the municipality of residence, a genoptræningsplan to both.
 */
export async function routeOutboxEntry(entry: OutboxEntry, lookup: OrganizationLookup): Promise<RoutingDecision> {
  const p = entry.payload;
  if (entry.eventType === 'message.processed') {
    const receiver = typeof p.receiverSor === 'string' ? p.receiverSor : undefined;
    const patientId = typeof p.patientId === 'string' ? p.patientId : undefined;
    return receiver
      ? { source: entry.subject, patientId, recipients: [{ sor: receiver, basis: 'MessageHeader.destination: the primary receiver the message names' }] }
      : { source: entry.subject, patientId, recipients: [], unroutable: 'the message names no receiver' };
  }
  const patientId = typeof p.patientId === 'string' ? p.patientId : undefined;
  const sender = typeof p.senderSor === 'string' ? p.senderSor : undefined;
  const named = strings(p.namedRecipients).filter((s) => s !== sender);
  const recipients: RoutedRecipient[] = named.map((sor) => ({ sor, basis: 'named by the document (Composition sektorbro-recipient)' }));
  const has = (sor: string) => recipients.some((r) => r.sor === sor);
  const type = typeof p.documentType === 'string' ? p.documentType : '';
  const wantsGp = type === 'epikrise' || type === 'genoptraeningsplan';
  const wantsMunicipality = type === 'udskrivningsrapport' || type === 'plejeforloebsplan' || type === 'genoptraeningsplan';

  if (wantsGp && !strings(p.generalPractitioners).some(has)) {
    for (const sor of strings(p.generalPractitioners)) if (!has(sor)) recipients.push({ sor, basis: "the patient's GP (Patient.generalPractitioner)" });
  }
  // A plan for both (genoptræningsplan) that names only one of them still goes to the other.
  if (wantsMunicipality && strings(p.namedMunicipalities).length === 0 && (named.length === 0 || wantsGp)) {
    for (const code of strings(p.municipalityCodes)) {
      const sor = await lookup(KOMMUNEKODE, code);
      if (sor && !has(sor)) recipients.push({ sor, basis: `the municipality of residence (kommunekode ${code}) from the registry` });
    }
  }
  if (recipients.length === 0) {
    const missing = wantsGp && wantsMunicipality ? 'no GP and no municipality' : wantsGp ? 'no GP' : 'no municipality';
    return { source: entry.subject, patientId, recipients, unroutable: `${missing} could be resolved from the document or the registry` };
  }
  return { source: entry.subject, patientId, recipients };
}

/**
 * The SOR code of the registry Organization carrying identifier `system|value`. Only curated
 * registry rows count (not the copies documents carry), and an identifier that points at more
 * than one SOR code resolves to nothing rather than to a guess.
 */
export async function findRegistrySor(resources: ResourceRepository, system: string, value: string): Promise<string | undefined> {
  // The tag is part of the query, so no number of untagged copies can crowd the registry row out.
  const page = await resources.search(
    {
      type: 'Organization',
      criteria: [
        { kind: 'token', param: 'identifier', values: [{ system, code: value }] },
        { kind: 'meta-tag', system: REGISTRY_TAG.system, code: REGISTRY_TAG.code },
      ],
      count: 20,
      total: false,
    },
    { kind: 'all' },
  );
  const sors = new Set(
    page.items
      .filter((s) => isRegistryEntry(s.resource))
      .map((s) => ((s.resource?.identifier ?? []) as fhir4.Identifier[]).find((i) => i.system === SYSTEM.sor)?.value)
      .filter((v): v is string => v !== undefined),
  );
  return sors.size === 1 ? [...sors][0] : undefined;
}
