import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.ts';
import { DemoError, SimulatedClock, formatDemoSummary, runDemo, runDemoCommand } from '../../../src/demo/index.ts';
import { createLogger } from '../../../src/shared/index.ts';

const sink = (): Writable & { text: () => string } => {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return Object.assign(w, { text: () => chunks.join('') });
};

const OPTIONS = { days: 3, perDay: 2, seed: 1, until: new Date('2026-11-27T12:00:00+01:00') };
const quiet = createLogger({ level: 'error', silent: true });

describe('SimulatedClock', () => {
  it('when set forward it moves; when set back it stays', () => {
    const clock = new SimulatedClock(new Date('2026-01-01T00:00:00Z'));
    clock.set(new Date('2026-01-02T00:00:00Z'));
    clock.set(new Date('2025-12-31T00:00:00Z'));
    expect(clock.now().toISOString()).toBe('2026-01-02T00:00:00.000Z');
  });
});

describe('runDemo refuses before touching storage', () => {
  it('when the demo clients are off, then it refuses with exit code 78', async () => {
    const config = loadConfig({ NODE_ENV: 'test', DEMO_CLIENTS: 'false', DATA_DIR: '/nonexistent/demo' });
    await expect(runDemo(OPTIONS, { config, logger: quiet })).rejects.toMatchObject({ name: 'DemoError', exitCode: 78 });
  });

  it('when NODE_ENV is production, then it refuses', async () => {
    const config = loadConfig({ NODE_ENV: 'production', DEMO_CLIENTS: 'false', TOKEN_SIGNING_SECRET: 'x'.repeat(40), DATA_DIR: '/nonexistent/demo' });
    const run = runDemo(OPTIONS, { config, logger: quiet });
    await expect(run).rejects.toBeInstanceOf(DemoError);
    await expect(run).rejects.toThrow(/production/);
  });
});

describe('runDemoCommand', () => {
  let gateway: Server;
  let port: number;
  let dir: string;
  beforeAll(async () => {
    gateway = createServer((req, res) => res.writeHead(req.url === '/health/live' ? 200 : 404).end());
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    port = (gateway.address() as AddressInfo).port;
    dir = mkdtempSync(join(tmpdir(), 'sektorbro-demo-unit-'));
  });
  afterAll(async () => {
    await new Promise((resolve) => gateway.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('when an option is not a number in range, then exit code 64 with the usage', async () => {
    const stderr = sink();
    expect(await runDemoCommand(['--days', '0', '--per-day', 'many'], { env: {}, stdout: sink(), stderr })).toBe(64);
    expect(stderr.text()).toContain('--days must be a whole number from 1 to 366 (got "0")');
    expect(stderr.text()).toContain('--per-day must be a whole number from 1 to 1000 (got "many")');
    expect(stderr.text()).toContain('Usage: sektorbro demo');
  });

  it('when asked for help, then the usage goes to stdout', async () => {
    const stdout = sink();
    expect(await runDemoCommand(['--help'], { env: {}, stdout, stderr: sink() })).toBe(0);
    expect(stdout.text()).toMatch(/^Usage: sektorbro demo/);
  });

  it('when a gateway answers at HOST:PORT, then exit code 75 and the data folder is not created', async () => {
    const stderr = sink();
    const dataDir = join(dir, 'data');
    const code = await runDemoCommand(['--days', '1'], { env: { NODE_ENV: 'test', PORT: String(port), DATA_DIR: dataDir }, stdout: sink(), stderr });
    expect(code).toBe(75);
    expect(stderr.text()).toBe(`A gateway answers at http://127.0.0.1:${String(port)}: stop it (and any worker) first. The demo runs its own, on the same storage.\n`);
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('formatDemoSummary', () => {
  it('when formatted, then the counts and the on-time share are there', () => {
    const text = formatDemoSummary({
      from: new Date('2026-08-20T08:00:00Z'), dischargesFrom: new Date('2026-08-30T08:00:00Z'), until: new Date('2026-11-27T11:00:00Z'), storage: 'PGlite in ./data', hospitals: 3, departments: 7,
      discharges: 1080, hospitalNotifications: 2165, epikriser: 990, udskrivningsrapporter: 370, delivered: { documents: 1360, messages: 2165 },
      epikrise: { onTime: 860, late: 120, overdue: 85, pending: 15, share: 860 / 1065, target: 0.9 },
    });
    expect(text).toContain('Demo data written to PGlite in ./data: discharges from 2026-08-30 to 2026-11-27 (simulated).');
    expect(text).toContain('1080 discharges at 7 departments of 3 hospitals; 2165 HospitalNotifications');
    expect(text).toContain('epikrise on time: 80.8% (target 90.0%): 860 on time, 120 late, 85 never sent and overdue');
  });
});
