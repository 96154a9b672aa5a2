import { createPoller, type Clock, type Logger } from '../shared/index.ts';
import { formatCopenhagen } from '../shared/time.ts';
import type { Store, TimelinessExpectation } from '../store/index.ts';
import type { TimelinessSettings } from './expectation.ts';
import { refreshStates } from './tracker.ts';

/** How often the poller moves states along and looks for new overdue items. */
const POLL_MS = 60_000;
/** One webhook call's time limit; a slow receiver is tried again on the next run. */
const WEBHOOK_TIMEOUT_MS = 10_000;

export interface TimelinessAlerts {
  /** One refresh and the alerts it makes due; returns how many alerts went out. */
  runOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

export interface TimelinessAlertDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  settings: TimelinessSettings;
  fetch?: typeof fetch | undefined;
  pollMs?: number | undefined;
  timeoutMs?: number | undefined;
}

/**
 * What an alert says: the expectation, its discharge and deadline, and where it came from. No
 * patient identifier of any kind: patient ids derive from CPR numbers, and the receiver of a
 * webhook or a log line looks the row up through the API, where access is checked and audited.
 */
export function alertBody(e: TimelinessExpectation): Record<string, unknown> {
  return {
    type: 'timeliness.overdue',
    id: e.id,
    documentType: e.documentType,
    hospital: e.hospitalSor,
    department: e.departmentSor ?? null,
    dischargedAt: e.dischargedAt ? formatCopenhagen(e.dischargedAt) : null,
    dueAt: e.dueAt ? formatCopenhagen(e.dueAt) : null,
    documentReference: e.documentReferenceId ? `DocumentReference/${e.documentReferenceId}` : null,
    rule: e.rule,
    calendar: e.calendar,
  };
}

/**
 * The overdue alert (issue #7): a poller (like delivery's outbox relay) that folds recent changes into
 * the KPI's daily totals (issue #9), refreshes states and,
 * for each newly overdue item, writes one log line `timeliness.overdue` and POSTs the same facts
 * as JSON to TIMELINESS_ALERT_WEBHOOK. `alertedAt` is set when the webhook answered 2xx (or at
 * once when none is configured), so each item alerts once; a failed call is retried on the next
 * run, without a second log line.
 */
export function createTimelinessAlerts(deps: TimelinessAlertDeps): TimelinessAlerts {
  const { store, clock, logger, settings } = deps;
  const doFetch = deps.fetch ?? fetch;
  const timeoutMs = deps.timeoutMs ?? WEBHOOK_TIMEOUT_MS;

  const post = async (url: string, e: TimelinessExpectation): Promise<boolean> => {
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(alertBody(e)),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
      await res.arrayBuffer().catch(() => undefined); // drain, so the connection is reused
      if (res.ok) return true;
      logger.warn('timeliness.alert-webhook-failed', { expectationId: e.id, status: res.status });
    } catch (err) {
      logger.warn('timeliness.alert-webhook-failed', { expectationId: e.id, err });
    }
    return false;
  };

  const runOnce = async (): Promise<number> => {
    // The KPI adds the daily totals and the changes since; folding them in keeps that second part small.
    await store.timeliness.compactDaily();
    const items = await store.transaction((tx) => refreshStates(tx, clock.now(), settings));
    let fired = 0;
    for (const e of items) {
      // The first hand-out writes the log line; a retry after a failed webhook does not repeat it.
      if (e.alertAttempts === 1) logger.warn('timeliness.overdue', alertBody(e));
      const ok = settings.alertWebhook === undefined ? true : await post(settings.alertWebhook, e);
      await store.transaction((tx) => (ok ? tx.timeliness.markAlerted(e.id, clock.now()) : tx.timeliness.releaseAlert(e.id)));
      if (ok) fired++;
    }
    return fired;
  };

  const poller = createPoller(runOnce, { pollMs: deps.pollMs ?? POLL_MS, logger, failureEvent: 'timeliness.alerts-failed' });

  return { runOnce, start: () => { poller.start(); }, stop: () => poller.stop() };
}
