export { createApp } from './app.ts';
export type { AppDeps } from './deps.ts';
export { buildCapabilityStatement } from './capability-statement.ts';
