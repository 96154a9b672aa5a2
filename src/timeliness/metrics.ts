import { Gauge, Histogram, type Registry } from 'prom-client';
import { systemClock, type Clock } from '../shared/index.ts';
import type { Store } from '../store/index.ts';
import { EXPECTATION_STATES, TRACKED_DOCUMENT_TYPES, atRiskMsOf, type TimelinessSettings } from './expectation.ts';
import { observeFirstSent } from './tracker.ts';

/** Discharge → first dispatch, in hours: same day, the next working day, a long weekend, the legacy three days, a week, two. */
export const SENT_AFTER_DISCHARGE_BUCKETS = [1, 4, 8, 12, 24, 48, 72, 96, 120, 168, 336];

export interface TimelinessMetrics {
  /** Stops feeding the histogram (the registry keeps what it has). */
  stop(): void;
}

/**
 * Timeliness metrics (issue #7) on the process's Prometheus registry. The gauges are read from the
 * database at scrape time, states evaluated at that moment, so every process reports the same
 * global truth; the histogram is fed by the tracker as this process records first dispatches, so it
 * counts this process only (sum it over processes), and a rolled-back transaction may have counted.
 */
export function registerTimelinessMetrics(
  registry: Registry,
  store: Pick<Store, 'timeliness'>,
  settings: Pick<TimelinessSettings, 'atRiskHours'>,
  clock: Clock = systemClock,
): TimelinessMetrics {
  const atRiskMs = atRiskMsOf(settings);
  new Gauge({
    name: 'sektorbro_timeliness_expectations',
    help: 'Expected documents by state now (pending, at-risk, overdue, on-time, late, excluded, awaiting-discharge) and document type',
    labelNames: ['state', 'document_type'],
    registers: [registry],
    async collect() {
      const counts = await store.timeliness.stateCounts(clock.now(), atRiskMs);
      this.reset();
      // Every pair is reported, zeros included, so a series does not vanish when its last row moves on.
      for (const state of EXPECTATION_STATES) {
        for (const type of TRACKED_DOCUMENT_TYPES) {
          this.set({ state, document_type: type }, counts.find((c) => c.state === state && c.documentType === type)?.count ?? 0);
        }
      }
    },
  });
  new Gauge({
    name: 'sektorbro_timeliness_overdue',
    help: 'Expected documents overdue now: not sent (on their clock) and past their deadline, exclusions left out',
    registers: [registry],
    async collect() {
      const counts = await store.timeliness.stateCounts(clock.now(), atRiskMs);
      this.set(counts.filter((c) => c.state === 'overdue').reduce((sum, c) => sum + c.count, 0));
    },
  });
  const sentAfterDischarge = new Histogram({
    name: 'sektorbro_timeliness_sent_after_discharge_hours',
    help: 'Hours from discharge to the first dispatch of an expected document, as this process recorded them',
    labelNames: ['document_type'],
    buckets: SENT_AFTER_DISCHARGE_BUCKETS,
    registers: [registry],
  });
  const stop = observeFirstSent((e) => {
    // A row still waiting for its discharge has nothing to measure from.
    if (e.dischargedAt === undefined || e.sentAt === undefined) return;
    sentAfterDischarge.observe({ document_type: e.documentType }, (e.sentAt.getTime() - e.dischargedAt.getTime()) / 3_600_000);
  });
  return { stop };
}
