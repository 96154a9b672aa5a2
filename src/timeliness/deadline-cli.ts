/**
 * The two edges of the deadline calculator: `sektorbro deadline …` and the query of
 * `GET /api/timeliness/deadline`. Both validate the same four inputs and answer the same object;
 * they differ only in how a bad input is reported. Pure: no process or express access.
 */
import { parseArgs } from 'node:util';
import { badRequest } from '../shared/index.ts';
import { CALENDAR_IDS, parseCalendarId } from './calendar.ts';
import { DEADLINE_RULE_SPECS, computeDeadline, formatCopenhagen, parseDeadlineRule, parseInstant, versionedRef } from './deadline.ts';
import type { DeadlineRule } from './deadline.ts';

/** The answer of both edges. Key order is part of the CLI contract: the first four keys, then calendar and rule. */
export interface DeadlineView {
  readonly dueBy: string;
  readonly onTime: boolean | null;
  readonly workingDaysElapsed: number | null;
  readonly withinThreeWorkingDays: boolean | null;
  /** `id@version`, e.g. `dk-strict@2024.1`. */
  readonly calendar: string;
  /** `id@version`, e.g. `next-working-day@2024.1`. */
  readonly rule: string;
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

type Input = 'discharged' | 'sent' | 'calendar' | 'rule';

type Evaluation =
  | { readonly ok: true; readonly view: DeadlineView }
  | { readonly ok: false; readonly input: Input; readonly missing: boolean; readonly expected: string };

const INSTANT_FORMS = 'an ISO 8601 date-time with Z or ±hh:mm, a Copenhagen local date-time, or a date YYYY-MM-DD';

/** Validates raw text inputs and computes the deadline; never throws on bad input. */
function evaluate(raw: { readonly [K in Input]?: string | undefined }): Evaluation {
  const bad = (input: Input, expected: string, missing = false): Evaluation => ({ ok: false, input, missing, expected });
  if (raw.discharged === undefined || raw.discharged === '') return bad('discharged', INSTANT_FORMS, true);
  const dischargedAt = parseInstant(raw.discharged);
  if (dischargedAt === undefined) return bad('discharged', INSTANT_FORMS);
  const sentAt = raw.sent === undefined ? undefined : parseInstant(raw.sent);
  if (raw.sent !== undefined && sentAt === undefined) return bad('sent', INSTANT_FORMS);
  const calendar = raw.calendar === undefined ? undefined : parseCalendarId(raw.calendar);
  if (raw.calendar !== undefined && calendar === undefined) return bad('calendar', CALENDAR_IDS.join(' or '));
  let rule: DeadlineRule | undefined;
  if (raw.rule !== undefined) {
    try {
      rule = parseDeadlineRule(raw.rule);
    } catch {
      return bad('rule', DEADLINE_RULE_SPECS);
    }
  }
  const d = computeDeadline({ dischargedAt, sentAt, calendar, rule });
  return {
    ok: true,
    view: {
      dueBy: formatCopenhagen(d.dueBy),
      onTime: d.onTime,
      workingDaysElapsed: d.workingDaysElapsed,
      withinThreeWorkingDays: d.withinThreeWorkingDays,
      calendar: versionedRef(d.calendar),
      rule: versionedRef(d.rule),
    },
  };
}

const USAGE = 'usage: sektorbro deadline --discharged <ISO 8601> [--sent <ISO 8601>] [--calendar dk-strict|dk-public] [--rule <spec>]';

/** Exit code for bad usage (sysexits EX_USAGE), as elsewhere in the CLI. */
const EX_USAGE = 64;

const usageError = (message: string): CommandResult => ({ code: EX_USAGE, stdout: '', stderr: `deadline: ${message}; ${USAGE}\n` });

/**
 * `sektorbro deadline --discharged <ISO 8601> [--sent …] [--calendar …] [--rule …]`; `args` are the
 * words after `deadline`. Prints one JSON object on one line; bad input gives code 64 and one line on stderr.
 */
export function runDeadlineCommand(args: string[]): CommandResult {
  let values: { readonly [K in Input]?: string | undefined };
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        discharged: { type: 'string' },
        sent: { type: 'string' },
        calendar: { type: 'string' },
        rule: { type: 'string' },
      },
    }));
  } catch (e) {
    // parseArgs names the offending option; keep its first line (the rest is a hint about `--`).
    const message = e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e);
    return usageError(message.replace(/\.$/, ''));
  }
  const result = evaluate(values);
  if (!result.ok) {
    const option = `--${result.input}`;
    return usageError(result.missing ? `${option} is required (${result.expected})` : `${option} must be ${result.expected}`);
  }
  return { code: 0, stdout: `${JSON.stringify(result.view)}\n`, stderr: '' };
}

/** Query parameter names of `GET /api/timeliness/deadline`. */
const QUERY_NAMES: Readonly<Record<Input, string>> = { discharged: 'dischargedAt', sent: 'sentAt', calendar: 'calendar', rule: 'rule' };

/**
 * The deadline for the HTTP route's query. Throws a 400 GatewayError whose issue `expression` names the
 * bad parameter. Diagnostics never echo the value (it may carry anything a client typed).
 */
export function deadlineFromQuery(q: { dischargedAt?: string; sentAt?: string; calendar?: string; rule?: string }): DeadlineView {
  const result = evaluate({ discharged: q.dischargedAt, sent: q.sentAt, calendar: q.calendar, rule: q.rule });
  if (result.ok) return result.view;
  const name = QUERY_NAMES[result.input];
  throw result.missing
    ? badRequest(`${name} is required: ${result.expected}`, [name], 'required')
    : badRequest(`${name} must be ${result.expected}`, [name], 'value');
}
