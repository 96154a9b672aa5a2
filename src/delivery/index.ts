export { openQueue } from './queue.ts';
export type { JobQueue, QueueOptions } from './queue.ts';
