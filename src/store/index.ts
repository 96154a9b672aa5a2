/** The storage capability's public API. Only `src/store/` knows SQL, `pg` and PGlite. */
export { openStore } from './store.ts';
export type { StoreDeps } from './store.ts';
export type * from './ports.ts';
export { parseSearch } from './search-parse.ts';
export type { SearchLimits } from './search-parse.ts';
export {
  STORED_TYPES,
  SEARCH_PARAMETERS,
  isStoredType,
  findSearchParameter,
  chainsFor,
  describeSearchParameters,
  describeSearchCapabilities,
} from './search-parameters.ts';
export type { StoredType, SearchParamDefinition, SearchParamType, CapabilitySearchParam } from './search-parameters.ts';
export { parseReference } from './reference.ts';
export type { ParsedReference } from './reference.ts';
export { findRegistryOrganization, findRegistryOrganizationCached } from './registry.ts';
