import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_TOKEN_SIGNING_SECRET, loadConfig, SETTINGS } from '../../../src/config/index.ts';

describe('loadConfig', () => {
  it('when nothing is set, then the embedded default runs: PGlite under ./data, in-process queue, demo clients', () => {
    const c = loadConfig({});
    expect(c.storage).toEqual({ kind: 'pglite', dataDir: './data' });
    expect(c.queue).toEqual({ kind: 'inprocess' });
    expect(c.auth.demoClients).toBe(true);
    expect(c.port).toBe(8080);
    expect(c.publicBaseUrl).toBe('http://localhost:8080');
    expect(c.limits.bodyBytes).toBe(10 * 1024 * 1024);
  });

  it('when DATABASE_URL and REDIS_URL are set, then PostgreSQL and BullMQ are used', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u@db:5432/x', REDIS_URL: 'redis://r:6379' });
    expect(c.storage).toEqual({ kind: 'postgres', url: 'postgres://u@db:5432/x' });
    expect(c.queue).toEqual({ kind: 'bullmq', url: 'redis://r:6379' });
  });

  it('when values are wrong, then every problem is listed at once', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', DEMO_CLIENTS: 'maybe' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const problems = (e as ConfigError).problems.join('\n');
      expect(problems).toMatch(/PORT/);
      expect(problems).toMatch(/DATABASE_URL/);
      expect(problems).toMatch(/LOG_LEVEL/);
      expect(problems).toMatch(/DEMO_CLIENTS/);
    }
  });

  it('when production runs with the development secret or demo clients, then it refuses to start', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/TOKEN_SIGNING_SECRET/);
    expect(() => loadConfig({ NODE_ENV: 'production', TOKEN_SIGNING_SECRET: DEV_TOKEN_SIGNING_SECRET })).toThrow(/TOKEN_SIGNING_SECRET/);
    expect(() => loadConfig({ NODE_ENV: 'production', TOKEN_SIGNING_SECRET: 'x'.repeat(40), DEMO_CLIENTS: 'true' })).toThrow(/DEMO_CLIENTS/);
    const c = loadConfig({ NODE_ENV: 'production', TOKEN_SIGNING_SECRET: 'x'.repeat(40) });
    expect(c.auth.demoClients).toBe(false);
  });

  it('when the signing secret is short, then it is refused', () => {
    expect(() => loadConfig({ TOKEN_SIGNING_SECRET: 'short' })).toThrow(/at least 32/);
  });
});

describe('README configuration table', () => {
  it('when a setting exists in the code, then the README documents it, and nothing else', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Operations'));
    const documented = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(SETTINGS.map((s) => s.name).sort());
  });
});
