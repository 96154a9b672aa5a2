import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createValidator } from '../../../src/validation/index.ts';
import { TEST_PROFILES_DIR, patient, profileUrl, without } from '../../fixtures/validation/resources.ts';

type Json = Record<string, unknown>;
type Element = Json & { id: string };

const folders: string[] = [];

/** A copy of the test profiles folder that a test may break. */
function profilesCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sektorbro-profiles-'));
  folders.push(dir);
  cpSync(TEST_PROFILES_DIR, dir, { recursive: true });
  return dir;
}

function readResource(dir: string, file: string): Json {
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as Json;
}

function writeResource(dir: string, file: string, resource: unknown): void {
  writeFileSync(join(dir, file), JSON.stringify(resource));
}

/** Edits one snapshot element of a StructureDefinition file in place. */
function editElement(dir: string, file: string, id: string, edit: (element: Element) => void): void {
  const sd = readResource(dir, file);
  const element = (sd.snapshot as { element: Element[] }).element.find((e) => e.id === id);
  if (element === undefined) {
    throw new Error(`no element ${id} in ${file}`);
  }
  edit(element);
  writeResource(dir, file, sd);
}

const PATIENT_FILE = 'StructureDefinition-test-patient.json';

afterEach(() => {
  for (const dir of folders.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('createValidator: the profiles folder', () => {
  it('when a StructureDefinition has no snapshot, then start-up stops naming the file', () => {
    const dir = profilesCopy();
    writeResource(dir, PATIENT_FILE, without(readResource(dir, PATIENT_FILE), 'snapshot'));
    expect(() => createValidator({ profilesDir: dir })).toThrow(/StructureDefinition-test-patient\.json has no snapshot/);
  });

  it('when a profile has an unknown base, then start-up stops naming the file', () => {
    const dir = profilesCopy();
    writeResource(dir, PATIENT_FILE, { ...readResource(dir, PATIENT_FILE), baseDefinition: 'http://example.org/StructureDefinition/nope' });
    expect(() => createValidator({ profilesDir: dir })).toThrow(/StructureDefinition-test-patient\.json has an unknown base http:\/\/example\.org/);
  });

  it('when a profile derives from a local profile that is missing, then start-up stops naming the file', () => {
    const dir = profilesCopy();
    rmSync(join(dir, PATIENT_FILE));
    expect(() => createValidator({ profilesDir: dir })).toThrow(/StructureDefinition-test-patient-strict\.json has an unknown base/);
  });

  it('when a required binding names a local ValueSet that needs a terminology server, then start-up stops', () => {
    const dir = profilesCopy();
    editElement(dir, PATIENT_FILE, 'Patient.maritalStatus', (e) => {
      e.binding = { strength: 'required', valueSet: 'http://sektorbro.dk/fhir/ValueSet/test-snomed-filter' };
    });
    expect(() => createValidator({ profilesDir: dir })).toThrow(
      /StructureDefinition-test-patient\.json binds Patient\.maritalStatus \(required\) to ValueSet .*test-snomed-filter \(ValueSet-test-snomed-filter\.json\), which uses a filter/,
    );
  });

  it('when the same ValueSet is bound only extensibly, then start-up succeeds', () => {
    const dir = profilesCopy();
    editElement(dir, PATIENT_FILE, 'Patient.maritalStatus', (e) => {
      e.binding = { strength: 'extensible', valueSet: 'http://sektorbro.dk/fhir/ValueSet/test-snomed-filter' };
    });
    expect(createValidator({ profilesDir: dir }).profiles.size).toBe(6);
  });

  it('when a required binding names a Sektorbro ValueSet that is not in the folder, then start-up stops', () => {
    const dir = profilesCopy();
    rmSync(join(dir, 'ValueSet-test-gender-subset.json'));
    expect(() => createValidator({ profilesDir: dir })).toThrow(/test-patient(-strict)?\.json binds Patient\.gender to ValueSet .*test-gender-subset, which is not in the profiles folder/);
  });

  it('when a ValueSet enumerates a code its local CodeSystem lacks, then start-up stops naming the ValueSet', () => {
    const dir = profilesCopy();
    writeResource(dir, 'ValueSet-test-section.json', {
      ...readResource(dir, 'ValueSet-test-section.json'),
      compose: { include: [{ system: 'http://sektorbro.dk/fhir/CodeSystem/test-section', concept: [{ code: 'summary' }, { code: 'nope' }] }] },
    });
    expect(() => createValidator({ profilesDir: dir })).toThrow(/ValueSet-test-section\.json enumerates a code that CodeSystem/);
  });

  it('when one of our invariants uses resolve(), which cannot be evaluated, then start-up stops', () => {
    const dir = profilesCopy();
    editElement(dir, PATIENT_FILE, 'Patient', (e) => {
      e.constraint = [{ key: 'sb-test-x', severity: 'error', human: 'x', expression: 'managingOrganization.resolve().exists()' }];
    });
    expect(() => createValidator({ profilesDir: dir })).toThrow(/invariant sb-test-x on Patient using resolve\(\)/);
  });

  it('when one of our invariants does not parse, then start-up stops', () => {
    const dir = profilesCopy();
    editElement(dir, PATIENT_FILE, 'Patient', (e) => {
      e.constraint = [{ key: 'sb-test-x', severity: 'error', human: 'x', expression: 'name.exists( and' }];
    });
    expect(() => createValidator({ profilesDir: dir })).toThrow(/invariant sb-test-x on Patient whose FHIRPath does not parse/);
  });

  it('when a slicing discriminator cannot be evaluated, then start-up stops naming the slice', () => {
    const dir = profilesCopy();
    editElement(dir, PATIENT_FILE, 'Patient.identifier', (e) => {
      e.slicing = { discriminator: [{ type: 'position', path: '$this' }], rules: 'open' };
    });
    expect(() => createValidator({ profilesDir: dir })).toThrow(/slice Patient\.identifier:cpr: discriminator position/);
  });

  it('when a file is not JSON, then start-up stops naming it', () => {
    const dir = profilesCopy();
    writeFileSync(join(dir, 'broken.json'), '{ "resourceType": ');
    expect(() => createValidator({ profilesDir: dir })).toThrow(/broken\.json is not valid JSON/);
  });

  it('when an instance sits among the profiles, then start-up stops naming it', () => {
    const dir = profilesCopy();
    writeResource(dir, 'Patient-example.json', patient());
    expect(() => createValidator({ profilesDir: dir })).toThrow(/Patient-example\.json holds a Patient/);
  });

  it('when two files share a canonical URL, then start-up stops naming both', () => {
    const dir = profilesCopy();
    writeResource(dir, 'StructureDefinition-copy.json', readResource(dir, PATIENT_FILE));
    expect(() => createValidator({ profilesDir: dir })).toThrow(/StructureDefinition-test-patient\.json repeats the canonical URL .* of StructureDefinition-copy\.json/);
  });

  it('when examples/ and fsh/ subfolders and package.json are present, then they are not loaded', () => {
    const dir = profilesCopy();
    mkdirSync(join(dir, 'examples'));
    mkdirSync(join(dir, 'fsh'));
    writeResource(join(dir, 'examples'), 'Patient-x.json', patient());
    writeFileSync(join(dir, 'fsh', 'x.json'), 'not json');
    writeResource(dir, 'package.json', { name: 'sektorbro.profiles', version: '0.1.0' });
    expect(createValidator({ profilesDir: dir }).profiles.size).toBe(6);
  });

  it('when the profiles folder does not exist, then start-up stops naming it', () => {
    expect(() => createValidator({ profilesDir: join(tmpdir(), 'sektorbro-no-such-folder') })).toThrow(/sektorbro-no-such-folder is not a folder/);
  });

  it('when profiles come as extraProfiles, then they are used like files and errors name their index', () => {
    const sd = readResource(TEST_PROFILES_DIR, 'StructureDefinition-test-ext-episode.json');
    const withExtra = createValidator({ extraProfiles: [sd] });
    expect([...withExtra.profiles.keys()]).toEqual([profileUrl('test-ext-episode')]);
    expect(() => createValidator({ extraProfiles: [without(sd, 'snapshot')] })).toThrow(/extraProfiles\[0\] has no snapshot/);
  });
});
