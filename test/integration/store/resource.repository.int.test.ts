import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, SYSTEM } from '../../../src/shared/index.ts';
import type { AnyResource, Clock } from '../../../src/shared/index.ts';
import { parseSearch } from '../../../src/store/index.ts';
import { MIGRATIONS_DIR } from '../../../src/store/migrate.ts';
import type { AccessFilter, ResourceRepository, StoredResource, WriteContext } from '../../../src/store/index.ts';
import { backends, openTestStore } from '../../helpers/store.ts';
import type { TestStore } from '../../helpers/store.ts';

const DK_CORE = join(process.env.SEKTORBRO_EXAMPLES_DIR ?? '/work/shared/examples', 'dk-core');
const example = async (name: string): Promise<AnyResource> =>
  JSON.parse(await readFile(join(DK_CORE, `${name}.json`), 'utf8')) as AnyResource;

const HOSPITAL = '265161000016000';
const MUNICIPALITY = '328081000016005';
const GP = '61741000016007';
const byHospital: WriteContext = { writerOrg: HOSPITAL, grantOrgs: [] };
const ALL: AccessFilter = { kind: 'all' };
const ENCOUNTER_ONGOING = '0c5e4905-5c2e-4254-8837-770c3724cd13';
const ENCOUNTER_FINISHED = '915a3cfb-2f3e-477b-8a9d-5d86c30e4929';

/** A clock the tests move by hand, so lastUpdated values are known. */
function manualClock(start: string): Clock & { set(iso: string): void } {
  let now = new Date(start).getTime();
  return {
    now: () => new Date(now),
    set: (iso) => {
      now = new Date(iso).getTime();
    },
  };
}

let unique = 0;
/** A system no other test uses, so a search sees only this test's rows in the shared database. */
const freshSystem = (): string => `urn:test:${Date.now()}:${++unique}`;
const patientWith = (system: string, value: string): AnyResource => ({
  resourceType: 'Patient',
  identifier: [{ system, value }],
});

const ids = (items: StoredResource[]): string[] => items.map((s) => s.id);
const limits = { defaultCount: 50, maxCount: 1000 };
const query = (type: string, q: string) => parseSearch(type, [...new URLSearchParams(q).entries()], limits);

const list = await backends();

