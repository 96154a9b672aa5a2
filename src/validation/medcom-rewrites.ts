/**
 * In-memory corrections to MedCom's published conformance resources, applied once at start-up to copies (the
 * vendored packages stay byte for byte as published). Each fixes a defect that makes MedCom's own valid examples
 * fail; each has a test that the fault the rule is about is still caught (test/unit/validation/medcom-*.test.ts).
 *
 * Not needed here, unlike with Medplum (fhir-packages/README.md): the profile checker follows identifier profiles
 * into DK Core for slice discriminators, handles slices inside slices, `$this.`-prefixed and `extension('url')`
 * discriminator paths and `type` discriminators on choice elements, skips invariants using functions it cannot
 * evaluate, and ignores `|4.0.1` suffixes on referenced profiles.
 */

/** A named rewrite: `apply` changes the resource in place and returns true when it changed something. */
export interface Rewrite<T> {
  readonly id: string;
  readonly why: string;
  apply(resource: T): boolean;
}

export type ProfileRewrite = Rewrite<fhir4.StructureDefinition>;
export type ValueSetRewrite = Rewrite<fhir4.ValueSet>;

const DESTINATION_USE_EXTENSION = 'http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-destinationUseExtension';

/**
 * `MessageHeader.destination` is sliced into `primary` and `cc` by the value of the destination-use extension.
 * Messaging 2.x (and the HospitalNotification 3.0, Acknowledgement 2.0 and CareCommunication 4.0 headers built on
 * it) gives the discriminator as `$this.extension.value`, which reads the value of any extension and so names no
 * element whose pattern tells the slices apart. Messaging 4.x says the same thing explicitly:
 * `extension('…medcom-messaging-destinationUseExtension').value.code`. Naming the extension here makes the slices
 * (their cardinality `primary` 1..1, `cc` 0..0 in HospitalNotification) checkable.
 */
const destinationUseDiscriminator: ProfileRewrite = {
  id: 'destination-use-discriminator',
  why: 'MessageHeader.destination slices: name the destination-use extension in the discriminator path, as messaging 4.x does',
  apply(sd) {
    let changed = false;
    for (const element of sd.snapshot?.element ?? []) {
      if (element.path !== 'MessageHeader.destination' || element.slicing === undefined) {
        continue;
      }
      for (const discriminator of element.slicing.discriminator ?? []) {
        if (discriminator.path === '$this.extension.value' || discriminator.path === 'extension.value') {
          discriminator.path = `extension('${DESTINATION_USE_EXTENSION}').value`;
          changed = true;
        }
      }
    }
    return changed;
  },
};

const ACK_ISSUE_DETAILS = 'http://medcomfhir.dk/ig/terminology/ValueSet/medcom-acknowledgement-issue-details';
/** Given as a code system in terminology 1.4.0's ValueSet, though it is the URL of HL7's ValueSet. */
const HL7_OPERATION_OUTCOME_VALUESET = 'http://hl7.org/fhir/ValueSet/operation-outcome';
const HL7_OPERATION_OUTCOME_SYSTEM = 'http://terminology.hl7.org/CodeSystem/operation-outcome';
const LEGACY_ISSUE_DETAILS_SYSTEM = 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-acknowledgement-issue-details';

/**
 * The Acknowledgement OperationOutcome binds `issue.details.coding` (required) to
 * medcom-acknowledgement-issue-details, which in terminology 1.4.0 includes HL7's operation-outcome codes
 * (`MSG_ID_INVALID`, …) under the ValueSet's URL instead of the code system's, so an Acknowledgement coded as HL7
 * defines those codes could never be valid. The include is repeated under the code system's URL; the codes stay the
 * same 28.
 */
const ackIssueDetailsHl7System: ValueSetRewrite = {
  id: 'ack-issue-details-hl7-system',
  why: 'medcom-acknowledgement-issue-details: include the HL7 operation-outcome codes under their code system URL',
  apply(vs) {
    const include = vs.url === ACK_ISSUE_DETAILS ? vs.compose?.include.find((i) => i.system === HL7_OPERATION_OUTCOME_VALUESET) : undefined;
    if (vs.compose === undefined || include === undefined || vs.compose.include.some((i) => i.system === HL7_OPERATION_OUTCOME_SYSTEM)) {
      return false;
    }
    vs.compose.include.push({ ...structuredClone(include), system: HL7_OPERATION_OUTCOME_SYSTEM });
    return true;
  },
};

/**
 * Acknowledgement 2.0 went live with terminology 1.1.1, whose issue details were the two codes of the
 * medcom-acknowledgement-issue-details code system (`message-development-error`, `message-delivery-error`), as
 * in MedCom's 2023 Acknowledgement test examples. Terminology 1.4.0 replaced them with
 * medcom-acknowledgement-error-codes. Receivers accept both (medcom.md §10 #8); Sektorbro emits only the current
 * codes. Exactly those two legacy codes are added, nothing else.
 */
const ackIssueDetailsLegacyCodes: ValueSetRewrite = {
  id: 'ack-issue-details-legacy-codes',
  why: 'medcom-acknowledgement-issue-details: also accept the two issue-detail codes of terminology 1.1.1',
  apply(vs) {
    if (vs.url !== ACK_ISSUE_DETAILS || vs.compose === undefined || vs.compose.include.some((i) => i.system === LEGACY_ISSUE_DETAILS_SYSTEM)) {
      return false;
    }
    vs.compose.include.push({ system: LEGACY_ISSUE_DETAILS_SYSTEM, concept: [{ code: 'message-development-error' }, { code: 'message-delivery-error' }] });
    return true;
  },
};

/** The rewrites, in the order they are applied. */
export const PROFILE_REWRITES: readonly ProfileRewrite[] = [destinationUseDiscriminator];
export const VALUE_SET_REWRITES: readonly ValueSetRewrite[] = [ackIssueDetailsHl7System, ackIssueDetailsLegacyCodes];

/**
 * Applies `rewrites` to a copy of `resource`. Returns the copy (or `resource` itself when none applies) and the ids
 * of the rewrites that changed it.
 */
export function rewrite<T extends fhir4.StructureDefinition | fhir4.ValueSet>(resource: T, rewrites: readonly Rewrite<T>[]): { resource: T; applied: string[] } {
  const copy = structuredClone(resource);
  const applied = rewrites.filter((r) => r.apply(copy)).map((r) => r.id);
  return { resource: applied.length === 0 ? resource : copy, applied };
}
