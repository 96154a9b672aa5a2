import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tryGetDataType, tryGetProfile } from '@medplum/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createMedComValidator, createValidator, MEDCOM_PACKAGES_DIR } from '../../../src/validation/index.ts';
import { readFhirPackage, readFhirPackages } from '../../../src/validation/medcom-packages.ts';
import { VALUE_SET_REWRITES, rewrite } from '../../../src/validation/medcom-rewrites.ts';
import { readExampleJson } from '../../helpers/examples.ts';

/**
 * issue #5: the MedCom and DK Core packages are vendored byte for byte, loaded per standard and version without
 * one standard's dependencies replacing another's, and a broken or missing package stops start-up naming it.
 */
const validator = createValidator();
const medcom = createMedComValidator({ validator });
const temp = mkdtempSync(join(tmpdir(), 'sektorbro-medcom-packages-'));
afterAll(() => {
  rmSync(temp, { recursive: true, force: true });
});

const IG = 'http://medcomfhir.dk/ig/';
const ORGANIZATION = `${IG}messaging/StructureDefinition/medcom-messaging-organization`;

/** A new packages folder holding copies of the vendored packages, minus `without`, plus `extra` files. */
function packagesFolder(name: string, without: readonly string[] = [], extra: Readonly<Record<string, Buffer | string>> = {}): string {
  const target = mkdtempSync(join(temp, `${name}-`));
  for (const file of readdirSync(MEDCOM_PACKAGES_DIR).filter((f) => f.endsWith('.tgz') && !without.includes(f))) {
    copyFileSync(join(MEDCOM_PACKAGES_DIR, file), join(target, file));
  }
  for (const [file, content] of Object.entries(extra)) {
    writeFileSync(join(target, file), content);
  }
  return target;
}

