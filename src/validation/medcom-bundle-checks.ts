import type { Issue } from '../shared/index.ts';
import type { BundleIndex } from './bundle-references.ts';
import type { MedComContext, MessageKind } from './medcom-contexts.ts';
import { isInExpansion } from './profile-compiler.ts';
import { isJsonObject } from './values.ts';
import type { JsonObject } from './values.ts';

/** A message that passed dispatch, with what the checks need to resolve references inside it. */
export interface MessageUnderCheck {
  readonly kind: MessageKind;
  readonly context: MedComContext;
  readonly bundle: JsonObject;
  readonly index: BundleIndex;
}

const SENDER_EXTENSION = 'http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-sender-extension';
const AUTHOR_EXTENSION = 'http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-practitioner-extension';

/** A bundled resource, where it sits, and the fullUrl its relative references resolve against. */
interface Located {
  readonly resource: JsonObject;
  readonly index: number;
  readonly expression: string;
  readonly fullUrl?: string;
}

/**
 * The MedCom rules the packages state in ways the profile checker cannot evaluate, checked against the Bundle:
 * invariants using `resolve()` or `memberOf()`, and the messaging rules of MedCom's governance (050) that every
 * standard shares. `conformsTo()` invariants are met by validating entries against those profiles
 * (`MessageKind.entryProfiles`). Diagnostics name the rule, never a payload value.
 */
export function checkMedComBundle(message: MessageUnderCheck): Issue[] {
  const bundle = new BundleView(message.bundle, message.index);
  const header = bundle.at(0);
  if (header?.resource.resourceType !== 'MessageHeader') {
    // bdl-12 (base R4) already reports it; without the header nothing below has a meaning.
    return [];
  }
  const issues = [...checkHeaderReferences(bundle, header), ...checkProvenances(bundle, header, message)];
  if (message.kind.standard === 'care-communication') {
    issues.push(...checkCareCommunication(bundle, header, message.context.spec.major));
  }
  return issues;
}

/**
 * Governance 050: the sender, every receiver and the focus are bundled, so a receiver can act on the message
 * without fetching anything. (Historic Provenance targets are exempt: they point at earlier messages by design.)
 */
function checkHeaderReferences(bundle: BundleView, header: Located): Issue[] {
  const issues: Issue[] = [];
  const requireBundled = (value: unknown, expression: string, what: string): void => {
    if (isJsonObject(value) && typeof value.reference === 'string' && bundle.resolve(value.reference, header) === undefined) {
      issues.push(error('not-found', `the ${what} must be in the message: the reference does not resolve inside the Bundle`, `${expression}.reference`));
    }
  };
  requireBundled(header.resource.sender, `${header.expression}.sender`, 'sender Organization');
  arrayOf(header.resource.destination).forEach((destination, i) => {
    requireBundled(isJsonObject(destination) ? destination.receiver : undefined, `${header.expression}.destination[${String(i)}].receiver`, 'receiver Organization');
  });
  arrayOf(header.resource.focus).forEach((focus, i) => {
    requireBundled(focus, `${header.expression}.focus[${String(i)}]`, 'focus resource');
  });
  return issues;
}

/**
 * The Provenance chain (medcom.md §2.4): the current Provenance records this message, so one should target its
 * MessageHeader. A warning only: MedCom's own empty-message example (messaging and Acknowledgement IGs) breaks it.
 * In a HospitalNotification every activity must come from the HospitalNotification activities
 * (medcom-hospitalNotification-3, a `memberOf()` invariant), not merely from MedCom's activity codes.
 */
function checkProvenances(bundle: BundleView, header: Located, message: MessageUnderCheck): Issue[] {
  const issues: Issue[] = [];
  const provenances = bundle.ofType('Provenance');
  const targetsHeader = (p: Located): boolean => arrayOf(p.resource.target).some((t) => {
    const reference = referenceOf(t);
    return reference !== undefined && bundle.resolve(reference, p)?.index === header.index;
  });
  if (provenances.length > 0 && !provenances.some(targetsHeader)) {
    issues.push({
      severity: 'warning',
      code: 'not-found',
      diagnostics: 'no Provenance targets this MessageHeader; the Provenance of the current exchange should',
      expression: ['Bundle.entry'],
    });
  }
  const valueSet = message.kind.activityValueSet;
  const expansion = valueSet === undefined ? undefined : message.context.terminology.expand(valueSet);
  if (valueSet !== undefined && expansion?.ok === true) {
    for (const provenance of provenances) {
      const activity = provenance.resource.activity;
      if (activity !== undefined && !isInExpansion(expansion.expansion, activity)) {
        issues.push(error('value', 'no coding is in the HospitalNotification message activities (medcom-hospitalNotification-3)', `${provenance.expression}.activity`));
      }
    }
  }
  return issues;
}

