/**
 * In-process benchmarks of issue #9: full validation of 20 KB epikriser on one core (and how many
 * seeded invalid variants it catches, beside @medplum/core's validateResource on the same
 * documents), OIOXML mapping throughput, memory per process, and the ceiling server
 * (bench/lib/ceiling.ts) that the HTTP benchmarks drive with the same client as Sektorbro's ingest.
 * Everything runs the real code of src/; no figure is kept in code.
 */
import type { Profiler } from 'node:inspector';
import { Session } from 'node:inspector/promises';
import { OperationOutcomeError, validateResource } from '@medplum/core';
import { loadClients } from '../src/auth/index.ts';
import { loadConfig } from '../src/config/index.ts';
import { loadOioxmlMappings, PROFILES_DIR } from '../src/gateway.ts';
import { assertNoNulCharacters, parseJsonBody } from '../src/http/json-body.ts';
import { ingestDocument } from '../src/ingest/index.ts';
import { mapOioxml, parseOioxml } from '../src/mapping/index.ts';
import type { MappingRegistry, XmlLimits } from '../src/mapping/index.ts';
import { GatewayError, systemClock } from '../src/shared/index.ts';
import type { Store } from '../src/store/index.ts';
import { createMedComValidator, createValidator } from '../src/validation/index.ts';
import type { Validator } from '../src/validation/index.ts';
import { caseSeed, createRng } from '../test/helpers/mutate.ts';
import type { Rng } from '../test/helpers/mutate.ts';
import { ceilingDatabase, startCeiling } from './lib/ceiling.ts';
import { benchPlan, epikriser, xdis01Letters } from './lib/data.ts';
import { measure, memoryNow, QUICK } from './lib/harness.ts';
import type { Machine, Measurement } from './lib/harness.ts';

const SEED = 9;
const DOCUMENT_KB = 20;
const VALIDATION_TARGET_PER_SECOND = 2000;
const SIZES = QUICK
  ? { documents: 20, operations: 30, runs: 3, warmup: 10, variants: 60, letters: 30, profiled: 20 }
  : { documents: 200, operations: 300, runs: 5, warmup: 50, variants: 200, letters: 300, profiled: 200 };
const BACKEND = 'in-process';

// ---------------------------------------------------------------------------------------------
// Sektorbro as the gateway loads it, shared by the benchmarks of this process (start-up takes seconds).

let loadedValidator: Validator | undefined;
let loadedMappings: MappingRegistry | undefined;

/** The validator the gateway builds (src/gateway.ts: createValidator({ profilesDir })). */
function sektorbroValidator(): Validator {
  loadedValidator ??= createValidator({ profilesDir: PROFILES_DIR });
  return loadedValidator;
}

/** The OIOXML mapping registry the gateway builds (loadOioxmlMappings(validator, medcom)). */
function sektorbroMappings(): MappingRegistry {
  if (loadedMappings === undefined) {
    const validator = sektorbroValidator();
    loadedMappings = loadOioxmlMappings(validator, createMedComValidator({ validator }));
  }
  return loadedMappings;
}

/** Thrown by the stand-in store: ingest got past every check and would now write. */
class ReachedStore extends Error {}

/**
 * `ingestDocument`'s work before its transaction (GLN normalisation, full validation, the document-level
 * checks, the payload hash), up to `store.transaction`, which this store refuses. Undefined when ingest
 * would store the document, else the refusal.
 */
function beforeStore(validator: Validator): (input: unknown, bytes: Buffer, format: 'fhir-json' | 'oioxml') => Promise<GatewayError | undefined> {
  // Only `transaction` is reached before anything is written; the rest of Store is never touched.
  const store = { transaction: () => Promise.reject(new ReachedStore()) } as unknown as Store;
  const submitter = { clientId: 'demo-admin', org: '', mayActForAnySender: true };
  return async (input, bytes, format) => {
    try {
      const mediaType = format === 'oioxml' ? 'application/xml' : 'application/fhir+json';
      await ingestDocument({ store, validator, clock: systemClock }, input, { bytes, mediaType, format }, submitter, () => Promise.resolve());
      throw new Error('ingest answered without a transaction');
    } catch (e) {
      if (e instanceof ReachedStore) return undefined;
      if (e instanceof GatewayError) return e;
      throw e;
    }
  };
}

