import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Store } from '../store/index.ts';

/** Delivery metrics (issue #6, "Seeing deliveries"), registered on the process's Prometheus registry. */
export interface DeliveryMetrics {
  attempts: Counter<'recipient' | 'outcome'>;
  retries: Counter<'recipient'>;
  deadLetters: Counter<'recipient'>;
  /** From the first send to the receiver's acknowledgement (MedCom) or acceptance (FHIR REST). */
  ackLatency: Histogram<'recipient'>;
}

/**
 * Counters and the latency histogram count what this process did; the gauges (deliveries per
 * status, open circuits, outbox backlog) are read from the database at scrape time, so every
 * process reports the same truth however many workers run.
 */
export function createDeliveryMetrics(registry: Registry, store: Store): DeliveryMetrics {
  new Gauge({
    name: 'sektorbro_deliveries',
    help: 'Deliveries by status (pending = queued, in-flight and awaiting-ack = in flight, dead-letter = waiting for a person)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const counts = await store.deliveries.counts();
      this.reset();
      for (const status of ['pending', 'in-flight', 'awaiting-ack', 'delivered', 'acknowledged', 'superseded', 'dead-letter', 'unroutable']) {
        this.set({ status }, counts[status] ?? 0);
      }
    },
  });
  new Gauge({
    name: 'sektorbro_delivery_circuit_open',
    help: 'Receivers paused by their circuit breaker (1 = paused)',
    labelNames: ['recipient'],
    registers: [registry],
    async collect() {
      const now = Date.now();
      this.reset();
      for (const c of await store.deliveries.circuits()) this.set({ recipient: c.recipientSor }, c.openUntil && c.openUntil.getTime() > now ? 1 : 0);
    },
  });
  new Gauge({
    name: 'sektorbro_outbox_pending',
    help: 'Outbox entries not yet routed',
    registers: [registry],
    async collect() {
      this.set(await store.outbox.pending());
    },
  });
  return {
    attempts: new Counter({ name: 'sektorbro_delivery_attempts_total', help: 'Push attempts by outcome', labelNames: ['recipient', 'outcome'], registers: [registry] }),
    retries: new Counter({ name: 'sektorbro_delivery_retries_total', help: 'Retries and MedCom resends scheduled', labelNames: ['recipient'], registers: [registry] }),
    deadLetters: new Counter({ name: 'sektorbro_delivery_dead_letters_total', help: 'Deliveries dead-lettered', labelNames: ['recipient'], registers: [registry] }),
    ackLatency: new Histogram({
      name: 'sektorbro_delivery_ack_latency_seconds',
      help: 'First send to acknowledgement (MedCom) or acceptance (FHIR REST), per recipient',
      labelNames: ['recipient'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600],
      registers: [registry],
    }),
  };
}
