// The table types Kysely checks queries against; shared by every SQL backend, so keep them in step with store-migrations.ts.
import type { ColumnType } from 'kysely';

/** The `request_log` table as stored (see RequestLogRow for the meaning of each column). */
export interface RequestLogTable {
  id: string;
  created_at: string;
  endpoint: string;
  model: string;
  route: string | null;
  attempts: number;
  status: number;
  error_code: string | null;
  // SQLite has no boolean type and reads 0/1 back; PostgreSQL reads true/false.
  stream: ColumnType<boolean | number, boolean, boolean>;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cached_tokens: number | null;
  duration_ms: number;
  ttfb_ms: number | null;
  /** JSON of McpCallLogEntry[] (0010_mcp_servers); null when the request made no MCP call. */
  mcp_calls: ColumnType<string | null, string | null | undefined, string | null>;
  // 0014_request_log_columns: null on rows written before it, and where nothing applies (the master key has no key id).
  tenant_id: ColumnType<string | null, string | null | undefined, string | null>;
  key_id: ColumnType<string | null, string | null | undefined, string | null>;
  decision_id: ColumnType<string | null, string | null | undefined, string | null>;
  provider: ColumnType<string | null, string | null | undefined, string | null>;
  upstream_ms: ColumnType<number | null, number | null | undefined, number | null>;
}

/**
 * The `decisions` table of the decisions recorded before 0007_decision_plans: one per row, the whole record as JSON
 * text (see DecisionRecord). Read and pruned only; new decisions go to `request_decisions`.
 */
export interface DecisionTable {
  id: string;
  created_at: string;
  model: string;
  record: string;
}

/** The `decision_plans` table: a decision's plan part (see StoredDecisionPlan), once for every decision that refers to it. */
export interface DecisionPlanTable {
  id: string;
  plan: string;
}

/** The `request_decisions` table: a decision as a reference to its plan plus what is particular to it (see DecisionTableRow). */
export interface RequestDecisionTable {
  id: string;
  created_at: string;
  plan_id: string;
  tenant: string | null;
  route: string | null;
  detail: string;
}

// A 64-bit integer column: written as bigint; read back as a number from node:sqlite (which throws past 2^53 rather
// than round) or a decimal string from pg, so the ledger's queries read it cast to text; toBigInt (ledger-rows.ts)
// turns any of these into an exact bigint.
type BigIntColumn = ColumnType<bigint | number | string, bigint, bigint>;
// As `stream` above: SQLite reads 0/1 back, PostgreSQL true/false.
type BooleanColumn = ColumnType<boolean | number, boolean, boolean>;

/** `settings`: installation-wide values, written once (see Store.putSettingIfAbsent). */
export interface SettingTable {
  name: string;
  value: string;
}

/** `tenants` (see TenantRecord); `policy`, `budget` and `metadata` are JSON text. */
export interface TenantTable {
  id: string;
  name: string;
  policy: string;
  margin: string | null;
  rpm: number | null;
  tpm: number | null;
  budget: string | null;
  metadata: string;
  created_at: string;
  updated_at: string;
  /** Set when the tenant was deleted: the row stays as a tombstone that keeps the id from being reused. */
  deleted_at: string | null;
}

/** `api_keys` (see ApiKeyRecord); `models`, `budget` and `metadata` are JSON text. */
export interface ApiKeyTable {
  id: string;
  tenant: string;
  name: string | null;
  prefix: string;
  hash: string;
  models: string | null;
  rpm: number | null;
  tpm: number | null;
  budget: string | null;
  expires_at: string | null;
  admin: BooleanColumn;
  metadata: string;
  created_at: string;
  revoked_at: string | null;
}

/** `usage_events` (see UsageEventRecord). */
export interface UsageEventTable {
  id: string;
  request_id: string;
  tenant: string;
  key_id: string | null;
  endpoint: string;
  model: string;
  route: string;
  provider: string;
  region: string;
  input_tokens: number;
  cached_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  estimated: BooleanColumn;
  latency_ms: number;
  status: number;
  started_at: string;
  completed_at: string;
  currency: string;
  cost: BigIntColumn;
  charged: BigIntColumn;
}

/** `transfers` (see TransferRecord). */
export interface TransferTable {
  id: string;
  event_id: string;
  debit: string;
  credit: string;
  amount: BigIntColumn;
  currency: string;
  kind: string;
  agreement_id: string | null;
  created_at: string;
}

