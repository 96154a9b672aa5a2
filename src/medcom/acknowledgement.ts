import { v5 as uuidv5 } from 'uuid';
import { GatewayError, SYSTEM, type Issue, type IssueSeverity } from '../shared/index.ts';
import { isUuid, referenceKey } from './identifiers.ts';
import { asArray, asObject, asString } from './json.ts';
import {
  ACK_DEFINITION,
  ACK_ERROR_CODES_SYSTEM,
  ACK_FULL_URL_BASE,
  ACTIVITY_SYSTEM,
  DESTINATION_USE_SYSTEM,
  DESTINATION_USE_URL,
  EVENT_CODE,
  EVENT_SYSTEM,
  HL7_OPERATION_OUTCOME_SYSTEM,
  PROFILE,
  sorEndpoint,
} from './medcom.constants.ts';
import type { AckResponseCode, MedComMessage, MessageEnvelope } from './message.types.ts';
import { formatDateTime, generatedNarrative } from './narrative.ts';

/** The organisation an Acknowledgement is sent from: a SOR unit with its own GLN. */
export interface AckSender {
  sor: string;
  gln: string;
  name: string;
  /** `source.endpoint`; defaults to the SOR endpoint URI of `sor`. */
  endpoint?: string;
}

export interface AckOutcome {
  code: AckResponseCode;
  /** Our findings; their `expression` and `diagnostics` go into the OperationOutcome. */
  issues?: readonly Issue[];
}

export interface AckContext {
  us: AckSender;
  now: Date;
  /** UUIDs chosen by the caller: a new Bundle id per send, a stable MessageHeader id across resends. */
  ids: { bundleId: string; headerId: string; provenanceId: string; outcomeId?: string };
  /** Base of the absolute fullUrls; defaults to the style of the 2024 reference examples. */
  fullUrlBase?: string;
}

/** Name-based ids for the Organizations of an Acknowledgement, stable per SOR/GLN pair. */
const ACK_ORGANIZATION_NAMESPACE = '0c1f6d5e-8a41-5b7c-9e2d-4f3a1b6c8d70';

type Coding = { system: string; code: string };

/**
 * The issue-details coding for one of our issues: HL7 `operation-outcome` `MSG_*` or MedCom's
 * acknowledgement error codes (the value set `medcom-acknowledgement-issue-details`).
 */
function detailsCodingOf(issue: Issue): Coding | undefined {
  switch (issue.code) {
    case 'duplicate':
      return { system: HL7_OPERATION_OUTCOME_SYSTEM, code: 'MSG_DUPLICATE_ID' };
    case 'not-found':
      return { system: HL7_OPERATION_OUTCOME_SYSTEM, code: 'MSG_LOCAL_FAIL' };
    case 'structure':
      return { system: HL7_OPERATION_OUTCOME_SYSTEM, code: 'MSG_BAD_SYNTAX' };
    case 'value':
      return { system: ACK_ERROR_CODES_SYSTEM, code: 'MSG_VALUESET_VALUE_UNKNOWN' };
    case 'not-supported':
      return { system: ACK_ERROR_CODES_SYSTEM, code: 'MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE' };
    case 'too-long':
      return { system: ACK_ERROR_CODES_SYSTEM, code: 'MSG_Element_To_Long' };
    case 'required':
    case 'invalid':
    case 'invariant':
      return { system: HL7_OPERATION_OUTCOME_SYSTEM, code: 'MSG_BAD_FORMAT' };
    case 'security':
    case 'login':
    case 'forbidden':
    case 'processing':
    case 'deleted':
    case 'conflict':
    case 'business-rule':
    case 'throttled':
    case 'exception':
    case 'informational':
      return undefined;
  }
}

interface OutcomeIssue {
  severity: IssueSeverity;
  code: string;
  details?: { coding?: Coding[]; text?: string };
  diagnostics?: string;
  expression?: string[];
}

