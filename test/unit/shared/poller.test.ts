import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, createPoller } from '../../../src/shared/index.ts';

const silent = createLogger({ level: 'error', silent: true });

/** A job with a backlog: each run takes one item and answers how many are left. */
function backlogJob(items: number): { run: () => Promise<number>; runs: number[] } {
  let left = items;
  const runs: number[] = [];
  return {
    runs,
    run: () => {
      runs.push(left);
      left = Math.max(0, left - 1);
      return Promise.resolve(left);
    },
  };
}

describe('createPoller', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('when a run leaves work behind, then the next starts at once instead of after the interval', async () => {
    const job = backlogJob(5);
    const poller = createPoller(job.run, { pollMs: 200, logger: silent, failureEvent: 'test.failed', runAgain: (left) => left > 0 });
    poller.start();
    await vi.advanceTimersByTimeAsync(199);
    expect(job.runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    // Well before the next interval (at 400 ms), the backlog is gone.
    await vi.advanceTimersByTimeAsync(50);
    expect(job.runs).toEqual([5, 4, 3, 2, 1]);
    await poller.stop();
  });

  it('when runAgain is not given, then one run per interval', async () => {
    const job = backlogJob(5);
    const poller = createPoller(job.run, { pollMs: 200, logger: silent, failureEvent: 'test.failed' });
    poller.start();
    await vi.advanceTimersByTimeAsync(400);
    expect(job.runs).toEqual([5, 4]);
    await poller.stop();
  });

  it('when stopped, then no run starts, not even one a backlog asked for', async () => {
    const job = backlogJob(5);
    const poller = createPoller(job.run, { pollMs: 200, logger: silent, failureEvent: 'test.failed', runAgain: (left) => left > 0 });
    poller.start();
    await vi.advanceTimersByTimeAsync(200);
    const before = job.runs.length;
    await poller.stop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(job.runs.length).toBe(before);
  });

  it('when a run fails, then it is logged and the next waits for the interval', async () => {
    const logger = createLogger({ level: 'error', silent: true });
    const error = vi.spyOn(logger, 'error');
    let calls = 0;
    const poller = createPoller(() => {
      calls++;
      return Promise.reject(new Error('boom'));
    }, { pollMs: 200, logger, failureEvent: 'test.failed', runAgain: () => true });
    poller.start();
    await vi.advanceTimersByTimeAsync(200);
    expect(calls).toBe(1);
    expect(error.mock.calls.map((c) => c[0])).toEqual(['test.failed']);
    await vi.advanceTimersByTimeAsync(200);
    expect(calls).toBe(2);
    await poller.stop();
  });
});
