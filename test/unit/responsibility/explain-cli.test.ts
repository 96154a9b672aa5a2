import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runResponsibilityExplain } from '../../../src/responsibility/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'sektorbro-responsibility-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;
function file(content: unknown): string {
  files += 1;
  const path = join(dir, `input-${String(files)}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const readFile = (p: string): string => readFileSync(p, 'utf8');
const explain = (...args: string[]): ReturnType<typeof runResponsibilityExplain> => runResponsibilityExplain(args, readFile);

const department = { sor: '265351000016007', name: 'Medicinsk afdeling', telecom: [{ system: 'phone', value: '+4538620000' }] };
const EVENTS = [
  { id: 'a1', type: 'admitted', at: '2024-03-22T08:00:00+01:00' },
  { id: 'd1', type: 'discharged', at: '2024-03-25T10:00:00+01:00', department, receivesMunicipalCare: true, somatic: true },
];

describe('responsibility explain: end to end with a temp file', () => {
  it('when asked inside the window, then it prints one JSON line with the department and the Copenhagen times', () => {
    const result = explain('--events', file(EVENTS), '--at', '2024-03-26T12:00:00+01:00');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.endsWith('\n')).toBe(true);
    expect(result.stdout.trimEnd().split('\n')).toHaveLength(1);
    const answer = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(answer)).toEqual(['holder', 'from', 'until', 'inferred', 'basis']);
    // 25 March 10:00 + 72 h crosses the spring DST change (31 March is later): 28 March 10:00 +01:00.
    expect(answer).toMatchObject({
      holder: { kind: 'hospital-department', organization: { sor: '265351000016007', name: 'Medicinsk afdeling' }, telecom: department.telecom },
      from: '2024-03-25T10:00:00.000+01:00',
      until: '2024-03-28T10:00:00.000+01:00',
      inferred: false,
    });
    expect(answer.basis).toContainEqual({ kind: 'rule', id: 'hovedstaden.window.2022-02-01', version: '1', note: '72 h window for discharges in hovedstaden from 2022-02-01' });
  });

  it('when asked at exactly the end with the GP in the object form, then the GP is named', () => {
    const gp = { sor: '1017421000016003', name: 'Lægehuset Østerbro' };
    const result = explain('--events', file({ events: EVENTS, generalPractitioner: gp }), '--at', '2024-03-28T10:00:00+01:00');
    expect(JSON.parse(result.stdout)).toMatchObject({ holder: { kind: 'general-practitioner', organization: gp, telecom: [] }, from: '2024-03-28T10:00:00.000+01:00', until: null });
  });

  it('when --region names Sjælland after its move to 96 h, then the window is 96 h', () => {
    const events = [{ id: 'd1', type: 'discharged', at: '2025-03-03T10:00:00+01:00', department: '265351000016007', receivesMunicipalCare: true, somatic: true }];
    const result = explain('--events', file(events), '--at', '2025-03-04T00:00:00+01:00', '--region', 'sjaelland');
    expect(JSON.parse(result.stdout)).toMatchObject({ until: '2025-03-07T10:00:00.000+01:00', holder: { organization: { sor: '265351000016007', name: null } } });
  });

  it('when --rules configures 96 h for Hovedstaden, then it is used', () => {
    const rules = file({ regions: { hovedstaden: [{ id: 'h96', version: '3', effectiveFrom: '2024-01-01', hours: 96 }] } });
    const result = explain('--events', file(EVENTS), '--at', '2024-03-26T12:00:00+01:00', '--rules', rules);
    const answer = JSON.parse(result.stdout) as { until: string; basis: unknown[] };
    expect(answer.until).toBe('2024-03-29T10:00:00.000+01:00');
    expect(answer.basis).toContainEqual({ kind: 'rule', id: 'h96', version: '3', note: '96 h window for discharges in hovedstaden from 2024-01-01' });
  });
});

describe('responsibility explain: bad input', () => {
  const oneLine = (stderr: string): void => {
    expect(stderr.endsWith('\n')).toBe(true);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  };

  it.each([
    ['--at is missing', ['--events', 'x.json'], /missing --at/],
    ['--events is missing', ['--at', '2024-03-26T12:00:00+01:00'], /missing --events/],
    ['--at has no offset', ['--events', 'x.json', '--at', '2024-03-26T12:00:00'], /^--at: not an ISO 8601 date-time with offset/],
    ['an option is unknown', ['--events', 'x.json', '--at', '2024-03-26T12:00:00Z', '--now'], /--now/],
    ['a positional is given', ['x.json'], /x\.json/],
  ])('when %s, then it exits 64 with one line', (_label, args, message) => {
    const result = explain(...args);
    expect(result.code).toBe(64);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    oneLine(result.stderr);
  });

  it('when --region is unknown, then it exits 64 naming the region', () => {
    const result = explain('--events', file(EVENTS), '--at', '2024-03-26T12:00:00Z', '--region', 'oestdanmark');
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(/^--region: unknown region "oestdanmark"/);
  });

  it('when an event is malformed, then it exits 65 naming the file, index and field', () => {
    const events = [...EVENTS, { id: 'm1', type: 'died', at: '2024-03-26T12:00:00' }];
    const path = file(events);
    const result = explain('--events', path, '--at', '2024-03-26T12:00:00Z');
    expect(result.code).toBe(65);
    expect(result.stderr).toBe(`${path}: events[2].at: not an ISO 8601 date-time with offset\n`);
  });

  it('when the events file is not JSON, then it exits 65 on one line', () => {
    const result = explain('--events', file('[{"id": "d1",\n'), '--at', '2024-03-26T12:00:00Z');
    expect(result.code).toBe(65);
    expect(result.stderr).toMatch(/not valid JSON/);
    oneLine(result.stderr);
  });

  it('when the rules are invalid, then it exits 65 naming the rule', () => {
    const rules = file({ regions: { hovedstaden: [{ id: 'h', version: '1', effectiveFrom: '2024-01-01', hours: 0 }] } });
    const result = explain('--events', file(EVENTS), '--at', '2024-03-26T12:00:00Z', '--rules', rules);
    expect(result.code).toBe(65);
    expect(result.stderr).toBe(`${rules}: regions.hovedstaden[0].hours: must be positive\n`);
  });

  it('when the events file does not exist, then it exits 66 naming it', () => {
    const missing = join(dir, 'missing.json');
    const result = explain('--events', missing, '--at', '2024-03-26T12:00:00Z');
    expect(result.code).toBe(66);
    expect(result.stderr).toBe(`${missing}: cannot read the file (ENOENT)\n`);
  });

  it('when --help is given, then it prints the usage and exits 0', () => {
    const result = explain('--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: sektorbro responsibility explain --events/);
  });
});
