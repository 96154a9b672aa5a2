import { createHash } from 'node:crypto';

/**
 * Document Bundles for ingest tests, shaped by docs/documents.md. The published examples in
 * profiles/examples/ are used as they are elsewhere; this builder makes the variants a test needs
 * (another version, another sender, a cancellation) without copying those files.
 */
const SD = 'http://sektorbro.dk/fhir/StructureDefinition';
const CS = 'http://sektorbro.dk/fhir/CodeSystem';
export const HOSPITAL_SOR = '265161000016000';
export const GP_SOR = '1017421000016003';
export const BRUNO_CPR = '2509479989';

export interface EpikriseOptions {
  letterId?: string;
  timestamp?: string;
  status?: 'final' | 'amended' | 'entered-in-error';
  recommendation?: string;
  senderSor?: string;
  cpr?: string;
  dischargedAt?: string;
}

const bundleUuid = (seed: string): string => {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

const uuid = (n: number): string => `urn:uuid:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

export function epikriseBundle(o: EpikriseOptions = {}): Record<string, unknown> {
  const senderSor = o.senderSor ?? HOSPITAL_SOR;
  const text = (t: string) => ({ status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${t}</div>` });
  return {
    resourceType: 'Bundle',
    meta: { profile: [`${SD}/sektorbro-epikrise-bundle`] },
    // A new Bundle identity for every distinct send, as a sender's system would make one.
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${bundleUuid(JSON.stringify(o))}` },
    type: 'document',
    timestamp: o.timestamp ?? '2026-11-27T14:05:00+01:00',
    entry: [
      {
        fullUrl: uuid(1),
        resource: {
          resourceType: 'Composition',
          meta: { profile: [`${SD}/sektorbro-epikrise-composition`] },
          text: text('Epikrise'),
          extension: [{ url: `${SD}/sektorbro-recipient`, valueReference: { reference: uuid(5) } }],
          identifier: { system: `https://sor2.sum.dsdn.dk/#id=${senderSor}`, value: o.letterId ?? '7d0f2c59-3b0b-4c0e-9d0a-6e3f1f1b2a01' },
          status: o.status ?? 'final',
          type: { coding: [{ system: `${CS}/sektorbro-document-type`, code: 'epikrise' }, { system: 'http://loinc.org', code: '18842-5' }] },
          subject: { reference: uuid(2) },
          encounter: { reference: uuid(3) },
          date: o.timestamp ?? '2026-11-27T14:05:00+01:00',
          author: [{ reference: uuid(4) }],
          title: 'Epikrise fra Hjerteafdelingen',
          custodian: { reference: uuid(4) },
          section: [
            { title: 'Anbefaling til egen læge', code: { coding: [{ system: `${CS}/sektorbro-epikrise-section`, code: 'anbefaling-til-egen-laege' }] }, text: text(o.recommendation ?? 'Kontrol af blodtryk om 14 dage.') },
            { title: 'Forløb', code: { coding: [{ system: `${CS}/sektorbro-epikrise-section`, code: 'forloeb' }] }, text: text('Indlagt med atrieflimren, konverteret medicinsk.') },
          ],
        },
      },
      {
        fullUrl: uuid(2),
        resource: {
          resourceType: 'Patient',
          meta: { profile: [`${SD}/sektorbro-patient`] },
          identifier: [{ system: 'urn:oid:1.2.208.176.1.2', value: o.cpr ?? BRUNO_CPR }],
          name: [{ use: 'official', family: 'Elmer', given: ['Bruno', 'Test'] }],
          gender: 'male',
          birthDate: '1947-09-25',
          generalPractitioner: [{ reference: uuid(5) }],
        },
      },
      {
        fullUrl: uuid(3),
        resource: {
          resourceType: 'Encounter',
          meta: { profile: [`${SD}/sektorbro-encounter`] },
          status: 'finished',
          class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
          subject: { reference: uuid(2) },
          period: { start: '2026-11-24T09:10:00+01:00', end: o.dischargedAt ?? '2026-11-27T11:30:00+01:00' },
          serviceProvider: { reference: uuid(4) },
          episodeOfCare: [{ identifier: { system: `https://sor2.sum.dsdn.dk/#id=${senderSor}`, value: 'a3e2b3c4-5d6e-4f70-8a91-b2c3d4e5f607' } }],
        },
      },
      {
        fullUrl: uuid(4),
        resource: {
          resourceType: 'Organization',
          meta: { profile: [`${SD}/sektorbro-organization`] },
          identifier: [
            { system: 'urn:oid:1.2.208.176.1.1', value: senderSor },
            { system: 'https://www.gs1.org/gln', value: '5790000209354' },
          ],
          name: 'Hjerteafdelingen, Herlev og Gentofte Hospital',
        },
      },
      {
        fullUrl: uuid(5),
        resource: {
          resourceType: 'Organization',
          meta: { profile: [`${SD}/sektorbro-organization`] },
          identifier: [
            { system: 'urn:oid:1.2.208.176.1.1', value: GP_SOR },
            { system: 'https://www.gs1.org/gln', value: '5790002408496' },
          ],
          name: 'Lægehuset Østerbro',
        },
      },
    ],
  };
}
