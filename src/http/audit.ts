import type { Response } from 'express';
import type { Principal } from '../auth/index.ts';
import type { AuditAction, AuditOutcome, AuditRepository, Store, StoredAuditRecord } from '../store/index.ts';
import { SYSTEM, type Clock, type Logger } from '../shared/index.ts';

/**
 * What a FHIR route is about to do, set before access is checked so that denied and failed
 * requests are audited too (who, organisation, what, when, outcome).
 */
export interface AuditIntent {
  action: AuditAction;
  interaction: string;
  resourceType: string | undefined;
  entities: string[];
  query: string | undefined;
}

export function setAuditIntent(res: Response, intent: AuditIntent): void {
  res.locals.auditIntent = intent;
}

const outcomeFor = (status: number): AuditOutcome => (status < 400 ? '0' : status < 500 ? '4' : '8');

export interface Auditor {
  /** Records a successful access before the data leaves: no audit record, no answer. */
  success(res: Response, status: number, entities: string[], inTransaction?: AuditRepository): Promise<void>;
  /** Records a denied or failed access; a failure to write is logged, never allowed to mask the original error. */
  failure(res: Response, status: number): Promise<void>;
}

export function createAuditor(deps: { store: Store; clock: Clock; logger: Logger }): Auditor {
  const write = async (res: Response, status: number, extraEntities: string[], repo: AuditRepository = deps.store.audit): Promise<void> => {
    const intent = res.locals.auditIntent as AuditIntent | undefined;
    if (!intent) return;
    const principal = res.locals.principal as Principal | undefined;
    await repo.record({
      recorded: deps.clock.now(),
      requestId: String(res.locals.requestId),
      clientId: principal?.clientId,
      org: principal?.org.sor,
      role: principal?.role,
      action: intent.action,
      interaction: intent.interaction,
      outcome: outcomeFor(status),
      status,
      resourceType: intent.resourceType,
      entities: [...new Set([...intent.entities, ...extraEntities])],
      query: intent.query,
      sourceIp: res.req.ip,
    });
    res.locals.auditIntent = undefined; // exactly one record per request
  };
  return {
    success: write,
    async failure(res, status) {
      try {
        await write(res, status, []);
      } catch (e) {
        deps.logger.error('audit.write-failed', { err: e });
      }
    },
  };
}

const INTERACTION_SYSTEM = 'http://hl7.org/fhir/restful-interaction';

/** An audit row as FHIR R4 AuditEvent (the table stays apart from the resource tables). */
export function toAuditEvent(r: StoredAuditRecord): fhir4.AuditEvent {
  const agents: fhir4.AuditEventAgent[] = [
    {
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP', display: 'information recipient' }] },
      who: r.clientId
        ? { identifier: { system: 'urn:sektorbro:client-id', value: r.clientId }, display: r.clientId }
        : { display: 'unauthenticated client' },
      requestor: true,
      ...(r.role ? { role: [{ text: r.role }] } : {}),
      ...(r.sourceIp ? { network: { address: r.sourceIp, type: '2' as const } } : {}),
    },
  ];
  if (r.org) {
    agents.push({ who: { identifier: { system: SYSTEM.sor, value: r.org } }, requestor: false });
  }
  const entity: fhir4.AuditEventEntity[] = r.entities.map((ref) => ({ what: { reference: ref } }));
  if (r.query) {
    entity.push({
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' },
      query: Buffer.from(r.query, 'utf8').toString('base64'),
    });
  }
  return {
    resourceType: 'AuditEvent',
    id: r.id,
    meta: { lastUpdated: r.recorded.toISOString() },
    // A delivery's push to a receiver is an export (DICOM 110106); everything else is a REST interaction.
    ...(r.interaction === 'transmit'
      ? { type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110106', display: 'Export' } }
      : { type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' }, subtype: [{ system: INTERACTION_SYSTEM, code: r.interaction }] }),
    action: r.action,
    recorded: r.recorded.toISOString(),
    outcome: r.outcome,
    outcomeDesc: `HTTP ${r.status}${r.resourceType ? ` on ${r.resourceType}` : ''}; request ${r.requestId}`,
    agent: agents,
    source: {
      observer: { display: 'Sektorbro' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
    ...(entity.length > 0 ? { entity } : {}),
  };
}
