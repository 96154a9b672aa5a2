/** Treatment responsibility (*behandlingsansvar*): who holds it for a patient, when, and on what basis. */
export {
  applyCorrections,
  computePeriods,
  formatCopenhagenInstant,
  responsibilityAt,
  type AppliedEvent,
  type BasisEntry,
  type CorrectionResult,
  type Holder,
  type HolderKind,
  type ResponsibilityAnswer,
  type ResponsibilityPeriod,
} from './engine.ts';
export {
  EVENT_TYPES,
  parseEvents,
  parseEventsInput,
  parseInstant,
  parseOrganizationUnit,
  ResponsibilityInputError,
  type AdmittedEvent,
  type CorrectedEvent,
  type DiedEvent,
  type DischargedEvent,
  type EventChanges,
  type EventsInput,
  type ExtendedEvent,
  type OrganizationUnit,
  type ReadmittedEvent,
  type ResponsibilityEvent,
  type ResponsibilityEventType,
  type TimelineEvent,
} from './events.ts';
export {
  DEFAULT_RESPONSIBILITY_RULES,
  parseResponsibilityRules,
  windowRuleFor,
  withDefaultRegion,
  type MinimumStayRule,
  type ResponsibilityRules,
  type WindowRule,
} from './rules.ts';
export { EXPLAIN_USAGE, runResponsibilityExplain, type CliResult } from './explain-cli.ts';
