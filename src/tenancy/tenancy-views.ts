// Tenants and keys as the admin API shows them: never a key's secret nor its hash, budgets always with 6 decimals.
import { formatMoney, parseMoney } from '../metering/index.ts';
import type { ApiKeyRecord, BudgetSpec, ErasedTenantData, TenantRecord } from '../store/index.ts';
import type { BudgetStatus } from './limiter.ts';

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

/**
 * A key's or tenant's budget as it stands (GET /admin/keys/:id/budget, GET /admin/tenants/:id/budget): money with 6
 * decimals; every budget field null when none is set.
 */
export interface BudgetStatusView {
  object: 'budget';
  tenant: string;
  /** The key's id for a key's budget; null for a tenant's. */
  key: string | null;
  limit: string | null;
  currency: string | null;
  period: BudgetSpec['period'] | null;
  /** The current period's bounds (UTC); null for a `total` budget. */
  period_start: string | null;
  period_end: string | null;
  /** Settled spend in the period. */
  spent: string | null;
  /** Held by calls in flight (their worst-case costs) until they settle. */
  reserved: string | null;
  /** What a new call may still reserve: limit − spent − reserved, never below zero. */
  remaining: string | null;
  /** `counters`: as admissions see it now; `ledger`: the counters hold nothing for it, so nothing is in flight. */
  source: BudgetStatus['source'] | null;
}

/** A budget's status as the admin API shows it; `status` null when no budget is set. */
export function toBudgetStatusView(owner: { tenant: string; key: string | null }, status: BudgetStatus | null): BudgetStatusView {
  if (status === null) {
    return {
      object: 'budget',
      ...owner,
      limit: null,
      currency: null,
      period: null,
      period_start: null,
      period_end: null,
      spent: null,
      reserved: null,
      remaining: null,
      source: null,
    };
  }
  const left = status.limit - status.spent - status.reserved;
  return {
    object: 'budget',
    ...owner,
    limit: formatMoney(status.limit),
    currency: status.budget.currency,
    period: status.budget.period,
    period_start: status.period.from ?? null,
    period_end: status.period.to ?? null,
    spent: formatMoney(status.spent),
    reserved: formatMoney(status.reserved),
    remaining: formatMoney(left > 0n ? left : 0n),
    source: status.source,
  };
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
