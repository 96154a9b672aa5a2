import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasErrors } from '../../../src/shared/index.ts';
import { createValidator } from '../../../src/validation/index.ts';

/**
 * The examples of Sektorbro's own profiles (docs/documents.md, "Examples") through the gateway validator:
 * `<profile>-valid-<case>.json` must have no errors, `<profile>-invalid-<case>.json` at least one. Each is validated
 * against the profile its name starts with (which must exist) as well as the profiles it declares.
 */
const PROFILES_DIR = fileURLToPath(new URL('../../../profiles/', import.meta.url));
const EXAMPLES_DIR = join(PROFILES_DIR, 'examples');
const CANONICAL = 'http://sektorbro.dk/fhir/StructureDefinition/';

const structureDefinitions = existsSync(PROFILES_DIR) ? readdirSync(PROFILES_DIR).filter((f) => f.startsWith('StructureDefinition-') && f.endsWith('.json')) : [];
const examples = existsSync(EXAMPLES_DIR) ? readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.json')).sort() : [];
const validator = createValidator({ profilesDir: PROFILES_DIR });

/** `sektorbro-patient-invalid-no-name.json` → `sektorbro-patient` and `invalid`. */
function parseName(file: string): { profileId: string; kind: 'valid' | 'invalid' } | undefined {
  const match = /^(.+?)-(valid|invalid)-[^/]+\.json$/.exec(file);
  return match === null ? undefined : { profileId: match[1] ?? '', kind: match[2] === 'valid' ? 'valid' : 'invalid' };
}

describe('profile examples', () => {
  it('when the repository is checked out, then profiles/ holds StructureDefinitions', () => {
    expect(structureDefinitions.length).toBeGreaterThan(0);
  });

  describe('with the profiles in profiles/', () => {
    it('when profiles/ holds StructureDefinitions, then profiles/examples/ holds valid and invalid examples', () => {
      expect(examples.filter((f) => parseName(f)?.kind === 'valid').length).toBeGreaterThan(0);
      expect(examples.filter((f) => parseName(f)?.kind === 'invalid').length).toBeGreaterThan(0);
    });

    it('when the examples are listed, then every name says its profile and whether it is valid', () => {
      expect(examples.filter((f) => parseName(f) === undefined)).toEqual([]);
    });

    it.each(examples)('when %s is validated, then its name tells the outcome', (file) => {
      const name = parseName(file);
      if (name === undefined) {
        throw new Error(`cannot check ${file}`);
      }
      const url = `${CANONICAL}${name.profileId}`;
      expect(validator.profiles.has(url), `${file} names no profile in profiles/`).toBe(true);
      const resource: unknown = JSON.parse(readFileSync(join(EXAMPLES_DIR, file), 'utf8'));
      const issues = validator.validate(resource, { profile: url });
      if (name.kind === 'valid') {
        expect(issues.filter((i) => i.severity === 'error' || i.severity === 'fatal')).toEqual([]);
      } else {
        expect(hasErrors(issues)).toBe(true);
      }
    });
  });
});
