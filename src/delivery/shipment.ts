import { prepareForSend } from '../medcom/index.ts';
import { messageBundleId, type AnyResource } from '../shared/index.ts';
import type { DeliveryRecord, StoreTx } from '../store/index.ts';
import type { ConnectionType } from './endpoints.ts';

/** What one attempt sends: the resource, as JSON, and the connection type it needs. */
export interface Shipment {
  connectionType: ConnectionType;
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
export async function buildShipment(tx: StoreTx, d: DeliveryRecord, send: { now: Date; newBundleId: () => string }): Promise<Shipment | { problem: string }> {
  const [type, id] = d.source.split('/') as [string, string | undefined];
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
