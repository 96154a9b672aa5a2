/** `sektorbro demo`: months of synthetic traffic through the real gateway, on a simulated clock (issue #7). */
export {
  DEMO_DEPARTMENTS,
  DEMO_GP_PRACTICES,
  DEMO_HOSPITALS,
  DEMO_MUNICIPALITIES,
  Rng,
  addDays,
  dischargesOn,
  generateDemo,
  mulberry32,
  withGlnCheckDigit,
} from './generator.ts';
export type {
  DemoClientId,
  DemoDepartment,
  DemoDischarge,
  DemoGpPractice,
  DemoMunicipality,
  DemoOptions,
  DemoOrganization,
  DemoPatient,
  DemoPlan,
  DemoRequest,
  DemoStep,
  DocumentTemplates,
  EpikriseOutcome,
} from './generator.ts';
export { DEMO_USAGE, DemoError, SimulatedClock, formatDemoSummary, readDocumentTemplates, runDemo, runDemoCommand } from './run-demo.ts';
export type { DemoDeps, DemoSummary } from './run-demo.ts';
export { STIN_TEMPLATE, SLHJ_TEMPLATE } from './templates.ts';
