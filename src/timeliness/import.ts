/**
 * `sektorbro timeliness import <csv>` (issue #7, "History on day one"): past discharges and send
 * times from an EHR export become timeliness expectations (source `import`), measured with the
 * configured rule and calendar, so a region sees past months at once.
 *
 * Every row is checked before anything is written; one bad row and nothing is imported. A row's id
 * comes from the discharge it describes (sending unit, department, patient, episode, discharge
 * time, document type), so importing the same file again changes nothing, and a corrected export
 * (a send time added) updates the rows it made rather than adding new ones.
 */
import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
// Not through ingest's index: ingest imports timeliness, and this is the one function needed.
import { idForEntry } from '../ingest/deterministic-ids.ts';
import { normaliseEpisodeOfCareId } from '../medcom/index.ts';
import { createLogger, deterministicId, SYSTEM, systemClock, type Clock } from '../shared/index.ts';
import { openStore, type ExclusionReason, type Store, type TimelinessDocumentType, type TimelinessExpectation } from '../store/index.ts';
import { parseInstant } from './deadline.ts';
import { EXCLUSION_REASONS, TRACKED_DOCUMENT_TYPES, atRiskMsOf, isTrackedDocumentType, newExpectation, remeasure, type TimelinessSettings } from './expectation.ts';

/** The columns an export may have, by their header names (case-insensitive). */
export const IMPORT_COLUMNS = [
  'discharged_at', 'sent_at', 'delivered_at', 'hospital_sor', 'department_sor', 'document_type', 'patient_cpr', 'episode_of_care_id', 'excluded_reason',
] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number];
const REQUIRED_COLUMNS: readonly ImportColumn[] = ['discharged_at', 'hospital_sor'];

/** Exclusions an import records are marked with this source (a person's own exclusions say `client:<id>`). */
export const IMPORT_EXCLUSION_SOURCE = 'import';
/** The patient of a row without a CPR number: no Patient of that id exists. */
export const IMPORT_UNKNOWN_PATIENT = 'unknown-patient';

export const IMPORT_USAGE = `Usage: sektorbro timeliness import <file.csv>

Loads past discharges and send times from an EHR export into the timeliness indicator, measured
with the configured TIMELINESS_RULE and TIMELINESS_CALENDAR.

The file: a header row, then one row per discharge and document; separator ; or , (found from the
header); UTF-8 with or without BOM; RFC 4180 quoting. Columns, by header name in any case:
  discharged_at       required: ISO 8601 with offset (2024-03-01T10:15:00+01:00),
                      or YYYY-MM-DD HH:MM[:SS] read as Copenhagen time
  sent_at             when the document went to its receiver (same formats); empty: not sent
  delivered_at        when the receiver took it (same formats)
  hospital_sor        required: SOR code of the sending unit (a hospital client sees its own rows)
  department_sor      SOR code of the discharging department
  document_type       epikrise (the default), udskrivningsrapport or genoptraeningsplan
  patient_cpr         stored only as the gateway's patient id, never as the number itself
  episode_of_care_id  the stay's episode-of-care (forløb) id
  excluded_reason     death, transfer, no-gp, objection or cancelled

Every row is checked first. Bad rows are listed on stderr as "line N: <column>: <problem>" and
then nothing is imported (exit code 65). Importing the same file again changes nothing; a row whose
sent_at, delivered_at or excluded_reason changed updates what it imported before.

Storage comes from DATABASE_URL, else PGlite in DATA_DIR. With PGlite, stop the gateway first:
PGlite allows one process at a time.
`;

/** One reason a row (or the header, line 1) cannot be imported. Values are never repeated: a column may hold a CPR number. */
export interface RowProblem {
  line: number;
  column: string;
  problem: string;
}

export const formatProblem = (p: RowProblem): string => `line ${String(p.line)}: ${p.column}: ${p.problem}`;

export interface ImportRow {
  /** The line the row starts on (the header is line 1). */
  line: number;
  expectation: TimelinessExpectation;
}

