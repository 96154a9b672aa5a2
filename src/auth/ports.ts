/** Roles a client can have (issue #3). */
export type Role = 'hospital' | 'municipality' | 'gp' | 'quality' | 'admin' | 'relay';
export const ROLES: readonly Role[] = ['hospital', 'municipality', 'gp', 'quality', 'admin', 'relay'];

/** A SMART v2 interaction letter: create, read, update, delete, search. */
export type Interaction = 'c' | 'r' | 'u' | 'd' | 's';

export interface Organisation {
  /** SOR code: the organisation identity every access decision uses. */
  sor: string;
  name: string;
  gln?: string | undefined;
  /** Kommunekode (municipalities only), e.g. "0163" for Herlev. */
  kommunekode?: string | undefined;
}

export interface ClientRecord {
  id: string;
  role: Role;
  org: Organisation;
  /** scrypt hash (`scrypt$<salt b64>$<hash b64>`) for client_secret_basic/post. */
  secretHash?: string | undefined;
  /** Public keys for private_key_jwt (SMART Backend Services). */
  jwks?: { keys: Record<string, unknown>[] } | undefined;
  /** The most a client may be granted, as SMART v2 scopes (`system/Patient.rs`, `system/*.rs`). */
  allowedScopes: string[];
  /** Demo clients are refused in production. */
  demo: boolean;
}

/** A parsed SMART v2 system scope. `*` resource type matches every type. */
export interface Scope {
  resourceType: string;
  interactions: ReadonlySet<Interaction>;
}

/** Who is calling, established from a verified access token. */
export interface Principal {
  clientId: string;
  role: Role;
  org: Organisation;
  scopes: Scope[];
  /** The granted scope string as issued. */
  scope: string;
}
