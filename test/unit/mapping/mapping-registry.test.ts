import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMappingRegistry, loadMappings, MappingLoadError } from '../../../src/mapping/index.ts';
import { CONTRACT_PROFILES, MAPPINGS_DIR, loadTestRegistry } from './mapping-test-kit.ts';

const xdis18 = readFileSync(join(MAPPINGS_DIR, 'xdis18.yaml'), 'utf8');
const xdis01 = readFileSync(join(MAPPINGS_DIR, 'xdis01.yaml'), 'utf8');

function problemsOf(files: { file: string; text: string }[], knownProfiles: readonly string[] = CONTRACT_PROFILES): readonly string[] {
  try {
    createMappingRegistry(files, { knownProfiles, source: 'medcom-oioxml' });
  } catch (e) {
    if (e instanceof MappingLoadError) return e.problems;
    throw e;
  }
  return [];
}

const broken = (from: string, to: string): readonly string[] => problemsOf([{ file: 'xdis18.yaml', text: xdis18.replace(from, to) }]);

describe('loadMappings', () => {
  it('when the mapping folder is loaded, then the five document families are registered by TypeCode and VersionCode', () => {
    const registry = loadTestRegistry();
    expect(registry.mappings.map((m) => `${m.id}@${m.version}: ${m.match.typeCode}/${m.match.versionCode}`).sort()).toEqual([
      'medcom-oioxml.ggop@1.0.0: GGOP/GGOP100',
      'medcom-oioxml.xdis01@1.0.0: XDIS01/XD0134L',
      'medcom-oioxml.xdis18@1.0.0: XDIS18/XD1834C',
      'medcom-oioxml.xdis21@1.0.0: XDIS21/XD2134C',
      'medcom-oioxml.xdis91@1.0.0: XDIS91/XD9134L',
    ]);
    expect(registry.find('xdis18', 'xd1834c')?.id).toBe('medcom-oioxml.xdis18');
    expect(registry.family('XDIS01')).toHaveLength(1);
  });

  it('when a target profile is not among the known profiles, then start-up fails naming file, path and profile', () => {
    const problems = (() => {
      try {
        loadMappings(MAPPINGS_DIR, { knownProfiles: CONTRACT_PROFILES.filter((p) => !p.endsWith('/sektorbro-encounter')) });
      } catch (e) {
        if (e instanceof MappingLoadError) return e.problems;
      }
      return [];
    })();
    expect(problems.length).toBe(4);
    expect(problems[0]).toMatch(/mappings\/medcom-oioxml\/ggop\.yaml: resources\[3\]\.profile: profile http:\/\/sektorbro\.dk\/fhir\/StructureDefinition\/sektorbro-encounter is not among/);
  });

  it('when a spec names an unknown transform, then the problem names the file and the path to it', () => {
    expect(broken('transform: surname-family', 'transform: run-javascript')).toEqual([
      expect.stringMatching(/^xdis18\.yaml: resources\[1\]\.set\.name\[0\]\.family\.transform: unknown transform 'run-javascript'/),
    ]);
  });

  it('when an element transform comes second in a chain, then the spec is refused', () => {
    expect(broken('transform: [break-to-newline, narrative-div]', 'transform: [narrative-div, break-to-newline]')).toEqual([
      expect.stringContaining("transform[1]: transform 'break-to-newline' reads XML elements"),
    ]);
  });

  it('when a selector is malformed, a lookup table or a resource key is missing, then every problem is listed', () => {
    const text = xdis18
      .replace('from: ReportOfDischarge/CauseOfAdmission,', 'from: ReportOfDischarge//CauseOfAdmission,')
      .replace('lookup: relation,', 'lookup: relations,')
      .replace('valueReference: { ref: municipality }', 'valueReference: { ref: kommune }');
    const problems = problemsOf([{ file: 'xdis18.yaml', text }]);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining("invalid selector 'ReportOfDischarge//CauseOfAdmission'"),
        expect.stringMatching(/\.lookup: must name a table under lookups$/),
        expect.stringContaining("refers to resource 'kommune', which this spec does not define"),
      ]),
    );
  });

  it('when a spec has an unknown property, a wrong id or sets an engine-owned field, then it is refused', () => {
    expect(broken('version: 1.0.0', 'version: 1.0.0\ncolour: blue')).toEqual([expect.stringContaining('xdis18.yaml: colour: unknown property')]);
    expect(broken('id: medcom-oioxml.xdis18', 'id: medcom-oioxml.xdis19')).toEqual([expect.stringContaining("id: must be 'medcom-oioxml.xdis18'")]);
    expect(broken('      status: finished', '      id: fixed-id\n      status: finished')).toEqual([
      expect.stringContaining('set.id: is set by the engine'),
    ]);
  });

  it('when a document spec does not start with a Composition, then it is refused', () => {
    const moved = xdis18.replace('  - key: composition\n    type: Composition', '  - key: composition\n    type: Basic');
    expect(problemsOf([{ file: 'xdis18.yaml', text: moved }])).toEqual(
      expect.arrayContaining([expect.stringContaining('resources[0].type: a document Bundle starts with a Composition')]),
    );
  });

  it('when two specs claim the same TypeCode and VersionCode, then start-up fails', () => {
    const copy = xdis01.replace('id: medcom-oioxml.xdis01', 'id: medcom-oioxml.xdis01-copy');
    expect(problemsOf([{ file: 'xdis01.yaml', text: xdis01 }, { file: 'xdis01-copy.yaml', text: copy }])).toEqual([
      'xdis01-copy.yaml: match: XDIS01|XD0134L is already mapped by xdis01.yaml',
    ]);
  });

  it('when the YAML itself is broken or repeats a key, then the file is named', () => {
    expect(problemsOf([{ file: 'xdis18.yaml', text: `${xdis18}\nversion: 2.0.0\n` }])).toEqual([expect.stringMatching(/^xdis18\.yaml: YAML: Map keys must be unique/)]);
    expect(problemsOf([{ file: 'x.yaml', text: 'a: [1, 2' }])[0]).toMatch(/^x\.yaml: YAML: /);
  });
});