/** `account_balances`: debits minus credits per (account, currency), kept in the transaction that adds the transfers. */
export interface AccountBalanceTable {
  account: string;
  currency: string;
  balance: BigIntColumn;
}

/** `agreement_accruals`: revenue share accrued per (agreement, currency), kept beside the transfers. */
export interface AgreementAccrualTable {
  agreement_id: string;
  currency: string;
  accrued: BigIntColumn;
  cap_reached_at: string | null;
}

/** `idempotency_keys` (see IdempotencyRecord); `headers` is JSON text, `body` the response bytes. */
export interface IdempotencyKeyTable {
  tenant: string;
  key: string;
  request_hash: string;
  state: string;
  status: number | null;
  headers: string | null;
  body: Uint8Array | null;
  created_at: string;
  lease_expires_at: string;
  expires_at: string;
}

/** `responses` (see StoredResponseRecord); `request` and `response` are JSON text. */
export interface ResponseTable {
  id: string;
  tenant: string;
  created_at: string;
  updated_at: string;
  status: string;
  model: string;
  route: string | null;
  previous_response_id: string | null;
  conversation_id: string | null;
  background: BooleanColumn;
  request: string;
  response: string;
  usage_event_id: string | null;
  expires_at: string | null;
  /** The replica running it (background jobs), null when none holds it. */
  owner: string | null;
  /** Until when `owner` holds it (ISO text); null when none does. */
  lease_expires_at: string | null;
  /** The request id of the run that last held it (the ledger's usage event of that run is found by it). */
  run_request_id: string | null;
}

/** `leases`: named leases for work one replica at a time does (housekeeping). */
export interface LeaseTable {
  name: string;
  owner: string;
  expires_at: string;
}

/** `response_items` (see ResponseItemRecord); `item` is JSON text. */
export interface ResponseItemTable {
  response_id: string;
  kind: string;
  position: number;
  item_id: string;
  item: string;
}

/** `response_events` (see ResponseEventRecord); `event` is JSON text. */
export interface ResponseEventTable {
  response_id: string;
  sequence_number: number;
  event: string;
}

/** `conversations` (see ConversationRecord); `metadata` is JSON text. */
export interface ConversationTable {
  id: string;
  tenant: string;
  created_at: string;
  metadata: string;
}

/** `conversation_items` (see ConversationItemRecord); `item` is JSON text. */
export interface ConversationItemTable {
  conversation_id: string;
  position: number;
  item_id: string;
  item: string;
  created_at: string;
}

/** `tenant_storage`: the bytes of responses and conversations each tenant keeps (see StorageLimits). */
export interface TenantStorageTable {
  tenant: string;
  bytes: BigIntColumn;
}

/** Every table of the store, by name. */
export interface StoreDatabase {
  request_log: RequestLogTable;
  decisions: DecisionTable;
  decision_plans: DecisionPlanTable;
  request_decisions: RequestDecisionTable;
  settings: SettingTable;
  tenants: TenantTable;
  api_keys: ApiKeyTable;
  usage_events: UsageEventTable;
  transfers: TransferTable;
  account_balances: AccountBalanceTable;
  agreement_accruals: AgreementAccrualTable;
  idempotency_keys: IdempotencyKeyTable;
  responses: ResponseTable;
  response_items: ResponseItemTable;
  response_events: ResponseEventTable;
  conversations: ConversationTable;
  conversation_items: ConversationItemTable;
  tenant_storage: TenantStorageTable;
  leases: LeaseTable;
  mcp_servers: McpServerTable;
  dashboard_sessions: DashboardSessionTable;
  audit_log: AuditLogTable;
}

/** The `mcp_servers` table (0010_mcp_servers): JSON values as text; `headers` holds the credentials (see McpServerRecord). */
export interface McpServerTable {
  id: string;
  tenant: string;
  label: string;
  url: string;
  description: string | null;
  headers: string;
  credential_id: string | null;
  allowed_tools: string | null;
  require_approval: string;
  network: string;
  created_at: string;
  updated_at: string;
}

/** The `dashboard_sessions` table (0013_dashboard_auth): see DashboardSessionRecord. */
export interface DashboardSessionTable {
  id_hash: string;
  via: string;
  role: string;
  tenant: string | null;
  key_id: string | null;
  key_fingerprint: string | null;
  subject: string;
  name: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

/** The `audit_log` table (0013_dashboard_auth): see AuditRecord. */
export interface AuditLogTable {
  id: string;
  created_at: string;
  actor_kind: string;
  actor_id: string | null;
  actor_name: string | null;
  tenant_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: string;
  ip: string | null;
}
