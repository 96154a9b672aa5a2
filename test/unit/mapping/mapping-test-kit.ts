import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMappings } from '../../../src/mapping/index.ts';
import type { MappingRegistry, XmlLimits } from '../../../src/mapping/index.ts';
import { examplePath } from '../../helpers/examples.ts';

export const REPO_DIR = fileURLToPath(new URL('../../../', import.meta.url));
export const MAPPINGS_DIR = join(REPO_DIR, 'mappings', 'medcom-oioxml');
export const FIXTURES_DIR = join(REPO_DIR, 'test', 'fixtures', 'medcom-oioxml');
export const PROFILES_DIR = join(REPO_DIR, 'profiles');

const SB = 'http://sektorbro.dk/fhir/StructureDefinition/';
const MEDCOM = 'http://medcomfhir.dk/ig/';

/** The profile contract of docs/documents.md, plus the MedCom profiles a CareCommunication declares. */
export const CONTRACT_PROFILES: readonly string[] = [
  ...[
    'sektorbro-patient',
    'sektorbro-organization',
    'sektorbro-encounter',
    'sektorbro-epikrise-bundle',
    'sektorbro-epikrise-composition',
    'sektorbro-udskrivningsrapport-bundle',
    'sektorbro-udskrivningsrapport-composition',
    'sektorbro-plejeforloebsplan-bundle',
    'sektorbro-plejeforloebsplan-composition',
    'sektorbro-plejeforloebsplan-careplan',
    'sektorbro-genoptraeningsplan-bundle',
    'sektorbro-genoptraeningsplan-composition',
    'sektorbro-genoptraeningsplan-servicerequest',
  ].map((id) => `${SB}${id}`),
  `${MEDCOM}carecommunication/StructureDefinition/medcom-careCommunication-message`,
  `${MEDCOM}carecommunication/StructureDefinition/medcom-careCommunication-messageHeader`,
  `${MEDCOM}carecommunication/StructureDefinition/medcom-careCommunication-communication`,
  `${MEDCOM}carecommunication/StructureDefinition/medcom-careCommunication-provenance`,
  `${MEDCOM}core/StructureDefinition/medcom-core-patient`,
  `${MEDCOM}messaging/StructureDefinition/medcom-messaging-organization`,
];

/** Canonical URLs of the StructureDefinitions in profiles/ (empty until the profiles are written). */
export function profilesOnDisk(): string[] {
  if (!existsSync(PROFILES_DIR)) return [];
  return readdirSync(PROFILES_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(PROFILES_DIR, f), 'utf8')) as { resourceType?: unknown; url?: unknown })
    .filter((r) => r.resourceType === 'StructureDefinition' && typeof r.url === 'string')
    .map((r) => r.url as string);
}

export const loadTestRegistry = (): MappingRegistry => loadMappings(MAPPINGS_DIR, { knownProfiles: [...CONTRACT_PROFILES, ...profilesOnDisk()] });

export const LIMITS: XmlLimits = { maxBytes: 5_000_000, maxDepth: 40 };

/** A stand-in for the gateway's organisation directory: the SOR ids of MedCom's examples and our test sender. */
const SOR_BY_GLN: Readonly<Record<string, string>> = {
  '5790000209354': '265161000016000', // Hjerteafdelingen, Herlev og Gentofte Hospital
  '5790001382445': '359001000016000', // MedCom testcenter
  '5790000121441': '328051000016008', // Social og Sundhed Odense Kommune
};

export const sorForGln = (gln: string): string | undefined => SOR_BY_GLN[gln];

export const RECEIVED_AT = new Date('2026-01-02T08:00:00Z');

export interface GoldenCase {
  readonly name: string;
  readonly input: Buffer;
  readonly expectedFile: string;
}

/**
 * Golden cases discovered from the fixture folder: `<case>.input.xml`, or `<case>.input.ref` naming a shared
 * example (`medcom/…`) used verbatim, each with `<case>.expected.json`.
 */
export function discoverGoldenCases(): GoldenCase[] {
  return readdirSync(FIXTURES_DIR)
    .filter((f) => f.endsWith('.input.xml') || f.endsWith('.input.ref'))
    .sort()
    .map((f) => {
      const name = f.replace(/\.input\.(xml|ref)$/, '');
      const input = f.endsWith('.ref')
        ? readFileSync(examplePath(...readFileSync(join(FIXTURES_DIR, f), 'utf8').trim().split('/')))
        : readFileSync(join(FIXTURES_DIR, f));
      return { name, input, expectedFile: join(FIXTURES_DIR, `${name}.expected.json`) };
    });
}

type Json = unknown;

/** Bundle invariants (house-style §2.5): unique ids, every reference resolves in the Bundle, every resource profiled. */
export function checkBundleInvariants(bundle: fhir4.Bundle): string[] {
  const problems: string[] = [];
  const entries = bundle.entry ?? [];
  const fullUrls = new Set<string>();
  const ids = new Set<string>();
  if (!Array.isArray(bundle.meta?.profile) || bundle.meta.profile.length === 0) problems.push('Bundle has no meta.profile');
  entries.forEach((entry, i) => {
    const resource = entry.resource;
    if (resource === undefined) {
      problems.push(`entry[${i}] has no resource`);
      return;
    }
    const key = `${resource.resourceType}/${resource.id ?? ''}`;
    if (ids.has(key)) problems.push(`duplicate id ${key}`);
    ids.add(key);
    if (entry.fullUrl === undefined || fullUrls.has(entry.fullUrl)) problems.push(`entry[${i}] fullUrl missing or duplicate`);
    if (entry.fullUrl !== undefined) fullUrls.add(entry.fullUrl);
    if (!Array.isArray(resource.meta?.profile) || resource.meta.profile.length === 0) problems.push(`${key} has no meta.profile`);
  });
  const walk = (node: Json, path: string): void => {
    if (Array.isArray(node)) {
      node.forEach((n, i) => {
        walk(n, `${path}[${i}]`);
      });
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    for (const [k, v] of Object.entries(node)) {
      if (k === 'reference' && typeof v === 'string') {
        const resolves = fullUrls.has(v) || [...ids].includes(v);
        if (!resolves) problems.push(`${path}.reference ${v} does not resolve inside the Bundle`);
      } else {
        walk(v, `${path}.${k}`);
      }
    }
  };
  entries.forEach((e, i) => {
    walk(e.resource, `entry[${i}].resource`);
  });
  return problems;
}
