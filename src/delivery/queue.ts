import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

/**
 * The queue port. Two adapters: BullMQ on Redis (`REDIS_URL`), and an in-process queue for the
 * embedded default. Delivery builds on this; only `delivery/` knows BullMQ.
 */
export interface JobQueue {
  readonly kind: 'inprocess' | 'bullmq';
  /** `jobId` makes enqueueing idempotent: a second job with the same id is ignored while the first exists. */
  enqueue(name: string, data: Record<string, unknown>, opts?: { jobId?: string }): Promise<void>;
  process(name: string, handler: (data: Record<string, unknown>) => Promise<void>, opts?: { concurrency?: number }): void;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type QueueOptions = { kind: 'inprocess' } | { kind: 'bullmq'; url: string; prefix?: string };

export function openQueue(opts: QueueOptions): JobQueue {
  return opts.kind === 'bullmq' ? openBullmqQueue(opts.url, opts.prefix ?? 'sektorbro') : openInProcessQueue();
}

/** How long readiness waits for Redis before calling the queue unreachable. */
const PING_TIMEOUT_MS = 2000;
/** How long shutdown waits for BullMQ to finish its open work before cutting the connection. */
const CLOSE_TIMEOUT_MS = 5000;

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => { reject(new Error(message)); }, ms);
  });
  return Promise.race([p, timeout]).finally(() => { clearTimeout(timer); });
}

type Handler = (data: Record<string, unknown>) => Promise<void>;

function openInProcessQueue(): JobQueue {
  const pending = new Map<string, { id: string; data: Record<string, unknown> }[]>();
  const handlers = new Map<string, Handler>();
  const known = new Set<string>();
  let running = 0;
  let closed = false;
  let idle: (() => void) | undefined;

  const drain = (name: string): void => {
    const handler = handlers.get(name);
    const jobs = pending.get(name);
    if (!handler || !jobs || closed) return;
    for (let job = jobs.shift(); job; job = jobs.shift()) {
      const { id, data } = job;
      running++;
      // Failures are the handler's to record (delivery keeps its own attempt log); the queue only runs.
      void handler(data)
        .catch(() => undefined)
        .finally(() => {
          running--;
          known.delete(id);
          if (running === 0) idle?.();
        });
    }
  };

  return {
    kind: 'inprocess',
    enqueue(name, data, o) {
      const id = o?.jobId ?? `${name}:${String(Math.random())}`;
      if (closed || known.has(id)) return Promise.resolve();
      known.add(id);
      const jobs = pending.get(name) ?? [];
      jobs.push({ id, data });
      pending.set(name, jobs);
      setImmediate(() => { drain(name); });
      return Promise.resolve();
    },
    process(name, handler) {
      handlers.set(name, handler);
      setImmediate(() => { drain(name); });
    },
    ping: () => (closed ? Promise.reject(new Error('queue closed')) : Promise.resolve()),
    close() {
      closed = true;
      if (running === 0) return Promise.resolve();
      return new Promise<void>((resolve) => { idle = resolve; });
    },
  };
}

function openBullmqQueue(url: string, prefix: string): JobQueue {
  // BullMQ workers need maxRetriesPerRequest: null (stack-notes §3.7).
  const connection = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
  connection.on('error', () => undefined); // surfaced through ping(); ioredis reconnects by itself
  const queues = new Map<string, Queue>();
  const workers: Worker[] = [];
  const queueFor = (name: string): Queue => {
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection, prefix });
      q.on('error', () => undefined); // see the worker's listener below
      queues.set(name, q);
    }
    return q;
  };
  return {
    kind: 'bullmq',
    async enqueue(name, data, o) {
      await queueFor(name).add(name, data, {
        ...(o?.jobId ? { jobId: o.jobId } : {}),
        removeOnComplete: 1000,
        removeOnFail: false,
      });
    },
    process(name, handler, o) {
      const workerConnection = connection.duplicate({ maxRetriesPerRequest: null });
      workerConnection.on('error', () => undefined); // as above: reconnects by itself, readiness reports it
      const worker = new Worker(name, async (job) => { await handler(job.data as Record<string, unknown>); }, {
        connection: workerConnection,
        prefix,
        concurrency: o?.concurrency ?? 1,
      });
      // Without a listener, a Redis outage prints every failed reconnect; delivery's own timeline and
      // readiness already tell it, and the database keeps every delivery until Redis is back.
      worker.on('error', () => undefined);
      workers.push(worker);
    },
    async ping() {
      // Commands wait for a reconnect forever (maxRetriesPerRequest: null); readiness must not.
      await withTimeout(connection.ping(), PING_TIMEOUT_MS, 'redis did not answer');
    },
    async close() {
      const closing = Promise.all([...workers.map((w) => w.close()), ...[...queues.values()].map((q) => q.close())]);
      await withTimeout(closing, CLOSE_TIMEOUT_MS, 'queue close timed out').catch(() => undefined);
      await withTimeout(connection.quit(), CLOSE_TIMEOUT_MS, 'redis quit timed out').catch(() => undefined);
      connection.disconnect();
    },
  };
}
