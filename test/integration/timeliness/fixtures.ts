import { deterministicId, type Clock } from '../../../src/shared/index.ts';
import type { DomainEventRecord, StoreTx, Store, TimelinessExpectation } from '../../../src/store/index.ts';
import {
  DEFAULT_TIMELINESS_SETTINGS,
  onDeliveryProgress,
  onDocumentStored,
  onDomainEvents,
  type StoredDocumentFacts,
  type TimelinessSettings,
} from '../../../src/timeliness/index.ts';

export const HOSPITAL = '265161000016000'; // demo-hospital's organisation
export const GP = '1017421000016003'; // demo-gp's organisation
export const DEPT_A = '265161000016101';
export const DEPT_B = '265161000016202';

export type HnEvent = 'STIN' | 'STAA' | 'STOR' | 'SLOR' | 'SLHJ' | 'MORS';

/**
 * A domain event exactly as message-ingest records one (`toDomainEvent`): the reducer's
 * StayDomainEvent as payload, its id hashed into the record id.
 */
export function domainEvent(
  type: 'admission' | 'discharge' | 'death' | 'cancellation' | 'correction',
  o: { patient: string; stay: string; key: string; event: HnEvent; at?: string; cls?: 'IMP' | 'EMER'; dept?: string; episode?: string; headerId?: string; previousAt?: string },
): DomainEventRecord {
  const headerId = o.headerId ?? o.key;
  const payload = {
    id: `${type}:${o.key}:${headerId}`, type, event: o.event, key: o.key, headerId, at: o.at, class: o.cls ?? 'IMP',
    departmentSor: o.dept, episodeOfCareId: o.episode, ...(o.previousAt ? { previousAt: o.previousAt } : {}),
  };
  return {
    id: deterministicId(`domain-event|${payload.id}`),
    type,
    occurredAt: o.at ? new Date(o.at) : undefined,
    patientId: o.patient,
    stayKey: o.stay,
    departmentSor: o.dept,
    episodeOfCareId: o.episode,
    headerId,
    payload,
  };
}

/** A Patient id per test case: the tracker works per patient, so cases never see each other's rows. */
let n = 0;
export const newPatient = (label: string): string => deterministicId(`timeliness-test|${label}|${String(++n)}|${String(Date.now())}`);

/** Everything for one test case's patient, in the writer's transaction as the real writers would call it. */
export function tracking(store: Store, settings: TimelinessSettings = DEFAULT_TIMELINESS_SETTINGS) {
  const tx = <T>(fn: (t: StoreTx) => Promise<T>): Promise<T> => store.transaction(fn);
  return {
    events: (events: DomainEventRecord[], now: string, hospital = HOSPITAL) =>
      tx((t) => onDomainEvents(t, events, settings, { now: new Date(now), senderSor: hospital })),
    document: (doc: Partial<StoredDocumentFacts> & { documentReferenceId: string; patientId: string; receivedAt: Date }, now?: string) =>
      tx((t) => onDocumentStored(t, { documentType: 'epikrise', senderSor: HOSPITAL, generalPractitioners: [GP], documentKey: `${HOSPITAL}|urn:test|${doc.documentReferenceId}`, ...doc }, settings, now ? { now: new Date(now) } : {})),
    progress: (documentReferenceId: string, event: 'sent' | 'delivered', at: string, recipientSor = GP) =>
      tx((t) => onDeliveryProgress(t, { documentReferenceId, recipientSor, event, at: new Date(at) }, settings)),
    rows: (patientId: string): Promise<TimelinessExpectation[]> => tx((t) => t.timeliness.byPatient(patientId)),
    one: async (patientId: string, type = 'epikrise'): Promise<TimelinessExpectation> => {
      const rows = (await tx((t) => t.timeliness.byPatient(patientId))).filter((r) => r.documentType === type);
      if (rows.length !== 1) throw new Error(`expected one ${type} row for the patient, found ${String(rows.length)}`);
      return rows[0] as TimelinessExpectation;
    },
  };
}

/** A discharge (SLHJ) of an inpatient, with its own stay. */
export const slhj = (patient: string, at: string, o: { dept?: string; episode?: string; cls?: 'IMP' | 'EMER'; stay?: string; key?: string } = {}): DomainEventRecord =>
  domainEvent('discharge', { patient, stay: o.stay ?? `stay:${patient}`, key: o.key ?? `slhj:${patient}:${at}`, event: 'SLHJ', at, cls: o.cls, dept: o.dept ?? DEPT_A, episode: o.episode });

export const fixedAt = (iso: string): Clock => ({ now: () => new Date(iso) });