function outcomeIssues(outcome: AckOutcome): OutcomeIssue[] {
  const issues = outcome.issues ?? [];
  if (issues.length === 0) {
    if (outcome.code === 'transient-error') {
      return [{ severity: 'error', code: 'transient', details: { text: 'The message could not be processed now; resend it unchanged' } }];
    }
    if (outcome.code === 'fatal-error') {
      return [
        {
          severity: 'error',
          code: 'invalid',
          details: { coding: [{ system: HL7_OPERATION_OUTCOME_SYSTEM, code: 'MSG_BAD_FORMAT' }] },
          diagnostics: 'The message was rejected',
        },
      ];
    }
    return [];
  }
  return issues.map((i) => {
    const coding = detailsCodingOf(i);
    return {
      severity: i.severity,
      code: i.code,
      ...(coding === undefined ? {} : { details: { coding: [coding] } }),
      diagnostics: i.diagnostics,
      ...(i.expression !== undefined && i.expression.length > 0 ? { expression: [...i.expression] } : {}),
    };
  });
}

/** Rewrites every `reference` in a carried-over resource to `Type/id`, pointing the sender at its Organization in the Acknowledgement. */
function rebaseReferences(node: unknown, senderKey: string, senderRef: string): unknown {
  if (Array.isArray(node)) return node.map((n) => rebaseReferences(n, senderKey, senderRef));
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'reference' && typeof v === 'string') {
      const key = referenceKey(v);
      out[k] = key === senderKey ? senderRef : key;
    } else {
      out[k] = k === 'text' ? v : rebaseReferences(v, senderKey, senderRef);
    }
  }
  return out;
}

/**
 * Builds a MedCom Acknowledgement 2.0 message Bundle (medcom.md §6) answering `received`:
 * MessageHeader (event `acknowledgement-message`, `response.identifier` = the acknowledged header,
 * `response.code`, `response.details` → the OperationOutcome), sender = us, primary destination =
 * the received sender at its `source.endpoint`; exactly two Provenances (the received message's
 * latest one carried over, then ours with activity `acknowledgement` and `entity` revision → the
 * acknowledged header); both Organizations with GLN (`https://www.gs1.org/gln`) and SOR; an
 * OperationOutcome whenever the code is not `ok` or issues are given (an `ok` may carry
 * information, e.g. on a duplicate). Every resource has its IG `meta.profile` and a narrative.
 *
 * Pure: times and ids come from `ctx`. Throws for an Acknowledgement (those are never acknowledged)
 * and for ids that are not UUIDs.
 */
