import type { AnyResource } from '../shared/index.ts';
import { readAcknowledgement, type ReceivedAcknowledgement } from './acknowledgement.ts';
import { isReadFailure, readMessage } from './message.reader.ts';
import { formatDateTime } from './narrative.ts';

/**
 * A stored message made ready for one send (medcom.md §5, 052.2): a new `Bundle.id` and
 * `Bundle.timestamp` every time, while the MessageHeader, the Provenance chain and the content stay
 * exactly as the sender wrote them, so the letter id (MessageHeader.id) is the same on every resend
 * and the receiver de-duplicates on it. Sektorbro passes messages on as a relay; it does not rewrite
 * the sender's ids, which the sender's own Provenance chain refers to.
 */
export function prepareForSend(bundle: AnyResource, send: { bundleId: string; now: Date }): AnyResource {
  const copy = structuredClone(bundle);
  copy.id = send.bundleId;
  copy.timestamp = formatDateTime(send.now);
  delete copy.meta?.versionId;
  delete copy.meta?.lastUpdated;
  return copy;
}

/**
 * The Acknowledgement for `headerId` in a receiver's answer, if the answer holds one. A receiver may
 * answer `$process-message` synchronously with the Acknowledgement, or only accept the message and
 * send the Acknowledgement later as a message of its own.
 */
export function acknowledgementIn(body: unknown, headerId: string): ReceivedAcknowledgement | undefined {
  const read = readMessage(body);
  if (isReadFailure(read) || read.kind !== 'acknowledgement') return undefined;
  const ack = readAcknowledgement(read);
  return 'ackOf' in ack && ack.ackOf === headerId ? ack : undefined;
}

/** One line a person can act on, from a non-`ok` Acknowledgement's OperationOutcome. */
export function acknowledgementReason(ack: ReceivedAcknowledgement): string {
  const said = ack.issues
    .map((i) => [i.details.map((d) => d.code).filter(Boolean).join('/'), i.text ?? i.diagnostics, i.expression.length ? `at ${i.expression.join(', ')}` : undefined].filter(Boolean).join(' '))
    .filter(Boolean);
  return `${ack.code}${said.length ? `: ${said.join('; ')}` : ''}`;
}
