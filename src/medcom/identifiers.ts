import { SYSTEM } from '../shared/index.ts';
import { LPR3_SYSTEM } from './medcom.constants.ts';

/**
 * The three spellings of the GLN (EAN, *lokationsnummer*) system seen in the wild (domain.md §5):
 * `https://` (MedCom examples, DK Core ≤ 3.4.0), `http://` (DK Core ≥ 3.5.0) and the legacy OID.
 */
export const GLN_SYSTEMS: readonly string[] = [SYSTEM.gln, 'http://www.gs1.org/gln', 'urn:oid:1.3.88'];

export const isGlnSystem = (system: unknown): boolean => typeof system === 'string' && GLN_SYSTEMS.includes(system);

/** A GLN identifier in the one form Sektorbro emits (`https://www.gs1.org/gln`, digits only). */
export interface GlnIdentifier {
  system: typeof SYSTEM.gln;
  value: string;
}

/**
 * Normalises a GLN identifier of any accepted spelling to `https://www.gs1.org/gln`; undefined when
 * the system is not a GLN system or the value is empty. The value keeps its digits only.
 */
export function normaliseGlnIdentifier(identifier: { system?: unknown; value?: unknown } | null | undefined): GlnIdentifier | undefined {
  if (!isGlnSystem(identifier?.system) || typeof identifier?.value !== 'string') return undefined;
  const value = identifier.value.replace(/\s+/g, '');
  return value === '' ? undefined : { system: SYSTEM.gln, value };
}

/** True for a 13-digit GLN whose GS1 mod-10 check digit is right. */
export function isValidGln(value: string): boolean {
  if (!/^\d{13}$/.test(value)) return false;
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(value.charAt(11 - i)) * (i % 2 === 0 ? 3 : 1);
  return (10 - (sum % 10)) % 10 === Number(value.charAt(12));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX32 = /^[0-9a-f]{32}$/i;

/** True for the 8-4-4-4-12 hex form (any version): what MedCom ids SHALL be. */
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/**
 * A UUID-valued identifier in one comparable form: `urn:uuid:` prefix dropped, hyphens restored,
 * lower case. Anything that is not 32 hex digits is only trimmed.
 */
export function normaliseUuidValue(value: string): string {
  const bare = value.trim().replace(/^urn:uuid:/i, '');
  const hex = bare.replace(/-/g, '');
  if (!HEX32.test(hex)) return value.trim();
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The matching key of an episode-of-care id (*forløbsid*). The same id travels without prefix (HN),
 * with `urn:uuid:` (CC, LPR3) and without hyphens (OIOXML/EDIFACT), in either case (domain.md §5).
 */
export const normaliseEpisodeOfCareId = (value: string): string => normaliseUuidValue(value);

/** `local`: the sender's own id (system = its SOR endpoint URI); `lpr3`: the national LPR3 id. */
export type EpisodeOfCareIdKind = 'local' | 'lpr3' | 'other';

export interface EpisodeOfCareId {
  kind: EpisodeOfCareIdKind;
  system: string;
  /** As sent. */
  value: string;
  /** Matching key, see {@link normaliseEpisodeOfCareId}. */
  normalised: string;
}

const SOR_ENDPOINT_PREFIX = 'https://sor2.sum.dsdn.dk/#id=';

/** Episode-of-care identifiers of an Encounter (`Encounter.episodeOfCare.identifier`), normalised. */
export function readEpisodeOfCareIds(encounter: unknown): EpisodeOfCareId[] {
  const refs = (encounter as { episodeOfCare?: unknown } | undefined)?.episodeOfCare;
  if (!Array.isArray(refs)) return [];
  const out: EpisodeOfCareId[] = [];
  for (const ref of refs as unknown[]) {
    const identifier = (ref as { identifier?: { system?: unknown; value?: unknown } } | undefined)?.identifier;
    const value = identifier?.value;
    if (typeof value !== 'string' || value.trim() === '') continue;
    const system = typeof identifier?.system === 'string' ? identifier.system : '';
    const kind: EpisodeOfCareIdKind =
      system === LPR3_SYSTEM ? 'lpr3' : system.startsWith(SOR_ENDPOINT_PREFIX) ? 'local' : 'other';
    out.push({ kind, system, value, normalised: normaliseEpisodeOfCareId(value) });
  }
  return out;
}

/** The id to correlate a flow on: the local one when there are several (governance 080, the return rule). */
export const primaryEpisodeOfCareId = (ids: readonly EpisodeOfCareId[]): EpisodeOfCareId | undefined =>
  ids.find((i) => i.kind === 'local') ?? ids.find((i) => i.kind === 'lpr3') ?? ids[0];

const TYPE_ID_TAIL = /(?:^|\/)([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

/**
 * The `Type/id` key of a reference or fullUrl: relative `Type/id`, or absolute
 * `https://medcomfhir.dk/ig/<ig>/Type/id` (medcom.md §10 #5). `urn:uuid:` and other forms stay as they are.
 */
export function referenceKey(reference: string): string {
  return TYPE_ID_TAIL.exec(reference)?.[1] ?? reference;
}

/** The id part of a `Type/id` reference of the given type; undefined for another type. */
export function idOfReference(reference: string | undefined, type: string): string | undefined {
  if (reference === undefined) return undefined;
  const key = referenceKey(reference);
  return key.startsWith(`${type}/`) ? key.slice(type.length + 1) : undefined;
}
