import { readFileSync } from 'node:fs';
import {
  isReadFailure,
  parseFhirXml,
  readHospitalNotification,
  readMessage,
  type MedComMessage,
  type StayNotification,
} from '../../../src/medcom/index.ts';
import { examplePath, listExamples, readExampleJson } from '../../helpers/examples.ts';

export const XML_LIMITS = { maxBytes: 10_000_000, maxDepth: 64 };

/** A MedCom example as a FHIR JSON object; XML examples go through `parseFhirXml`. */
export function loadExample(file: string, folder = 'medcom'): Record<string, unknown> {
  if (file.endsWith('.xml')) return parseFhirXml(readFileSync(examplePath(folder, file)), XML_LIMITS) as Record<string, unknown>;
  return readExampleJson(folder, file);
}

/** The FHIR message examples (JSON and XML), without the legacy OIOXML ones. */
export const fhirMessageExamples = (): string[] =>
  listExamples('medcom', (f) => (f.endsWith('.json') || f.endsWith('.xml')) && !f.startsWith('oioxml-'));

export function readOk(file: string, folder = 'medcom'): MedComMessage {
  const r = readMessage(loadExample(file, folder));
  if (isReadFailure(r)) throw new Error(`${file} did not read: ${JSON.stringify(r.issues.filter((i) => i.severity === 'error'))}`);
  return r;
}

/** An HN example as the reducer's input. */
export function notificationOf(file: string, folder = 'medcom'): StayNotification {
  const msg = readOk(file, folder);
  const hn = readHospitalNotification(msg);
  if ('issues' in hn) throw new Error(`${file} is not a HospitalNotification: ${JSON.stringify(hn.issues)}`);
  return { ...hn, headerId: msg.headerId, sentAt: msg.sentAt };
}

type Json = Record<string, unknown>;

/** The resource of entry `index` of a Bundle object (for mutation tests). */
export function entryResource(bundle: Json, index: number): Json {
  const entry = (bundle.entry as { resource: Json }[])[index];
  if (entry === undefined) throw new Error(`no entry ${index}`);
  return entry.resource;
}

/** The first resource of a type in a Bundle object. */
export function resourceOfType(bundle: Json, type: string): Json {
  const hit = (bundle.entry as { resource: Json }[]).find((e) => e.resource.resourceType === type);
  if (hit === undefined) throw new Error(`no ${type}`);
  return hit.resource;
}
