import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mapOioxml, parseOioxml } from '../../../src/mapping/index.ts';
import { checkBundleInvariants, discoverGoldenCases, LIMITS, loadTestRegistry, RECEIVED_AT, sorForGln } from './mapping-test-kit.ts';

// expected.json files were written from the first output of each case and reviewed by hand (section texts, ids,
// DST offsets, warnings); nothing in the output is volatile, so they are compared exactly, without a scrub.
// A new case: run once with WRITE_GOLDEN=1 to write its missing expected.json (the run still fails), review, rerun.
const registry = loadTestRegistry();
const cases = discoverGoldenCases();
const mapCase = (input: Buffer) => mapOioxml(registry, parseOioxml(input, LIMITS), { receivedAt: RECEIVED_AT, sorForGln });

describe('medcom-oioxml golden fixtures', () => {
  it('when the fixture folder is read, then it holds at least two cases per document type and the XDIS91 example', () => {
    const names = cases.map((c) => c.name);
    for (const prefix of ['xdis01-', 'xdis18-', 'xdis21-', 'ggop-']) {
      expect(names.filter((n) => n.startsWith(prefix)).length).toBeGreaterThanOrEqual(2);
    }
    expect(names).toContain('xdis91-clinicalemail-medcom');
  });

  describe.each(cases)('$name', ({ input, expectedFile }) => {
    it('when mapped, then the result equals the reviewed expected.json exactly', () => {
      const result = mapCase(input);
      const actual = { mappingId: result.mappingId, mappingVersion: result.mappingVersion, issues: result.issues, bundle: result.bundle };
      if (!existsSync(expectedFile) && process.env.WRITE_GOLDEN === '1') writeFileSync(expectedFile, `${JSON.stringify(actual, null, 2)}\n`);
      expect(existsSync(expectedFile) && process.env.WRITE_GOLDEN !== '1', `${expectedFile} must exist and be reviewed`).toBe(true);
      expect(actual).toEqual(JSON.parse(readFileSync(expectedFile, 'utf8')));
    });

    it('when mapped, then ids are unique, every reference resolves inside the Bundle and every resource declares a profile', () => {
      expect(checkBundleInvariants(mapCase(input).bundle)).toEqual([]);
    });

    it('when mapped twice, then the output is byte-identical', () => {
      expect(JSON.stringify(mapCase(input))).toBe(JSON.stringify(mapCase(input)));
    });

    it('when mapped at another receive time, then the output does not change (times come from the letter)', () => {
      const later = mapOioxml(registry, parseOioxml(input, LIMITS), { receivedAt: new Date('2030-07-01T12:00:00Z'), sorForGln });
      expect(JSON.stringify(later)).toBe(JSON.stringify(mapCase(input)));
    });
  });
});