export interface ParsedImport {
  separator: ';' | ',';
  rows: ImportRow[];
  /** In line order; when there is any, nothing may be imported. */
  problems: RowProblem[];
}

// ───────────────────────────── CSV (RFC 4180) ─────────────────────────────

const BOM = [0xef, 0xbb, 0xbf];

/** Strict UTF-8, a leading BOM dropped; a broken byte sequence is reported with its line. */
export function decodeUtf8(bytes: Uint8Array): { text: string } | { problem: RowProblem } {
  const body = BOM.every((b, i) => bytes[i] === b) ? bytes.subarray(3) : bytes;
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(body) };
  } catch {
    let line = 1;
    let start = 0;
    for (let i = 0; i <= body.length; i++) {
      if (i < body.length && body[i] !== 0x0a) continue;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(start, i));
      } catch {
        break;
      }
      line++;
      start = i + 1;
    }
    return { problem: { line, column: 'file', problem: 'is not valid UTF-8 (save the export as UTF-8)' } };
  }
}

/** `;` when the header row has more semicolons than commas outside quotes (Danish Excel), else `,`. */
export function detectSeparator(text: string): ';' | ',' {
  let semicolons = 0;
  let commas = 0;
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) break;
    else if (!quoted && c === ';') semicolons++;
    else if (!quoted && c === ',') commas++;
  }
  return semicolons > commas ? ';' : ',';
}

export interface CsvRecord {
  /** The line the record starts on (a quoted field may span lines). */
  line: number;
  fields: string[];
}

/**
 * RFC 4180 records: fields split by `separator`, records by CRLF, LF or CR; a quoted field may hold
 * separators, line breaks and doubled quotes. Blank lines are skipped. A quote left open, or text
 * after a closing quote, is a problem of the record's line.
 */
export function parseCsv(text: string, separator: string): { records: CsvRecord[]; problems: RowProblem[] } {
  const records: CsvRecord[] = [];
  const problems: RowProblem[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  const endOfLine = (): void => {
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    line++;
  };
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let broken: string | undefined;
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        let closed = false;
        while (i < n) {
          const c = text.charAt(i);
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
          field += c;
          i++;
        }
        if (!closed) broken = 'a quoted field is not closed';
        else if (i < n && text[i] !== separator && text[i] !== '\n' && text[i] !== '\r') {
          broken = 'text after the closing quote of a field';
          while (i < n && text[i] !== '\n' && text[i] !== '\r') i++;
        }
      } else {
        while (i < n && text[i] !== separator && text[i] !== '\n' && text[i] !== '\r') field += text[i++] ?? '';
      }
      fields.push(field);
      if (i < n && text[i] === separator) {
        i++;
        continue;
      }
      if (i < n) endOfLine();
      break;
    }
    if (broken !== undefined) problems.push({ line: start, column: 'row', problem: broken });
    else if (!(fields.length === 1 && fields[0]?.trim() === '')) records.push({ line: start, fields });
  }
  return { records, problems };
}

// ───────────────────────────── rows → expectations ─────────────────────────────

const SOR = /^\d{11,18}$/;
const CPR = /^\d{6}-?\d{4}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;
const MAX_EPISODE_LENGTH = 200;

const INSTANT_FORMATS = 'ISO 8601 with offset (2024-03-01T10:15:00+01:00) or YYYY-MM-DD HH:MM in Copenhagen time';

/** The Patient id ingest gives the person with this CPR number (see ingest/deterministic-ids.ts). */
export const patientIdForCpr = (cpr: string): string => idForEntry({ resourceType: 'Patient', identifier: [{ system: SYSTEM.cpr, value: cpr.replace('-', '') }] }, '', '');

/** A checked row's values. */
export interface ImportValues {
  dischargedAt: Date;
  sentAt: Date | undefined;
  deliveredAt: Date | undefined;
  hospitalSor: string;
  departmentSor: string | undefined;
  documentType: TimelinessDocumentType;
  patientId: string | undefined;
  episodeOfCareId: string | undefined;
  excludedReason: ExclusionReason | undefined;
}

