// Tenants and keys as the admin API shows them: never a key's secret nor its hash, budgets always with 6 decimals.
import { formatMoney, parseMoney } from '../metering/index.ts';
import type { ApiKeyRecord, BudgetSpec, ErasedTenantData, TenantRecord } from '../store/index.ts';

/** A tenant as the admin API shows it. */
export interface TenantView {
  object: 'tenant';
  id: string;
  name: string;
  policy: Record<string, unknown>;
  margin: string | null;
  rpm: number | null;
  tpm: number | null;
  budget: BudgetSpec | null;
  metadata: Record<string, string>;
  created_at: string;
  updated_at: string;
}

/** A key as the admin API shows it: never its secret nor its hash. */
export interface ApiKeyView {
  object: 'api_key';
  id: string;
  tenant: string;
  name: string | null;
  prefix: string;
  models: string[] | null;
  rpm: number | null;
  tpm: number | null;
  budget: BudgetSpec | null;
  expires_at: string | null;
  admin: boolean;
  metadata: Record<string, string>;
  created_at: string;
  revoked_at: string | null;
}

/** A key with its secret: answered only by createKey and rotateKey, since the secret is not stored. */
export interface ApiKeyWithSecret extends ApiKeyView {
  key: string;
}

/** What a deletion answers (OpenAI's deletion object shape). */
export interface DeletedTenant {
  object: 'tenant.deleted';
  id: string;
  deleted: true;
  /** With `?erase=true`: how many stored responses, conversations and idempotency keys were erased. */
  erased?: ErasedTenantData;
}

/** Budgets always show their limit with 6 decimals (`"25.000000"`), whatever form the store kept. */
function toBudgetView(budget: BudgetSpec | null): BudgetSpec | null {
  return budget === null ? null : { limit: formatMoney(parseMoney(budget.limit)), currency: budget.currency, period: budget.period };
}

/** A tenant record as the admin API shows it. */
export function toTenantView(tenant: TenantRecord): TenantView {
  return {
    object: 'tenant',
    id: tenant.id,
    name: tenant.name,
    policy: tenant.policy,
    margin: tenant.margin,
    rpm: tenant.rpm,
    tpm: tenant.tpm,
    budget: toBudgetView(tenant.budget),
    metadata: tenant.metadata,
    created_at: tenant.created_at,
    updated_at: tenant.updated_at,
  };
}

/** A key record as the admin API shows it (no hash). */
export function toApiKeyView(key: ApiKeyRecord): ApiKeyView {
  return {
    object: 'api_key',
    id: key.id,
    tenant: key.tenant,
    name: key.name,
    prefix: key.prefix,
    models: key.models,
    rpm: key.rpm,
    tpm: key.tpm,
    budget: toBudgetView(key.budget),
    expires_at: key.expires_at,
    admin: key.admin,
    metadata: key.metadata,
    created_at: key.created_at,
    revoked_at: key.revoked_at,
  };
}
