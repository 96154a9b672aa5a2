/**
 * Base FHIR R4 validation: structure (HL7 JSON schema via ajv), base StructureDefinitions (Medplum) and
 * calendar-valid dates. Pure: everything is loaded once by `createValidator()`, `validate()` does no I/O.
 */
export { createValidator, MAX_ISSUES } from './validator.ts';
export type { ValidateOptions, Validator } from './validator.ts';