/** What `POST /fhir/Bundle` does with a document before storing it: the route's JSON body parsing, then ingest's checks. */
function ingestChecks(validator: Validator): (body: Buffer) => Promise<GatewayError | undefined> {
  const limits = loadConfig({ NODE_ENV: 'test' }).limits;
  const check = beforeStore(validator);
  return async (body) => {
    let input: unknown;
    try {
      input = parseJsonBody(body, limits.jsonMaxDepth);
      assertNoNulCharacters(input);
    } catch (e) {
      if (e instanceof GatewayError) return e;
      throw e;
    }
    return check(input, body, 'fhir-json');
  };
}

/** Medplum's verdict: the error issues `validateResource` throws (an empty list when it accepts). */
function medplumErrors(resource: unknown): string[] {
  try {
    validateResource(resource as Parameters<typeof validateResource>[0]);
    return [];
  } catch (e) {
    if (!(e instanceof OperationOutcomeError)) return [`crashed: ${e instanceof Error ? e.name : 'unknown'}`];
    return e.outcome.issue.filter((i) => i.severity === 'error' || i.severity === 'fatal').map((i) => i.details?.text ?? i.code);
  }
}

// ---------------------------------------------------------------------------------------------
// Validation: throughput on one core, and seeded invalid variants.

export async function runValidationBench(m: Machine): Promise<Measurement[]> {
  const validator = sektorbroValidator();
  const check = ingestChecks(validator);
  const bodies = epikriser(benchPlan(SIZES.documents + 10, SEED), DOCUMENT_KB, SIZES.documents).map((r) => Buffer.from(r.body, 'utf8'));
  const meanKB = bodies.reduce((s, b) => s + b.length, 0) / bodies.length / 1024;

  // A benchmark of refusals measures nothing: every document must pass as it stands.
  for (const [i, body] of bodies.entries()) {
    const refused = await check(body);
    if (refused !== undefined) throw new Error(`epikrise ${String(i)} is refused by Sektorbro: ${JSON.stringify(refused.issues.slice(0, 3))}`);
  }
  const medplumFalseAlarms = bodies.filter((b) => medplumErrors(JSON.parse(b.toString('utf8'))).length > 0).length;

  const opts = { operations: SIZES.operations, runs: SIZES.runs, warmup: SIZES.warmup, concurrency: 1 };
  const ours = await measure(
    { group: 'validation', name: `full validation, ${String(DOCUMENT_KB)} KB epikrise (parse, R4 + profiles + invariants, document checks)`, backend: BACKEND },
    opts,
    async (i) => {
      if ((await check(bodies[i % bodies.length] as Buffer)) !== undefined) throw new Error('a valid epikrise was refused');
    },
  );
  const medplum = await measure(
    { group: 'validation', name: `@medplum/core validateResource, same documents (parse + base R4)`, backend: BACKEND },
    opts,
    (i) => {
      medplumErrors(JSON.parse((bodies[i % bodies.length] as Buffer).toString('utf8')));
    },
  );
  medplum.note = `comparison only; rejects ${String(medplumFalseAlarms)} of the ${String(bodies.length)} valid documents`;

  const variants = seededVariants(bodies.map((b) => JSON.parse(b.toString('utf8')) as JsonObject), SIZES.variants, SEED);
  const verdicts = await judge(variants, check);
  const missed = verdicts.filter((v) => v.medplum && !v.sektorbro);
  const fast = (ours.perSecond ?? 0) >= VALIDATION_TARGET_PER_SECOND;
  ours.target = { text: `>= ${String(VALIDATION_TARGET_PER_SECOND)} docs/s on one core, and catches every variant Medplum catches`, met: fast && missed.length === 0 };
  ours.note = `${meanKB.toFixed(1)} KB mean, sequential on 1 of ${String(m.cores)} cores; ${String(verdicts.length)} seeded invalid variants: Sektorbro caught ${String(verdicts.filter((v) => v.sektorbro).length)}, Medplum ${String(verdicts.filter((v) => v.medplum).length)}, Medplum but not Sektorbro ${String(missed.length)}`;
  ours.extra = { meanKB: +meanKB.toFixed(1), medplumPerSecond: medplum.perSecond, variants: variantSummary(verdicts) };

  const catching: Measurement = {
    group: 'validation',
    name: 'seeded invalid variants caught',
    backend: BACKEND,
    target: { text: 'catches every variant Medplum catches', met: missed.length === 0 },
    note: `${String(verdicts.length)} variants (seed ${String(SEED)}): Sektorbro ${String(verdicts.filter((v) => v.sektorbro).length)}, Medplum ${String(verdicts.filter((v) => v.medplum).length)}, neither ${String(verdicts.filter((v) => !v.sektorbro && !v.medplum).length)}; missed by Sektorbro but caught by Medplum: ${missed.length === 0 ? 'none' : [...new Set(missed.map((v) => v.kind))].join(', ')}`,
    extra: {
      missedBySektorbro: missed.map((v) => ({ kind: v.kind, site: v.site, medplum: v.medplumSays })),
      caughtByNeither: verdicts.filter((v) => !v.sektorbro && !v.medplum).map((v) => ({ kind: v.kind, site: v.site })),
      byKind: variantSummary(verdicts),
    },
  };

  if (!fast) {
    // Where the time goes, from a CPU profile of this process over the same work.
    const profile = await cpuProfile(async () => {
      for (let i = 0; i < SIZES.profiled; i++) await check(bodies[i % bodies.length] as Buffer);
    });
    const where = summariseProfile(profile);
    ours.note += `; time by stage: ${where.stages.slice(0, 6).map((s) => `${s.name} ${s.percent.toFixed(0)}%`).join(', ')}`;
    ours.extra.profile = where;
  }
  return [ours, medplum, catching];
}

