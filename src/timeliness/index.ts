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
