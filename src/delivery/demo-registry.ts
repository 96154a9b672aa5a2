import { SYSTEM, withRegistryTag, type AnyResource } from '../shared/index.ts';
import type { Store } from '../store/index.ts';

/** The demo organisations' registry rows; their receivers are the built-in demo receiver (`/demo/receivers/<sor>/fhir`). */
const DEMO_ORGANISATIONS = [
  { id: 'demo-hjerteafdelingen-herlev', sor: '265161000016000', gln: '5790000209354', name: 'Hjerteafdelingen, Herlev og Gentofte Hospital', receives: [] },
  { id: 'demo-herlev-kommune', sor: '953741000016009', gln: '5790001348120', name: 'Herlev Kommune', kommunekode: '0163', receives: ['hl7-fhir-rest', 'hl7-fhir-msg'] },
  { id: 'demo-laegehuset-oesterbro', sor: '1017421000016003', gln: '5790002408496', name: 'Lægehuset Østerbro', receives: ['hl7-fhir-rest'] },
] as const;

const CONNECTION_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type';

/**
 * The embedded default's registry on first start (demo clients on, never in production): the three
 * demo organisations, and Endpoints at the built-in demo receiver, so a document sent with the demo
 * clients is delivered and its timeline ends `delivered` or `acknowledged`. A row that exists is left
 * as admin made it.
 */
export async function seedDemoRegistry(store: Store, opts: { receiverBase: string; token: string }): Promise<number> {
  let seeded = 0;
  await store.transaction(async (tx) => {
    const write = { writerOrg: '999999000000002', grantOrgs: [] };
    const upsertIfAbsent = async (resource: AnyResource & { id: string }): Promise<void> => {
      if (await tx.resources.read(resource.resourceType, resource.id)) return;
      await tx.resources.update(withRegistryTag(resource, true), write);
      seeded++;
    };
    for (const org of DEMO_ORGANISATIONS) {
      const endpoints = org.receives.map((type) => ({ id: `${org.id}-${type}`, type }));
      for (const ep of endpoints) {
        await upsertIfAbsent({
          resourceType: 'Endpoint',
          id: ep.id,
          status: 'active',
          name: `Demo receiver of ${org.name}`,
          connectionType: { system: CONNECTION_TYPE_SYSTEM, code: ep.type },
          payloadType: [{ text: ep.type === 'hl7-fhir-msg' ? 'MedCom messages' : 'Sektorbro discharge documents' }],
          address: `${opts.receiverBase}/${org.sor}/fhir`,
          header: [`Authorization: Bearer ${opts.token}`],
        });
      }
      await upsertIfAbsent({
        resourceType: 'Organization',
        id: org.id,
        active: true,
        name: org.name,
        identifier: [
          { system: SYSTEM.sor, value: org.sor },
          { system: SYSTEM.gln, value: org.gln },
          ...('kommunekode' in org ? [{ system: SYSTEM.kommunekode, value: org.kommunekode }] : []),
        ],
        ...(endpoints.length > 0 ? { endpoint: endpoints.map((ep) => ({ reference: `Endpoint/${ep.id}` })) } : {}),
      });
    }
  });
  return seeded;
}