interface Verdict {
  kind: string;
  site: string;
  sektorbro: boolean;
  medplum: boolean;
  medplumSays: string[];
}

async function judge(variants: readonly Variant[], check: (body: Buffer) => Promise<GatewayError | undefined>): Promise<Verdict[]> {
  const out: Verdict[] = [];
  for (const v of variants) {
    const body = JSON.stringify(v.document);
    const refused = await check(Buffer.from(body, 'utf8'));
    const medplumSays = medplumErrors(JSON.parse(body));
    out.push({ kind: v.kind, site: v.site, sektorbro: refused !== undefined, medplum: medplumSays.length > 0, medplumSays: medplumSays.slice(0, 3) });
  }
  return out;
}

function variantSummary(verdicts: readonly Verdict[]): Record<string, { variants: number; sektorbro: number; medplum: number; medplumOnly: number }> {
  const out: Record<string, { variants: number; sektorbro: number; medplum: number; medplumOnly: number }> = {};
  for (const v of verdicts) {
    const row = (out[v.kind] ??= { variants: 0, sektorbro: 0, medplum: 0, medplumOnly: 0 });
    row.variants += 1;
    if (v.sektorbro) row.sektorbro += 1;
    if (v.medplum) row.medplum += 1;
    if (v.medplum && !v.sektorbro) row.medplumOnly += 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Seeded invalid variants: one targeted fault each, of a kind a validator should catch.

type JsonObject = Record<string, unknown>;

interface Variant {
  kind: string;
  /** Where the fault is, e.g. `Composition.status` or `entry[2].resource.id`. */
  site: string;
  document: JsonObject;
}

/** A place a fault can go: `key` of `parent`, found from a resource type and a dotted path. */
interface Site {
  at: string;
  parent: JsonObject;
  key: string;
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The Bundle itself (`Bundle`) or each entry resource of `type`. */
function resourcesOf(doc: JsonObject, type: string): { at: string; resource: JsonObject }[] {
  if (type === 'Bundle') return [{ at: 'Bundle', resource: doc }];
  const entries = Array.isArray(doc.entry) ? (doc.entry as unknown[]) : [];
  return entries.flatMap((e, i) => {
    const resource = isObject(e) ? e.resource : undefined;
    return isObject(resource) && resource.resourceType === type ? [{ at: `entry[${String(i)}].resource(${type})`, resource }] : [];
  });
}

/** Every `key` at the end of `path` (`a.b.key`; arrays on the way are walked), present or not. */
function sitesOf(doc: JsonObject, type: string, path: string): Site[] {
  const names = path.split('.');
  const key = names.pop() ?? '';
  let level: { at: string; node: unknown }[] = resourcesOf(doc, type).map((r) => ({ at: r.at, node: r.resource }));
  for (const name of names) {
    level = level.flatMap(({ at, node }) => {
      const child = isObject(node) ? node[name] : undefined;
      if (Array.isArray(child)) return child.map((c, i) => ({ at: `${at}.${name}[${String(i)}]`, node: c as unknown }));
      return child === undefined ? [] : [{ at: `${at}.${name}`, node: child }];
    });
  }
  return level.flatMap(({ at, node }) => (isObject(node) ? [{ at: `${at}.${key}`, parent: node, key }] : []));
}

/** A site among `targets` (`Type:path`) chosen by `rng`, the present ones only unless `absentToo`. */
function pickSite(doc: JsonObject, rng: Rng, targets: readonly string[], absentToo = false): Site | undefined {
  const all = targets.flatMap((t) => {
    const [type = '', path = ''] = t.split(':');
    return sitesOf(doc, type, path).filter((s) => absentToo || s.parent[s.key] !== undefined);
  });
  return all.length === 0 ? undefined : rng.pick(all);
}

const fakeUuid = (rng: Rng): string =>
  `urn:uuid:${Array.from({ length: 32 }, () => '0123456789abcdef'.charAt(rng.int(16))).join('').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5')}`;

type Fault = (doc: JsonObject, rng: Rng) => string | undefined;

const set = (site: Site | undefined, value: unknown): string | undefined => {
  if (site === undefined) return undefined;
  site.parent[site.key] = value;
  return site.at;
};

/** The fault kinds; each picks its site and value with the variant's own seeded generator. */
const FAULTS: Readonly<Record<string, Fault>> = {
  'missing-required': (doc, rng) => {
    const site = pickSite(doc, rng, ['Bundle:type', 'Composition:status', 'Composition:type', 'Composition:date', 'Composition:author', 'Composition:title', 'Encounter:status', 'Encounter:class']);
    if (site !== undefined) Reflect.deleteProperty(site.parent, site.key);
    return site?.at;
  },
  'missing-profile-element': (doc, rng) => {
    const site = pickSite(doc, rng, ['Bundle:timestamp', 'Bundle:identifier', 'Composition:identifier', 'Composition:subject', 'Composition:custodian', 'Composition:section', 'Patient:identifier', 'Organization:identifier', 'Encounter:period']);
    if (site !== undefined) Reflect.deleteProperty(site.parent, site.key);
    return site?.at;
  },
  'wrong-type': (doc, rng) => {
    const site = pickSite(doc, rng, ['Composition:title', 'Composition:date', 'Patient:birthDate', 'Patient:gender', 'Encounter:class', 'Composition:author', 'Patient:name', 'Composition:status', 'Bundle:timestamp']);
    if (site === undefined) return undefined;
    const old = site.parent[site.key];
    return set(site, typeof old === 'string' ? rng.pick<unknown>([12345, true, { value: old }]) : rng.pick<unknown>(['text', 1, false]));
  },
  'unknown-code-required-binding': (doc, rng) =>
    set(
      pickSite(doc, rng, ['Composition:status', 'Encounter:status', 'Patient:gender', 'Patient:identifier.use', 'Patient:telecom.system', 'Patient:telecom.use', 'Patient:address.use', 'Patient:name.use', 'Composition:text.status', 'Bundle:type']),
      rng.pick(['unknown', 'Final', 'done', 'x-local', 'FINISHED', 'M']),
    ),
  'bad-date-format': (doc, rng) =>
    set(
      pickSite(doc, rng, ['Bundle:timestamp', 'Composition:date', 'Patient:birthDate', 'Encounter:period.start', 'Encounter:period.end']),
      rng.pick(['2026-13-01', '2026-02-30', '25-11-2026', '2026-11-25 10:55', 'today', '2026-11-25T10:55:47', '2026-11-25T25:61:00+01:00', '20261125']),
    ),
  'dangling-reference': (doc, rng) =>
    set(
      pickSite(doc, rng, ['Composition:subject.reference', 'Composition:custodian.reference', 'Composition:author.reference', 'Composition:encounter.reference', 'Encounter:serviceProvider.reference', 'Encounter:subject.reference', 'Patient:generalPractitioner.reference']),
      fakeUuid(rng),
    ),
  'reference-wrong-target-type': (doc, rng) => {
    // Each element pointed at a resource type its definition does not allow, inside the Bundle or as `Type/id`.
    const wrong: Readonly<Record<string, string>> = { 'Composition:custodian.reference': 'Patient', 'Encounter:serviceProvider.reference': 'Patient', 'Composition:encounter.reference': 'Organization', 'Encounter:subject.reference': 'Organization' };
    const target = rng.pick(Object.keys(wrong));
    const type = wrong[target] ?? 'Patient';
    const entry = (doc.entry as JsonObject[] | undefined)?.find((e) => isObject(e.resource) && e.resource.resourceType === type);
    const literal = rng.chance(0.5) || typeof entry?.fullUrl !== 'string';
    return set(pickSite(doc, rng, [target]), literal ? `${type}/${fakeUuid(rng).slice(9)}` : entry.fullUrl);
  },
  'unknown-element': (doc, rng) => {
    const site = pickSite(doc, rng, ['Bundle:x', 'Composition:x', 'Patient:x', 'Encounter:x', 'Organization:x', 'Patient:identifier.x', 'Patient:name.x', 'Encounter:period.x', 'Composition:section.x', 'Composition:type.coding.x'], true);
    const name = rng.pick(['foo', 'colour', 'patientNote', 'Status', 'kommentar']);
    return set(site === undefined ? undefined : { ...site, key: name, at: site.at.replace(/x$/, name) }, rng.pick<unknown>(['note', 42, { text: 'x' }]));
  },
  'cardinality-too-many': (doc, rng) => {
    // A single-valued element given as a list of two.
    const site = pickSite(doc, rng, ['Bundle:type', 'Bundle:timestamp', 'Composition:status', 'Composition:title', 'Composition:subject', 'Composition:custodian', 'Patient:gender', 'Patient:birthDate', 'Encounter:class', 'Encounter:period']);
    const old = site?.parent[site.key];
    return set(site, [old, old]);
  },
  'empty-value': (doc, rng) => {
    const site = pickSite(doc, rng, ['Composition:author', 'Composition:section', 'Patient:name.given', 'Patient:identifier', 'Patient:telecom', 'Composition:type', 'Composition:title', 'Encounter:period']);
    const old = site?.parent[site.key];
    return set(site, Array.isArray(old) ? rng.pick<unknown>([[], [{}]]) : typeof old === 'string' ? rng.pick(['', '   ']) : {});
  },
  'wrong-fixed-value': (doc, rng) => {
    const choices: [string, string][] = [
      ['Bundle:type', 'collection'],
      ['Composition:type.coding.system', 'http://example.org/document-types'],
      ['Composition:type.coding.code', 'udskrivningsrapport'],
      ['Encounter:class.system', 'http://example.org/encounter-class'],
      ['Patient:identifier.system', 'urn:oid:1.2.208.176.1.99'],
    ];
    if (rng.chance(1 / (choices.length + 1))) {
      // An epikrise declaring another document's Bundle profile.
      return set(pickSite(doc, rng, ['Bundle:meta.profile']), ['http://sektorbro.dk/fhir/StructureDefinition/sektorbro-udskrivningsrapport-bundle']);
    }
    const [target, value] = rng.pick(choices);
    return set(pickSite(doc, rng, [target]), value);
  },
  'unknown-code-local-binding': (doc, rng) =>
    set(pickSite(doc, rng, ['Composition:section.code.coding.code', 'Encounter:class.code']), rng.pick(['ukendt-sektion', 'XYZ', 'notat'])),
  'invariant-violated': (doc, rng) => {
    const entries = (doc.entry as JsonObject[] | undefined) ?? [];
    switch (rng.int(5)) {
      case 0: {
        // bdl-7: fullUrl must be unique in a Bundle.
        const [a, b] = [entries[1], entries[2 + rng.int(Math.max(1, entries.length - 2))]];
        if (a === undefined || b === undefined || a === b) return undefined;
        b.fullUrl = a.fullUrl;
        return 'Bundle.entry.fullUrl (bdl-7, duplicate)';
      }
      case 1: {
        // per-1: a period may not end before it starts.
        const site = pickSite(doc, rng, ['Encounter:period']);
        const period = site?.parent[site.key];
        if (!isObject(period) || period.end === undefined) return undefined;
        return set(site, { start: period.end, end: period.start });
      }
      case 2: {
        // ext-1: an extension has either a value or extensions, not both.
        const site = pickSite(doc, rng, ['Patient:address.extension.extension'], true);
        return set(site, [{ url: 'http://example.org/extra', valueString: 'x' }]);
      }
      case 3: {
        // txt-1: the narrative is XHTML in a div of the XHTML namespace.
        return set(pickSite(doc, rng, ['Composition:text.div', 'Patient:text.div', 'Composition:section.text.div']), rng.pick(['<p>Forløb</p>', 'Forløb uden markup', '<div><script>x()</script></div>']));
      }
      default: {
        // cmp-1 (and the profile's own section rule): a section has text, entries or sections.
        const site = pickSite(doc, rng, ['Composition:section.text']);
        if (site !== undefined) Reflect.deleteProperty(site.parent, site.key);
        return site === undefined ? undefined : `${site.at} (cmp-1)`;
      }
    }
  },
  'bad-primitive-format': (doc, rng) => {
    const choices: [string, unknown][] = [
      ['Patient:id', 'not a valid id!'],
      ['Encounter:id', 'x'.repeat(65)],
      ['Composition:status', ' final'],
      ['Patient:identifier.system', 'urn oid 1.2.208'],
      ['Composition:type.coding.code', 'epi krise '],
      ['Patient:birthDate', '1995-11-13T00:00:00Z'],
      ['Bundle:timestamp', '2026-11-25'],
    ];
    const [target, value] = rng.pick(choices);
    return set(pickSite(doc, rng, [target]), value);
  },
  'unknown-resource-type': (doc, rng) => set(pickSite(doc, rng, ['Patient:resourceType', 'Encounter:resourceType', 'Organization:resourceType', 'Practitioner:resourceType']), rng.pick(['Patients', 'patient', 'Person2', 'Basic2'])),
};

/**
 * `count` variants of the documents, each with one fault; kinds take turns, so each is about equally
 * represented. Variant `i` depends only on the seed and `i` (replayable alone).
 */
function seededVariants(documents: readonly JsonObject[], count: number, seed: number): Variant[] {
  const kinds = Object.keys(FAULTS);
  const out: Variant[] = [];
  for (let i = 0; out.length < count && i < count * 5; i++) {
    const kind = kinds[out.length % kinds.length] ?? '';
    const rng = createRng(caseSeed(seed, i));
    const original = documents[i % documents.length] ?? {};
    const document = structuredClone(original);
    const site = FAULTS[kind]?.(document, rng);
    // A fault with no place in this document, or one that changed nothing, is tried again on the next one.
    if (site === undefined || JSON.stringify(document) === JSON.stringify(original)) continue;
    out.push({ kind, site, document });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// OIOXML mapping.

export async function runOioxmlBench(m: Machine): Promise<Measurement[]> {
  const mappings = sektorbroMappings();
  const check = beforeStore(sektorbroValidator());
  const config = loadConfig({ NODE_ENV: 'test' });
  const limits: XmlLimits = { maxBytes: config.limits.bodyBytes, maxDepth: config.limits.jsonMaxDepth };
  // The gateway's GLN → SOR lookup without the store: the registered (demo) clients' organisations.
  const clients = loadClients({ clientsFile: undefined, demoClients: true, production: false });
  const sorByGln = new Map(clients.list().flatMap((c) => (c.org.gln === undefined ? [] : [[c.org.gln, c.org.sor] as const])));
  const sorForGln = (gln: string): string | undefined => sorByGln.get(gln);
  const letters = xdis01Letters(SIZES.letters).map((xml) => Buffer.from(xml, 'utf8'));
  const mapped = (i: number): fhir4.Bundle => mapOioxml(mappings, parseOioxml(letters[i % letters.length] as Buffer, limits), { receivedAt: new Date(), sorForGln }).bundle;

  // The mapped documents must be ones ingest accepts, else the second line measures refusals.
  const refusedAfterMapping = (await Promise.all(letters.slice(0, 5).map((letter, i) => check(mapped(i), letter, 'oioxml')))).filter((r) => r !== undefined);
  if (refusedAfterMapping.length > 0) throw new Error(`mapped XDIS01 letters are refused: ${JSON.stringify(refusedAfterMapping[0]?.issues.slice(0, 3))}`);
  const kb = letters.reduce((s, b) => s + b.length, 0) / letters.length / 1024;

  const opts = { operations: SIZES.letters, runs: SIZES.runs, warmup: SIZES.warmup, concurrency: 1 };
  const mapping = await measure({ group: 'oioxml', name: 'XDIS01 letter: parse + map to a FHIR document Bundle', backend: BACKEND }, opts, (i) => {
    if (mapped(i).type !== 'document') throw new Error('XDIS01 did not map to a document');
  });
  mapping.note = `${kb.toFixed(1)} KB letters, sequential on 1 of ${String(m.cores)} cores, no store`;
  const withChecks = await measure({ group: 'oioxml', name: 'XDIS01 letter: parse + map + ingest checks (validation)', backend: BACKEND }, opts, async (i) => {
    if ((await check(mapped(i), letters[i % letters.length] as Buffer, 'oioxml')) !== undefined) throw new Error('a mapped letter was refused');
  });
  withChecks.note = 'as POST /ingest/oioxml up to the store: the mapped Bundle goes through ingestDocument\'s checks';
  return [mapping, withChecks];
}

// ---------------------------------------------------------------------------------------------
// Memory and the ceiling.

/** RSS and heap of this process now, as a line of group `memory`. */
export function memoryMeasurement(label: string): Measurement {
  const now = memoryNow();
  return { group: 'memory', name: label, backend: BACKEND, note: `RSS ${now.rssMB.toFixed(0)} MB, heap ${now.heapUsedMB.toFixed(0)} MB`, extra: now };
}

/**
 * The ceiling server (bench/lib/ceiling.ts): `POST <url>/ceiling`. With `pgUrl` undefined the server
 * skips the insert; pass `await ceilingDatabase()` for the durable one (undefined when PostgreSQL is down).
 */
export async function startCeilingServer(pgUrl: string | undefined): Promise<{ url: string; close(): Promise<void> }> {
  return startCeiling(pgUrl);
}

export { ceilingDatabase };

/** Posts a few 20 KB epikriser to the ceiling server and checks each is answered 201 (its latency, as a smoke check). */
export async function ceilingSelfCheck(url: string, durable: boolean): Promise<Measurement> {
  const bodies = epikriser(benchPlan(30, SEED), DOCUMENT_KB, 20).map((r) => r.body);
  const result = await measure({ group: 'ceiling', name: 'ceiling self-check: POST 20 KB epikrise (sequential, fetch)', backend: durable ? 'postgres' : 'none' }, { operations: bodies.length, runs: 1, warmup: 5 }, async (i) => {
    const res = await fetch(`${url}/ceiling`, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json' }, body: bodies[i % bodies.length] ?? '' });
    await res.arrayBuffer();
    if (res.status !== 201) throw new Error(`ceiling answered ${String(res.status)}`);
  });
  result.note = durable ? 'parse + ajv R4 + one durable insert; not the ceiling figure (H2 drives it with the ingest client)' : 'PostgreSQL not reachable: insert skipped (parse + ajv R4 only)';
  return result;
}

// ---------------------------------------------------------------------------------------------
// A CPU profile of this process over some work, summarised: where the time goes.

async function cpuProfile(work: () => Promise<void>): Promise<Profiler.Profile> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    await work();
    return (await session.post('Profiler.stop')).profile;
  } finally {
    session.disconnect();
  }
}

/**
 * The stages of ingest's checks, innermost first: a sample counts for the first of these found walking
 * up from the function it was taken in (so the fhirpath.js work of the profile checker is not counted
 * again as the checker's own).
 */
const STAGES: readonly { name: string; file: string; fn: string }[] = [
  { name: 'profile invariants (fhirpath.js)', file: 'profile-checker.ts', fn: 'checkConstraints' },
  { name: 'Medplum against the profiles', file: 'base-definitions.ts', fn: 'checkProfileDefinitions' },
  { name: 'Medplum base R4', file: 'base-definitions.ts', fn: 'checkBaseDefinitions' },
  { name: 'ajv R4 schema', file: 'schema-structure.ts', fn: 'check' },
  { name: 'profile checker (rest)', file: 'profile-validation.ts', fn: 'checkProfiles' },
  { name: 'bundle references', file: 'bundle-references.ts', fn: 'checkBundleReferences' },
  { name: 'calendar dates', file: 'calendar-dates.ts', fn: 'checkCalendarDates' },
  { name: 'JSON parse', file: 'json-body.ts', fn: 'parseJsonBody' },
  { name: 'NUL scan', file: 'json-body.ts', fn: 'assertNoNulCharacters' },
  { name: 'validator (rest)', file: 'validator.ts', fn: 'validate' },
  { name: 'document checks', file: 'document-ingest.ts', fn: 'analyse' },
  { name: 'GLN normalisation', file: 'document-ingest.ts', fn: 'normaliseGlnSystems' },
  { name: 'ingest (rest)', file: 'document-ingest.ts', fn: 'ingestDocument' },
];

interface ProfileSummary {
  sampledMs: number;
  stages: { name: string; percent: number }[];
  topSelf: { fn: string; percent: number }[];
}

const shortUrl = (url: string): string => url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '').replace(/^.*\/(src|bench|test)\//, '$1/');

function summariseProfile(profile: Profiler.Profile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  profile.samples?.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas?.[i + 1] ?? 0)));
  const stageTime = new Map<string, number>();
  const fnTime = new Map<string, number>();
  let total = 0;
  for (const [id, micros] of self) {
    const node = byId.get(id);
    if (node === undefined || node.callFrame.functionName === '(idle)' || node.callFrame.functionName === '(program)') continue;
    total += micros;
    const frame = node.callFrame;
    const fn = `${frame.functionName || '(anonymous)'} ${frame.url === '' ? '' : `${shortUrl(frame.url)}:${String(frame.lineNumber + 1)}`}`.trim();
    fnTime.set(fn, (fnTime.get(fn) ?? 0) + micros);
    stageTime.set(stageOf(id, byId, parent), (stageTime.get(stageOf(id, byId, parent)) ?? 0) + micros);
  }
  const percent = (entries: Map<string, number>, n: number): { name: string; percent: number }[] =>
    [...entries].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, t]) => ({ name, percent: +((100 * t) / total).toFixed(1) }));
  return {
    sampledMs: Math.round(total / 1000),
    stages: percent(stageTime, STAGES.length + 2),
    topSelf: percent(fnTime, 25).map((r) => ({ fn: r.name, percent: r.percent })),
  };
}

function stageOf(id: number, byId: Map<number, Profiler.ProfileNode>, parent: Map<number, number>): string {
  if (byId.get(id)?.callFrame.functionName === '(garbage collector)') return 'garbage collection';
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const frame = byId.get(cur)?.callFrame;
    const stage = frame === undefined ? undefined : STAGES.find((s) => s.fn === frame.functionName && frame.url.endsWith(`/${s.file}`));
    if (stage !== undefined) return stage.name;
  }
  return 'other';
}
