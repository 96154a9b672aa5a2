import { prepareForSend } from '../medcom/index.ts';
import { messageBundleId, type AnyResource } from '../shared/index.ts';
import type { DeliveryRecord, StoreTx } from '../store/index.ts';
import type { ConnectionType, ReceiverEndpoint } from './endpoints.ts';
import { notificationBundle, signature, SIGNATURE_HEADER, type NotificationType } from './subscriptions.ts';

/** How long an event of a subscription whose handshake is still open waits before it looks again. */
const SUBSCRIPTION_HANDSHAKE_WAIT_MS = 1_000;

/** What one attempt sends: the resource, as JSON, and the connection type it needs. */
export interface Shipment {
  connectionType: ConnectionType | 'rest-hook';
  /** A subscription's own channel, instead of the recipient's registry Endpoint. */
  endpoint?: ReceiverEndpoint | undefined;
  what: { resourceType: string; id: string };
  body: string;
  /** MedCom: this send's Bundle.id (new on every send); the MessageHeader.id stays the delivery's. */
  bundleId?: string | undefined;
}

/**
 * Builds the shipment for a delivery from what the store holds: a document goes as its stored
 * document Bundle by FHIR REST (a PUT under its stable id, so a redelivery overwrites instead of
 * doubling); a MedCom message goes as a message Bundle to `$process-message`, with a new Bundle.id
 * and the same MessageHeader.id on every send.
 */
export async function buildShipment(
  tx: StoreTx,
  d: DeliveryRecord,
  send: { now: Date; newBundleId: () => string; fhirBase: string },
): Promise<Shipment | { problem: string } | { skip: string } | { wait: number }> {
  const [type, id] = d.source.split('/') as [string, string | undefined];
  if (type === 'Subscription' && id) return subscriptionShipment(tx, d, id, send);
  if (type === 'DocumentReference' && id) {
    const record = await tx.documents.byReference(id);
    const bundle = record && (await tx.resources.read('Bundle', record.bundleId))?.resource;
    if (!record || !bundle) return { problem: `the document behind ${d.source} is not in the store` };
    return { connectionType: 'hl7-fhir-rest', what: { resourceType: 'Bundle', id: record.bundleId }, body: JSON.stringify(bundle) };
  }
  if (type === 'MessageHeader' && id) {
    const stored = await tx.resources.read('Bundle', messageBundleId(id));
    if (!stored?.resource) return { problem: `the message ${d.source} is not in the store` };
    const bundleId = send.newBundleId();
    const message: AnyResource = prepareForSend(stored.resource, { bundleId, now: send.now });
    return { connectionType: 'hl7-fhir-msg', what: { resourceType: 'Bundle', id: bundleId }, body: JSON.stringify(message), bundleId };
  }
  return { problem: `a delivery of ${d.source} cannot be sent` };
}

/**
 * A subscription notification (handshake, heartbeat or event), POSTed to the subscription's own
 * channel with its headers and, when the subscriber set a secret, the body's HMAC signature.
 */
async function subscriptionShipment(tx: StoreTx, d: DeliveryRecord, subscriptionId: string, send: { now: Date; fhirBase: string }): Promise<Shipment | { skip: string } | { wait: number }> {
  const sub = await tx.subscriptions.get(subscriptionId);
  const kind = /\/\$(events|handshake|heartbeat)\//.exec(d.source)?.[1];
  if (!sub || sub.status === 'off') return { skip: `Subscription/${subscriptionId} is off or gone` };
  // An event raised while the subscription is (re)requested waits for the handshake, so a renewal loses nothing.
  if (kind === 'events' && sub.status === 'requested') return { wait: SUBSCRIPTION_HANDSHAKE_WAIT_MS };
  if (kind === 'handshake' ? sub.status !== 'requested' : sub.status !== 'active') return { skip: `Subscription/${subscriptionId} is ${sub.status}` };
  const n = kind === 'events' ? Number(d.source.split('/').at(-1)) : undefined;
  const events = n === undefined ? [] : await tx.subscriptions.events(subscriptionId, n, n, 1);
  const type: NotificationType = kind === 'handshake' ? 'handshake' : kind === 'heartbeat' ? 'heartbeat' : 'event-notification';
  const bundle = await notificationBundle(tx, sub, type, send.fhirBase, events, send.now);
  const body = JSON.stringify(bundle);
  const headers: [string, string][] = [...sub.headers, ...(sub.secret ? [[SIGNATURE_HEADER, signature(sub.secret, body)] as [string, string]] : [])];
  return {
    connectionType: 'rest-hook',
    endpoint: { id: `Subscription/${subscriptionId}`, address: sub.endpoint, headers, connectionType: 'hl7-fhir-rest' },
    what: { resourceType: 'Bundle', id: String(bundle.id) },
    body,
  };
}
