import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/index.ts';

describe('timeliness settings', () => {
  it('when nothing is set, then dk-strict, next working day, 4 hours at risk, 90 % target, the sent clock and no webhook', () => {
    const { timeliness } = loadConfig({});
    expect(timeliness).toMatchObject({ calendar: 'dk-strict', atRiskHours: 4, target: 0.9, clock: 'sent', alertWebhook: undefined });
    expect(timeliness.rule.id).toBe('next-working-day');
  });

  it('when set, then they are read (the calendar case-insensitively, as domain.md writes DK-PUBLIC)', () => {
    const { timeliness } = loadConfig({
      TIMELINESS_CALENDAR: 'DK-PUBLIC', TIMELINESS_RULE: 'working-days:3', TIMELINESS_AT_RISK_HOURS: '8', TIMELINESS_TARGET: '0.75',
      TIMELINESS_CLOCK: 'delivered', TIMELINESS_ALERT_WEBHOOK: 'https://alerts.example/timeliness',
    });
    expect(timeliness).toMatchObject({ calendar: 'dk-public', atRiskHours: 8, target: 0.75, clock: 'delivered', alertWebhook: 'https://alerts.example/timeliness' });
    expect(timeliness.rule).toMatchObject({ kind: 'working-days', days: 3 });
  });

  it('when values are wrong, then each is named', () => {
    try {
      loadConfig({ TIMELINESS_CALENDAR: 'dk-lax', TIMELINESS_RULE: 'tomorrow', TIMELINESS_TARGET: '90', TIMELINESS_CLOCK: 'read', TIMELINESS_ALERT_WEBHOOK: 'ftp://x', TIMELINESS_AT_RISK_HOURS: '-1' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const problems = (e as ConfigError).problems.join('\n');
      for (const name of ['TIMELINESS_CALENDAR', 'TIMELINESS_RULE', 'TIMELINESS_TARGET', 'TIMELINESS_CLOCK', 'TIMELINESS_ALERT_WEBHOOK', 'TIMELINESS_AT_RISK_HOURS']) {
        expect(problems).toContain(name);
      }
    }
  });
});
