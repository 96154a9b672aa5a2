import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The two Sektorbro topics this municipality subscribes to. */
export type TopicName = 'discharge-documents' | 'hospital-notifications';
export const TOPIC_NAMES: readonly TopicName[] = ['discharge-documents', 'hospital-notifications'];

/** What the receiver knows of one of its Subscriptions at Sektorbro. */
export interface SubscriptionState {
  id: string;
  /** The signing secret registered with the Subscription (Sektorbro never shows it again). */
  secret: string;
  /** The highest event number recorded; every number up to it has been recorded exactly once. */
  lastEventNumber: number;
}

/** A MedCom message already answered: the same MessageHeader.id again gets the same answer. */
export interface SeenMessage {
  bundleId: string;
  event: string;
  receivedAt: string;
  acknowledgement: fhir4.Bundle;
}

export interface ReceiverState {
  version: 1;
  subscriptions: Partial<Record<TopicName, SubscriptionState>>;
  /** By MessageHeader.id, oldest first. */
  messages: Record<string, SeenMessage>;
}

/**
 * How many answered messages are remembered. MedCom senders resend for at most a few hours
 * (3 × 30 min, medcom.md §6), so a bounded window is enough to answer every resend the same way.
 */
export const MAX_SEEN_MESSAGES = 10_000;

export const emptyState = (): ReceiverState => ({ version: 1, subscriptions: {}, messages: {} });

/** Reads the state file; a missing file is a first start. A damaged one stops the receiver rather than lose its place. */
export async function loadState(file: string): Promise<ReceiverState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return emptyState();
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<ReceiverState>;
  if (parsed.version !== 1 || typeof parsed.subscriptions !== 'object' || typeof parsed.messages !== 'object') {
    throw new Error(`${file} is not a municipal receiver state file (version 1)`);
  }
  return { version: 1, subscriptions: parsed.subscriptions, messages: parsed.messages };
}

/** Forgets the oldest answered messages beyond {@link MAX_SEEN_MESSAGES}. */
export function pruneMessages(state: ReceiverState): void {
  const ids = Object.keys(state.messages);
  for (const id of ids.slice(0, Math.max(0, ids.length - MAX_SEEN_MESSAGES))) {
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a map keyed by MessageHeader.id
    delete state.messages[id];
  }
}

/**
 * Writes state files atomically (a temporary file beside it, then rename), one write at a time and
 * in call order, so a crash leaves either the old or the new state, never half of one. The file
 * holds the signing secrets, so only its owner may read it.
 */
export function createStateWriter(file: string): { save(state: ReceiverState): Promise<void>; idle(): Promise<void> } {
  let queue: Promise<void> = Promise.resolve();
  const write = async (text: string): Promise<void> => {
    await mkdir(dirname(file), { recursive: true });
    const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temporary, text, { mode: 0o600 });
      await rename(temporary, file);
    } catch (err) {
      await rm(temporary, { force: true });
      throw err;
    }
  };
  return {
    save(state) {
      // The snapshot is taken now: a later change waits for the next save.
      const text = `${JSON.stringify(state, null, 2)}\n`;
      const done = queue.then(() => write(text));
      queue = done.catch(() => undefined);
      return done;
    },
    idle: () => queue,
  };
}
