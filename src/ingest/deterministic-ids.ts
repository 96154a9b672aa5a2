import { deterministicId } from '../shared/index.ts';

const CPR_SYSTEMS = ['urn:oid:1.2.208.176.1.2', 'urn:oid:1.2.208.176.1.6.1.1'];
const D_ECPR_PREFIX = 'urn:oid:1.2.208.176.1.6.1.3';
const ORG_SYSTEMS = ['urn:oid:1.2.208.176.1.1', 'https://www.gs1.org/gln', 'urn:oid:1.2.208.176.1.4'];

interface Ident { system?: string; value?: string }

const firstBySystems = (identifiers: Ident[], systems: string[]): Ident | undefined => {
  for (const s of systems) {
    const hit = identifiers.find((i) => i.system === s && i.value);
    if (hit) return hit;
  }
  return undefined;
};

/**
 * The id a resource of a document gets: from its business identifier where the resource kind has
 * a stable one (Patient: CPR, then replacement CPRs; Organization: SOR, then GLN, then ydernummer;
 * the Composition: the document's identity, which includes its sender), otherwise from the
 * document's identity and the entry's fullUrl.
 */
export function idForEntry(resource: Record<string, unknown>, documentKey: string, fullUrl: string): string {
  const type = String(resource.resourceType);
  const identifiers = (Array.isArray(resource.identifier) ? resource.identifier : resource.identifier ? [resource.identifier] : []) as Ident[];
  let key: Ident | undefined;
  if (type === 'Patient') {
    key = firstBySystems(identifiers, CPR_SYSTEMS) ?? identifiers.find((i) => i.system?.startsWith(D_ECPR_PREFIX) && i.value);
  } else if (type === 'Organization') {
    key = firstBySystems(identifiers, ORG_SYSTEMS);
  } else if (type === 'Composition') {
    return deterministicId(`Composition|${documentKey}`);
  }
  return key ? deterministicId(`${type}|${key.system ?? ''}|${key.value ?? ''}`) : deterministicId(`${documentKey}|${fullUrl}`);
}