/**
 * The CareCommunication invariants that need `resolve()` (IG 4.0.3 and 5.0.2): medcom-careCommunication-7/-8
 * (payload authors are PractitionerRoles with a coded role and a named Practitioner), -9 (a referenced Encounter
 * carries an episode-of-care identifier), -11/-12 (a specific sender or recipient belongs to the sending or
 * receiving Organization of the MessageHeader) and, from 5.0, -15 (an Encounter is bundled if and only if
 * `Communication.encounter` refers to it).
 */
function checkCareCommunication(bundle: BundleView, header: Located, major: number): Issue[] {
  const issues: Issue[] = [];
  const sender = referenceOf(header.resource.sender);
  const senderIndex = sender === undefined ? undefined : bundle.resolve(sender, header)?.index;
  const receiverIndexes = new Set(
    arrayOf(header.resource.destination).flatMap((d) => {
      const receiver = isJsonObject(d) ? referenceOf(d.receiver) : undefined;
      const index = receiver === undefined ? undefined : bundle.resolve(receiver, header)?.index;
      return index === undefined ? [] : [index];
    }),
  );
  const encounters = bundle.ofType('Encounter');
  for (const communication of bundle.ofType('Communication')) {
    const c = communication.resource;
    arrayOf(c.extension).forEach((extension, i) => {
      if (isJsonObject(extension) && extension.url === SENDER_EXTENSION) {
        const at = `${communication.expression}.extension[${String(i)}].valueReference`;
        issues.push(...checkBelongsTo(bundle, communication, referenceOf(extension.valueReference), senderIndex === undefined ? new Set() : new Set([senderIndex]), at, 'specific sender', 'MessageHeader.sender', 'medcom-careCommunication-11'));
      }
    });
    arrayOf(c.recipient).forEach((recipient, i) => {
      const at = `${communication.expression}.recipient[${String(i)}]`;
      issues.push(...checkBelongsTo(bundle, communication, referenceOf(recipient), receiverIndexes, at, 'specific recipient', 'MessageHeader.destination.receiver', 'medcom-careCommunication-12'));
    });
    const authors = arrayOf(c.payload).flatMap((payload, p) =>
      arrayOf(isJsonObject(payload) ? payload.extension : undefined).flatMap((extension, i) => {
        const reference = isJsonObject(extension) && extension.url === AUTHOR_EXTENSION ? referenceOf(extension.valueReference) : undefined;
        return reference === undefined ? [] : [{ reference, at: `${communication.expression}.payload[${String(p)}].extension[${String(i)}].valueReference` }];
      }),
    );
    issues.push(...checkAuthors(bundle, communication, authors));
    const encounterReference = referenceOf(c.encounter);
    const encounter = encounterReference === undefined ? undefined : bundle.resolve(encounterReference, communication);
    if (encounter !== undefined && encounter.resource.resourceType === 'Encounter' && !arrayOf(encounter.resource.episodeOfCare).some((e) => isJsonObject(e) && e.identifier !== undefined)) {
      issues.push(error('invariant', 'the referenced Encounter must carry an episode-of-care identifier (medcom-careCommunication-9)', `${encounter.expression}.episodeOfCare`));
    }
    if (major >= 5) {
      if (encounterReference === undefined && encounters.length > 0) {
        issues.push(error('invariant', 'an Encounter is bundled, so Communication.encounter must refer to it (medcom-careCommunication-15)', `${communication.expression}.encounter`));
      } else if (c.encounter !== undefined && encounter?.resource.resourceType !== 'Encounter') {
        issues.push(error('invariant', 'Communication.encounter must refer to an Encounter in the message (medcom-careCommunication-15)', `${communication.expression}.encounter`));
      }
    }
  }
  return issues;
}

