import { parseArgs } from 'node:util';
import { computePeriods, responsibilityAt } from './engine.ts';
import { parseEventsInput, parseInstant, ResponsibilityInputError } from './events.ts';
import { DEFAULT_RESPONSIBILITY_RULES, parseResponsibilityRules, withDefaultRegion, type ResponsibilityRules } from './rules.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const SYNOPSIS = 'sektorbro responsibility explain --events <file.json> --at <ISO 8601 with offset> [--region <id>] [--rules <file.json>]';

export const EXPLAIN_USAGE = `Usage: ${SYNOPSIS}

Prints who holds treatment responsibility (behandlingsansvar) at --at, as one JSON object.
`;

// sysexits(3): the caller can tell a wrong command line from wrong file contents.
const EX_USAGE = 64;
const EX_DATAERR = 65;
const EX_NOINPUT = 66;

const failure = (code: number, message: string): CliResult => ({ code, stdout: '', stderr: `${message}\n` });

/** Usage errors stay on one line too, so scripts can log stderr as is. */
const usageFailure = (problem: string): CliResult => failure(EX_USAGE, `${problem} (usage: ${SYNOPSIS})`);

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** Reads and parses a JSON file; the failure is a CliResult naming the file. */
function readJson(file: string, readFile: (p: string) => string): { json: unknown } | CliResult {
  let text: string;
  try {
    text = readFile(file);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    return failure(EX_NOINPUT, `${file}: cannot read the file${typeof code === 'string' ? ` (${code})` : ''}`);
  }
  try {
    return { json: JSON.parse(text) as unknown };
  } catch (e) {
    return failure(EX_DATAERR, `${file}: not valid JSON: ${oneLine(e instanceof Error ? e.message : String(e))}`);
  }
}

const isFailure = (r: { json: unknown } | CliResult): r is CliResult => !('json' in r);

/**
 * `sektorbro responsibility explain` (the args after `explain`): evaluates the rules over a JSON
 * list of events at one instant. Pure apart from `readFile`. Exit codes: 0, 64 usage, 65 bad
 * data, 66 an unreadable file.
 */
export function runResponsibilityExplain(args: string[], readFile: (p: string) => string): CliResult {
  let values: { events?: string | undefined; at?: string | undefined; region?: string | undefined; rules?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args,
      allowPositionals: false,
      strict: true,
      options: {
        events: { type: 'string' },
        at: { type: 'string' },
        region: { type: 'string' },
        rules: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    return usageFailure(oneLine(e instanceof Error ? e.message : String(e)));
  }
  if (values.help === true) return { code: 0, stdout: EXPLAIN_USAGE, stderr: '' };
  if (values.events === undefined) return usageFailure('missing --events <file.json>');
  if (values.at === undefined) return usageFailure('missing --at <ISO 8601 date-time with offset>');
  const at = parseInstant(values.at);
  if (at === undefined) return usageFailure('--at: not an ISO 8601 date-time with offset (e.g. 2024-03-25T10:00:00+01:00)');

  let rules: ResponsibilityRules = DEFAULT_RESPONSIBILITY_RULES;
  if (values.rules !== undefined) {
    const read = readJson(values.rules, readFile);
    if (isFailure(read)) return read;
    try {
      rules = parseResponsibilityRules(read.json);
    } catch (e) {
      if (e instanceof ResponsibilityInputError) return failure(EX_DATAERR, `${values.rules}: ${e.message}`);
      throw e;
    }
  }
  if (values.region !== undefined) {
    try {
      rules = withDefaultRegion(rules, values.region);
    } catch (e) {
      if (e instanceof ResponsibilityInputError) return usageFailure(`--region: ${e.problem}`);
      throw e;
    }
  }

  const read = readJson(values.events, readFile);
  if (isFailure(read)) return read;
  let input;
  try {
    input = parseEventsInput(read.json);
  } catch (e) {
    if (e instanceof ResponsibilityInputError) return failure(EX_DATAERR, `${values.events}: ${e.message}`);
    throw e;
  }
  const answer = responsibilityAt(computePeriods(input.events, rules, input.generalPractitioner), at);
  return { code: 0, stdout: `${JSON.stringify(answer)}\n`, stderr: '' };
}
