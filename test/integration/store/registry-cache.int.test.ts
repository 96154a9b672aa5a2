import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM, withRegistryTag } from '../../../src/shared/index.ts';
import { findRegistryOrganizationCached } from '../../../src/store/index.ts';
import { backends, openTestStore, type TestStore } from '../../helpers/store.ts';

const SOR = '265161000016000';
const by = { writerOrg: SOR, grantOrgs: [] };
const org = (name: string) => withRegistryTag({ resourceType: 'Organization', id: 'registry-hjerte', identifier: [{ system: SYSTEM.sor, value: SOR }], name }, true);

describe.each(await backends())('registry lookups reused per store on $name', (backend) => {
  let t: TestStore;
  beforeAll(async () => { t = await openTestStore(backend); });
  afterAll(async () => { await t.close(); });

  it('when the registry entry is asked for twice, then the second answer is the first, without a query', async () => {
    await t.store.resources.update(org('Hjerteafdelingen'), by);
    const first = await findRegistryOrganizationCached(t.store.resources, SOR);
    expect(first?.name).toBe('Hjerteafdelingen');
    // A grant writes no new version: the answer stands, the same object, not read again.
    await t.store.transaction(async (tx) => { await tx.resources.grant('Organization', 'registry-hjerte', ['1234567890123']); });
    expect(await findRegistryOrganizationCached(t.store.resources, SOR)).toBe(first);
  });

  it('when an Organization is written through this process, then the next lookup reads the registry again', async () => {
    const before = await findRegistryOrganizationCached(t.store.resources, SOR);
    await t.store.transaction(async (tx) => { await tx.resources.update(org('Hjertemedicinsk Afdeling'), by); });
    const after = await findRegistryOrganizationCached(t.store.resources, SOR);
    expect(after).not.toBe(before);
    expect(after?.name).toBe('Hjertemedicinsk Afdeling');
  });

  it('when a SOR code is not in the registry, then undefined, and it is found once an entry is added', async () => {
    const other = '1234567890123';
    expect(await findRegistryOrganizationCached(t.store.resources, other)).toBeUndefined();
    await t.store.resources.update(withRegistryTag({ resourceType: 'Organization', id: 'registry-other', identifier: [{ system: SYSTEM.sor, value: other }], name: 'Anden' }, true), by);
    expect((await findRegistryOrganizationCached(t.store.resources, other))?.name).toBe('Anden');
  });
});
