/**
 * OIOXML → FHIR mapping: safe XML parsing, recognition of MedCom letters, declarative mapping specs
 * (`mappings/<source>/*.yaml`, loaded once at start-up) and the engine that runs them. Pure: the only I/O
 * is `loadMappings` reading the spec folder at boot.
 */
export { parseOioxml } from './oioxml-parser.ts';
export type { XmlLimits } from './oioxml-parser.ts';
export { descendantGlns, recogniseOioxml } from './oioxml-recognition.ts';
export type { OioxmlRecognition } from './oioxml-recognition.ts';
export { loadMappings, createMappingRegistry, MappingLoadError } from './mapping-registry.ts';
export type { MappingRegistry, LoadMappingsOptions } from './mapping-registry.ts';
export { mapOioxml } from './oioxml-mapper.ts';
export type { OioxmlMappingResult } from './oioxml-mapper.ts';
export type { MappingContext } from './mapping-engine.ts';
export { TRANSFORMS } from './transforms.ts';
export { resolveProfile, SEKTORBRO_PROFILE_BASE } from './mapping-spec.schema.ts';
export type { OioxmlDocument, XmlElement } from './xml-document.ts';