export function buildAcknowledgement(received: MessageEnvelope, outcome: AckOutcome, ctx: AckContext): fhir4.Bundle {
  if (!needsAcknowledgement(received)) {
    throw new GatewayError('medcom.ack-of-ack', 500, [{ severity: 'error', code: 'processing', diagnostics: 'Acknowledgements are never acknowledged' }]);
  }
  const { ids, us } = ctx;
  const issues = outcomeIssues(outcome);
  const outcomeId = issues.length === 0 ? undefined : (ids.outcomeId ?? uuidv5(`outcome|${ids.headerId}`, ACK_ORGANIZATION_NAMESPACE));
  for (const id of [ids.bundleId, ids.headerId, ids.provenanceId, outcomeId]) {
    if (id !== undefined && !isUuid(id)) {
      throw new GatewayError('medcom.bad-id', 500, [{ severity: 'error', code: 'processing', diagnostics: 'Acknowledgement ids must be UUIDs' }]);
    }
  }
  const base = ctx.fullUrlBase ?? ACK_FULL_URL_BASE;
  const now = formatDateTime(ctx.now);
  const ourEndpoint = us.endpoint ?? sorEndpoint(us.sor);

  const ourOrgId = uuidv5(`organization|${us.sor}|${us.gln}`, ACK_ORGANIZATION_NAMESPACE);
  let theirOrgId = uuidv5(`organization|${received.sender.sor}|${received.sender.gln}`, ACK_ORGANIZATION_NAMESPACE);
  if (theirOrgId === ourOrgId) theirOrgId = uuidv5(`destination|${received.sender.sor}|${received.sender.gln}`, ACK_ORGANIZATION_NAMESPACE);
  const ourOrgRef = `Organization/${ourOrgId}`;
  const theirOrgRef = `Organization/${theirOrgId}`;

  const organization = (id: string, party: { sor: string; gln: string; name: string | undefined }): fhir4.Organization => ({
    resourceType: 'Organization',
    id,
    meta: { profile: [PROFILE.organization] },
    text: generatedNarrative(`Organization ${id}`, [
      ['GLN', party.gln],
      ['SOR', party.sor],
      ['Name', party.name],
    ]),
    identifier: [
      { system: SYSTEM.gln, value: party.gln },
      { system: SYSTEM.sor, value: party.sor },
    ],
    ...(party.name === undefined ? {} : { name: party.name }),
  });

  const header: fhir4.MessageHeader = {
    resourceType: 'MessageHeader',
    id: ids.headerId,
    meta: { profile: [PROFILE.ackHeader] },
    text: generatedNarrative(`MessageHeader ${ids.headerId}`, [
      ['Event', EVENT_CODE.acknowledgement],
      ['Destination', `${received.sourceEndpoint} (${theirOrgRef})`],
      ['Sender', ourOrgRef],
      ['Source', ourEndpoint],
      ['Response', `${received.headerId}: ${outcome.code}`],
      ['Details', outcomeId === undefined ? undefined : `OperationOutcome/${outcomeId}`],
      ['Definition', ACK_DEFINITION],
    ]),
    eventCoding: { system: EVENT_SYSTEM, code: EVENT_CODE.acknowledgement },
    destination: [
      {
        extension: [{ url: DESTINATION_USE_URL, valueCoding: { system: DESTINATION_USE_SYSTEM, code: 'primary' } }],
        endpoint: received.sourceEndpoint,
        receiver: { reference: theirOrgRef },
      },
    ],
    sender: { reference: ourOrgRef },
    source: { endpoint: ourEndpoint },
    response: {
      identifier: received.headerId,
      code: outcome.code,
      ...(outcomeId === undefined ? {} : { details: { reference: `OperationOutcome/${outcomeId}` } }),
    },
    definition: ACK_DEFINITION,
  };

  const carried = carriedProvenance(received, theirOrgRef);
  const ours: fhir4.Provenance = {
    resourceType: 'Provenance',
    id: ids.provenanceId,
    meta: { profile: [PROFILE.provenance] },
    text: generatedNarrative(`Provenance ${ids.provenanceId}`, [
      ['Target', `MessageHeader/${ids.headerId}`],
      ['Occurred', now],
      ['Activity', 'acknowledgement'],
      ['Agent', ourOrgRef],
      ['Revision of', `MessageHeader/${received.headerId}`],
    ]),
    target: [{ reference: `MessageHeader/${ids.headerId}` }],
    occurredDateTime: now,
    recorded: now,
    activity: { coding: [{ system: ACTIVITY_SYSTEM, code: 'acknowledgement' }] },
    agent: [{ who: { reference: ourOrgRef } }],
    entity: [{ role: 'revision', what: { reference: `MessageHeader/${received.headerId}` } }],
  };

  const resources: fhir4.FhirResource[] = [
    header,
    ...(carried === undefined ? [] : [carried]),
    ours,
    organization(ourOrgId, us),
    organization(theirOrgId, received.sender),
  ];
  if (outcomeId !== undefined) {
    resources.push({
      resourceType: 'OperationOutcome',
      id: outcomeId,
      meta: { profile: [PROFILE.ackOutcome] },
      text: generatedNarrative(
        `OperationOutcome ${outcomeId}`,
        issues.map((i, n) => [
          `Issue ${n + 1}`,
          [i.severity, i.code, ...(i.details?.coding ?? []).map((c) => c.code), i.details?.text, i.expression?.join(', '), i.diagnostics]
            .filter((x) => x !== undefined)
            .join(' | '),
        ]),
      ),
      issue: issues as fhir4.OperationOutcomeIssue[],
    });
  }
  return {
    resourceType: 'Bundle',
    id: ids.bundleId,
    meta: { profile: [PROFILE.ackBundle] },
    type: 'message',
    timestamp: now,
    entry: resources.map((resource) => ({ fullUrl: `${base}${resource.resourceType}/${resource.id ?? ''}`, resource })),
  };
}

