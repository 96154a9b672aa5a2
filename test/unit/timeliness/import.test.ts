import { describe, expect, it } from 'vitest';
import type { Store } from '../../../src/store/index.ts';
import {
  DEFAULT_TIMELINESS_SETTINGS,
  IMPORT_UNKNOWN_PATIENT,
  computeDeadline,
  decodeUtf8,
  detectSeparator,
  endOfLocalDay,
  formatProblem,
  parseCsv,
  readImport,
  runTimelinessImport,
  type ImportCommandDeps,
} from '../../../src/timeliness/index.ts';

const NOW = new Date('2024-06-03T12:00:00Z'); // Monday 14:00 in Copenhagen
const HOSPITAL = '265161000016000';
const CPR = '0803829990';
const HEADER = 'discharged_at,sent_at,delivered_at,hospital_sor,department_sor,document_type,patient_cpr,episode_of_care_id,excluded_reason';

const bytes = (text: string, bom = false): Uint8Array => Buffer.concat([Buffer.from(bom ? [0xef, 0xbb, 0xbf] : []), Buffer.from(text, 'utf8')]);
const read = (text: string, settings = DEFAULT_TIMELINESS_SETTINGS) => readImport(bytes(text), { settings, now: NOW });
const lines = (...rows: string[]): string => `${rows.join('\r\n')}\r\n`;

describe('parseCsv: RFC 4180 records with their line numbers', () => {
  it('when fields are quoted, hold separators, doubled quotes and line breaks, then each record keeps the line it starts on', () => {
    const { records, problems } = parseCsv('a,b\r\n"x, y","he said ""hi"""\r\n\r\n"multi\nline",z\nlast,1', ',');
    expect(problems).toEqual([]);
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'he said "hi"'] },
      { line: 4, fields: ['multi\nline', 'z'] },
      { line: 6, fields: ['last', '1'] },
    ]);
  });

  it('when lines end with a lone CR (old Mac exports), then they are lines too', () => {
    expect(parseCsv('a;b\r1;2\r', ';').records).toEqual([{ line: 1, fields: ['a', 'b'] }, { line: 2, fields: ['1', '2'] }]);
  });

  it('when a quote is never closed, or text follows a closing quote, then the record is a problem of its first line', () => {
    expect(parseCsv('a,b\n1,"open\n2,3\n', ',').problems).toEqual([{ line: 2, column: 'row', problem: 'a quoted field is not closed' }]);
    const after = parseCsv('a,b\n"x"y,1\n2,3\n', ',');
    expect(after.problems).toEqual([{ line: 2, column: 'row', problem: 'text after the closing quote of a field' }]);
    expect(after.records).toEqual([{ line: 1, fields: ['a', 'b'] }, { line: 3, fields: ['2', '3'] }]);
  });
});

describe('detectSeparator and decodeUtf8', () => {
  it('when the header has more semicolons than commas outside quotes, then ; separates', () => {
    expect(detectSeparator('discharged_at;hospital_sor;sent_at\n1,2;3')).toBe(';');
    expect(detectSeparator('discharged_at,hospital_sor\n1;2;3;4')).toBe(',');
    expect(detectSeparator('"a;b;c",d\n')).toBe(',');
  });

  it('when the file starts with a BOM, then it is dropped; when a byte is not UTF-8, then its line is named', () => {
    expect(decodeUtf8(bytes('x,y\n', true))).toEqual({ text: 'x,y\n' });
    const broken = Buffer.concat([Buffer.from('a\nb\n'), Buffer.from([0x66, 0xff]), Buffer.from('\nc\n')]);
    expect(decodeUtf8(broken)).toEqual({ problem: { line: 3, column: 'file', problem: 'is not valid UTF-8 (save the export as UTF-8)' } });
  });
});

