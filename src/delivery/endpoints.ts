import { isRegistryEntry } from '../shared/index.ts';
import { findRegistryOrganization, type ResourceRepository } from '../store/index.ts';

/** How a receiver takes what we push (R4 `endpoint-connection-type`). */
export type ConnectionType = 'hl7-fhir-rest' | 'hl7-fhir-msg';

export interface ReceiverEndpoint {
  id: string;
  /** The receiver's FHIR base URL. */
  address: string;
  /** `Endpoint.header` lines (`Name: value`), e.g. the receiver's `Authorization`. */
  headers: [string, string][];
  connectionType: ConnectionType;
}

const CONNECTION_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type';

/**
 * The recipient's active registry Endpoint of the wanted connection type, or why there is none.
 * Organizations and Endpoints are managed by admin through the FHIR API (issue #6, "Routing").
 */
export async function findEndpoint(
  resources: ResourceRepository,
  recipientSor: string,
  wanted: ConnectionType,
): Promise<{ endpoint: ReceiverEndpoint } | { problem: string }> {
  const org = await findRegistryOrganization(resources, recipientSor);
  if (!org) return { problem: `SOR ${recipientSor} is not an Organization in the registry` };
  for (const ref of org.endpoint ?? []) {
    const id = /^Endpoint\/([A-Za-z0-9\-.]{1,64})$/.exec(ref.reference ?? '')?.[1];
    if (!id) continue;
    const stored = await resources.read('Endpoint', id);
    const ep = stored?.resource as fhir4.Endpoint | undefined;
    if (!ep || !isRegistryEntry(stored?.resource) || ep.status !== 'active') continue;
    if (ep.connectionType.system !== CONNECTION_TYPE_SYSTEM || ep.connectionType.code !== wanted) continue;
    const headers = (ep.header ?? []).flatMap((h): [string, string][] => {
      const at = h.indexOf(':');
      return at > 0 ? [[h.slice(0, at).trim(), h.slice(at + 1).trim()]] : [];
    });
    return { endpoint: { id, address: ep.address.replace(/\/+$/, ''), headers, connectionType: wanted } };
  }
  return { problem: `${org.name ?? `SOR ${recipientSor}`} has no active ${wanted} Endpoint in the registry` };
}
