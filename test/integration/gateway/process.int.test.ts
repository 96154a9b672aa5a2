import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL } from '../../helpers/store.ts';
import { redisAvailable, TEST_REDIS_URL } from '../../helpers/redis.ts';
import { freePort } from '../../helpers/net.ts';

const BIN = new URL('../../../bin/sektorbro.js', import.meta.url).pathname;
const run = promisify(execFile);

interface Running {
  base: string;
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** Starts `sektorbro start` as a real child process and waits until it is ready. */
async function startProcess(env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [BIN, 'start'], {
    env: { ...process.env, NODE_ENV: 'development', HOST: '127.0.0.1', PORT: String(port), PUBLIC_BASE_URL: base, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString('utf8'); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString('utf8'); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code); }));
  // Start-up compiles the R4 schema and the profiles: seconds on an idle machine, more under load.
  for (let i = 0; i < 900 && !out.includes('gateway.started'); i++) {
    if (child.exitCode !== null) throw new Error(`gateway exited early:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!out.includes('gateway.started')) {
    child.kill('SIGKILL'); // never leave a gateway running behind a failed test
    throw new Error(`gateway did not start:\n${out}`);
  }
  return {
    base,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      child.kill(signal);
      return exited;
    },
  };
}

async function cliToken(clientId: string, base: string): Promise<string> {
  const { stdout } = await run(process.execPath, [BIN, 'token', clientId], { env: { ...process.env, PUBLIC_BASE_URL: base } });
  return stdout;
}

describe('the gateway as a process (embedded default)', { timeout: 240_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sektorbro-process-'));
  afterAll(() => { rmSync(dataDir, { recursive: true, force: true }); });

  it('when started, then it serves metadata and health, the CLI token works against it, data survives a restart, and SIGTERM stops it cleanly', async () => {
    const first = await startProcess({ DATA_DIR: dataDir });
    const ready = await fetch(`${first.base}/health/ready`);
    expect(await ready.json()).toEqual({ status: 'ok', storage: 'pglite', queue: 'inprocess' });
    expect((await fetch(`${first.base}/fhir/metadata`)).status).toBe(200);

    const token = await cliToken('demo-admin', first.base);
    expect(token.trim().split('\n')).toHaveLength(1);
    const created = await fetch(`${first.base}/fhir/Organization`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token.trim()}`, 'Content-Type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Organization', name: 'Herlev Kommune' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(first.output()).toMatch(/gateway\.stopped/);

    const second = await startProcess({ DATA_DIR: dataDir });
    const read = await fetch(`${second.base}/fhir/Organization/${id}`, { headers: { Authorization: `Bearer ${(await cliToken('demo-admin', second.base)).trim()}` } });
    expect(read.status).toBe(200);
    expect(await second.stop('SIGINT')).toBe(0);
  });

  it('when the CLI is asked for an unknown client, then it says which clients exist and exits non-zero', async () => {
    await expect(run(process.execPath, [BIN, 'token', 'nobody'])).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/demo-hospital/) as unknown });
  });

  it('when production is configured with demo clients or the development secret, then it refuses to start', async () => {
    const attempt = run(process.execPath, [BIN, 'start'], { env: { ...process.env, NODE_ENV: 'production', DATA_DIR: dataDir } });
    await expect(attempt).rejects.toMatchObject({ code: 78, stderr: expect.stringMatching(/TOKEN_SIGNING_SECRET/) as unknown });
  });
});

const withRedis = await redisAvailable();

describe.runIf(withRedis)('the gateway as a process on PostgreSQL and Redis', { timeout: 240_000 }, () => {
  const database = `sektorbro_process_${process.pid}`;
  const admin = () => new pg.Client({ connectionString: TEST_DATABASE_URL });
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${database}`;

  afterAll(async () => {
    const c = admin();
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await c.end();
  });

  it('when DATABASE_URL and REDIS_URL are set, then the same code runs on PostgreSQL and BullMQ', async () => {
    const c = admin();
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${database}`);
    await c.end();
    const gw = await startProcess({ DATABASE_URL: url.toString(), REDIS_URL: TEST_REDIS_URL });
    const ready = await fetch(`${gw.base}/health/ready`);
    expect(await ready.json()).toEqual({ status: 'ok', storage: 'postgres', queue: 'bullmq' });
    const token = (await cliToken('demo-gp', gw.base)).trim();
    const res = await fetch(`${gw.base}/fhir/Patient`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(await gw.stop()).toBe(0);
  });
});
