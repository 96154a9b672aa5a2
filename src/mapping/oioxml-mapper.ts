import { GatewayError } from '../shared/index.ts';
import type { Issue } from '../shared/index.ts';
import { runMapping } from './mapping-engine.ts';
import type { MappingContext } from './mapping-engine.ts';
import type { MappingRegistry } from './mapping-registry.ts';
import { recogniseOioxml, safeName } from './oioxml-recognition.ts';
import type { OioxmlDocument } from './xml-document.ts';

export interface OioxmlMappingResult {
  /** A complete document Bundle (or, for XDIS91, a MedCom CareCommunication message Bundle). */
  readonly bundle: fhir4.Bundle;
  /** Recorded in the Provenance of what is stored (issue #4). */
  readonly mappingId: string;
  readonly mappingVersion: string;
  /** Warnings: unmapped source elements, codes missing from lookup tables, values a transform refused. */
  readonly issues: readonly Issue[];
}

/**
 * Maps a parsed OIOXML letter to FHIR with the registry's spec for its TypeCode and VersionCode.
 * - unknown family → GatewayError 415; known family, unsupported version → 422; both name what was recognised;
 * - missing required source data → GatewayError 422 whose issues' `expression` is the OIOXML path.
 * Deterministic: the same input and context give byte-identical output.
 */
export function mapOioxml(registry: MappingRegistry, doc: OioxmlDocument, ctx: MappingContext): OioxmlMappingResult {
  const recognised = recogniseOioxml(doc);
  const described = `root element ${safeName(recognised.root)}, TypeCode ${safeName(recognised.typeCode)}, VersionCode ${safeName(recognised.versionCode) || '(none)'}`;
  const versionPath = `${safeName(recognised.root)}/Letter/VersionCode`;
  const mapping = registry.find(recognised.typeCode, recognised.versionCode);
  if (mapping === undefined) {
    const family = registry.family(recognised.typeCode);
    if (family.length === 0) {
      throw new GatewayError('mapping.unknown-document', 415, [
        { severity: 'error', code: 'not-supported', diagnostics: `unknown OIOXML document family (${described})`, expression: [`${safeName(recognised.root)}/Letter/TypeCode`] },
      ]);
    }
    const supported = family.map((m) => m.match.versionCode).join(', ');
    throw new GatewayError('mapping.unsupported-version', 422, [
      { severity: 'error', code: 'not-supported', diagnostics: `OIOXML ${family[0]?.match.typeCode ?? ''} is known, but not this version (${described}); supported VersionCode: ${supported}`, expression: [versionPath] },
    ]);
  }
  if (mapping.match.root !== recognised.root) {
    throw new GatewayError('mapping.unsupported-version', 422, [
      { severity: 'error', code: 'structure', diagnostics: `OIOXML ${mapping.match.typeCode} letters have root element ${mapping.match.root} (${described})`, expression: [versionPath] },
    ]);
  }
  const { bundle, issues } = runMapping(mapping, doc, ctx);
  return { bundle: bundle as unknown as fhir4.Bundle, mappingId: mapping.id, mappingVersion: mapping.version, issues };
}
