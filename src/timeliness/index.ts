export {
  CALENDAR_IDS,
  DEFAULT_CALENDAR_ID,
  addWorkingDays,
  dkPublicHolidays,
  easterSunday,
  getCalendar,
  isWorkingDay,
  nextLocalDate,
  parseCalendarId,
  workingDaysBetween,
} from './calendar.ts';
export type { Calendar, CalendarId } from './calendar.ts';
export {
  DEADLINE_RULE_SPECS,
  DEFAULT_DEADLINE_RULE,
  computeDeadline,
  endOfLocalDay,
  formatCopenhagen,
  parseDeadlineRule,
  parseInstant,
  versionedRef,
} from './deadline.ts';
export type { Deadline, DeadlineInput, DeadlineRule } from './deadline.ts';
export { deadlineFromQuery, runDeadlineCommand } from './deadline-cli.ts';
export type { CommandResult, DeadlineView } from './deadline-cli.ts';
export {
  DEFAULT_TIMELINESS_SETTINGS,
  DISCHARGE_CSV_COLUMNS,
  DISCHARGE_DAY_RULE,
  DOCUMENT_TYPE_LABELS,
  EXCLUSION_REASONS,
  EXPECTATION_STATES,
  TRACKED_DOCUMENT_TYPES,
  adoptable,
  atRiskMsOf,
  calendarRef,
  clockTime,
  expectationView,
  dischargeCsvRow,
  isTrackedDocumentType,
  KPI_CSV_COLUMNS,
  kpiCsvRow,
  kpiGroup,
  matchDocument,
  measure,
  monthLabel,
  remeasure,
  ruleFor,
  stateOf,
  toCsv,
} from './expectation.ts';
export type { CsvValue, DischargeFacts, DocumentFacts, KpiGroup, Measurement, TimelinessSettings } from './expectation.ts';
export { MANUAL_EXCLUSION_REASONS, observeFirstSent, onDeliveryProgress, onDocumentStored, onDomainEvents, refreshStates, setManualExclusion } from './tracker.ts';
export type { DeliveryProgress, FirstSentObserver, ManualExclusionReason, StoredDocumentFacts, TrackerContext } from './tracker.ts';
export { alertBody, createTimelinessAlerts } from './alerts.ts';
export type { TimelinessAlertDeps, TimelinessAlerts } from './alerts.ts';
export {
  IMPORT_BATCH_SIZE,
  IMPORT_COLUMNS,
  IMPORT_EXCLUSION_SOURCE,
  IMPORT_UNKNOWN_PATIENT,
  IMPORT_USAGE,
  decodeUtf8,
  detectSeparator,
  formatProblem,
  importExpectations,
  importedExpectation,
  isStorageLockError,
  localGatewayUrl,
  parseCsv,
  patientIdForCpr,
  readImport,
  runTimelinessImport,
  runningGatewayAt,
  storageDescription,
} from './import.ts';
export type { CsvRecord, ImportColumn, ImportCommandDeps, ImportValues, ImportOutcome, ImportRow, ParsedImport, RowProblem, StorageSetting } from './import.ts';
export {
  CALENDAR_EXTENSION,
  CLOCK_EXTENSION,
  MEASURE_DOCUMENT_TYPE,
  MEASURE_ID,
  MEASURE_URL,
  RULE_EXTENSION,
  TARGET_EXTENSION,
  measureReportId,
  monthKeyOf,
  monthPeriod,
  monthsBetween,
  parseMeasureReportId,
  populationCounts,
  sumKpiRows,
  timelinessMeasure,
  toMeasureReport,
  totalGroup,
} from './measure.ts';
export type { MeasurePopulationCode, MeasureReportOptions, MeasureStratifierBy } from './measure.ts';
export { SENT_AFTER_DISCHARGE_BUCKETS, registerTimelinessMetrics } from './metrics.ts';
export type { TimelinessMetrics } from './metrics.ts';