describe('MedCom packages: vendored files', () => {
  const readme = readFileSync(join(MEDCOM_PACKAGES_DIR, 'README.md'), 'utf8');
  const rows = [...readme.matchAll(/^\| `([^`]+\.tgz)` \| ([^ |]+) \| ([^ |]+) \| `([0-9a-f]{64})` \|/gm)].map((m) => ({
    file: m[1] ?? '',
    name: m[2] ?? '',
    version: m[3] ?? '',
    sha256: m[4] ?? '',
  }));
  const files = readdirSync(MEDCOM_PACKAGES_DIR).filter((f) => f.endsWith('.tgz')).sort();

  it('when the README table is read, then it lists every vendored file once and nothing else', () => {
    expect(rows.map((r) => r.file).sort()).toEqual(files);
    expect(files).toHaveLength(17);
  });

  it.each(files)('when %s is hashed and opened, then it matches the README row', (file) => {
    const row = rows.find((r) => r.file === file);
    expect(createHash('sha256').update(readFileSync(join(MEDCOM_PACKAGES_DIR, file))).digest('hex')).toBe(row?.sha256);
    const pkg = readFhirPackage(join(MEDCOM_PACKAGES_DIR, file));
    expect({ name: pkg.name, version: pkg.version }).toEqual({ name: row?.name, version: row?.version });
  });
});

describe('MedCom packages: one context per standard and version', () => {
  it('when the validator is created, then each standard sees its own dependency versions', () => {
    expect(medcom.contexts.map((c) => [c.standard, c.version, c.packages])).toEqual([
      ['hospital-notification', '3.0.2', ['medcom.fhir.dk.hospitalnotification#3.0.2', 'hl7.fhir.dk.core#2.0.0', 'medcom.fhir.dk.core#2.0.0', 'medcom.fhir.dk.messaging#2.1.0', 'medcom.fhir.dk.terminology#1.1.1']],
      ['care-communication', '5.0.2', ['medcom.fhir.dk.carecommunication#5.0.2', 'hl7.fhir.dk.core#3.4.0', 'medcom.fhir.dk.core#3.0.1', 'medcom.fhir.dk.messaging#4.0.2', 'medcom.fhir.dk.terminology#2.0.1', 'medcom.fhir.dk.messagedefinitions#1.0.0']],
      ['care-communication', '4.0.3', ['medcom.fhir.dk.carecommunication#4.0.3', 'hl7.fhir.dk.core#3.4.0', 'medcom.fhir.dk.core#2.4.0', 'medcom.fhir.dk.messaging#2.1.0', 'medcom.fhir.dk.terminology#1.8.1']],
      ['acknowledgement', '2.0.3', ['medcom.fhir.dk.acknowledgement#2.0.3', 'hl7.fhir.dk.core#2.0.0', 'medcom.fhir.dk.core#2.0.1', 'medcom.fhir.dk.messaging#2.1.0', 'medcom.fhir.dk.terminology#1.4.0']],
    ]);
  });

  it('when one canonical URL exists in two versions, then each standard resolves its own and both are held', () => {
    expect(medcom.profilesOf('hospital-notification').get(ORGANIZATION)?.version).toBe('2.1.0');
    expect(medcom.profilesOf('care-communication').get(ORGANIZATION)?.version).toBe('4.0.2');
    expect(medcom.profilesOf('care-communication', '4').get(ORGANIZATION)?.version).toBe('2.1.0');
    expect(medcom.structureDefinitions.get(`${ORGANIZATION}|2.1.0`)?.version).toBe('2.1.0');
    expect(medcom.structureDefinitions.get(`${ORGANIZATION}|4.0.2`)?.version).toBe('4.0.2');
    expect(medcom.profilesOf('care-communication', '6').size).toBe(0);
  });

  it('when the CareCommunication profiles are asked for, then the XDIS91 mapping targets are all there', () => {
    const profiles = medcom.profilesOf('care-communication');
    for (const url of [
      `${IG}carecommunication/StructureDefinition/medcom-careCommunication-message`,
      `${IG}carecommunication/StructureDefinition/medcom-careCommunication-messageHeader`,
      `${IG}carecommunication/StructureDefinition/medcom-careCommunication-communication`,
      `${IG}carecommunication/StructureDefinition/medcom-careCommunication-provenance`,
      ORGANIZATION,
      `${IG}core/StructureDefinition/medcom-core-patient`,
    ]) {
      expect(profiles.get(url)?.url).toBe(url);
    }
    expect(profiles.get(`${IG}carecommunication/StructureDefinition/medcom-careCommunication-message`)?.version).toBe('5.0.2');
  });

  it("when the validator is created, then Medplum's process-wide registries hold no MedCom profile and core types are untouched", () => {
    expect(tryGetProfile(`${IG}hospitalnotification/StructureDefinition/medcom-hospitalNotification-encounter`)).toBeUndefined();
    expect(tryGetProfile(ORGANIZATION)).toBeUndefined();
    expect(tryGetDataType('Organization')?.url).toBe('http://hl7.org/fhir/StructureDefinition/Organization');
    expect(validator.validate(readExampleJson('medcom', 'hn-stin-admit-inpatient.json')).filter((i) => i.severity === 'error')).toEqual([]);
  });

  it('when MedCom profiles are rewritten in memory, then the published StructureDefinitions stay as published', () => {
    const header = medcom.profilesOf('hospital-notification').get(`${IG}hospitalnotification/StructureDefinition/medcom-hospitalNotification-messageHeader`);
    const destination = header?.snapshot?.element.find((e) => e.id === 'MessageHeader.destination');
    expect(destination?.slicing?.discriminator).toEqual([{ type: 'value', path: '$this.extension.value' }]);
    expect(medcom.contexts.flatMap((c) => c.rewrites.map((r) => `${c.standard} ${c.version} ${r.rewrite} ${r.canonical.slice(r.canonical.lastIndexOf('/') + 1)}`))).toEqual([
      'hospital-notification 3.0.2 destination-use-discriminator medcom-messaging-messageHeader',
      'hospital-notification 3.0.2 destination-use-discriminator medcom-hospitalNotification-messageHeader',
      'care-communication 4.0.3 destination-use-discriminator medcom-careCommunication-messageHeader',
      'acknowledgement 2.0.3 destination-use-discriminator medcom-messaging-messageHeader',
      'acknowledgement 2.0.3 destination-use-discriminator medcom-messaging-acknowledgementHeader',
      'acknowledgement 2.0.3 ack-issue-details-hl7-system medcom-acknowledgement-issue-details',
      'acknowledgement 2.0.3 ack-issue-details-legacy-codes medcom-acknowledgement-issue-details',
    ]);
  });
});

describe('MedCom packages: start-up fails fast, naming the file', () => {
  it('when a dependency a standard names is missing, then start-up names the standard and the dependency', () => {
    const dir = packagesFolder('missing', ['medcom.fhir.dk.terminology-1.1.1.tgz']);
    expect(() => createMedComValidator({ validator, packagesDir: dir })).toThrow(
      /medcom\.fhir\.dk\.hospitalnotification-3\.0\.2\.tgz needs medcom\.fhir\.dk\.terminology#1\.1\.1/,
    );
  });

  it("when a standard's own package is missing, then start-up names it", () => {
    const dir = packagesFolder('no-ack', ['medcom.fhir.dk.acknowledgement-2.0.3.tgz']);
    expect(() => createMedComValidator({ validator, packagesDir: dir })).toThrow(/medcom\.fhir\.dk\.acknowledgement#2\.0\.3 is not in the packages folder/);
  });

  it('when a file is not a package.tgz, then reading the folder names it', () => {
    const dir = packagesFolder('corrupt', [], { 'medcom.fhir.dk.core-9.9.9.tgz': 'not a tarball' });
    expect(() => readFhirPackages(dir)).toThrow(/medcom\.fhir\.dk\.core-9\.9\.9\.tgz is not a readable package\.tgz/);
  });

  it('when a package file is named after another version, then reading it names the file', () => {
    const dir = packagesFolder('renamed', [], { 'medcom.fhir.dk.terminology-1.4.1.tgz': readFileSync(join(MEDCOM_PACKAGES_DIR, 'medcom.fhir.dk.terminology-1.4.0.tgz')) });
    expect(() => readFhirPackages(dir)).toThrow(/medcom\.fhir\.dk\.terminology-1\.4\.1\.tgz holds medcom\.fhir\.dk\.terminology#1\.4\.0, which does not match its file name/);
  });

  it('when the packages folder does not exist, then start-up names it', () => {
    expect(() => createMedComValidator({ validator, packagesDir: join(temp, 'nowhere') })).toThrow(/nowhere is not a readable folder/);
  });
});

describe('MedCom packages: ValueSet rewrites still catch real faults', () => {
  const ackWith = (coding: { system: string; code: string }): unknown => {
    const m = readExampleJson('medcom', 'ack-v2-fatal-error-2024.json') as { entry: { resource: { resourceType: string; issue?: { details: { coding: unknown[] } }[] } }[] };
    const outcome = m.entry.find((e) => e.resource.resourceType === 'OperationOutcome')?.resource;
    const issue = outcome?.issue?.[0];
    if (issue === undefined) {
      throw new Error('the example has no OperationOutcome issue');
    }
    issue.details.coding = [coding];
    return m;
  };
  const detailErrors = (m: unknown): string[] =>
    medcom
      .validateMessage(m)
      .issues.filter((i) => i.severity === 'error')
      .map((i) => i.diagnostics);

  it('when an Acknowledgement codes an HL7 operation-outcome code under its code system, then it is valid', () => {
    expect(detailErrors(ackWith({ system: 'http://terminology.hl7.org/CodeSystem/operation-outcome', code: 'MSG_ID_INVALID' }))).toEqual([]);
  });

  it('when an Acknowledgement uses a legacy 2023 issue-detail code, then it is valid', () => {
    expect(detailErrors(ackWith({ system: `${IG}terminology/CodeSystem/medcom-acknowledgement-issue-details`, code: 'message-delivery-error' }))).toEqual([]);
  });

  it.each([
    ['a legacy-system code that never existed', `${IG}terminology/CodeSystem/medcom-acknowledgement-issue-details`, 'message-other-error'],
    ['an unknown current error code', `${IG}terminology/CodeSystem/medcom-acknowledgement-error-codes`, 'MSG_NOPE'],
    ['an HL7 code MedCom does not allow', 'http://terminology.hl7.org/CodeSystem/operation-outcome', 'DELETE_MULTIPLE_MATCHES'],
  ])('when an Acknowledgement uses %s, then the required binding fails', (_what, system, code) => {
    expect(detailErrors(ackWith({ system, code }))).toEqual([expect.stringContaining('medcom-acknowledgement-issue-details')]);
  });

  it('when the issue-details ValueSet is rewritten, then the published one is left unchanged and only the two legacy codes and the HL7 system are added', () => {
    const published = readFhirPackage(join(MEDCOM_PACKAGES_DIR, 'medcom.fhir.dk.terminology-1.4.0.tgz'))
      .resources.map((l) => l.resource)
      .find((r) => r.url === `${IG}terminology/ValueSet/medcom-acknowledgement-issue-details`);
    if (published?.resourceType !== 'ValueSet') {
      throw new Error('terminology 1.4.0 has no issue-details ValueSet');
    }
    const before = structuredClone(published);
    const result = rewrite(published, VALUE_SET_REWRITES);
    expect(published).toEqual(before);
    expect(result.applied).toEqual(['ack-issue-details-hl7-system', 'ack-issue-details-legacy-codes']);
    const added = result.resource.compose?.include.slice(before.compose?.include.length ?? 0) ?? [];
    expect(added.map((i) => [i.system, i.concept?.length])).toEqual([
      ['http://terminology.hl7.org/CodeSystem/operation-outcome', before.compose?.include[0]?.concept?.length],
      [`${IG}terminology/CodeSystem/medcom-acknowledgement-issue-details`, 2],
    ]);
  });
});
