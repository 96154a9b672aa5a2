import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/shared/index.ts';
import { DEFAULT_TIMELINESS_SETTINGS, createTimelinessAlerts } from '../../../src/timeliness/index.ts';
import { startReceiver, type TestReceiver } from '../../helpers/receiver.ts';
import { backends, openTestStore, type TestStore } from '../../helpers/store.ts';
import { HOSPITAL, newPatient, slhj, tracking } from './fixtures.ts';

const BACKENDS = await backends();

describe.each(BACKENDS)('overdue alerts on $name', (backend) => {
  let ts: TestStore;
  let webhook: TestReceiver;
  beforeAll(async () => {
    ts = await openTestStore(backend);
    webhook = await startReceiver({ status: 204 });
  });
  afterAll(async () => {
    await webhook.close();
    await ts.close();
  });

  const logged = (): { lines: string[]; logger: ReturnType<typeof createLogger> } => {
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
    return { lines, logger: createLogger({ level: 'info', stream }) };
  };

  it('when an item goes overdue, then one log line and one webhook POST, even across a failed call and later checks', async () => {
    const patient = newPatient('alert');
    await tracking(ts.store).events([slhj(patient, '2024-03-22T10:00:00+01:00')], '2024-03-22T12:00:00+01:00');
    const { lines, logger } = logged();
    let now = new Date('2024-03-25T12:00:00+01:00'); // not yet due (end of Monday)
    const alerts = createTimelinessAlerts({ store: ts.store, clock: { now: () => now }, logger, settings: { ...DEFAULT_TIMELINESS_SETTINGS, alertWebhook: webhook.url } });

    expect(await alerts.runOnce()).toBe(0);
    expect(webhook.received).toHaveLength(0);

    now = new Date('2024-03-26T08:00:00+01:00');
    webhook.script({ status: 503 }); // the receiver is down once: retried on the next run
    expect(await alerts.runOnce()).toBe(0);
    expect(webhook.received).toHaveLength(1);

    now = new Date('2024-03-26T08:01:00+01:00');
    expect(await alerts.runOnce()).toBe(1);
    expect(await alerts.runOnce()).toBe(0);
    now = new Date('2024-04-26T08:00:00+02:00');
    expect(await alerts.runOnce()).toBe(0);

    expect(webhook.received).toHaveLength(2);
    const body = webhook.received[1]?.json ?? {};
    expect(webhook.received[1]?.method).toBe('POST');
    expect(body).toMatchObject({ type: 'timeliness.overdue', documentType: 'epikrise', hospital: HOSPITAL, dueAt: '2024-03-25T23:59:59.999+01:00' });
    expect(JSON.stringify(body)).not.toContain(patient); // no patient identifier leaves in an alert
    const overdueLines = lines.filter((l) => l.includes('"timeliness.overdue"'));
    expect(overdueLines).toHaveLength(1);
    expect(overdueLines[0]).not.toContain(patient);
    expect(lines.filter((l) => l.includes('timeliness.alert-webhook-failed'))).toHaveLength(1);
    const row = (await ts.store.transaction((tx) => tx.timeliness.byPatient(patient)))[0];
    expect(row?.alertedAt?.toISOString()).toBe('2024-03-26T07:01:00.000Z');
  });

  it('when no webhook is configured, then the log line alone is the alert, once', async () => {
    const patient = newPatient('alert-log-only');
    await tracking(ts.store).events([slhj(patient, '2024-05-06T10:00:00+02:00')], '2024-05-06T12:00:00+02:00');
    const { lines, logger } = logged();
    const now = new Date('2024-05-08T08:00:00+02:00');
    const alerts = createTimelinessAlerts({ store: ts.store, clock: { now: () => now }, logger, settings: DEFAULT_TIMELINESS_SETTINGS });
    const before = webhook.received.length;
    expect(await alerts.runOnce()).toBe(1);
    expect(await alerts.runOnce()).toBe(0);
    expect(lines.filter((l) => l.includes('"timeliness.overdue"'))).toHaveLength(1);
    expect(webhook.received).toHaveLength(before);
  });
});
