import type { ClientRegistry } from '../auth/index.ts';
import type { Config } from '../config/index.ts';
import type { Registry } from 'prom-client';
import type { DeliveryWorker, JobQueue } from '../delivery/index.ts';
import type { MappingRegistry } from '../mapping/index.ts';
import type { Clock, Logger } from '../shared/index.ts';
import type { Store } from '../store/index.ts';
import type { MedComValidator, Validator } from '../validation/index.ts';

/** Everything the HTTP layer needs, wired by main.ts (no singletons, no container). */
export interface AppDeps {
  config: Config;
  logger: Logger;
  clock: Clock;
  store: Store;
  queue: JobQueue;
  validator: Validator;
  /** MedCom messages against MedCom's own published profiles. */
  medcom: MedComValidator;
  mappings: MappingRegistry;
  clients: ClientRegistry;
  /** Prometheus metrics of this process (`/metrics`). */
  metrics: Registry;
  /** Operator actions on deliveries (replay); absent where no delivery worker runs. */
  deliveries?: Pick<DeliveryWorker, 'replay'> | undefined;
  /** When set (the embedded default's demo mode only), the built-in demo receivers answer pushes carrying this bearer token. */
  demoReceiverToken?: string | undefined;
  /** False once shutdown has begun: readiness answers 503 so load balancers drain us. */
  isAcceptingTraffic: () => boolean;
}
