import { isRegistryEntry, REGISTRY_TAG, SYSTEM } from '../shared/index.ts';
import type { ResourceRepository } from './ports.ts';

/**
 * The curated registry Organization with this SOR code (admin-managed, tagged), never one of the
 * copies documents and messages carry; undefined when there is none or more than one.
 */
export async function findRegistryOrganization(resources: ResourceRepository, sor: string): Promise<fhir4.Organization | undefined> {
  const page = await resources.search(
    {
      type: 'Organization',
      criteria: [
        { kind: 'token', param: 'identifier', values: [{ system: SYSTEM.sor, code: sor }] },
        { kind: 'meta-tag', system: REGISTRY_TAG.system, code: REGISTRY_TAG.code },
      ],
      count: 2,
      total: false,
    },
    { kind: 'all' },
  );
  const found = page.items.filter((s) => isRegistryEntry(s.resource));
  return found.length === 1 ? (found[0]?.resource as fhir4.Organization | undefined) : undefined;
}

/**
 * How long one store reuses a registry entry it looked up. A change written through this process
 * is seen at once (any Organization write starts a new generation); one written by another process
 * is seen at most this late. The responsibility lookup asks for the department and the GP on every
 * call, and these two round trips were a third of its time (issue #9).
 */
const REGISTRY_CACHE_MS = 30_000;
/** A region has a few thousand SOR units; past this the cache starts over rather than grow. */
const REGISTRY_CACHE_MAX = 10_000;
let generation = 0;
const cached = new WeakMap<ResourceRepository, Map<string, { generation: number; until: number; entry: Promise<fhir4.Organization | undefined> }>>();

/** Called by the resource store on every Organization write: cached registry entries are stale from now on. */
export function registryMayHaveChanged(): void {
  generation++;
}

/** {@link findRegistryOrganization}, reused for a while per store (see REGISTRY_CACHE_MS). Callers must not change what it returns. */
export function findRegistryOrganizationCached(resources: ResourceRepository, sor: string): Promise<fhir4.Organization | undefined> {
  let bySor = cached.get(resources);
  if (bySor === undefined || bySor.size >= REGISTRY_CACHE_MAX) {
    bySor = new Map();
    cached.set(resources, bySor);
  }
  const now = Date.now();
  const hit = bySor.get(sor);
  if (hit !== undefined && hit.generation === generation && hit.until > now) return hit.entry;
  const entry = findRegistryOrganization(resources, sor);
  const held = bySor;
  held.set(sor, { generation, until: now + REGISTRY_CACHE_MS, entry });
  // A failed lookup is not remembered.
  entry.catch(() => { held.delete(sor); });
  return entry;
}
