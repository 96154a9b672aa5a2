import { randomUUID } from 'node:crypto';
import type { StoreTx } from '../store/index.ts';
import { materializeResponsibility } from './materialize.ts';
import { EXTENSION_EVENT_TYPE, type ExtensionPayload } from './patient-events.ts';
import { DEFAULT_RESPONSIBILITY_RULES } from './rules.ts';
import { answerAt, loadPatientResponsibility, MAX_EXTENSION_DAYS, type ResponsibilityApiAnswer, type ResponsibilityOptions } from './service.ts';

const HOUR_MS = 3_600_000;

export interface ExtensionRequest {
  patientId: string;
  /** The SOR unit asking: it must hold the window now. */
  departmentSor: string;
  until: Date;
  clientId: string;
  reason?: string | undefined;
  now: Date;
}

export type ExtensionResult =
  | { outcome: 'extended' | 'unchanged'; answer: ResponsibilityApiAnswer; extensionId: string | undefined }
  | { outcome: 'refused'; problem: string; expression: string };

/**
 * `POST /api/responsibility/extension`: the department holding the window now extends it to
 * `until`, recorded as a domain event and materialised (EpisodeOfCare, Provenance, outbox) in the
 * caller's transaction. Never shortens: an end before the current one is refused, the same end is
 * answered unchanged (a retried request adds nothing).
 */
export async function extendResponsibility(tx: StoreTx, req: ExtensionRequest, opts: ResponsibilityOptions = {}): Promise<ExtensionResult> {
  const rules = opts.rules ?? DEFAULT_RESPONSIBILITY_RULES;
  await tx.messages.lock(`responsibility:${req.patientId}`);
  const before = answerAt(await loadPatientResponsibility(tx, req.patientId, { rules }), req.now);
  const holder = before.holder;
  if (holder.kind !== 'hospital-department' || holder.organization?.sor !== req.departmentSor) {
    const who = holder.kind === 'hospital-department' ? `department ${holder.organization?.sor ?? 'unknown'}` : holder.kind === 'none' ? 'no one' : 'the GP';
    return { outcome: 'refused', problem: `Only the department holding the window may extend it, and ${who} holds responsibility now, not ${req.departmentSor}`, expression: 'patient' };
  }
  const end = before.until === null ? undefined : new Date(before.until);
  if (end !== undefined && req.until.getTime() < end.getTime()) {
    return { outcome: 'refused', problem: `An extension never shortens the window: it ends ${before.until ?? ''} already`, expression: 'until' };
  }
  if (req.until.getTime() > req.now.getTime() + MAX_EXTENSION_DAYS * 24 * HOUR_MS) {
    return { outcome: 'refused', problem: `An extension may reach at most ${String(MAX_EXTENSION_DAYS)} days ahead`, expression: 'until' };
  }
  if (end !== undefined && req.until.getTime() === end.getTime()) return { outcome: 'unchanged', answer: before, extensionId: undefined };

  const extensionId = randomUUID();
  const payload: ExtensionPayload = { source: 'api', until: req.until.toISOString(), clientId: req.clientId, ...(req.reason === undefined ? {} : { reason: req.reason }) };
  await tx.messages.appendEvents(
    [
      {
        id: `extension:${extensionId}`,
        type: EXTENSION_EVENT_TYPE,
        occurredAt: req.now,
        patientId: req.patientId,
        stayKey: EXTENSION_EVENT_TYPE,
        departmentSor: req.departmentSor,
        episodeOfCareId: undefined,
        headerId: extensionId,
        payload,
      },
    ],
    req.now,
  );
  await materializeResponsibility(tx, req.patientId, req.now, { rules, reason: 'extension' });
  return { outcome: 'extended', answer: answerAt(await loadPatientResponsibility(tx, req.patientId, { rules }), req.now), extensionId };
}

/** The CareCommunication category by which a hospital says it keeps the extended responsibility (domain.md §4.4). */
export const EXTENDED_CARE_CATEGORY = 'extended-care-responsibility';

export interface CareCommunicationExtension {
  patientId: string;
  /** `Communication/<id>` as stored. */
  communication: string;
  headerId: string;
  senderSor: string;
  /** When the hospital said it: the newest payload date, never later than `now`. */
  saidAt: Date | undefined;
  now: Date;
}

/**
 * Records a CareCommunication `extended-care-responsibility` as an extension said by its sender
 * and materialises the view, in the ingest's transaction. The rule engine decides what it does:
 * it extends only a window its sender holds, to the configured hours after it was said.
 */
export async function recordCareCommunicationExtension(tx: StoreTx, cc: CareCommunicationExtension, opts: ResponsibilityOptions = {}): Promise<void> {
  const at = cc.saidAt === undefined || cc.saidAt.getTime() > cc.now.getTime() ? cc.now : cc.saidAt;
  const payload: ExtensionPayload = { source: 'care-communication', communication: cc.communication };
  await tx.messages.appendEvents(
    [
      {
        id: `extension:${cc.headerId}`,
        type: EXTENSION_EVENT_TYPE,
        occurredAt: at,
        patientId: cc.patientId,
        stayKey: EXTENSION_EVENT_TYPE,
        departmentSor: cc.senderSor,
        episodeOfCareId: undefined,
        headerId: cc.headerId,
        payload,
      },
    ],
    cc.now,
  );
  await materializeResponsibility(tx, cc.patientId, cc.now, { ...opts, reason: 'extension' });
}
