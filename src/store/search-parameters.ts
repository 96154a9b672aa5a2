/**
 * The search-parameter registry, as data. Names, types and element paths follow the R4
 * SearchParameter definitions (https://hl7.org/fhir/R4/searchparameter-registry.html), limited to
 * the parameters Sektorbro supports. Paths are simple dotted element names from the resource root;
 * a trailing `[x]` means a choice element (`effective[x]` covers effectiveDateTime, effectivePeriod, …).
 */
export const STORED_TYPES = [
  'Patient',
  'Organization',
  'Endpoint',
  'Practitioner',
  'PractitionerRole',
  'Encounter',
  'EpisodeOfCare',
  'CarePlan',
  'CareTeam',
  'Composition',
  'DocumentReference',
  'Bundle',
  'Communication',
  'MessageHeader',
  'Provenance',
  'Condition',
  'Observation',
  'MedicationStatement',
  'ServiceRequest',
  'Subscription',
] as const;

export type StoredType = (typeof STORED_TYPES)[number];

export const isStoredType = (type: string): type is StoredType => (STORED_TYPES as readonly string[]).includes(type);

export type SearchParamType = 'token' | 'reference' | 'date';

export interface SearchParamDefinition {
  readonly name: string;
  readonly type: SearchParamType;
  /** Element paths that feed the index. */
  readonly paths: readonly string[];
  /**
   * Reference parameters: the resource types a reference may point to; empty means any. When
   * `onlyTarget` is set, only references to that type are indexed (R4's `.where(resolve() is Patient)`).
   */
  readonly targets?: readonly string[];
  readonly onlyTarget?: 'Patient';
  readonly documentation: string;
}

const identifier = (type: string, paths: readonly string[] = ['identifier']): SearchParamDefinition => ({
  name: 'identifier',
  type: 'token',
  paths,
  documentation: `An identifier of the ${type} (system|value)`,
});
const status = (type: string): SearchParamDefinition => ({
  name: 'status',
  type: 'token',
  paths: ['status'],
  documentation: `The status of the ${type}`,
});
const typeParam = (type: string): SearchParamDefinition => ({
  name: 'type',
  type: 'token',
  paths: ['type'],
  documentation: `The type of the ${type}`,
});
const patient = (type: string, path = 'subject'): SearchParamDefinition => ({
  name: 'patient',
  type: 'reference',
  paths: [path],
  targets: ['Patient'],
  onlyTarget: 'Patient',
  documentation: `The patient the ${type} is about`,
});
const subject = (type: string, targets: readonly string[]): SearchParamDefinition => ({
  name: 'subject',
  type: 'reference',
  paths: ['subject'],
  targets,
  documentation: `Who or what the ${type} is about`,
});
const date = (name: string, path: string, documentation: string): SearchParamDefinition => ({
  name,
  type: 'date',
  paths: [path],
  documentation,
});
const organization = (path: string, documentation: string): SearchParamDefinition => ({
  name: 'organization',
  type: 'reference',
  paths: [path],
  targets: ['Organization'],
  documentation,
});

