import { describeSearchParameters, STORED_TYPES } from '../store/index.ts';
import { REGISTRY_TYPES } from '../auth/index.ts';
import { CONFORMANCE_TYPES } from './routes/conformance.routes.ts';

const VERSION = '0.1.0';

/** SMART App Launch / Backend Services discovery document (`.well-known/smart-configuration`). */
export function buildSmartConfiguration(publicBaseUrl: string): Record<string, unknown> {
  return {
    issuer: publicBaseUrl,
    token_endpoint: `${publicBaseUrl}/oauth/token`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['private_key_jwt', 'client_secret_basic', 'client_secret_post'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384', 'RS256', 'ES256'],
    scopes_supported: ['system/*.cruds', 'system/*.rs'],
    capabilities: ['client-confidential-asymmetric', 'client-confidential-symmetric'],
  };
}

/**
 * The CapabilityStatement: only what really works. Types, interactions and search parameters
 * come from the same registries the server runs on, so this cannot drift from behaviour.
 */
export function buildCapabilityStatement(publicBaseUrl: string, profiles: ReadonlyMap<string, fhir4.StructureDefinition>): fhir4.CapabilityStatement {
  const profilesOf = (type: string): string[] =>
    [...profiles.values()].filter((p) => p.type === type && p.kind === 'resource' && !p.abstract).map((p) => p.url).sort();
  const interactions = (codes: fhir4.CapabilityStatementRestResourceInteraction['code'][]) => codes.map((code) => ({ code }));
  const resources: fhir4.CapabilityStatementRestResource[] = STORED_TYPES.map((type) => ({
    type,
    documentation: REGISTRY_TYPES.includes(type)
      ? 'Registry data: readable by every authenticated client except relays; written by admin.'
      : 'Patient data: each client sees the rows shared with its organisation; every access is audited.',
    interaction: interactions(['read', 'vread', 'history-instance', 'history-type', 'search-type', 'create', 'update', 'delete']),
    versioning: 'versioned-update',
    readHistory: true,
    updateCreate: true,
    conditionalCreate: false,
    conditionalUpdate: false,
    conditionalDelete: 'not-supported',
    searchParam: [
      ...describeSearchParameters(type).map((p) => ({ name: p.name, type: p.type, documentation: p.documentation })),
      { name: '_count', type: 'number', documentation: 'Page size; follow the next link for more.' },
    ],
    operation: [{ name: 'validate', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate' }],
    ...(profilesOf(type).length > 0 ? { supportedProfile: profilesOf(type) } : {}),
  }));
  for (const type of CONFORMANCE_TYPES) {
    resources.push({
      type,
      documentation: 'The profiles, code systems and value sets Sektorbro validates with (profiles/), read-only.',
      interaction: interactions(['read', 'search-type']),
      searchParam: [
        { name: 'url', type: 'uri', documentation: 'Canonical URL' },
        { name: '_id', type: 'token', documentation: 'Logical id' },
        { name: 'name', type: 'string', documentation: 'Computer-friendly name (starts with)' },
      ],
    });
  }
  resources.push({
    type: 'AuditEvent',
    documentation: 'The audit trail of every access to patient data, kept apart from the resource tables. Admin only.',
    interaction: interactions(['read', 'search-type']),
    searchParam: [
      { name: 'date', type: 'date', documentation: 'ge/gt (since) or le/lt (until) the recorded time' },
      { name: 'agent', type: 'token', documentation: 'The client id' },
      { name: 'entity', type: 'reference', documentation: 'A resource that was accessed, as Type/id' },
      { name: '_count', type: 'number', documentation: 'Page size' },
    ],
  });
  // Subscriptions: R4 criteria and R4 Backport topics (issue #6).
  const subscription = resources.find((r) => r.type === 'Subscription');
  if (subscription) {
    subscription.documentation = 'Each hospital, municipality and GP manages its own; notifications carry only what its organisation may read, signed with its secret.';
    subscription.supportedProfile = ['http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription'];
    subscription.operation = [
      { name: 'status', definition: 'http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-status' },
      { name: 'events', definition: 'http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-events' },
      { name: 'topic-list', definition: 'http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscriptiontopic-list' },
    ];
  }
  resources.push(
    {
      type: 'Task',
      documentation: 'Deliveries of documents and messages to their recipients, with each step as an output; computed, read-only; visible like the document.',
      interaction: interactions(['read', 'search-type']),
      searchParam: [{ name: 'focus', type: 'reference', documentation: 'DocumentReference/<id> or MessageHeader/<id> the delivery carries' }],
    },
    {
      type: 'Measure',
      documentation: 'The epikrise timeliness indicator (one working day, against the target).',
      interaction: interactions(['read', 'search-type']),
      searchParam: [{ name: 'url', type: 'uri', documentation: 'Canonical URL' }, { name: '_id', type: 'token', documentation: 'Logical id' }],
      operation: [{ name: 'evaluate-measure', definition: 'http://hl7.org/fhir/OperationDefinition/Measure-evaluate-measure' }],
    },
    {
      type: 'MeasureReport',
      documentation: 'The indicator per Copenhagen month, computed on request; a hospital sees its own figures.',
      interaction: interactions(['read', 'search-type']),
      searchParam: [
        { name: 'period', type: 'date', documentation: 'Months covered (a lower bound is required)' },
        { name: 'measure', type: 'reference', documentation: 'The Measure canonical' },
        { name: 'hospital', type: 'token', documentation: 'The hospital SOR code' },
      ],
    },
  );
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-11-30',
    publisher: 'Sektorbro',
    kind: 'instance',
    software: { name: 'Sektorbro', version: VERSION },
    implementation: { description: 'Sektorbro FHIR R4 gateway for discharge hand-offs', url: `${publicBaseUrl}/fhir` },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        documentation: 'All interactions need an OAuth2 bearer token (client credentials) from /oauth/token with SMART v2 system scopes.',
        security: {
          cors: false,
          service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [{ url: 'token', valueUri: `${publicBaseUrl}/oauth/token` }],
            },
          ],
        },
        resource: resources,
      },
    ],
  };
}