/** One value checked: the value (undefined when empty), or why it is wrong. */
type Checked<T> = { ok: true; value: T | undefined } | { ok: false; problem: string };

const ok = <T>(value: T | undefined): Checked<T> => ({ ok: true, value });
const bad = (problem: string): Checked<never> => ({ ok: false, problem });

function checkInstant(v: string | undefined, now: Date, notBefore: { at: Date | undefined; column: ImportColumn }): Checked<Date> {
  if (v === undefined) return ok<Date>(undefined);
  const parsed = DATE_TIME.test(v) ? parseInstant(v.replace(' ', 'T')) : undefined;
  if (parsed === undefined) return bad(`is not a date and time (${INSTANT_FORMATS})`);
  if (parsed.getTime() > now.getTime()) return bad('is in the future');
  if (notBefore.at !== undefined && parsed.getTime() < notBefore.at.getTime()) return bad(`is before ${notBefore.column}`);
  return ok(parsed);
}

const checkSor = (v: string | undefined): Checked<string> => (v === undefined || SOR.test(v) ? ok(v) : bad('is not a SOR code (11 to 18 digits)'));

const checkDocumentType = (v: string | undefined): Checked<TimelinessDocumentType> => {
  const type = v?.toLowerCase() ?? 'epikrise';
  return isTrackedDocumentType(type) ? ok(type) : bad(`must be one of ${TRACKED_DOCUMENT_TYPES.join(', ')}`);
};

const checkCpr = (v: string | undefined): Checked<string> =>
  v === undefined ? ok<string>(undefined) : CPR.test(v) ? ok(patientIdForCpr(v)) : bad('is not a CPR number (10 digits, DDMMYYSSSS)');

const checkEpisode = (v: string | undefined): Checked<string> =>
  v === undefined ? ok<string>(undefined) : v.length > MAX_EPISODE_LENGTH ? bad(`is longer than ${String(MAX_EPISODE_LENGTH)} characters`) : ok(normaliseEpisodeOfCareId(v));

const checkReason = (v: string | undefined): Checked<ExclusionReason> => {
  if (v === undefined) return ok<ExclusionReason>(undefined);
  const reason = EXCLUSION_REASONS.find((r) => r === v.toLowerCase());
  return reason === undefined ? bad(`must be one of ${EXCLUSION_REASONS.join(', ')}`) : ok(reason);
};