describe('readImport: a good export', () => {
  const text = lines(
    HEADER,
    `2024-03-22T10:00:00+01:00,2024-03-25T09:00:00+01:00,,${HOSPITAL},${HOSPITAL},epikrise,${CPR},,`,
    `2024-03-22T10:00:00+01:00,2024-03-26T09:00:00+01:00,2024-03-26T09:05:00+01:00,${HOSPITAL},,,,,`,
    `2024-05-30T10:00:00+02:00,,,${HOSPITAL},,,,,`,
    `2024-06-03 13:00,,,${HOSPITAL},,,,,`,
    `2024-04-10T08:00:00+02:00,,,${HOSPITAL},,udskrivningsrapport,,EOC-1,death`,
  );

  it('when every row is good, then each becomes an expectation measured by the configured rule, from source import', () => {
    const { rows, problems } = read(text);
    expect(problems).toEqual([]);
    expect(rows.map((r) => r.line)).toEqual([2, 3, 4, 5, 6]);
    const [onTime, late, overdue, pending, excluded] = rows.map((r) => r.expectation);
    expect(rows.every((r) => r.expectation.source === 'import')).toBe(true);
    // Friday 22 March: due at the end of Monday 25 March (next working day).
    expect(onTime?.dueAt).toEqual(computeDeadline({ dischargedAt: new Date('2024-03-22T10:00:00+01:00') }).dueBy);
    expect(onTime?.dueAt?.toISOString()).toBe('2024-03-25T22:59:59.999Z');
    expect([onTime?.state, late?.state, overdue?.state, pending?.state, excluded?.state]).toEqual(['on-time', 'late', 'overdue', 'pending', 'excluded']);
    expect(late?.deliveredAt?.toISOString()).toBe('2024-03-26T08:05:00.000Z');
    expect(late?.workingDaysElapsed).toBe(2);
    // The udskrivningsrapport is due by the end of the discharge day, whatever the epikrise rule.
    expect(excluded?.dueAt).toEqual(endOfLocalDay('2024-04-10'));
    expect(excluded?.exclusionReason).toBe('death');
  });

  it('when a time has no offset, then it is Copenhagen time (summer: UTC+2)', () => {
    expect(read(text).rows[3]?.expectation.dischargedAt?.toISOString()).toBe('2024-06-03T11:00:00.000Z');
  });

  it('when a row is overdue already, then it counts as alerted (history pages nobody); a pending one does not', () => {
    const { rows } = read(text);
    expect(rows[2]?.expectation.alertedAt).toEqual(NOW);
    expect(rows[3]?.expectation.alertedAt).toBeUndefined();
  });

  it('when a row gives a CPR number, then only a patient id is stored, never the number', () => {
    const { rows } = read(text);
    const withCpr = rows[0]?.expectation;
    expect(withCpr?.patientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(withCpr)).not.toContain(CPR);
    expect(rows[1]?.expectation.patientId).toBe(IMPORT_UNKNOWN_PATIENT);
  });

  it('when the same file is read twice, or its rows reordered, then the ids are the same', () => {
    const ids = read(text).rows.map((r) => r.expectation.id);
    expect(new Set(ids).size).toBe(5);
    expect(read(text).rows.map((r) => r.expectation.id)).toEqual(ids);
    const [head, ...body] = text.trimEnd().split('\r\n');
    expect(read(lines(head ?? '', ...body.reverse())).rows.map((r) => r.expectation.id).sort()).toEqual([...ids].sort());
  });

  it('when another rule is configured, then new rows carry it and are due by it', () => {
    const rule = { kind: 'working-days', id: 'working-days:3', version: '2024.1', days: 3 } as const;
    const row = read(text, { ...DEFAULT_TIMELINESS_SETTINGS, rule }).rows[0]?.expectation;
    expect(row?.rule).toBe('working-days:3@2024.1');
    expect(row?.dueAt?.toISOString()).toBe('2024-03-27T22:59:59.999Z');
  });

  it('when the export is Danish Excel (; separator, BOM, header names in capitals, a quoted ; in a value), then it reads the same', () => {
    const danish = bytes(lines('Discharged_At;HOSPITAL_SOR;Sent_At;Episode_Of_Care_Id', `2024-03-22 10:00;${HOSPITAL};2024-03-25 09:00;"a;b"`), true);
    const { rows, problems, separator } = readImport(danish, { settings: DEFAULT_TIMELINESS_SETTINGS, now: NOW });
    expect(problems).toEqual([]);
    expect(separator).toBe(';');
    expect(rows[0]?.expectation.dischargedAt?.toISOString()).toBe('2024-03-22T09:00:00.000Z');
    expect(rows[0]?.expectation.state).toBe('on-time');
    expect(rows[0]?.expectation.episodeOfCareId).toBe('a;b');
  });
});

