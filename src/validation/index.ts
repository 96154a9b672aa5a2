/**
 * FHIR R4 validation. Base R4: structure (HL7 JSON schema via ajv), base StructureDefinitions (Medplum) and
 * calendar-valid dates. Profiles from the profiles folder (docs/documents.md): Medplum against the root
 * resource's profile, plus the profile checker (cardinality below BackboneElements and in slices, fixed and
 * pattern values, slicing, required bindings to local ValueSets, the invariants profiles add, evaluated with
 * fhirpath.js), each Bundle entry against the profiles it declares, and references that must resolve inside
 * document and message Bundles. MedCom messages: against MedCom's own published packages (profiles/packages/),
 * one set per standard and version, with the profile checker and Bundle-aware checks of MedCom's rules.
 * Pure: everything is loaded once by `createValidator()` / `createMedComValidator()`; validation does no I/O.
 */
export { createValidator, MAX_ISSUES } from './validator.ts';
export type { ValidateOptions, Validator, ValidatorOptions } from './validator.ts';
export { createMedComValidator, MEDCOM_PACKAGES_DIR } from './medcom-validator.ts';
export type { MedComContextInfo, MedComValidation, MedComValidator, MedComValidatorOptions } from './medcom-validator.ts';
export type { MedComStandard } from './medcom-contexts.ts';
