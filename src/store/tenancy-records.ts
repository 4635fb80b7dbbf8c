// Tenants and virtual keys as every Store backend keeps them: plain data, no logic (that lives in src/tenancy/).

/** A spending limit in a currency per period, as configured on a tenant or a key. */
export interface BudgetSpec {
  /** Decimal amount in currency units, at most 6 decimals (e.g. `"25.00"`). */
  limit: string;
  /** ISO 4217 code, e.g. `USD`. */
  currency: string;
  /** The budget resets at the start of each UTC day or calendar month; `total` never resets. */
  period: 'day' | 'month' | 'total';
}

/** One tenant: a team or customer whose keys, limits, policy and usage are kept apart from every other tenant's. */
export interface TenantRecord {
  /** Chosen by the operator: letters, digits, `.`, `_`, `-` (1..64). */
  id: string;
  name: string;
  /** The tenant's routing policy (catalog `Constraints` as JSON); `{}` = the gateway's policy alone. */
  policy: Record<string, unknown>;
  /** What the tenant pays over cost, as a non-negative decimal string (`"0.25"` = +25 %); null = cost plus zero. */
  margin: string | null;
  /** Requests per minute over all the tenant's keys; null = unlimited. */
  rpm: number | null;
  /** Tokens per minute over all the tenant's keys; null = unlimited. */
  tpm: number | null;
  budget: BudgetSpec | null;
  /** Free-form operator data. */
  metadata: Record<string, string>;
  created_at: string;
  updated_at: string;
}

/** The fields of a tenant that PATCH may change. */
/** What erasing a tenant's stored state removed (see Store.eraseTenantData). */
export interface ErasedTenantData {
  responses: number;
  conversations: number;
  idempotency_keys: number;
}

export type TenantPatch = Partial<Pick<TenantRecord, 'name' | 'policy' | 'margin' | 'rpm' | 'tpm' | 'budget' | 'metadata' | 'updated_at'>>;

/** One virtual key. The secret itself is never stored: only its keyed hash. */
export interface ApiKeyRecord {
  /** `key_` + 24 hex digits; what the admin API and the ledger name the key by. */
  id: string;
  tenant: string;
  name: string | null;
  /** The first characters of the secret (`sk-cw-AbCd`), shown in listings so that people can tell keys apart. */
  prefix: string;
  /** Hex HMAC-SHA-256 of the secret under the installation's key-hash secret; unique. */
  hash: string;
  /** Models (or aliases) the key may call; null = every model. */
  models: string[] | null;
  rpm: number | null;
  tpm: number | null;
  budget: BudgetSpec | null;
  /** ISO instant after which the key no longer authenticates; null = never. */
  expires_at: string | null;
  /** An admin key may use /admin/* for its own tenant. */
  admin: boolean;
  metadata: Record<string, string>;
  created_at: string;
  /** ISO instant of revocation; a revoked key never authenticates again. */
  revoked_at: string | null;
}

/** The fields of a key that may change after creation (PATCH, revocation, and rotation: a new hash and prefix). */
export type ApiKeyPatch = Partial<
  Pick<ApiKeyRecord, 'name' | 'models' | 'rpm' | 'tpm' | 'budget' | 'expires_at' | 'admin' | 'metadata' | 'revoked_at' | 'hash' | 'prefix'>
>;