describe.each(list)('resource repository on $name', (backend) => {
  const clock = manualClock('2024-06-01T10:00:00Z');
  let handle: TestStore | undefined;
  let repo: ResourceRepository;
  const search = async (type: string, q: string, access: AccessFilter = ALL) => repo.search(query(type, q), access);

  beforeAll(async () => {
    handle = await openTestStore(backend, { clock });
    repo = handle.store.resources;
    for (const name of ['Patient-283', 'Patient-john', `Encounter-${ENCOUNTER_ONGOING}`, `Encounter-${ENCOUNTER_FINISHED}`]) {
      const r = await example(name);
      await repo.update({ ...r, id: r.id ?? '' }, byHospital);
    }
  });

  afterAll(async () => {
    await handle?.close();
  });

  describe('versioning', () => {
    it('when a resource is created, then it gets a UUID, version 1 and meta set, and reads back as stored', async () => {
      const organization = await example('Organization-CenterForDiabetes');
      const created = await repo.create(organization, byHospital);
      expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.id).not.toBe('CenterForDiabetes');
      expect(created.versionId).toBe(1);
      expect(created.resource?.meta).toMatchObject({ versionId: '1', lastUpdated: clock.now().toISOString(), profile: organization.meta?.profile });
      expect(created.grants).toEqual([HOSPITAL]);

      const read = await repo.read('Organization', created.id);
      expect(read?.resource).toEqual(created.resource);
      expect(Object.keys(read?.resource ?? {}).slice(0, 3)).toEqual(['resourceType', 'id', 'meta']);
      expect(read?.resource?.identifier).toEqual(organization.identifier);
    });

    it('when a resource is updated, then the version goes up and each version can be vread', async () => {
      const created = await repo.create(patientWith(freshSystem(), '1'), byHospital);
      clock.set('2024-06-01T10:05:00Z');
      const { stored, created: isNew } = await repo.update({ ...patientWith(freshSystem(), '2'), id: created.id }, byHospital);
      expect(isNew).toBe(false);
      expect(stored.versionId).toBe(2);
      expect(stored.lastUpdated.toISOString()).toBe('2024-06-01T10:05:00.000Z');
      expect((await repo.vread('Patient', created.id, 1))?.resource?.identifier).toEqual(created.resource?.identifier);
      expect((await repo.vread('Patient', created.id, 2))?.resource?.meta?.versionId).toBe('2');
      expect(await repo.vread('Patient', created.id, 3)).toBeUndefined();
      expect((await repo.read('Patient', created.id))?.versionId).toBe(2);
    });

    it('when If-Match names an older version, then the update is refused with 412 and nothing changes', async () => {
      const created = await repo.create(patientWith(freshSystem(), '1'), byHospital);
      await repo.update({ ...created.resource, resourceType: 'Patient', id: created.id }, { ...byHospital, ifMatch: 1 });
      await expect(repo.update({ resourceType: 'Patient', id: created.id }, { ...byHospital, ifMatch: 1 })).rejects.toMatchObject({
        status: 412,
        code: 'store.version-conflict',
      });
      expect((await repo.read('Patient', created.id))?.versionId).toBe(2);
    });

    it('when If-Match is given for a resource that does not exist, then it is a 412', async () => {
      await expect(repo.update({ resourceType: 'Patient', id: 'never-created' }, { ...byHospital, ifMatch: 1 })).rejects.toMatchObject({ status: 412 });
      expect(await repo.read('Patient', 'never-created')).toBeUndefined();
    });

    it('when a client-chosen id is new, then update creates it (update-as-create) as version 1', async () => {
      const bruno = await example('Patient-Bruno');
      const { stored, created } = await repo.update({ ...bruno, id: 'Bruno' }, byHospital);
      expect(created).toBe(true);
      expect(stored.versionId).toBe(1);
      expect((await repo.read('Patient', 'Bruno'))?.resource?.name).toEqual(bruno.name);
    });

    it('when the id is not a FHIR id, then the update is a 400 pointing at the id', async () => {
      await expect(repo.update({ resourceType: 'Patient', id: 'has space' }, byHospital)).rejects.toMatchObject({
        status: 400,
        issues: [expect.objectContaining({ expression: ['Patient.id'] })],
      });
    });

    it('when the type is not a stored type, then the write is a 400', async () => {
      await expect(repo.create({ resourceType: 'Medication' }, byHospital)).rejects.toMatchObject({ status: 400 });
    });

    it('when a resource is deleted, then reads say deleted, old versions stay readable and search no longer finds it', async () => {
      const system = freshSystem();
      const created = await repo.create(patientWith(system, '1'), byHospital);
      const deleted = await repo.delete('Patient', created.id, byHospital);
      expect(deleted).toMatchObject({ versionId: 2, deleted: true, resource: undefined });

      const read = await repo.read('Patient', created.id);
      expect(read).toMatchObject({ deleted: true, versionId: 2, resource: undefined, grants: [HOSPITAL] });
      expect((await repo.vread('Patient', created.id, 2))?.deleted).toBe(true);
      expect((await repo.vread('Patient', created.id, 1))?.resource?.identifier).toEqual([{ system, value: '1' }]);
      expect((await search('Patient', `identifier=${system}|1`)).items).toEqual([]);
      expect((await search('Patient', `_id=${created.id}`)).items).toEqual([]);
      expect(await repo.delete('Patient', created.id, byHospital)).toBeUndefined();
    });

    it('when there is nothing to delete, then delete returns undefined', async () => {
      expect(await repo.delete('Patient', 'no-such-patient', byHospital)).toBeUndefined();
    });

    it('when a deleted resource is written again, then it is revived as the next version', async () => {
      const system = freshSystem();
      const created = await repo.create(patientWith(system, '1'), byHospital);
      await repo.delete('Patient', created.id, byHospital);
      const { stored, created: isNew } = await repo.update({ ...patientWith(system, '1'), id: created.id }, byHospital);
      expect(isNew).toBe(true);
      expect(stored.versionId).toBe(3);
      expect(ids((await search('Patient', `identifier=${system}|1`)).items)).toEqual([created.id]);
    });

    it('when two writers update-as-create the same new id at once, then one creates and the other makes version 2', async () => {
      const id = `race-${++unique}`;
      const results = await Promise.all([
        repo.update({ resourceType: 'Patient', id }, byHospital),
        repo.update({ resourceType: 'Patient', id }, byHospital),
      ]);
      expect(results.map((r) => r.stored.versionId).sort()).toEqual([1, 2]);
      expect(results.filter((r) => r.created)).toHaveLength(1);
    });
  });

  describe('history', () => {
    it('when a resource has several versions and a delete, then its history is newest first, deletes included', async () => {
      const created = await repo.create(patientWith(freshSystem(), '1'), byHospital);
      await repo.update({ resourceType: 'Patient', id: created.id, active: true }, byHospital);
      await repo.delete('Patient', created.id, byHospital);
      const page = await repo.history('Patient', created.id, { count: 10, access: ALL });
      expect(page.items.map((s) => [s.versionId, s.deleted])).toEqual([
        [3, true],
        [2, false],
        [1, false],
      ]);
      expect(page.next).toBeUndefined();
    });

    it('when history is paged one at a time, then the cursor walks every version once', async () => {
      const created = await repo.create(patientWith(freshSystem(), '1'), byHospital);
      for (let i = 0; i < 3; i++) await repo.update({ resourceType: 'Patient', id: created.id }, byHospital);
      const seen: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await repo.history('Patient', created.id, { count: 1, cursor, access: ALL });
        seen.push(...page.items.map((s) => s.versionId));
        cursor = page.next;
      } while (cursor !== undefined);
      expect(seen).toEqual([4, 3, 2, 1]);
    });

    it('when type history is read by an organisation, then it holds only resources granted to it', async () => {
      const mine = await repo.create({ resourceType: 'CareTeam', status: 'active' }, { writerOrg: GP, grantOrgs: [] });
      await repo.create({ resourceType: 'CareTeam', status: 'active' }, byHospital);
      const page = await repo.history('CareTeam', undefined, { count: 100, access: { kind: 'orgs', orgs: [GP] } });
      expect(ids(page.items)).toEqual([mine.id]);
      expect((await repo.history('CareTeam', undefined, { count: 100, access: ALL })).items).toHaveLength(2);
    });

    it('when a cursor was not issued by the server, then it is a 400 naming _cursor', async () => {
      await expect(repo.history('Patient', undefined, { count: 1, cursor: 'bm9wZQ', access: ALL })).rejects.toMatchObject({
        status: 400,
        issues: [expect.objectContaining({ expression: ['_cursor'] })],
      });
    });
  });

  describe('search', () => {
    it('when searching by _id, then exactly those resources come back', async () => {
      expect(ids((await search('Patient', '_id=283,john,unknown')).items).sort()).toEqual(['283', 'john']);
    });

    it('when searching a Patient by CPR identifier, then the DK Core patient is found', async () => {
      const page = await search('Patient', `identifier=${SYSTEM.cpr}|0108589995`);
      expect(ids(page.items)).toEqual(['283']);
      expect(page.total).toBe(1);
      expect(ids((await search('Patient', 'identifier=0201609995')).items)).toEqual(['john']);
      expect((await search('Patient', `identifier=${SYSTEM.sor}|0108589995`)).items).toEqual([]);
    });

    it('when searching by patient reference in any accepted form, then the Encounter is found', async () => {
      for (const q of ['patient=Patient/john', 'patient=john', 'subject=Patient/john', 'patient=https://fhir.example.dk/r4/Patient/john']) {
        expect(ids((await search('Encounter', q)).items), q).toEqual([ENCOUNTER_FINISHED]);
      }
      expect((await search('Encounter', 'subject=Group/john')).items).toEqual([]);
    });

    it('when searching by chained patient.identifier (CPR), then the Encounters of that patient are found', async () => {
      expect(ids((await search('Encounter', `patient.identifier=${SYSTEM.cpr}|0108589995`)).items)).toEqual([ENCOUNTER_ONGOING]);
      expect(ids((await search('Encounter', `subject.identifier=${SYSTEM.cpr}|0201609995`)).items)).toEqual([ENCOUNTER_FINISHED]);
      expect((await search('Encounter', `patient.identifier=${SYSTEM.cpr}|9999999999`)).items).toEqual([]);
    });

    it('when a reference is versioned or absolute, then it is indexed by type and id', async () => {
      const system = freshSystem();
      const a = await repo.create({ resourceType: 'Observation', status: 'final', code: {}, identifier: [{ system, value: 'a' }], subject: { reference: 'Patient/283/_history/1' } }, byHospital);
      const b = await repo.create({ resourceType: 'Observation', status: 'final', code: {}, identifier: [{ system, value: 'b' }], subject: { reference: 'http://other.example/fhir/Patient/283' } }, byHospital);
      await repo.create({ resourceType: 'Observation', status: 'final', code: {}, identifier: [{ system, value: 'c' }], subject: { reference: 'urn:uuid:4b0c4b6c-9b4a-4c8e-9a34-0d1c2b3a4f5e' } }, byHospital);
      expect(ids((await search('Observation', `identifier=${system}|&patient=283`)).items).sort()).toEqual([a.id, b.id].sort());
      expect(ids((await search('Observation', `identifier=${system}|&subject=urn:uuid:4b0c4b6c-9b4a-4c8e-9a34-0d1c2b3a4f5e`)).items)).toHaveLength(1);
    });

    it('when a DocumentReference points at a contained patient, then it is not indexed as a patient reference', async () => {
      const doc = await example('DocumentReference-94e65db8-2f0c-4a2c-a7c9-06a160d59a12');
      const stored = await repo.create(doc, byHospital);
      expect(ids((await search('DocumentReference', 'identifier=urn:ietf:rfc:3986|urn:uuid:bf1bb63b-d405-4dfe-9810-37b16b333a01')).items)).toContain(stored.id);
      expect(ids((await search('DocumentReference', 'type=http://loinc.org|56446-8')).items)).toContain(stored.id);
      expect(ids((await search('DocumentReference', 'status=current&type=http://loinc.org|56446-8')).items)).toContain(stored.id);
      expect(ids((await search('DocumentReference', 'patient=37628912-7816-47a3-acd8-396b610be142')).items)).toEqual([]);
    });

    it.each([
      ['date=2022-04', [ENCOUNTER_FINISHED]],
      ['date=2022-04-27', []],
      ['date=ne2022-04', [ENCOUNTER_ONGOING]],
      ['date=gt2030-01-01', [ENCOUNTER_ONGOING]],
      ['date=lt2022-04-28', [ENCOUNTER_FINISHED]],
      ['date=ge2025-01-01', [ENCOUNTER_ONGOING]],
      ['date=le2022-04-27', [ENCOUNTER_FINISHED]],
      ['date=sa2022-04-28', [ENCOUNTER_ONGOING]],
      ['date=eb2025-11-14', [ENCOUNTER_FINISHED]],
      ['date=ge2022-04-28T14:00:00%2B01:00', [ENCOUNTER_FINISHED, ENCOUNTER_ONGOING]],
      ['date=gt2022-04-28T14:00:00%2B01:00', [ENCOUNTER_ONGOING]],
      ['date=ge2022-01-01&date=le2022-12-31', [ENCOUNTER_FINISHED]],
      ['date=2025-11-14T08:50:00.0000%2B01:00', []],
      ['date=ge2025-11-14T08:50:00%2B01:00', [ENCOUNTER_ONGOING]],
      ['date=lt2025-11-14T08:50:00%2B01:00', [ENCOUNTER_FINISHED]],
    ])('when Encounters (one ongoing: Period without end) are searched with %s, then the match is %j', async (q, expected) => {
      const page = await search('Encounter', `_id=${ENCOUNTER_ONGOING},${ENCOUNTER_FINISHED}&${q}`);
      expect(ids(page.items).sort()).toEqual([...expected].sort());
    });

    it('when searching by status, then only resources with that code match, with or without an explicit empty system', async () => {
      const both = `_id=${ENCOUNTER_ONGOING},${ENCOUNTER_FINISHED}`;
      expect(ids((await search('Encounter', `${both}&status=finished`)).items)).toEqual([ENCOUNTER_FINISHED]);
      expect(ids((await search('Encounter', `${both}&status=|in-progress`)).items)).toEqual([ENCOUNTER_ONGOING]);
      expect(ids((await search('Encounter', `${both}&status=finished,in-progress`)).items)).toHaveLength(2);
      expect(ids((await search('Encounter', `${both}&status=finished&status=in-progress`)).items)).toEqual([]);
    });

    it('when searching Organizations by type, then the CodeableConcept codings are matched on system and code', async () => {
      const org = await repo.update({ ...(await example('Organization-LaegerneHasserisBymidte')), id: 'LaegerneHasserisBymidte' }, byHospital);
      expect(ids((await search('Organization', 'type=http://snomed.info/sct|394761003')).items)).toContain(org.stored.id);
      expect(ids((await search('Organization', 'type=394761003')).items)).toContain(org.stored.id);
      expect(ids((await search('Organization', 'type=|394761003')).items)).not.toContain(org.stored.id);
      expect(ids((await search('Organization', 'type=http://snomed.info/sct|')).items)).toContain(org.stored.id);
      expect(ids((await search('Organization', `identifier=${SYSTEM.ydernummer}|77410`)).items)).toEqual([org.stored.id]);
    });

    it('when searching by _lastUpdated, then the store time is compared with the prefix semantics', async () => {
      const system = freshSystem();
      clock.set('2024-03-30T22:30:00Z');
      const before = await repo.create(patientWith(system, 'before'), byHospital);
      clock.set('2024-03-31T12:00:00Z');
      const during = await repo.create(patientWith(system, 'during'), byHospital);
      clock.set('2024-04-01T08:00:00Z');
      const after = await repo.create(patientWith(system, 'after'), byHospital);
      clock.set('2024-06-01T10:00:00Z');
      const find = async (q: string) => ids((await search('Patient', `identifier=${system}|&${q}`)).items);
      expect(await find('_lastUpdated=2024-03-31')).toEqual([during.id]);
      expect(await find('_lastUpdated=lt2024-03-31')).toEqual([before.id]);
      expect((await find('_lastUpdated=ge2024-03-31')).sort()).toEqual([during.id, after.id].sort());
      expect(await find('_lastUpdated=gt2024-03-31T14:00:00%2B02:00')).toEqual([after.id]);
      expect((await find('_lastUpdated=ne2024-03-31')).sort()).toEqual([before.id, after.id].sort());
    });

    it('when results are paged with _count and the cursor, then every match comes exactly once, in id order, with the total', async () => {
      const system = freshSystem();
      const made: string[] = [];
      for (let i = 0; i < 7; i++) made.push((await repo.create(patientWith(system, String(i)), byHospital)).id);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await search('Patient', `identifier=${system}|&_count=3${cursor ? `&_cursor=${cursor}` : ''}`);
        expect(page.total).toBe(7);
        seen.push(...ids(page.items));
        cursor = page.next;
        pages++;
      } while (cursor !== undefined);
      expect(pages).toBe(3);
      // Id order, not newest first: an update must not move a resource past the cursor (see the next test).
      expect(seen).toEqual([...made].sort());
    });

    it('when a resource is updated while a client pages through, then it is still served exactly once', async () => {
      const system = freshSystem();
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.push((await repo.create(patientWith(system, String(i)), byHospital)).id);
      const first = await search('Patient', `identifier=${system}|&_count=2`);
      const servedFirst = ids(first.items);
      for (const id of made) {
        const current = await repo.read('Patient', id);
        if (current?.resource) await repo.update({ ...current.resource, id, gender: 'other' }, byHospital);
      }
      const seen = [...servedFirst];
      let cursor = first.next;
      while (cursor !== undefined) {
        const page = await search('Patient', `identifier=${system}|&_count=2&_cursor=${cursor}`);
        seen.push(...ids(page.items));
        cursor = page.next;
      }
      expect([...seen].sort()).toEqual([...made].sort());
      expect(new Set(seen).size).toBe(made.length);
    });

    it('when _total=none, then no total is counted', async () => {
      expect((await search('Patient', '_id=283&_total=none')).total).toBeUndefined();
    });

    it('when the last page is exactly full, then there is no next cursor', async () => {
      const system = freshSystem();
      for (let i = 0; i < 2; i++) await repo.create(patientWith(system, String(i)), byHospital);
      const page = await search('Patient', `identifier=${system}|&_count=2`);
      expect(page.items).toHaveLength(2);
      expect(page.next).toBeUndefined();
    });
  });

  describe('access', () => {
    it("when organisation A searches, then it does not see organisation B's rows", async () => {
      const system = freshSystem();
      const ofHospital = await repo.create(patientWith(system, 'h'), byHospital);
      const ofGp = await repo.create(patientWith(system, 'g'), { writerOrg: GP, grantOrgs: [] });
      const asGp = await search('Patient', `identifier=${system}|`, { kind: 'orgs', orgs: [GP] });
      expect(ids(asGp.items)).toEqual([ofGp.id]);
      expect(asGp.total).toBe(1);
      expect(ids((await search('Patient', `identifier=${system}|`, { kind: 'orgs', orgs: [HOSPITAL, GP] })).items).sort()).toEqual(
        [ofHospital.id, ofGp.id].sort(),
      );
      expect((await search('Patient', `identifier=${system}|`, { kind: 'orgs', orgs: [] })).items).toEqual([]);
    });

    it('when a resource is updated by others and granted further, then the grants accumulate and are never dropped', async () => {
      const system = freshSystem();
      const created = await repo.create(patientWith(system, '1'), { writerOrg: HOSPITAL, grantOrgs: [MUNICIPALITY] });
      expect(created.grants).toEqual([HOSPITAL, MUNICIPALITY].sort());
      const byGp = await repo.update({ ...patientWith(system, '1'), id: created.id }, { writerOrg: GP, grantOrgs: [] });
      expect(byGp.stored.grants).toEqual([HOSPITAL, MUNICIPALITY, GP].sort());
      await repo.update({ ...patientWith(system, '1'), id: created.id }, byHospital);
      await repo.grant('Patient', created.id, ['extra-org']);
      expect((await repo.read('Patient', created.id))?.grants).toEqual([HOSPITAL, MUNICIPALITY, GP, 'extra-org'].sort());
      expect(ids((await search('Patient', `identifier=${system}|`, { kind: 'orgs', orgs: ['extra-org'] })).items)).toEqual([created.id]);
    });

    it('when granting on a resource that does not exist, then it is a 404', async () => {
      await expect(repo.grant('Patient', 'no-such-patient', [GP])).rejects.toMatchObject({ status: 404 });
    });
  });

  describe('transactions', () => {
    it('when a transaction throws after writing, then nothing of it is left behind', async () => {
      if (!handle) throw new Error('store not open');
      const system = freshSystem();
      const boom = new Error('boom');
      let createdId = '';
      await expect(
        handle.store.transaction(async (tx) => {
          const created = await tx.resources.create(patientWith(system, '1'), byHospital);
          createdId = created.id;
          await tx.resources.update({ ...patientWith(system, '2'), id: 'tx-client-id' }, byHospital);
          await tx.audit.record({
            recorded: clock.now(),
            requestId: `req-${system}`,
            clientId: 'c',
            org: HOSPITAL,
            role: 'hospital',
            action: 'C',
            interaction: 'create',
            outcome: '0',
            status: 201,
            resourceType: 'Patient',
            entities: [`Patient/${created.id}`],
            query: undefined,
            sourceIp: undefined,
          });
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(createdId).not.toBe('');
      expect(await repo.read('Patient', createdId)).toBeUndefined();
      expect(await repo.read('Patient', 'tx-client-id')).toBeUndefined();
      expect((await search('Patient', `identifier=${system}|`)).items).toEqual([]);
      expect((await repo.history('Patient', createdId, { count: 10, access: ALL })).items).toEqual([]);
      expect((await handle.store.audit.search({ entity: `Patient/${createdId}`, count: 10 })).items).toEqual([]);
    });

    it('when a write inside a transaction fails its If-Match, then the earlier writes roll back too', async () => {
      if (!handle) throw new Error('store not open');
      const system = freshSystem();
      await expect(
        handle.store.transaction(async (tx) => {
          await tx.resources.create(patientWith(system, '1'), byHospital);
          await tx.resources.update({ resourceType: 'Patient', id: '283' }, { ...byHospital, ifMatch: 99 });
        }),
      ).rejects.toMatchObject({ status: 412 });
      expect((await search('Patient', `identifier=${system}|`)).items).toEqual([]);
      expect((await repo.read('Patient', '283'))?.versionId).toBe(1);
    });

    it('when a transaction commits, then all of its writes are visible', async () => {
      if (!handle) throw new Error('store not open');
      const system = freshSystem();
      const made = await handle.store.transaction(async (tx) => [
        await tx.resources.create(patientWith(system, '1'), byHospital),
        await tx.resources.create(patientWith(system, '2'), byHospital),
      ]);
      expect(ids((await search('Patient', `identifier=${system}|`)).items).sort()).toEqual(ids(made).sort());
    });
  });
});

describe.each(list)('store reopen on $name', (backend) => {
  let dataDir: string | undefined;

  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('when the store is closed and reopened, then the data is kept and no migration runs twice', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = createLogger({ level: 'info', stream });
    const migrationsApplied = (): unknown[] =>
      lines
        .map((l) => JSON.parse(l) as { message?: string; migrationsApplied?: unknown })
        .filter((l) => l.message === 'store.opened')
        .map((l) => l.migrationsApplied);

    if (backend.name === 'pglite') dataDir = await mkdtemp(join(tmpdir(), 'sektorbro-store-'));
    const first = await openTestStore(backend, { logger, ...(dataDir ? { dataDir: join(dataDir, 'nested', 'db') } : {}) });
    const patient = await example('Patient-else');
    await first.store.resources.update({ ...patient, id: 'else' }, byHospital);
    await first.close({ keepSchema: true });

    const second = await openTestStore(backend, {
      logger,
      ...(dataDir ? { dataDir: join(dataDir, 'nested', 'db') } : {}),
      ...(first.schema ? { schema: first.schema } : {}),
    });
    try {
      const read = await second.store.resources.read('Patient', 'else');
      expect(read?.resource?.identifier).toEqual(patient.identifier);
      expect(read?.grants).toEqual([HOSPITAL]);
      await second.store.ping();
      const all = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).map((f) => f.slice(0, -'.sql'.length)).sort();
      expect(all.length).toBeGreaterThan(0);
      expect(migrationsApplied()).toEqual([all, []]);
    } finally {
      await second.close();
    }
  });
});
