/**
 * The epikrise timeliness indicator (issue #7, domain.md §2.2) as a FHIR Measure, and its figures
 * as MeasureReports (https://hl7.org/fhir/R4/measurereport.html). Pure: the numbers come from the
 * same KPI rows `/api/timeliness/kpi` shows, so both answers always agree.
 */
import { formatCopenhagen, localToInstant, toLocalDateTime } from '../shared/time.ts';
import type { TimelinessDocumentType, TimelinessKpiRow } from '../store/index.ts';
import { versionedRef } from './deadline.ts';
import { calendarRef, kpiGroup, type KpiGroup, type TimelinessSettings } from './expectation.ts';

export const MEASURE_ID = 'epikrise-timeliness';
export const MEASURE_URL = `http://sektorbro.dk/fhir/Measure/${MEASURE_ID}`;
/** The measure counts epikriser only; the other tracked documents have their own, non-indicator rules (domain.md §3). */
export const MEASURE_DOCUMENT_TYPE: TimelinessDocumentType = 'epikrise';

const POPULATION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/measure-population';
const EXTENSION_BASE = 'http://sektorbro.dk/fhir/StructureDefinition/';
/** The target share, 0-1 (TIMELINESS_TARGET): FHIR R4 Measure has no element for it. */
export const TARGET_EXTENSION = `${EXTENSION_BASE}sektorbro-measure-target`;
/** `id@version` of the deadline rule and the working-day calendar new rows are measured by. */
export const RULE_EXTENSION = `${EXTENSION_BASE}sektorbro-timeliness-rule`;
export const CALENDAR_EXTENSION = `${EXTENSION_BASE}sektorbro-timeliness-calendar`;
/** `sent` or `delivered`: the time that decides on-time. */
export const CLOCK_EXTENSION = `${EXTENSION_BASE}sektorbro-timeliness-clock`;
const SOR_SYSTEM = 'urn:oid:1.2.208.176.1.1';

export type MeasurePopulationCode = 'initial-population' | 'denominator' | 'denominator-exclusion' | 'numerator';

/** What each population counts, in the words of the KPI query (TimelinessRepository.kpi). */
const POPULATION_DESCRIPTIONS: Readonly<Record<MeasurePopulationCode, string>> = {
  'initial-population':
    'Expected epikriser whose discharge (Copenhagen time) lies in the period: the API\'s `discharges`. Rows still within their deadline (pending, at risk) are in this population only.',
  denominator:
    'Epikriser whose outcome is decided or already missed: sent on time + sent late + overdue (not sent, deadline passed), plus the excluded ones, which FHIR proportion scoring subtracts again.',
  'denominator-exclusion': 'Excluded epikriser (death, transfer, no GP, patient objection, cancelled discharge): the API\'s `excluded`.',
  numerator: 'Epikriser whose measured time (the clock: sent or delivered) is at or before the deadline: the API\'s `onTime`.',
};

const POPULATION_CODES: readonly MeasurePopulationCode[] = ['initial-population', 'denominator', 'denominator-exclusion', 'numerator'];

const populationCode = (code: MeasurePopulationCode): fhir4.CodeableConcept => ({ coding: [{ system: POPULATION_SYSTEM, code }] });

/**
 * The Measure resource of the indicator as configured now: scoring proportion, higher is better,
 * the target, rule, calendar and clock as extensions and in `guidance`.
 */
export function timelinessMeasure(settings: Pick<TimelinessSettings, 'rule' | 'calendar' | 'target' | 'clock'>): fhir4.Measure {
  const rule = versionedRef(settings.rule);
  const calendar = calendarRef(settings);
  return {
    resourceType: 'Measure',
    id: MEASURE_ID,
    url: MEASURE_URL,
    name: 'EpikriseTimeliness',
    title: 'Epikrise sent to the GP on time',
    status: 'active',
    experimental: false,
    publisher: 'Sektorbro',
    description:
      'Share of epikriser (discharge letters to the GP) sent on time after an inpatient discharge: on time / (on time + late + overdue). ' +
      'Excluded discharges and those still within their deadline do not count. The same figures as GET /api/timeliness/kpi?documentType=epikrise.',
    extension: [
      { url: TARGET_EXTENSION, valueDecimal: settings.target },
      { url: RULE_EXTENSION, valueString: rule },
      { url: CALENDAR_EXTENSION, valueString: calendar },
      { url: CLOCK_EXTENSION, valueCode: settings.clock },
    ],
    scoring: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-scoring', code: 'proportion' }] },
    improvementNotation: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-improvement-notation', code: 'increase' }] },
    guidance:
      `Target: ${String(settings.target * 100)} % on time. Deadline rule ${rule} on the working-day calendar ${calendar}; ` +
      `measured on the ${settings.clock === 'sent' ? 'time Sektorbro dispatched the epikrise to the GP' : 'time the GP system accepted or acknowledged it'}. ` +
      'Rows keep the rule and calendar they were created under. Reports are computed when asked, per calendar month (Copenhagen) or for a given period.',
    group: [
      {
        description: 'Epikrise timeliness',
        population: POPULATION_CODES.map((code) => ({
          code: populationCode(code),
          description: POPULATION_DESCRIPTIONS[code],
          criteria: { language: 'text/plain', expression: POPULATION_DESCRIPTIONS[code] },
        })),
      },
    ],
  };
}