/** Per stored type, the supported parameters beyond `_id` and `_lastUpdated`. */
export const SEARCH_PARAMETERS: Readonly<Record<StoredType, readonly SearchParamDefinition[]>> = {
  Patient: [identifier('Patient')],
  Organization: [identifier('Organization'), typeParam('Organization')],
  Endpoint: [
    identifier('Endpoint'),
    organization('managingOrganization', 'The organization that manages the Endpoint'),
    status('Endpoint'),
  ],
  Practitioner: [identifier('Practitioner')],
  PractitionerRole: [
    date('date', 'period', 'The period during which the practitioner is in this role'),
    identifier('PractitionerRole'),
    organization('organization', 'The organization where the practitioner has this role'),
  ],
  Encounter: [
    date('date', 'period', 'A date within the period of the Encounter'),
    identifier('Encounter'),
    patient('Encounter'),
    status('Encounter'),
    subject('Encounter', ['Group', 'Patient']),
    typeParam('Encounter'),
  ],
  EpisodeOfCare: [
    date('date', 'period', 'The period of the EpisodeOfCare'),
    identifier('EpisodeOfCare'),
    organization('managingOrganization', 'The organization that has assumed responsibility for the care'),
    patient('EpisodeOfCare', 'patient'),
    status('EpisodeOfCare'),
    typeParam('EpisodeOfCare'),
  ],
  CarePlan: [
    date('date', 'period', 'A date within the period the CarePlan covers'),
    identifier('CarePlan'),
    patient('CarePlan'),
    status('CarePlan'),
    subject('CarePlan', ['Group', 'Patient']),
  ],
  CareTeam: [
    date('date', 'period', 'A date within the period the CareTeam covers'),
    identifier('CareTeam'),
    patient('CareTeam'),
    status('CareTeam'),
    subject('CareTeam', ['Group', 'Patient']),
  ],
  Composition: [
    date('date', 'date', 'The composition editing time'),
    identifier('Composition'),
    patient('Composition'),
    status('Composition'),
    subject('Composition', []),
    typeParam('Composition'),
  ],
  DocumentReference: [
    date('date', 'date', 'When this document reference was created'),
    identifier('DocumentReference', ['masterIdentifier', 'identifier']),
    patient('DocumentReference'),
    status('DocumentReference'),
    subject('DocumentReference', ['Practitioner', 'Group', 'Device', 'Patient']),
    typeParam('DocumentReference'),
  ],
  Bundle: [
    identifier('Bundle'),
    date('timestamp', 'timestamp', 'When the Bundle was assembled'),
    typeParam('Bundle'),
  ],
  Communication: [
    { name: 'category', type: 'token', paths: ['category'], documentation: 'Message category, e.g. the MedCom CareCommunication category (extended-care-responsibility, ...)' },
    identifier('Communication'),
    patient('Communication'),
    date('sent', 'sent', 'When the Communication was sent'),
    status('Communication'),
    subject('Communication', ['Group', 'Patient']),
  ],
  MessageHeader: [],
  Provenance: [
    { name: 'entity', type: 'reference', paths: ['entity.what'], targets: [], documentation: 'Identity of entity' },
    date('recorded', 'recorded', 'When the activity was recorded / updated'),
    { name: 'target', type: 'reference', paths: ['target'], targets: [], documentation: 'Target Reference(s) (usually version specific)' },
  ],
  Condition: [
    identifier('Condition'),
    patient('Condition'),
    date('recorded-date', 'recordedDate', 'Date the Condition was first recorded'),
    subject('Condition', ['Group', 'Patient']),
  ],
  Observation: [
    date('date', 'effective[x]', 'Clinically relevant time or time-period for the Observation'),
    identifier('Observation'),
    patient('Observation'),
    status('Observation'),
    subject('Observation', ['Group', 'Device', 'Patient', 'Location']),
  ],
  MedicationStatement: [
    identifier('MedicationStatement'),
    patient('MedicationStatement'),
    status('MedicationStatement'),
    subject('MedicationStatement', ['Group', 'Patient']),
  ],
  ServiceRequest: [
    identifier('ServiceRequest'),
    patient('ServiceRequest'),
    status('ServiceRequest'),
    subject('ServiceRequest', ['Group', 'Device', 'Patient', 'Location']),
  ],
  Subscription: [status('Subscription')],
};

/** Reference parameters that may be chained to a Patient parameter (`patient.identifier=system|value`). */
export const CHAINABLE_REFERENCES = ['patient', 'subject'] as const;
/** Patient parameters a chain may end in. */
export const CHAIN_TARGET_PARAMS = ['identifier'] as const;

/** The definition of `name` on `type`, if Sektorbro supports it. */
export function findSearchParameter(type: string, name: string): SearchParamDefinition | undefined {
  return isStoredType(type) ? SEARCH_PARAMETERS[type].find((p) => p.name === name) : undefined;
}

/** Chained parameter names (`patient.identifier`, …) accepted on `type`. */
export function chainsFor(type: string): string[] {
  if (!isStoredType(type)) return [];
  return SEARCH_PARAMETERS[type]
    .filter((p) => (CHAINABLE_REFERENCES as readonly string[]).includes(p.name))
    .flatMap((p) => CHAIN_TARGET_PARAMS.map((t) => `${p.name}.${t}`));
}

export interface CapabilitySearchParam {
  name: string;
  type: 'token' | 'reference' | 'date';
  documentation: string;
}

const COMMON_PARAMS: readonly CapabilitySearchParam[] = [
  { name: '_id', type: 'token', documentation: 'Logical id of the resource; comma-separated values are ORed' },
  { name: '_lastUpdated', type: 'date', documentation: 'When the resource version was stored (prefixes eq, ne, gt, lt, ge, le, sa, eb)' },
];

/**
 * The search parameters of one stored type, for `CapabilityStatement.rest.resource.searchParam`.
 * Chains are announced in the documentation of the reference parameter they start from.
 */
export function describeSearchParameters(type: StoredType): CapabilitySearchParam[] {
  const chains = chainsFor(type);
  const own = SEARCH_PARAMETERS[type].map((p): CapabilitySearchParam => {
    const chain = chains.filter((c) => c.startsWith(`${p.name}.`));
    const documentation =
      chain.length > 0 ? `${p.documentation}. Chained: ${chain.join(', ')} (system|value of the Patient)` : p.documentation;
    return { name: p.name, type: p.type, documentation };
  });
  return [...COMMON_PARAMS, ...own];
}

/** Every stored type with its search parameters, for the CapabilityStatement. */
export function describeSearchCapabilities(): Record<StoredType, CapabilitySearchParam[]> {
  const out = {} as Record<StoredType, CapabilitySearchParam[]>;
  for (const type of STORED_TYPES) out[type] = describeSearchParameters(type);
  return out;
}
