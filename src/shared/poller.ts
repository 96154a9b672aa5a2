import type { Logger } from './logger.ts';

export interface Poller {
  start(): void;
  /** Stops polling and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `runOnce` every `pollMs`, never two runs at once, logging a failed run under `failureEvent`
 * (the next run tries again). The background loops (outbox relay, timeliness alerts, responsibility
 * handover) share it.
 */
export function createPoller(runOnce: () => Promise<unknown>, opts: { pollMs: number; logger: Logger; failureEvent: string }): Poller {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  const tick = (): void => {
    running ??= runOnce()
      .catch((err: unknown) => { opts.logger.error(opts.failureEvent, { err }); })
      .finally(() => { running = undefined; });
  };
  return {
    start() {
      timer ??= setInterval(tick, opts.pollMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
