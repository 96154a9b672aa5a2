export { openQueue } from './queue.ts';
export type { JobQueue, QueueOptions } from './queue.ts';
export { createOutboxRelay } from './outbox-relay.ts';
export type { OutboxRelay } from './outbox-relay.ts';
export { findRegistrySor, routeOutboxEntry } from './routing.ts';
export type { OrganizationLookup, RoutedRecipient, RoutingDecision } from './routing.ts';
