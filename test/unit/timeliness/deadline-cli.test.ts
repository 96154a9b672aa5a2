import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/shared/index.ts';
import { deadlineFromQuery, runDeadlineCommand } from '../../../src/timeliness/index.ts';

const FIRST_KEYS = ['dueBy', 'onTime', 'workingDaysElapsed', 'withinThreeWorkingDays'];

function runOk(args: string[]): Record<string, unknown> {
  const result = runDeadlineCommand(args);
  expect(result.code).toBe(0);
  expect(result.stderr).toBe('');
  // Exactly one line: the object, then a newline.
  expect(result.stdout.endsWith('\n')).toBe(true);
  expect(result.stdout.slice(0, -1)).not.toContain('\n');
  const parsed: unknown = JSON.parse(result.stdout);
  expect(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)).toBe(true);
  return parsed as Record<string, unknown>;
}

function runBad(args: string[]): string {
  const result = runDeadlineCommand(args);
  expect(result.code).toBe(64);
  expect(result.stdout).toBe('');
  expect(result.stderr.endsWith('\n')).toBe(true);
  expect(result.stderr.slice(0, -1)).not.toContain('\n');
  return result.stderr;
}

describe('sektorbro deadline', () => {
  it('when only --discharged is given, then the four keys come first in order and the sent-dependent ones are null', () => {
    const out = runOk(['--discharged', '2024-03-22T10:00:00+01:00']);
    expect(Object.keys(out).slice(0, 4)).toEqual(FIRST_KEYS);
    expect(out).toEqual({
      dueBy: '2024-03-25T23:59:59.999+01:00',
      onTime: null,
      workingDaysElapsed: null,
      withinThreeWorkingDays: null,
      calendar: 'dk-strict@2024.1',
      rule: 'next-working-day@2024.1',
    });
  });

  it('when --sent is given, then onTime, workingDaysElapsed and withinThreeWorkingDays are filled in', () => {
    const late = runOk(['--discharged', '2024-03-27T10:00:00+01:00', '--sent', '2024-04-04T09:00:00+02:00']);
    expect(Object.keys(late).slice(0, 4)).toEqual(FIRST_KEYS);
    expect([late.dueBy, late.onTime, late.workingDaysElapsed, late.withinThreeWorkingDays]).toEqual([
      '2024-04-02T23:59:59.999+02:00',
      false,
      3,
      true,
    ]);
    const onTime = runOk(['--discharged', '2024-12-25T23:30:00Z', '--sent', '2024-12-26T20:00:00Z']);
    expect([onTime.onTime, onTime.workingDaysElapsed, onTime.withinThreeWorkingDays]).toEqual([true, 0, true]);
  });

  it('when --calendar and --rule are given (in either order, local times allowed), then they are used and reported', () => {
    const out = runOk(['--rule', 'working-days:3', '--calendar', 'dk-public', '--discharged', '2024-12-23T10:00:00']);
    // dk-public counts 24 Dec: 24 (Tue), 27 (Fri), 30 (Mon); dk-strict would give 2 Jan.
    expect(out.dueBy).toBe('2024-12-30T23:59:59.999+01:00');
    expect(out.calendar).toBe('dk-public@2024.1');
    expect(out.rule).toBe('working-days:3@2024.1');
  });

  it('when the calendar is dk-public and the rule rh-2015, then the ids are reported with versions', () => {
    const out = runOk(['--discharged', '2024-12-24T09:00:00+01:00', '--calendar', 'DK-PUBLIC', '--rule', 'rh-2015']);
    expect(out.dueBy).toBe('2024-12-24T23:59:59.999+01:00');
    expect(out.calendar).toBe('dk-public@2024.1');
    expect(out.rule).toBe('rh-2015@2024.1');
  });

  it.each([
    [[], '--discharged'],
    [['--discharged', ''], '--discharged'],
    [['--discharged', '2024-02-30'], '--discharged'],
    [['--discharged', '2024-03-22T10:00:00+01:00', '--sent', 'tomorrow'], '--sent'],
    [['--discharged', '2024-03-22T10:00:00+01:00', '--calendar', 'dk-weekdays'], '--calendar'],
    [['--discharged', '2024-03-22T10:00:00+01:00', '--rule', 'working-days:0'], '--rule'],
    [['--discharged'], '--discharged'],
    [['--discharged', '2024-03-22', '--frobnicate', '1'], '--frobnicate'],
    [['--discharged', '2024-03-22', 'extra'], 'extra'],
  ])('when the arguments are %j, then code 64 and one stderr line naming %s', (args, named) => {
    expect(runBad(args)).toContain(named);
  });
});

describe('deadlineFromQuery', () => {
  it('when the query is valid, then it answers the same object as the CLI', () => {
    const view = deadlineFromQuery({ dischargedAt: '2024-12-30T10:00:00+01:00', sentAt: '2025-01-03T08:00:00+01:00', rule: 'working-days:3' });
    const cli = runOk(['--discharged', '2024-12-30T10:00:00+01:00', '--sent', '2025-01-03T08:00:00+01:00', '--rule', 'working-days:3']);
    expect(view).toEqual(cli);
    expect(Object.keys(view)).toEqual(Object.keys(cli));
    expect([view.dueBy, view.onTime, view.workingDaysElapsed]).toEqual(['2025-01-06T23:59:59.999+01:00', true, 2]);
  });

  function rejection(q: Parameters<typeof deadlineFromQuery>[0]): GatewayError {
    try {
      deadlineFromQuery(q);
    } catch (e) {
      if (e instanceof GatewayError) return e;
      throw e;
    }
    throw new Error('expected a GatewayError');
  }

  it.each([
    [{}, 'dischargedAt', 'required'],
    [{ dischargedAt: '22/03/2024' }, 'dischargedAt', 'value'],
    [{ dischargedAt: '2024-03-22', sentAt: '2024-02-30T10:00:00Z' }, 'sentAt', 'value'],
    [{ dischargedAt: '2024-03-22', calendar: 'xx' }, 'calendar', 'value'],
    [{ dischargedAt: '2024-03-22', rule: 'secret-rule-0102034444' }, 'rule', 'value'],
  ])('when the query is %j, then 400 with expression [%s]', (q, name, code) => {
    const e = rejection(q);
    expect(e.status).toBe(400);
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]?.expression).toEqual([name]);
    expect(e.issues[0]?.code).toBe(code);
    for (const value of Object.values(q)) expect(e.issues[0]?.diagnostics).not.toContain(value);
  });
});
