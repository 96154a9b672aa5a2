import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redact, runWithContext } from '../../../src/shared/index.ts';

describe('redact', () => {
  it.each(['2509479989', '250947-9989', 'patient 0703921VJ6 arrived', 'cpr=1206550VK9&x=1'])('when a string holds a CPR-shaped value (%s), then it is masked', (s) => {
    expect(redact(s)).toContain('[cpr]');
    expect(String(redact(s))).not.toMatch(/\d{6}-?\w{4}/);
  });
  it('when a string holds a SOR code or a timestamp, then it is left alone', () => {
    expect(redact('org 265161000016000 at 2026-11-30T12:00:00Z')).toBe('org 265161000016000 at 2026-11-30T12:00:00Z');
  });
  it('when an object holds payload keys, then their values are dropped whole', () => {
    expect(redact({ id: 'x', body: { a: 1 }, nested: { text: 'Epikrise: ...' } })).toEqual({ id: 'x', body: '[omitted]', nested: { text: '[omitted]' } });
  });
});

describe('createLogger', () => {
  it('when logging inside a request context, then each line is JSON with the request id and no CPR', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
    const logger = createLogger({ level: 'info', stream });
    runWithContext({ requestId: 'req-1' }, () => { logger.warn('lookup.failed', { reason: 'no patient 2509479989', content: 'Kære læge' }); });
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(entry.requestId).toBe('req-1');
    expect(entry.message).toBe('lookup.failed');
    expect(lines[0]).not.toMatch(/2509479989|Kære/);
  });
});
