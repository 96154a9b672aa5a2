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
export function createPoller<T>(
  runOnce: () => Promise<T>,
  opts: {
    pollMs: number;
    logger: Logger;
    failureEvent: string;
    /** True when the run left work behind (a full batch): the next run starts at once instead of after `pollMs`. */
    runAgain?: ((result: T) => boolean) | undefined;
  },
): Poller {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const tick = (): void => {
    running ??= runOnce()
      .then((result) => opts.runAgain?.(result) === true)
      .catch((err: unknown) => {
        opts.logger.error(opts.failureEvent, { err });
        return false;
      })
      .then((again) => {
        running = undefined;
        // Only while started, checked when it fires: a run after stop() would outlive the store it uses.
        if (again) setImmediate(() => { if (timer !== undefined) tick(); });
      });
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
