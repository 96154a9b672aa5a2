import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasErrors } from '../../../src/shared/index.ts';
import type { Issue } from '../../../src/shared/index.ts';
import { createValidator } from '../../../src/validation/index.ts';
import { EXAMPLES_DIR } from '../../helpers/examples.ts';

/** The shared, read-only example set (used verbatim); override when it is vendored elsewhere. */
const EXAMPLES = EXAMPLES_DIR;
const validator = createValidator();

/**
 * These examples declare their MedCom/DK Core profiles, which this validator does not load: each declaration
 * is a warning (FHIR allows profiles a server does not know), and the rest must be clean.
 */
function withoutUndeclaredProfileNotes(issues: readonly Issue[]): Issue[] {
  return issues.filter((i) => !(i.severity === 'warning' && i.code === 'not-supported' && /\.meta\.profile\[\d+\]$/.test(i.expression?.[0] ?? '')));
}

/**
 * MedCom messages carry Provenance resources whose `target`, `entity.what` and `agent.who` point at earlier
 * messages by design; in a message Bundle an unresolved reference is therefore only a warning.
 */
function withoutHistoricProvenanceNotes(bundle: unknown, issues: readonly Issue[]): Issue[] {
  const entries = (bundle as { entry: { resource: { resourceType: string } }[] }).entry;
  return issues.filter((i) => {
    const entry = /^Bundle\.entry\[(\d+)\]\.resource\.(target|entity\[\d+\]\.what|agent\[\d+\]\.who)/.exec(i.expression?.[0] ?? '');
    return !(i.severity === 'warning' && i.code === 'not-found' && entry !== null && entries[Number(entry[1])]?.resource.resourceType === 'Provenance');
  });
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

const dkCore = jsonFiles(join(EXAMPLES, 'dk-core'));
const medcom = jsonFiles(join(EXAMPLES, 'medcom'));
const INVALID_MEDCOM = 'hn-stin-invalid-tek-fcc.json';
const synthea = (readJson(join(EXAMPLES, 'synthea', 'index.json')) as { files: { file: string }[] }).files.map((f) => f.file);

describe('published examples', () => {
  it('when the example folders are read, then they hold the expected fixtures', () => {
    expect(dkCore.length).toBeGreaterThanOrEqual(20);
    expect(medcom).toHaveLength(24);
    expect(medcom).toContain(INVALID_MEDCOM);
    expect(synthea.length).toBeGreaterThanOrEqual(5);
  });

  it.each(dkCore)('when DK Core example %s is validated, then it has no issues', (file) => {
    expect(withoutUndeclaredProfileNotes(validator.validate(readJson(join(EXAMPLES, 'dk-core', file))))).toEqual([]);
  });

  it.each(medcom.filter((f) => f !== INVALID_MEDCOM))('when MedCom example %s is validated, then it has no issues but notes', (file) => {
    const bundle = readJson(join(EXAMPLES, 'medcom', file));
    const issues = validator.validate(bundle, { resourceType: 'Bundle' });
    expect(withoutHistoricProvenanceNotes(bundle, withoutUndeclaredProfileNotes(issues))).toEqual([]);
  });

  it.each(synthea)('when Synthea bundle %s is validated, then it has no issues', (file) => {
    expect(withoutUndeclaredProfileNotes(validator.validate(readJson(join(EXAMPLES, 'synthea', file))))).toEqual([]);
  });

  it('when the deliberately invalid HospitalNotification is validated, then Encounter.class and MessageHeader.event[x] are reported', () => {
    const bundle = readJson(join(EXAMPLES, 'medcom', INVALID_MEDCOM)) as { entry: { resource: { resourceType: string } }[] };
    expect(bundle.entry[0]?.resource.resourceType).toBe('MessageHeader');
    expect(bundle.entry[2]?.resource.resourceType).toBe('Encounter');

    const issues = withoutHistoricProvenanceNotes(bundle, withoutUndeclaredProfileNotes(validator.validate(bundle)));

    expect(hasErrors(issues)).toBe(true);
    expect(issues).toContainEqual({
      severity: 'error',
      code: 'required',
      diagnostics: "missing required element 'class'",
      expression: ['Bundle.entry[2].resource.class'],
    });
    expect(issues).toContainEqual({
      severity: 'error',
      code: 'required',
      diagnostics: "missing required element 'event[x]'",
      expression: ['Bundle.entry[0].resource.event[x]'],
    });
    expect(issues).toHaveLength(2);
  });
});
