export { openQueue } from './queue.ts';
export type { JobQueue, QueueOptions } from './queue.ts';
export { createOutboxRelay } from './outbox-relay.ts';
export type { OutboxRelay } from './outbox-relay.ts';
export { findRegistrySor, routeOutboxEntry } from './routing.ts';
export type { OrganizationLookup, RoutedRecipient, RoutingDecision } from './routing.ts';
export { createDeliveryWorker, ATTEMPT_JOB } from './deliverer.ts';
export type { DeliveryWorker, DeliveryWorkerDeps } from './deliverer.ts';
export { createDeliveryMetrics } from './metrics.ts';
export type { DeliveryMetrics } from './metrics.ts';
export { backoffMs } from './policy.ts';
export { findEndpoint } from './endpoints.ts';
export type { ConnectionType, ReceiverEndpoint } from './endpoints.ts';
export { startDeliveryServices } from './services.ts';
export type { DeliveryServices } from './services.ts';
export {
  notificationBundle,
  prepareSubscription,
  signature,
  SIGNATURE_HEADER,
  SECRET_EXTENSION,
  BACKPORT_EXTENSION,
  SUBSCRIPTION_TOPICS,
  subscriptionStatus,
} from './subscriptions.ts';
export type { SubscriptionTopic } from './subscriptions.ts';
export { seedDemoRegistry } from './demo-registry.ts';