/** The acknowledged message's latest Provenance, carried over with references made local to the Acknowledgement. */
function carriedProvenance(received: MessageEnvelope, theirOrgRef: string): fhir4.Provenance | undefined {
  const latest = received.provenance.at(-1);
  if (latest === undefined) return undefined;
  const copy = rebaseReferences(latest.resource, received.sender.reference, theirOrgRef) as fhir4.Provenance;
  copy.meta = { ...copy.meta, profile: [PROFILE.provenance] };
  // The sender's narrative names references this Bundle rewrote, so it is generated afresh.
  copy.text = generatedNarrative(`Provenance ${copy.id ?? ''}`, [
    ['Target', `MessageHeader/${latest.target}`],
    ['Occurred', latest.occurred],
    ['Recorded', latest.recorded],
    ['Activity', latest.activity],
    ['Agent', latest.agent === undefined ? undefined : referenceKey(latest.agent) === received.sender.reference ? theirOrgRef : referenceKey(latest.agent)],
    ['Revision of', latest.entityRevisionOf === undefined ? latest.revisionOfLetter : `MessageHeader/${latest.entityRevisionOf}`],
    ['Removal of', latest.entityRemovalOf === undefined ? undefined : `MessageHeader/${latest.entityRemovalOf}`],
    ['Payloads added', latest.payloadIds.length === 0 ? undefined : latest.payloadIds.join(', ')],
  ]);
  return copy;
}

/** Acknowledgements are never acknowledged (medcom.md §6); every other message is, primary and copy receivers alike. */
export const needsAcknowledgement = (msg: Pick<MessageEnvelope, 'kind'>): boolean => msg.kind !== 'acknowledgement';

/** One issue of a received Acknowledgement's OperationOutcome. */
export interface AcknowledgementIssue {
  severity: string;
  code: string;
  /** Issue details codes: current (`operation-outcome`, `medcom-acknowledgement-error-codes`) or the 2023 `medcom-acknowledgement-issue-details`. */
  details: { system: string | undefined; code: string | undefined }[];
  text: string | undefined;
  diagnostics: string | undefined;
  expression: string[];
}

export interface ReceivedAcknowledgement {
  /** The acknowledged MessageHeader id (`response.identifier`): the key to correlate on (medcom.md §10 #12). */
  ackOf: string;
  code: AckResponseCode;
  issues: AcknowledgementIssue[];
  warnings: Issue[];
}

/** Reads what an Acknowledgement says about the message it answers. */
export function readAcknowledgement(msg: MedComMessage): ReceivedAcknowledgement | { issues: Issue[] } {
  if (msg.focus.kind !== 'acknowledgement') {
    return {
      issues: [{ severity: 'error', code: 'not-supported', diagnostics: 'The message is not an Acknowledgement', expression: ['Bundle.entry[0].resource.event'] }],
    };
  }
  const { identifier, code, outcome } = msg.focus.response;
  return {
    ackOf: identifier,
    code,
    issues: asArray(asObject(outcome?.resource)?.issue).flatMap((raw) => {
      const i = asObject(raw);
      if (i === undefined) return [];
      const details = asObject(i.details);
      return [
        {
          severity: asString(i.severity) ?? '',
          code: asString(i.code) ?? '',
          details: asArray(details?.coding).map((c) => ({ system: asString(asObject(c)?.system), code: asString(asObject(c)?.code) })),
          text: asString(details?.text),
          diagnostics: asString(i.diagnostics),
          expression: asArray(i.expression).filter((e): e is string => typeof e === 'string'),
        },
      ];
    }),
    warnings: msg.warnings,
  };
}
