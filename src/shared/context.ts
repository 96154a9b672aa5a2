import { AsyncLocalStorage } from 'node:async_hooks';

/** Per-request (later: per-job) context, so every log line carries the request id. */
export interface RequestContext {
  requestId: string;
  clientId?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export const runWithContext = <T>(ctx: RequestContext, fn: () => T): T => storage.run(ctx, fn);
export const currentContext = (): RequestContext | undefined => storage.getStore();
