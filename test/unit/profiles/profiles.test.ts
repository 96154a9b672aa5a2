import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'fhirpath';
import { HASH_FILE, hashProfileSources } from '../../../scripts/build-profiles.ts';
import { CANONICAL_BASE, EXAMPLES_DIR, PROFILES_DIR, declaredProfile, entryResources, readExamples, readProfileFiles } from './profile-set.ts';
import type { StructureDefinition } from './profile-set.ts';

const files = readProfileFiles();
const examples = readExamples();
const definitions = files.filter((f) => f.resource.resourceType === 'StructureDefinition').map((f) => f.resource as unknown as StructureDefinition);
const profileIds = definitions.map((sd) => sd.id);
const knownUrls = new Set(definitions.map((sd) => sd.url));

/** Every profile, code system and value set docs/documents.md names (plus sektorbro-practitioner for authors). */
const CONTRACT = {
  StructureDefinition: [
    'sektorbro-patient',
    'sektorbro-organization',
    'sektorbro-encounter',
    'sektorbro-practitioner',
    'sektorbro-document-composition',
    'sektorbro-document-bundle',
    'sektorbro-epikrise-bundle',
    'sektorbro-epikrise-composition',
    'sektorbro-udskrivningsrapport-bundle',
    'sektorbro-udskrivningsrapport-composition',
    'sektorbro-plejeforloebsplan-bundle',
    'sektorbro-plejeforloebsplan-composition',
    'sektorbro-plejeforloebsplan-careplan',
    'sektorbro-genoptraeningsplan-bundle',
    'sektorbro-genoptraeningsplan-composition',
    'sektorbro-genoptraeningsplan-servicerequest',
    'sektorbro-episode-of-care-identifier',
    'sektorbro-recipient',
    'sektorbro-expected-discharge',
    'sektorbro-genoptraening-start-deadline',
  ],
  terminology: [
    'sektorbro-document-type',
    'sektorbro-epikrise-section',
    'sektorbro-udskrivningsrapport-section',
    'sektorbro-plejeforloebsplan-section',
    'sektorbro-genoptraeningsplan-section',
    'sektorbro-genoptraening-niveau',
    'sektorbro-careplan-activity',
  ],
};

