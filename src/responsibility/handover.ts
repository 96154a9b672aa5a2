import { createPoller, type Clock, type Logger } from '../shared/index.ts';
import type { SearchCriterion, Store, StoreTx } from '../store/index.ts';
import { RESPONSIBILITY_VIEW_TAG } from './fhir-view.ts';
import { materializeResponsibility } from './materialize.ts';
import type { ResponsibilityOptions } from './service.ts';

/**
 * The handover at the end of a window (issue #8): nothing arrives when 72/96 h have passed, so a
 * poller (like the timeliness alerts) finds the stored episodes whose status went stale (an active
 * one whose period ended, a planned one whose period began) and re-materialises those patients: the
 * department's episode becomes finished, the GP's active, and `responsibility.changed` goes to the
 * outbox: the handover notification.
 */

/** How often stale episodes are looked for; a handover is announced at most this late. */
const POLL_MS = 60_000;
/** Patients handed over per run; the rest wait for the next one. */
const BATCH = 500;

export interface ResponsibilityHandover {
  /** One pass at `now` (default: the clock); returns how many patients' holder changed. */
  runOnce(now?: Date): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

export interface ResponsibilityHandoverDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  rules?: ResponsibilityOptions['rules'];
  pollMs?: number | undefined;
}

const patientOf = (resource: unknown): string | undefined => {
  const ref = (resource as fhir4.EpisodeOfCare | undefined)?.patient.reference;
  return ref?.startsWith('Patient/') === true ? ref.slice('Patient/'.length) : undefined;
};

/** Patients with an episode whose stored status is stale at `now`. */
async function stalePatients(tx: StoreTx, now: Date): Promise<string[]> {
  const tag: SearchCriterion = { kind: 'meta-tag', system: RESPONSIBILITY_VIEW_TAG.system, code: RESPONSIBILITY_VIEW_TAG.code };
  const status = (code: string): SearchCriterion => ({ kind: 'token', param: 'status', values: [{ code }] });
  // Ends are exclusive (at the end the next holder has it): an end at or before now is over, hence `eb` now + 1 ms.
  const justAfter = new Date(now.getTime() + 1);
  const queries: SearchCriterion[][] = [
    [tag, status('active'), { kind: 'date', param: 'date', prefix: 'eb', low: justAfter, high: justAfter }],
    [tag, status('planned'), { kind: 'date', param: 'date', prefix: 'le', low: now, high: now }],
  ];
  const ids = new Set<string>();
  for (const criteria of queries) {
    const page = await tx.resources.search({ type: 'EpisodeOfCare', criteria, count: BATCH, total: false }, { kind: 'all' });
    for (const s of page.items) {
      const id = patientOf(s.resource);
      if (id !== undefined && !s.deleted) ids.add(id);
    }
  }
  return [...ids].slice(0, BATCH);
}

export function createResponsibilityHandover(deps: ResponsibilityHandoverDeps): ResponsibilityHandover {
  const { store, clock, logger } = deps;

  const runOnce = async (at?: Date): Promise<number> => {
    const now = at ?? clock.now();
    const patients = await store.transaction((tx) => stalePatients(tx, now));
    let changed = 0;
    // One transaction per patient: a failure holds up no one else, and is tried again on the next run.
    for (const patientId of patients) {
      try {
        const result = await store.transaction((tx) => materializeResponsibility(tx, patientId, now, { reason: 'handover', rules: deps.rules }));
        if (result.holderChanged) changed++;
      } catch (err) {
        logger.error('responsibility.handover-failed', { err });
      }
    }
    if (changed > 0) logger.info('responsibility.handover', { patients: changed });
    return changed;
  };

  const poller = createPoller(runOnce, { pollMs: deps.pollMs ?? POLL_MS, logger, failureEvent: 'responsibility.handover-failed' });

  return { runOnce, start: () => { poller.start(); }, stop: () => poller.stop() };
}
