import type { Registry } from 'prom-client';
import type { DeliverySettings } from '../config/index.ts';
import type { Clock, Logger } from '../shared/index.ts';
import type { Store } from '../store/index.ts';
import type { TimelinessSettings } from '../timeliness/index.ts';
import { createDeliveryWorker, type DeliveryWorker } from './deliverer.ts';
import { createDeliveryMetrics } from './metrics.ts';
import { createOutboxRelay, type OutboxRelay } from './outbox-relay.ts';
import type { JobQueue } from './queue.ts';

export interface DeliveryServices {
  relay: OutboxRelay;
  worker: DeliveryWorker;
  stop(): Promise<void>;
}

/**
 * The background half of delivery, the same in the API process and in `sektorbro worker`: the
 * outbox relay (routing, acknowledgements) and the delivery worker (dispatch and push). Several
 * processes may run it side by side: claims use SKIP LOCKED and leases.
 */
export function startDeliveryServices(deps: {
  store: Store;
  queue: JobQueue;
  clock: Clock;
  logger: Logger;
  policy: DeliverySettings;
  registry: Registry;
  timeliness?: TimelinessSettings | undefined;
  /** PUBLIC_BASE_URL + /fhir, as subscribers see it in notifications. */
  fhirBase?: string | undefined;
}): DeliveryServices {
  const metrics = createDeliveryMetrics(deps.registry, deps.store);
  const worker = createDeliveryWorker({ ...deps, metrics });
  const relay = createOutboxRelay({ ...deps, onAcknowledgement: (tx, ack, from) => worker.acknowledge(tx, ack, from) });
  relay.start();
  worker.start();
  return {
    relay,
    worker,
    async stop() {
      await relay.stop();
      await worker.stop();
    },
  };
}
