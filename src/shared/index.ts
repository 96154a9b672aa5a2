export * from './errors.ts';
export * from './outcome.ts';
export * from './context.ts';
export * from './clock.ts';
export * from './logger.ts';
export * from './fhir.ts';
export * from './ids.ts';
export * from './poller.ts';