/** Checks one record against the header's columns; its values, or what is wrong with it. */
function readRow(record: CsvRecord, columns: readonly ImportColumn[], now: Date): { values?: ImportValues; problems: RowProblem[] } {
  const problems: RowProblem[] = [];
  const problem = (column: string, text: string): void => {
    problems.push({ line: record.line, column, problem: text });
  };
  if (record.fields.length !== columns.length) {
    problem('row', `has ${String(record.fields.length)} fields where the header has ${String(columns.length)}`);
    return { problems };
  }
  const raw = (c: ImportColumn): string | undefined => {
    const v = record.fields[columns.indexOf(c)]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const take = <T>(column: ImportColumn, checked: Checked<T>): T | undefined => {
    if (checked.ok) return checked.value;
    problem(column, checked.problem);
    return undefined;
  };
  for (const c of REQUIRED_COLUMNS) if (raw(c) === undefined) problem(c, 'is required');

  const dischargedAt = take('discharged_at', checkInstant(raw('discharged_at'), now, { at: undefined, column: 'discharged_at' }));
  const sentAt = take('sent_at', checkInstant(raw('sent_at'), now, { at: dischargedAt, column: 'discharged_at' }));
  const deliveredAt = take('delivered_at', checkInstant(raw('delivered_at'), now, sentAt === undefined ? { at: dischargedAt, column: 'discharged_at' } : { at: sentAt, column: 'sent_at' }));
  const hospitalSor = take('hospital_sor', checkSor(raw('hospital_sor')));
  const departmentSor = take('department_sor', checkSor(raw('department_sor')));
  const documentType = take('document_type', checkDocumentType(raw('document_type')));
  const patientId = take('patient_cpr', checkCpr(raw('patient_cpr')));
  const episodeOfCareId = take('episode_of_care_id', checkEpisode(raw('episode_of_care_id')));
  const excludedReason = take('excluded_reason', checkReason(raw('excluded_reason')));

  if (problems.length > 0 || dischargedAt === undefined || hospitalSor === undefined || documentType === undefined) return { problems };
  return { values: { dischargedAt, sentAt, deliveredAt, hospitalSor, departmentSor, documentType, patientId, episodeOfCareId, excludedReason }, problems };
}

/** The expectation a checked row stands for, measured at `now` with the configured rule and calendar. */
export function importedExpectation(v: ImportValues, settings: TimelinessSettings, now: Date): TimelinessExpectation {
  // The discharge's identity; the document type completes the row's (as the tracker's ids do).
  const identity = [v.hospitalSor, v.departmentSor ?? '', v.patientId ?? '', v.episodeOfCareId ?? '', v.dischargedAt.toISOString()].join('|');
  const dischargeKey = `import:${deterministicId(`timeliness-import|${identity}`)}`;
  const facts = { dischargeKey, source: 'import' as const, stayKey: undefined, episodeOfCareId: v.episodeOfCareId, hospitalSor: v.hospitalSor, departmentSor: v.departmentSor, at: v.dischargedAt };
  const row: TimelinessExpectation = {
    ...newExpectation(v.documentType, v.patientId ?? IMPORT_UNKNOWN_PATIENT, facts, settings, now),
    exclusionReason: v.excludedReason,
    exclusionSource: v.excludedReason === undefined ? undefined : IMPORT_EXCLUSION_SOURCE,
    // A delivery implies a dispatch (as for the tracker's own rows).
    sentAt: v.sentAt ?? v.deliveredAt,
    deliveredAt: v.deliveredAt,
  };
  return quietHistory(remeasure(row, now, atRiskMsOf(settings)), now);
}

/** History does not page anyone: a row already overdue when it is imported counts as alerted. */
const quietHistory = (e: TimelinessExpectation, now: Date): TimelinessExpectation =>
  e.state === 'overdue' && e.alertedAt === undefined ? { ...e, alertedAt: now } : e;

/**
 * Reads an export: decoding, the header, then every row. Rows are returned only when the whole
 * file is good; otherwise `problems` lists every bad row (and the header's problems, line 1).
 */
export function readImport(bytes: Uint8Array, ctx: { settings: TimelinessSettings; now: Date }): ParsedImport {
  const decoded = decodeUtf8(bytes);
  if ('problem' in decoded) return { separator: ',', rows: [], problems: [decoded.problem] };
  const separator = detectSeparator(decoded.text);
  const { records, problems } = parseCsv(decoded.text, separator);
  const [header, ...body] = records;
  if (header === undefined) return { separator, rows: [], problems: [...problems, { line: 1, column: 'header', problem: `is missing: the first row names the columns (${IMPORT_COLUMNS.join(', ')})` }] };

  const columns: ImportColumn[] = [];
  const headerProblems: RowProblem[] = [];
  for (const name of header.fields.map((f) => f.trim().toLowerCase())) {
    const known = IMPORT_COLUMNS.find((c) => c === name);
    if (known === undefined) headerProblems.push({ line: header.line, column: name === '' ? '(empty)' : name, problem: `is not a known column (${IMPORT_COLUMNS.join(', ')})` });
    else if (columns.includes(known)) headerProblems.push({ line: header.line, column: name, problem: 'is given twice' });
    else columns.push(known);
  }
  for (const c of REQUIRED_COLUMNS) if (!columns.includes(c)) headerProblems.push({ line: header.line, column: c, problem: 'is a required column and missing' });
  if (headerProblems.length > 0) return { separator, rows: [], problems: [...headerProblems, ...problems].sort(byLine) };

  const rows: ImportRow[] = [];
  const firstLine = new Map<string, number>();
  for (const record of body) {
    const read = readRow(record, columns, ctx.now);
    problems.push(...read.problems);
    if (!read.values) continue;
    const expectation = importedExpectation(read.values, ctx.settings, ctx.now);
    const seen = firstLine.get(expectation.id);
    if (seen !== undefined) {
      problems.push({ line: record.line, column: 'row', problem: `describes the same discharge and document type as line ${String(seen)}` });
      continue;
    }
    firstLine.set(expectation.id, record.line);
    rows.push({ line: record.line, expectation });
  }
  return problems.length > 0 ? { separator, rows: [], problems: problems.sort(byLine) } : { separator, rows, problems: [] };
}

const byLine = (a: RowProblem, b: RowProblem): number => a.line - b.line;

// ───────────────────────────── writing ─────────────────────────────

export interface ImportOutcome {
  total: number;
  inserted: number;
  /** Imported before with another send, delivery or exclusion: brought up to date. */
  updated: number;
  /** Imported before as they are (or a row of another source has the id): left alone. */
  unchanged: number;
}

/** Rows per statement: 32 parameters a row stays far below PostgreSQL's 65,535. */
export const IMPORT_BATCH_SIZE = 500;

const sameTime = (a: Date | undefined, b: Date | undefined): boolean => a?.getTime() === b?.getTime();

/**
 * Writes the rows in one transaction (all or nothing), in batches. New rows are inserted; a row
 * imported before is updated only when its send, delivery or exclusion changed, and then
 * re-measured with the rule and calendar it was first measured with.
 */
export async function importExpectations(
  store: Store,
  rows: readonly TimelinessExpectation[],
  opts: { now: Date; settings: TimelinessSettings; batchSize?: number | undefined; onProgress?: ((done: number, total: number) => void) | undefined },
): Promise<ImportOutcome> {
  const size = opts.batchSize ?? IMPORT_BATCH_SIZE;
  const atRiskMs = atRiskMsOf(opts.settings);
  return store.transaction(async (tx) => {
    const outcome: ImportOutcome = { total: rows.length, inserted: 0, updated: 0, unchanged: 0 };
    for (let from = 0; from < rows.length; from += size) {
      const batch = rows.slice(from, from + size);
      const existing = new Map((await tx.timeliness.getMany(batch.map((r) => r.id))).map((e) => [e.id, e]));
      const fresh = batch.filter((r) => !existing.has(r.id));
      const inserted = await tx.timeliness.insertMany(fresh);
      outcome.inserted += inserted;
      outcome.unchanged += fresh.length - inserted;
      for (const r of batch) {
        const old = existing.get(r.id);
        if (old === undefined) continue;
        const same = sameTime(old.sentAt, r.sentAt) && sameTime(old.deliveredAt, r.deliveredAt) && old.exclusionReason === r.exclusionReason;
        if (old.source !== 'import' || same) {
          outcome.unchanged++;
          continue;
        }
        const next = { ...old, sentAt: r.sentAt, deliveredAt: r.deliveredAt, exclusionReason: r.exclusionReason, exclusionSource: r.exclusionSource };
        await tx.timeliness.save(quietHistory(remeasure(next, opts.now, atRiskMs), opts.now));
        outcome.updated++;
      }
      opts.onProgress?.(Math.min(from + size, rows.length), rows.length);
    }
    return outcome;
  });
}

// ───────────────────────────── the command ─────────────────────────────

/** Where the configured storage is (`Config.storage`), for messages: no credentials. */
export type StorageSetting = { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; url: string };

export function storageDescription(storage: StorageSetting): string {
  if (storage.kind === 'pglite') return `PGlite in ${storage.dataDir}`;
  try {
    const u = new URL(storage.url);
    return `PostgreSQL at ${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

/** Where a gateway configured with HOST and PORT answers locally (a wildcard HOST is reached on loopback). */
export function localGatewayUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${String(port)}`;
}

/** Whether a gateway answers `/health/live` at `baseUrl` (one short try). */
export async function runningGatewayAt(baseUrl: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const res = await fetch(`${baseUrl}/health/live`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

const codeOf = (err: Error): string => {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : '';
};

/** An error opening storage that says another process holds it. */
export const isStorageLockError = (err: unknown): boolean =>
  /\block(ed)?\b|in use|EBUSY|EAGAIN|postmaster\.pid|already running/i.test(err instanceof Error ? `${err.message} ${codeOf(err)}` : String(err));

export interface ImportCommandDeps {
  settings: TimelinessSettings;
  storage: StorageSetting;
  /** The configured gateway's address (`http://HOST:PORT`): with PGlite it must not be running. */
  gatewayUrl: string;
  stderr: Pick<Writable, 'write'> & { isTTY?: boolean };
  clock?: Clock | undefined;
  readFile?: ((path: string) => Uint8Array) | undefined;
  /** Default: the configured storage, opened with a logger that says only errors. */
  openStore?: (() => Promise<Store>) | undefined;
}

/** EX_DATAERR, EX_NOINPUT, EX_TEMPFAIL from sysexits.h. */
const EXIT = { ok: 0, usage: 64, badData: 65, noInput: 66, inUse: 75 } as const;

/** `sektorbro timeliness import <file.csv>`: returns the exit code. */
export async function runTimelinessImport(argv: string[], deps: ImportCommandDeps): Promise<number> {
  const err = (s: string): void => {
    deps.stderr.write(s);
  };
  let parsed: { positionals: string[]; values: { help?: boolean | undefined } };
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean' } } });
  } catch (e) {
    err(`${e instanceof Error ? e.message : String(e)}\n${IMPORT_USAGE}`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    err(IMPORT_USAGE);
    return EXIT.ok;
  }
  const [path, ...extra] = parsed.positionals;
  if (path === undefined || extra.length > 0) {
    err(IMPORT_USAGE);
    return EXIT.usage;
  }
  let bytes: Uint8Array;
  try {
    bytes = (deps.readFile ?? ((p: string) => readFileSync(p)))(path);
  } catch (e) {
    err(`Cannot read ${path}: ${(e as { code?: string }).code ?? (e instanceof Error ? e.message : String(e))}\n`);
    return EXIT.noInput;
  }
  const clock = deps.clock ?? systemClock;
  const now = clock.now();
  const { rows, problems } = readImport(bytes, { settings: deps.settings, now });
  if (problems.length > 0) {
    for (const p of problems) err(`${formatProblem(p)}\n`);
    const badLines = new Set(problems.map((p) => p.line)).size;
    err(`${String(badLines)} bad line${badLines === 1 ? '' : 's'} in ${path}: nothing imported.\n`);
    return EXIT.badData;
  }
  const where = storageDescription(deps.storage);
  if (rows.length === 0) {
    err(`${path} has no rows: nothing imported.\n`);
    return EXIT.ok;
  }
  if (deps.storage.kind === 'pglite' && (await runningGatewayAt(deps.gatewayUrl))) {
    err(`A gateway answers at ${deps.gatewayUrl} on ${where}: stop it first (PGlite allows one process), then import again.\n`);
    return EXIT.inUse;
  }
  const storage = deps.storage;
  const open = deps.openStore ?? (() =>
    openStore(storage.kind === 'pglite' ? { kind: 'pglite', dataDir: storage.dataDir } : { kind: 'postgres', url: storage.url }, {
      logger: createLogger({ level: 'error', silent: true }),
      clock,
    }));
  let store: Store;
  try {
    store = await open();
  } catch (e) {
    if (!isStorageLockError(e)) throw e;
    err(`${where} is in use by another process (is the gateway running?): stop it first, then import again.\n`);
    return EXIT.inUse;
  }
  const tty = deps.stderr.isTTY === true;
  try {
    const outcome = await importExpectations(store, rows.map((r) => r.expectation), {
      now,
      settings: deps.settings,
      onProgress: (done, total) => {
        if (tty) err(`\rimporting ${String(done)}/${String(total)} rows (${String(Math.floor((done / total) * 100))}%)`);
      },
    });
    if (tty) err('\n');
    err(`Imported ${String(outcome.total)} rows into ${where}: ${String(outcome.inserted)} new, ${String(outcome.updated)} updated, ${String(outcome.unchanged)} unchanged.\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