describe('readImport: bad rows', () => {
  const BAD_CPR = '0101011234x';
  const text = lines(
    HEADER,
    `2024-03-22T10:00:00+01:00,,,${HOSPITAL},,,,,`,
    `yesterday,,,${HOSPITAL},,,,,`,
    '2024-03-22T10:00:00+01:00,,,123,,,,,',
    `2024-03-22T10:00:00+01:00,,,${HOSPITAL},,,${BAD_CPR},"two`,
    `line episode",`,
    `2024-03-22T10:00:00+01:00,2024-03-21T10:00:00+01:00,,${HOSPITAL},,,,,`,
    `2024-07-01T10:00:00+02:00,,,${HOSPITAL},,,,,`,
    `2024-03-22T10:00:00+01:00,,,${HOSPITAL}`,
    `2024-03-22T10:00:00+01:00,,,${HOSPITAL},,plejeforloebsplan,,,`,
    `2024-03-22T10:00:00+01:00,,,${HOSPITAL},,,,,`,
    '2024-03-22T10:00:00+01:00,,,,,,,,',
    `2024-03-22T10:00:00+01:00,,,${HOSPITAL},,,,,illness`,
  );

  it('when rows are bad, then every one is reported as "line N: <column>: <problem>" and no row is returned', () => {
    const { rows, problems } = read(text);
    expect(rows).toEqual([]);
    expect(problems.map(formatProblem)).toEqual([
      'line 3: discharged_at: is not a date and time (ISO 8601 with offset (2024-03-01T10:15:00+01:00) or YYYY-MM-DD HH:MM in Copenhagen time)',
      'line 4: hospital_sor: is not a SOR code (11 to 18 digits)',
      'line 5: patient_cpr: is not a CPR number (10 digits, DDMMYYSSSS)',
      'line 7: sent_at: is before discharged_at',
      'line 8: discharged_at: is in the future',
      'line 9: row: has 4 fields where the header has 9',
      'line 10: document_type: must be one of epikrise, udskrivningsrapport, genoptraeningsplan',
      'line 11: row: describes the same discharge and document type as line 2',
      'line 12: hospital_sor: is required',
      'line 13: excluded_reason: must be one of death, transfer, no-gp, objection, cancelled',
    ]);
  });

  it('when a value is wrong, then the report never repeats it (a column may hold a CPR number)', () => {
    expect(read(text).problems.map(formatProblem).join('\n')).not.toContain(BAD_CPR);
  });

  it('when the header names an unknown column, repeats one or lacks a required one, then line 1 says so', () => {
    expect(read(lines('discharged_at,sendt,discharged_at', `2024-03-22T10:00:00+01:00,x,y`)).problems.map(formatProblem)).toEqual([
      'line 1: sendt: is not a known column (discharged_at, sent_at, delivered_at, hospital_sor, department_sor, document_type, patient_cpr, episode_of_care_id, excluded_reason)',
      'line 1: discharged_at: is given twice',
      'line 1: hospital_sor: is a required column and missing',
    ]);
  });

  it('when the file is empty, then the missing header is the problem', () => {
    expect(read('').problems.map(formatProblem)).toEqual([expect.stringMatching(/^line 1: header: is missing/) as unknown as string]);
  });
});

describe('runTimelinessImport: the command before storage', () => {
  const deps = (files: Record<string, string>): ImportCommandDeps & { err: string[]; opened: number } => {
    const out = {
      err: [] as string[],
      opened: 0,
      settings: DEFAULT_TIMELINESS_SETTINGS,
      storage: { kind: 'pglite', dataDir: './nowhere' } as const,
      gatewayUrl: 'http://127.0.0.1:9',
      clock: { now: () => NOW },
      stderr: { write: (s: string) => out.err.push(s) > 0 },
      readFile: (p: string): Uint8Array => {
        const f = files[p];
        if (f === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
        return bytes(f);
      },
      openStore: (): Promise<Store> => {
        out.opened++;
        return Promise.reject(new Error('storage must not be opened'));
      },
    };
    return out;
  };

  it('when no file is named, then the usage is shown with exit code 64', async () => {
    const d = deps({});
    expect(await runTimelinessImport([], d)).toBe(64);
    expect(d.err.join('')).toContain('Usage: sektorbro timeliness import');
  });

  it('when the file cannot be read, then exit code 66 says so', async () => {
    const d = deps({});
    expect(await runTimelinessImport(['missing.csv'], d)).toBe(66);
    expect(d.err.join('')).toBe('Cannot read missing.csv: ENOENT\n');
  });

  it('when a row is bad, then exit code 65 lists the bad rows and storage is never opened', async () => {
    const d = deps({ 'x.csv': lines(HEADER, `2024-03-22T10:00:00+01:00,,,${HOSPITAL},,,,,`, `2024-03-22T10:00:00+01:00,,,12,,,,,`) });
    expect(await runTimelinessImport(['x.csv'], d)).toBe(65);
    expect(d.err).toEqual(['line 3: hospital_sor: is not a SOR code (11 to 18 digits)\n', '1 bad line in x.csv: nothing imported.\n']);
    expect(d.opened).toBe(0);
  });

  it('when the file has a header and no rows, then nothing is imported and storage is never opened', async () => {
    const d = deps({ 'empty.csv': lines(HEADER) });
    expect(await runTimelinessImport(['empty.csv'], d)).toBe(0);
    expect(d.opened).toBe(0);
  });
});
