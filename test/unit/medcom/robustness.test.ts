import { describe, expect, it } from 'vitest';
import {
  applyHospitalNotification,
  buildAcknowledgement,
  isReadFailure,
  readAcknowledgement,
  readCareCommunication,
  readHospitalNotification,
  readMessage,
  type AckContext,
} from '../../../src/medcom/index.ts';
import { fhirMessageExamples, loadExample } from './medcom-examples.ts';

const CTX: AckContext = {
  us: { sor: '953741000016009', gln: '5790001348120', name: 'Plejecenter Herlev' },
  now: new Date('2024-12-05T10:09:20Z'),
  ids: {
    bundleId: '11111111-1111-4111-8111-111111111111',
    headerId: '22222222-2222-4222-8222-222222222222',
    provenanceId: '33333333-3333-4333-8333-333333333333',
  },
};

const ODD_VALUES: unknown[] = [null, 0, '', ' ', 'x', [], {}, [null], { reference: 5 }, true, [{}], [[]]];

/** Replaces or deletes random members, deterministically (linear congruential generator). */
function mutator(seed: number, rate: number): (node: unknown) => void {
  let s = seed;
  const next = (): number => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
  const mutate = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const roll = next();
      if (roll < rate) record[key] = ODD_VALUES[Math.floor(next() * ODD_VALUES.length)];
      else if (roll < rate * 1.3) Reflect.deleteProperty(record, key);
      else mutate(record[key]);
    }
  };
  return mutate;
}

describe('lenient reading never throws', () => {
  it.each([0.05, 0.01, 0.002])('when examples are damaged at random (rate %s), then every reader returns issues instead of throwing', (rate) => {
    const files = fhirMessageExamples();
    const mutate = mutator(Math.round(rate * 1e6), rate);
    let accepted = 0;
    for (let i = 0; i < 300; i++) {
      const bundle = loadExample(files[i % files.length] ?? '');
      mutate(bundle);
      const r = readMessage(bundle);
      if (isReadFailure(r)) {
        expect(r.issues.some((x) => x.severity === 'error')).toBe(true);
        if (r.envelope !== undefined && r.envelope.kind !== 'acknowledgement') buildAcknowledgement(r.envelope, { code: 'fatal-error', issues: r.issues }, CTX);
        continue;
      }
      accepted += 1;
      if (r.kind === 'hospital-notification') {
        const hn = readHospitalNotification(r);
        if (!('issues' in hn)) applyHospitalNotification(undefined, { ...hn, headerId: r.headerId, sentAt: r.sentAt });
      } else if (r.kind === 'care-communication') {
        readCareCommunication(r);
      } else {
        readAcknowledgement(r);
      }
    }
    if (rate < 0.01) expect(accepted).toBeGreaterThan(0);
  });
});