describe('compiled profiles', () => {
  it('when profiles/ is read, then it holds exactly the contract set of StructureDefinitions, CodeSystems and ValueSets', () => {
    const ids = (type: string): string[] => files.filter((f) => f.resource.resourceType === type).map((f) => String(f.resource.id)).sort();
    expect(ids('StructureDefinition')).toEqual([...CONTRACT.StructureDefinition].sort());
    expect(ids('CodeSystem')).toEqual([...CONTRACT.terminology].sort());
    expect(ids('ValueSet')).toEqual([...CONTRACT.terminology].sort());
  });

  it.each(files.map((f) => [f.file, f.resource] as const))('when %s is read, then its type, id, url, version and file name agree', (file, resource) => {
    const type = String(resource.resourceType);
    expect(['StructureDefinition', 'CodeSystem', 'ValueSet']).toContain(type);
    expect(file).toBe(`${type}-${String(resource.id)}.json`);
    expect(resource.url).toBe(`${CANONICAL_BASE}${type}/${String(resource.id)}`);
    expect(resource.version).toBe('0.1.0');
    expect(resource.status).toBe('draft');
    expect(resource).not.toHaveProperty('date');
  });

  it('when the ids are compared, then each is unique within its resource type', () => {
    const keys = files.map((f) => `${String(f.resource.resourceType)}/${String(f.resource.id)}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it.each(definitions.map((sd) => [sd.id, sd] as const))('when StructureDefinition %s is read, then it has a snapshot rooted at its type', (_id, sd) => {
    expect(sd.snapshot?.element.length).toBeGreaterThan(1);
    expect(sd.snapshot?.element[0]?.path).toBe(sd.type);
  });

  it.each(definitions.map((sd) => [sd.id, sd] as const))('when the invariants of %s are read, then ours are errors with a human text and parse as FHIRPath', (_id, sd) => {
    const ours = (sd.snapshot?.element ?? []).flatMap((e) => e.constraint ?? []).filter((c) => c.key.startsWith('sb-'));
    for (const c of ours) {
      expect(c.severity).toBe('error');
      expect(c.human.length).toBeGreaterThan(10);
      expect(() => {
        parse(c.expression);
      }).not.toThrow();
    }
  });

  it('when the abstract parents are read, then they are abstract and each document profile derives from one', () => {
    const byId = new Map(definitions.map((sd) => [sd.id, sd]));
    expect(byId.get('sektorbro-document-bundle')?.abstract).toBe(true);
    expect(byId.get('sektorbro-document-composition')?.abstract).toBe(true);
    for (const doc of ['epikrise', 'udskrivningsrapport', 'plejeforloebsplan', 'genoptraeningsplan']) {
      expect(byId.get(`sektorbro-${doc}-bundle`)?.baseDefinition).toBe(`${CANONICAL_BASE}StructureDefinition/sektorbro-document-bundle`);
      expect(byId.get(`sektorbro-${doc}-composition`)?.baseDefinition).toBe(`${CANONICAL_BASE}StructureDefinition/sektorbro-document-composition`);
    }
  });

  it('when each document Composition profile is read, then Composition.section.code has a required binding to its own section ValueSet', () => {
    for (const doc of ['epikrise', 'udskrivningsrapport', 'plejeforloebsplan', 'genoptraeningsplan']) {
      const sd = definitions.find((d) => d.id === `sektorbro-${doc}-composition`);
      const code = sd?.snapshot?.element.find((e) => e.id === 'Composition.section.code');
      expect(code?.binding).toMatchObject({ strength: 'required', valueSet: `${CANONICAL_BASE}ValueSet/sektorbro-${doc}-section` });
    }
  });
});

describe('fsh sources', () => {
  it('when the fsh sources are hashed, then the hash equals the one recorded by the last build (run npm run profiles:build)', () => {
    expect(readFileSync(HASH_FILE, 'utf8').trim()).toBe(hashProfileSources());
  });
});

describe('example files', () => {
  it('when profiles/examples is read, then every document has at least two valid Bundles and the five required invalid cases', () => {
    const names = new Set(examples.map((e) => e.file));
    for (const doc of ['epikrise', 'udskrivningsrapport', 'plejeforloebsplan', 'genoptraeningsplan']) {
      const base = `sektorbro-${doc}-bundle`;
      expect(examples.filter((e) => e.file.startsWith(`${base}-valid-`)).length).toBeGreaterThanOrEqual(2);
      for (const rule of ['missing-cpr', 'missing-required-section', 'wrong-composition-type', 'unknown-section-code', 'dangling-reference']) {
        expect(names).toContain(`${base}-invalid-${rule}.json`);
      }
    }
    expect(names).toContain('sektorbro-genoptraeningsplan-bundle-invalid-unknown-level.json');
    for (const block of ['sektorbro-patient-valid-cpr', 'sektorbro-patient-valid-x-ecpr', 'sektorbro-patient-invalid-no-identifier', 'sektorbro-organization-invalid-no-sor-or-gln']) {
      expect(names).toContain(`${block}.json`);
    }
  });

  it.each(examples.map((e) => [e.file] as const))('when %s is named, then it starts with an existing profile id followed by -valid- or -invalid-', (file) => {
    const owner = profileIds.filter((id) => file.startsWith(`${id}-valid-`) || file.startsWith(`${id}-invalid-`));
    expect(owner).toHaveLength(1);
  });

  it.each(examples.map((e) => [e.file, e.resource] as const))('when %s is read, then it and every entry declare existing Sektorbro profiles', (file, resource) => {
    const owner = profileIds.find((id) => file.startsWith(`${id}-valid-`) || file.startsWith(`${id}-invalid-`));
    expect(declaredProfile(resource)).toBe(`${CANONICAL_BASE}StructureDefinition/${String(owner)}`);
    for (const entry of entryResources(resource)) {
      const profile = declaredProfile(entry);
      expect(profile === undefined ? undefined : knownUrls.has(profile), `${String(entry.resourceType)} meta.profile`).toBe(true);
    }
  });

  it('when the valid document Bundles are read, then each document has one with a replacement CPR (X-eCPR)', () => {
    for (const doc of ['epikrise', 'udskrivningsrapport', 'plejeforloebsplan', 'genoptraeningsplan']) {
      const withXeCpr = examples
        .filter((e) => e.file.startsWith(`sektorbro-${doc}-bundle-valid-`))
        .filter((e) => JSON.stringify(e.resource).includes('"urn:oid:1.2.208.176.1.6.1.1"'));
      expect(withXeCpr.length, doc).toBeGreaterThanOrEqual(1);
    }
  });

  it('when the document Bundles are read, then every fullUrl is a urn:uuid with a version 4 uuid', () => {
    const v4 = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const bundles = examples.filter((e) => e.resource.resourceType === 'Bundle');
    expect(bundles.length).toBeGreaterThanOrEqual(8);
    for (const { resource } of bundles) {
      for (const entry of (resource.entry ?? []) as { fullUrl?: string }[]) {
        expect(entry.fullUrl).toMatch(v4);
      }
    }
  });

  it('when the example and profile files are read back, then they are stable two-space JSON with a final newline', () => {
    for (const { file, resource } of examples) {
      expect(readFileSync(join(EXAMPLES_DIR, file), 'utf8')).toBe(`${JSON.stringify(resource, null, 2)}\n`);
    }
    for (const { file, resource } of files) {
      expect(readFileSync(join(PROFILES_DIR, file), 'utf8')).toBe(`${JSON.stringify(resource, null, 2)}\n`);
    }
  });
});
