import { describe, expect, it } from 'vitest';
import { routeOutboxEntry } from '../../../src/delivery/index.ts';
import type { OutboxEntry } from '../../../src/store/index.ts';

const KOMMUNEKODE = 'http://hl7.dk/fhir/core/CodeSystem/dk-core-municipality-codes';
const HOSPITAL = '265161000016000';
const GP = '1017421000016003';
const HERLEV = '953741000016009';

const entry = (payload: Record<string, unknown>): OutboxEntry => ({
  id: 1, eventType: 'document.stored', subject: 'DocumentReference/x', payload: { senderSor: HOSPITAL, patientId: 'p', ...payload }, createdAt: new Date(0), attempts: 0,
});
const registry = (system: string, value: string): Promise<string | undefined> => Promise.resolve(system === KOMMUNEKODE && value === '0163' ? HERLEV : undefined);
const sors = async (payload: Record<string, unknown>) => (await routeOutboxEntry(entry(payload), registry)).recipients.map((r) => r.sor).sort();

describe('routeOutboxEntry', () => {
  it('when an epikrise names nobody, then it goes to the patient\'s GP', async () => {
    expect(await sors({ documentType: 'epikrise', namedRecipients: [], generalPractitioners: [GP], municipalityCodes: ['0163'] })).toEqual([GP]);
  });

  it('when an udskrivningsrapport names nobody, then the registry gives the municipality of residence', async () => {
    const d = await routeOutboxEntry(entry({ documentType: 'udskrivningsrapport', namedRecipients: [], municipalityCodes: ['0163'] }), registry);
    expect(d.recipients).toEqual([{ sor: HERLEV, basis: expect.stringMatching(/kommunekode 0163/) as unknown }]);
  });

  it('when a genoptræningsplan names only the GP, then the municipality is added too', async () => {
    expect(await sors({ documentType: 'genoptraeningsplan', namedRecipients: [GP], namedMunicipalities: [], generalPractitioners: [GP], municipalityCodes: ['0163'] })).toEqual([GP, HERLEV].sort());
  });

  it('when a genoptræningsplan names only the municipality, then the GP is added too', async () => {
    expect(await sors({ documentType: 'genoptraeningsplan', namedRecipients: [HERLEV], namedMunicipalities: [HERLEV], generalPractitioners: [GP], municipalityCodes: ['0163'] })).toEqual([GP, HERLEV].sort());
  });

  it('when nothing resolves, then the decision says why and flags it', async () => {
    const d = await routeOutboxEntry(entry({ documentType: 'plejeforloebsplan', namedRecipients: [], municipalityCodes: ['0999'] }), registry);
    expect(d.recipients).toEqual([]);
    expect(d.unroutable).toMatch(/no municipality/);
  });

  it('when the sender names itself, then it is not a recipient', async () => {
    expect(await sors({ documentType: 'epikrise', namedRecipients: [HOSPITAL], generalPractitioners: [GP] })).toEqual([GP]);
  });

  it('when a message is routed, then its primary receiver gets it', async () => {
    const d = await routeOutboxEntry({ ...entry({ receiverSor: HERLEV }), eventType: 'message.processed' }, registry);
    expect(d.recipients.map((r) => r.sor)).toEqual([HERLEV]);
  });
});
