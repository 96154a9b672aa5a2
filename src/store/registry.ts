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