/** A specific sender or recipient (PractitionerRole or CareTeam) must belong to one of `organizations`. */
function checkBelongsTo(bundle: BundleView, from: Located, reference: string | undefined, organizations: ReadonlySet<number>, at: string, what: string, header: string, key: string): Issue[] {
  if (reference === undefined) {
    return [];
  }
  const target = bundle.resolve(reference, from);
  if (target === undefined) {
    return [error('not-found', `the ${what} must be in the message: the reference does not resolve inside the Bundle`, `${at}.reference`)];
  }
  const owners = [...arrayOf(target.resource.organization), ...arrayOf(target.resource.managingOrganization)]
    .map(referenceOf)
    .flatMap((r) => {
      const index = r === undefined ? undefined : bundle.resolve(r, target)?.index;
      return index === undefined ? [] : [index];
    });
  return owners.some((o) => organizations.has(o)) ? [] : [error('invariant', `the ${what} must belong to the Organization in ${header} (${key})`, at)];
}

/**
 * medcom-careCommunication-7/-8 as their FHIRPath reads, over the collection of all payload authors (the
 * PractitionerRoles their author extensions resolve to): some author role has a coded role, and some author
 * role's Practitioner has a name. (MedCom's 5th-message example has a second author whose role is text only.)
 */
function checkAuthors(bundle: BundleView, communication: Located, authors: readonly { reference: string; at: string }[]): Issue[] {
  const issues: Issue[] = [];
  const roles: Located[] = [];
  for (const { reference, at } of authors) {
    const role = bundle.resolve(reference, communication);
    if (role === undefined) {
      issues.push(error('not-found', 'the payload author must be in the message: the reference does not resolve inside the Bundle', `${at}.reference`));
    } else if (role.resource.resourceType === 'PractitionerRole') {
      roles.push(role);
    }
  }
  if (roles.length === 0) {
    return issues;
  }
  const hasCodedRole = roles.some((role) => arrayOf(role.resource.code).some((code) => isJsonObject(code) && arrayOf(code.coding).some((c) => isJsonObject(c) && typeof c.code === 'string')));
  if (!hasCodedRole) {
    issues.push(error('invariant', 'a PractitionerRole authoring a payload must have a coded role (medcom-careCommunication-7)', `${communication.expression}.payload`));
  }
  const hasNamedPractitioner = roles.some((role) => {
    const reference = referenceOf(role.resource.practitioner);
    const practitioner = reference === undefined ? undefined : bundle.resolve(reference, role);
    return practitioner?.resource.resourceType === 'Practitioner' && arrayOf(practitioner.resource.name).length > 0;
  });
  if (!hasNamedPractitioner) {
    issues.push(error('invariant', 'the PractitionerRole authoring a payload must refer to a bundled Practitioner with a name (medcom-careCommunication-8)', `${communication.expression}.payload`));
  }
  return issues;
}

/** The entries of a message Bundle, with reference resolution relative to the referring entry. */
class BundleView {
  private readonly entries: readonly unknown[];

  constructor(
    bundle: JsonObject,
    private readonly index: BundleIndex,
  ) {
    this.entries = arrayOf(bundle.entry);
  }

  at(i: number): Located | undefined {
    const entry = this.entries[i];
    const resource = isJsonObject(entry) && isJsonObject(entry.resource) ? entry.resource : undefined;
    if (resource === undefined) {
      return undefined;
    }
    const fullUrl = this.index.fullUrlOf(i);
    return { resource, index: i, expression: `Bundle.entry[${String(i)}].resource`, ...(fullUrl === undefined ? {} : { fullUrl }) };
  }

  ofType(resourceType: string): Located[] {
    return this.entries.flatMap((_, i) => {
      const located = this.at(i);
      return located?.resource.resourceType === resourceType ? [located] : [];
    });
  }

  resolve(reference: string, from: Located): Located | undefined {
    const target = this.index.resolve(reference, from.fullUrl);
    return target === undefined ? undefined : this.at(target.index);
  }
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : value === undefined ? [] : [value];
}

function referenceOf(value: unknown): string | undefined {
  return isJsonObject(value) && typeof value.reference === 'string' ? value.reference : undefined;
}

function error(code: Issue['code'], diagnostics: string, expression: string): Issue {
  return { severity: 'error', code, diagnostics, expression: [expression] };
}
