// The admin API's answers as the dashboard reads them (the fields it shows; the gateway may send more).

/** A list answer with cursor paging. */
export interface ListPage<T> {
  object: 'list';
  data: T[];
  has_more?: boolean;
  last_id?: string | null;
}

/** One row of the request log (GET /admin/requests). */
export interface RequestRow {
  id: string;
  created_at: string;
  endpoint: string;
  model: string;
  route: string | null;
  provider: string | null;
  attempts: number;
  status: number;
  error_code: string | null;
  stream: boolean;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cached_tokens: number | null;
  duration_ms: number | null;
  ttfb_ms: number | null;
  upstream_ms: number | null;
  tenant_id: string | null;
  key_id: string | null;
  decision_id: string | null;
}

/** A routing decision (GET /v1/crossway/decisions/{id}, POST /admin/plan). */
export interface Decision {
  id?: string;
  model: string;
  at: string;
  constraints: Record<string, unknown>;
  kept: { route: string; provider: string; region: string; rank: number; basis: string }[];
  rejected: { route: string; provider: string; region: string; reasons: { code: string; detail: string }[] }[];
  attempts?: { route: string; status: number; latency_ms: number; error: string | null; upstream_model?: string; notes?: string[] }[];
  notes?: string[];
}

/** A route and its health (GET /admin/routes). */
export interface AdminRoute {
  id: string;
  model: string;
  provider: string;
  region: string;
  state: 'closed' | 'open' | 'half_open';
  ejections: number;
  consecutive_failures: number;
  error_rate: number | null;
  latency_ewma_ms: number | null;
  ejected_until: string | null;
}

/** A spending limit. */
export interface Budget {
  limit: string;
  currency: string;
  period: 'day' | 'month' | 'total';
}

/** A budget as it stands (GET /admin/keys/{id}/budget, GET /admin/tenants/{id}/budget); the fields are null without one. */
export interface BudgetStatus {
  object: 'budget';
  tenant: string;
  key: string | null;
  limit: string | null;
  currency: string | null;
  period: Budget['period'] | null;
  period_start: string | null;
  period_end: string | null;
  spent: string | null;
  /** Held by calls in flight until they settle. */
  reserved: string | null;
  remaining: string | null;
  source: 'counters' | 'ledger' | null;
}

/** A tenant (GET /admin/tenants). */
export interface Tenant {
  id: string;
  name: string;
  margin: string | null;
  rpm: number | null;
  tpm: number | null;
  budget: Budget | null;
  created_at: string;
}

/** A virtual key, never with its secret except right after creation or rotation. */
export interface ApiKey {
  id: string;
  tenant: string;
  name: string | null;
  prefix: string;
  models: string[] | null;
  rpm: number | null;
  tpm: number | null;
  budget: Budget | null;
  expires_at: string | null;
  admin: boolean;
  created_at: string;
  revoked_at: string | null;
  key?: string;
}

/** Sums of usage (GET /admin/usage). */
export interface UsageRow {
  group: string | null;
  requests: number;
  input_tokens: number;
  cached_tokens: number;
  output_tokens: number;
  cost: string;
  charged: string;
  currency: string;
}

export interface UsageReport {
  data: UsageRow[];
  total: Omit<UsageRow, 'group'>;
}
