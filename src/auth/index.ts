/**
 * Auth capability: clients, SMART system scopes, OAuth2 client-credentials tokens and the
 * access policy. Plain values in, plain values out; no HTTP framework types.
 */
export type { ClientRecord, Interaction, Organisation, Principal, Role, Scope } from './ports.ts';
export { ROLES } from './ports.ts';
export { DEFAULT_SCOPES, DEMO_CLIENT_IDS, demoSecretFor, loadClients } from './clients.ts';
export type { ClientRegistry, LoadClientsOptions, ReadFile } from './clients.ts';
export { hashSecret } from './secret-hash.ts';
export { formatScope, grantScopes, parseScope, parseScopes, permits, ScopeError } from './scopes.ts';
export { OAuthError } from './oauth-error.ts';
export type { OAuthErrorCode } from './oauth-error.ts';
export {
  ASSERTION_ALGORITHMS,
  authenticateClient,
  CLIENT_ASSERTION_TYPE,
  issueAccessToken,
  MAX_ASSERTION_LIFETIME_SECONDS,
  verifyAccessToken,
} from './tokens.ts';
export type { ClientAuthDeps, IssueDeps, TokenRequest, TokenResponse, VerifyDeps } from './tokens.ts';
export { accessFilterFor, grantsForWrite, mayExtendResponsibility, mayInteract, mayProcessMessage, mayRead, REGISTRY_TYPES } from './access-policy.ts';
