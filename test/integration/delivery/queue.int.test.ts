import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { openQueue, type JobQueue, type QueueOptions } from '../../../src/delivery/index.ts';
import { redisAvailable, TEST_REDIS_URL } from '../../helpers/redis.ts';

const adapters: { name: string; options: () => QueueOptions }[] = [{ name: 'inprocess', options: () => ({ kind: 'inprocess' }) }];
if (await redisAvailable()) {
  adapters.push({ name: 'bullmq', options: () => ({ kind: 'bullmq', url: TEST_REDIS_URL, prefix: `test-${randomBytes(4).toString('hex')}` }) });
}

/** Resolves once `n` jobs were handled (bounded, so a broken queue fails instead of hanging). */
function collector(n: number) {
  const seen: Record<string, unknown>[] = [];
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    done = resolve;
    setTimeout(() => { reject(new Error(`only ${seen.length} of ${n} jobs arrived`)); }, 10_000).unref();
  });
  return {
    seen,
    finished,
    handler: (data: Record<string, unknown>) => {
      seen.push(data);
      if (seen.length >= n) done();
      return Promise.resolve();
    },
  };
}

describe.each(adapters)('queue port on $name', ({ name, options }) => {
  let queue: JobQueue | undefined;
  afterEach(async () => { await queue?.close(); });

  it('when jobs are enqueued, then the handler receives each one with its data', async () => {
    queue = openQueue(options());
    expect(queue.kind).toBe(name);
    await queue.ping();
    const c = collector(3);
    queue.process('deliver', c.handler);
    for (const n of [1, 2, 3]) await queue.enqueue('deliver', { n });
    await c.finished;
    expect(c.seen.map((d) => d.n).sort()).toEqual([1, 2, 3]);
  });

  it('when the same job id is enqueued twice, then it runs once', async () => {
    queue = openQueue(options());
    const c = collector(2);
    queue.process('deliver', c.handler);
    await queue.enqueue('deliver', { n: 'a' }, { jobId: 'outbox-1' });
    await queue.enqueue('deliver', { n: 'a-again' }, { jobId: 'outbox-1' });
    await queue.enqueue('deliver', { n: 'b' }, { jobId: 'outbox-2' });
    await c.finished;
    await new Promise((r) => setTimeout(r, 200));
    expect(c.seen.map((d) => d.n).sort()).toEqual(['a', 'b']);
  });

  it('when jobs are enqueued before a worker exists, then they wait for it', async () => {
    queue = openQueue(options());
    await queue.enqueue('later', { n: 1 });
    const c = collector(1);
    queue.process('later', c.handler);
    await c.finished;
    expect(c.seen).toEqual([{ n: 1 }]);
  });
});

describe('queue port on an unreachable Redis', () => {
  it('when Redis does not answer, then ping fails instead of pretending', async () => {
    const queue = openQueue({ kind: 'bullmq', url: 'redis://127.0.0.1:1/0' });
    await expect(queue.ping()).rejects.toThrow(/did not answer/);
    await queue.close();
  });
});