/** The KPI rows of a partition (e.g. one per hospital) added up: the counts of the whole. */
export function sumKpiRows(rows: readonly TimelinessKpiRow[], key: string): TimelinessKpiRow {
  const total: TimelinessKpiRow = { key, discharges: 0, excluded: 0, sent: 0, onTime: 0, late: 0, pending: 0, overdue: 0, withinThree: 0 };
  for (const r of rows) {
    total.discharges += r.discharges;
    total.excluded += r.excluded;
    total.sent += r.sent;
    total.onTime += r.onTime;
    total.late += r.late;
    total.pending += r.pending;
    total.overdue += r.overdue;
    total.withinThree += r.withinThree;
  }
  return total;
}

/** The four population counts of a KPI group; score = numerator / (denominator - denominator-exclusion) = the API's share. */
export function populationCounts(g: KpiGroup): Record<MeasurePopulationCode, number> {
  return {
    'initial-population': g.discharges,
    denominator: g.onTime + g.late + g.overdue + g.excluded,
    'denominator-exclusion': g.excluded,
    numerator: g.onTime,
  };
}

const populations = (g: KpiGroup): fhir4.MeasureReportGroupPopulation[] => {
  const counts = populationCounts(g);
  return POPULATION_CODES.map((code) => ({ code: populationCode(code), count: counts[code] }));
};

const score = (g: KpiGroup): { measureScore?: fhir4.Quantity } => (g.share === null ? {} : { measureScore: { value: g.share } });

export type MeasureStratifierBy = 'hospital' | 'department' | 'documentType';

export interface MeasureReportOptions {
  /** Set for the monthly reports (they can be read by id); an `$evaluate-measure` answer has none. */
  readonly id?: string | undefined;
  readonly period: { readonly start: Date; readonly end: Date };
  /** When the report was computed: overdue is decided at this moment. */
  readonly date: Date;
  readonly target: number;
  readonly clock: TimelinessSettings['clock'];
  /** The hospital (SOR) the figures are restricted to; undefined: every hospital. */
  readonly hospitalSor?: string | undefined;
  readonly stratifiers?: readonly { readonly by: MeasureStratifierBy; readonly groups: readonly KpiGroup[] }[];
}

/**
 * A summary MeasureReport of one KPI group (the whole population of the report), with a
 * stratifier per grouping given (one stratum per API group, keyed like the API's `key`).
 */
export function toMeasureReport(total: KpiGroup, o: MeasureReportOptions): fhir4.MeasureReport {
  return {
    resourceType: 'MeasureReport',
    ...(o.id === undefined ? {} : { id: o.id }),
    extension: [
      { url: TARGET_EXTENSION, valueDecimal: o.target },
      { url: CLOCK_EXTENSION, valueCode: o.clock },
    ],
    status: 'complete',
    type: 'summary',
    measure: MEASURE_URL,
    date: formatCopenhagen(o.date),
    // A hospital's own figures name it as the reporting organisation (R4 `subject` cannot be an Organization).
    ...(o.hospitalSor === undefined ? {} : { reporter: { identifier: { system: SOR_SYSTEM, value: o.hospitalSor } } }),
    period: { start: formatCopenhagen(o.period.start), end: formatCopenhagen(o.period.end) },
    improvementNotation: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-improvement-notation', code: 'increase' }] },
    group: [
      {
        population: populations(total),
        ...score(total),
        ...(o.stratifiers === undefined || o.stratifiers.length === 0
          ? {}
          : {
              stratifier: o.stratifiers.map((s) => ({
                code: [{ text: s.by }],
                stratum: s.groups.map((g) => ({ value: { text: g.key }, population: populations(g), ...score(g) })),
              })),
            }),
      },
    ],
  };
}

/** The group of a whole report from the rows of one of its partitions. */
export const totalGroup = (rows: readonly TimelinessKpiRow[], key: string, label: string): KpiGroup => kpiGroup(sumKpiRows(rows, key), label);

const MONTH_KEY = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** `YYYY-MM` of the Copenhagen month an instant falls in. */
export function monthKeyOf(instant: Date): string {
  const l = toLocalDateTime(instant);
  return `${String(l.year).padStart(4, '0')}-${String(l.month).padStart(2, '0')}`;
}

/** The first and last millisecond of a Copenhagen month `YYYY-MM`; undefined for anything else. */
export function monthPeriod(key: string): { start: Date; end: Date } | undefined {
  const m = MONTH_KEY.exec(key);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const start = localToInstant({ year, month, day: 1 });
  const next = month === 12 ? localToInstant({ year: year + 1, month: 1, day: 1 }) : localToInstant({ year, month: month + 1, day: 1 });
  return { start, end: new Date(next.getTime() - 1) };
}

/** The Copenhagen months from the one holding `from` to the one holding `to`, both included, in order. */
export function monthsBetween(from: Date, to: Date): string[] {
  const a = toLocalDateTime(from);
  const b = toLocalDateTime(to);
  const out: string[] = [];
  for (let i = a.year * 12 + a.month - 1; i <= b.year * 12 + b.month - 1; i++) {
    out.push(`${String(Math.floor(i / 12)).padStart(4, '0')}-${String((i % 12) + 1).padStart(2, '0')}`);
  }
  return out;
}

/** `epikrise-timeliness-2024-03` (every hospital) or `epikrise-timeliness-2024-03-<SOR>` (one hospital). */
export const measureReportId = (month: string, hospitalSor?: string): string => `${MEASURE_ID}-${month}${hospitalSor === undefined ? '' : `-${hospitalSor}`}`;

/** The month and hospital a monthly report's id names, or undefined when it names none. */
export function parseMeasureReportId(id: string): { month: string; hospitalSor: string | undefined } | undefined {
  const m = /^epikrise-timeliness-(\d{4}-\d{2})(?:-(\d{1,30}))?$/.exec(id);
  if (!m?.[1] || monthPeriod(m[1]) === undefined) return undefined;
  return { month: m[1], hospitalSor: m[2] };
}
