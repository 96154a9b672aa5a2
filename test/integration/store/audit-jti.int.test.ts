import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/shared/index.ts';
import { openPostgresDb } from '../../../src/store/db.ts';
import type { AuditRecord, Store } from '../../../src/store/index.ts';
import { backends, openTestStore } from '../../helpers/store.ts';
import type { TestStore } from '../../helpers/store.ts';

function manualClock(start: string): Clock & { set(iso: string): void } {
  let now = new Date(start).getTime();
  return {
    now: () => new Date(now),
    set: (iso) => {
      now = new Date(iso).getTime();
    },
  };
}

const event = (over: Partial<AuditRecord>): AuditRecord => ({
  recorded: new Date('2024-06-01T10:00:00Z'),
  requestId: 'req-1',
  clientId: 'hospital-client',
  org: '265161000016000',
  role: 'hospital',
  action: 'R',
  interaction: 'read',
  outcome: '0',
  status: 200,
  resourceType: 'Patient',
  entities: ['Patient/283'],
  query: undefined,
  sourceIp: '127.0.0.1',
  ...over,
});

const list = await backends();

describe.each(list)('audit and jti repositories on $name', (backend) => {
  const clock = manualClock('2024-06-01T10:00:00Z');
  let handle: TestStore | undefined;
  let store: Store;

  beforeAll(async () => {
    handle = await openTestStore(backend, { clock });
    store = handle.store;
  });

  afterAll(async () => {
    await handle?.close();
  });

  it('when an event is recorded, then it reads back field for field with an id', async () => {
    const rec = event({ requestId: 'req-read', entities: ['Patient/283', 'Encounter/1'], query: 'identifier=x' });
    await store.audit.record(rec);
    const page = await store.audit.search({ entity: 'Encounter/1', count: 10 });
    expect(page.items).toHaveLength(1);
    const stored = page.items[0];
    expect(stored).toMatchObject({ ...rec });
    expect(await store.audit.read(stored?.id ?? '')).toEqual(stored);
    expect(await store.audit.read('no-such-id')).toBeUndefined();
  });

  it('when events are filtered by client and time and paged, then each comes once, newest first', async () => {
    const clientId = `client-${Date.now()}`;
    for (let i = 0; i < 5; i++) {
      await store.audit.record(event({ clientId, requestId: `r${i}`, recorded: new Date(Date.UTC(2024, 6, 1 + i)) }));
    }
    await store.audit.record(event({ clientId: 'someone-else', recorded: new Date(Date.UTC(2024, 6, 2)) }));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.audit.search({ clientId, count: 2, cursor });
      seen.push(...page.items.map((r) => r.requestId));
      cursor = page.next;
    } while (cursor !== undefined);
    expect(seen).toEqual(['r4', 'r3', 'r2', 'r1', 'r0']);

    const window = await store.audit.search({ clientId, since: new Date(Date.UTC(2024, 6, 2)), until: new Date(Date.UTC(2024, 6, 4)), count: 10 });
    expect(window.items.map((r) => r.requestId)).toEqual(['r2', 'r1']);
  });

  it('when an event is recorded in a transaction that commits, then it is there; when it rolls back, it is not', async () => {
    await store.transaction(async (tx) => {
      await tx.audit.record(event({ requestId: 'req-committed', entities: ['Patient/committed'] }));
    });
    await store.transaction(async (tx) => {
      await tx.audit.record(event({ requestId: 'req-rolled-back', entities: ['Patient/rolled-back'] }));
      throw new Error('abort');
    }).catch(() => undefined);
    expect((await store.audit.search({ entity: 'Patient/committed', count: 10 })).items).toHaveLength(1);
    expect((await store.audit.search({ entity: 'Patient/rolled-back', count: 10 })).items).toEqual([]);
  });

  it('when a jti is claimed twice before it expires, then only the first claim succeeds', async () => {
    const expires = new Date('2024-06-01T10:05:00Z');
    expect(await store.jti.claim('client-a', 'jti-1', expires)).toBe(true);
    expect(await store.jti.claim('client-a', 'jti-1', expires)).toBe(false);
    expect(await store.jti.claim('client-b', 'jti-1', expires)).toBe(true);
  });

  it('when a claimed jti has expired, then it may be claimed again', async () => {
    clock.set('2024-06-01T10:00:00Z');
    expect(await store.jti.claim('client-c', 'jti-2', new Date('2024-06-01T10:01:00Z'))).toBe(true);
    clock.set('2024-06-01T10:02:00Z');
    expect(await store.jti.claim('client-c', 'jti-2', new Date('2024-06-01T10:07:00Z'))).toBe(true);
    expect(await store.jti.claim('client-c', 'jti-2', new Date('2024-06-01T10:07:00Z'))).toBe(false);
  });

  it.skipIf(backend.name !== 'postgres')('when SQL tries to change or remove an audit event, then the database refuses', async () => {
    if (backend.name !== 'postgres' || !handle?.schema) throw new Error('needs the PostgreSQL backend');
    await store.audit.record(event({ requestId: 'req-immutable' }));
    const db = await openPostgresDb(backend.url, { schema: handle.schema });
    try {
      await expect(db.query("UPDATE audit_events SET status = 500 WHERE request_id = 'req-immutable'")).rejects.toThrow(/append-only/);
      await expect(db.query("DELETE FROM audit_events WHERE request_id = 'req-immutable'")).rejects.toThrow(/append-only/);
    } finally {
      await db.close();
    }
  });

  it('when the store is pinged, then it answers', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
    expect(store.kind).toBe(backend.name);
  });
});
