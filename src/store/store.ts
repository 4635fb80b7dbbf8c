// The persistence contract: one interface that every backend (SQLite now, PostgreSQL later) implements and passes store.case.test.ts.
import type { AgentStore } from './agent-records.ts';
import type { AuthStore } from './auth-records.ts';
import type { DecisionRecord, DecisionRow } from './decision-record.ts';
import type {
  AccountBalanceRecord,
  AgreementAccrualRecord,
  IdempotencyClaim,
  IdempotencyRecord,
  LedgerCommitResult,
  LedgerEntry,
  LedgerPageOptions,
  TransferFilter,
  TransferRecord,
  UsageEventRecord,
  UsageFilter,
  UsageGroupBy,
  UsageTotalsRecord,
} from './ledger-records.ts';
import type {
  BackgroundLease,
  BackgroundRunStart,
  ClaimedBackgroundResponse,
  ConversationItemRecord,
  ConversationRecord,
  HeldBackgroundResponse,
  ItemPageOptions,
  ResponseChain,
  ResponseEventRecord,
  ResponseItemRecord,
  ResponseWriteCondition,
  StoredResponsePatch,
  StoredResponseRecord,
} from './runtime-records.ts';
import type { McpServerPatch, McpServerRecord } from './mcp-server-records.ts';
import type { McpCredentialRecord } from './mcp-credential-records.ts';
import type { StorageLimits } from './storage-limits.ts';
import type { ApiKeyPatch, ApiKeyRecord, ErasedTenantData, TenantPatch, TenantRecord } from './tenancy-records.ts';

/** One MCP operation of a request, as the request log keeps it: no arguments, no credentials. */
export interface McpCallLogEntry {
  server_label: string;
  /** The tool called, or `tools/list`. */
  tool: string;
  /** `completed`, `failed: <error type>`, `approval requested`, `denied`, `refused: ...`, `listed N tools`. */
  outcome: string;
}

/** One finished request as the gateway records it, for the admin API and the dashboard. */
export interface RequestLogRow {
  /** The request id; unique. */
  id: string;
  /** When the request arrived, in the exact form `Date.prototype.toISOString()` writes (UTC, milliseconds), so that text order is time order. */
  created_at: string;
  /** Which API was called: `'chat.completions'`, `'responses'`, `'embeddings'`, ... */
  endpoint: string;
  /** The model the client asked for. */
  model: string;
  /** Id of the route that answered (or the last one tried); null when no route was tried. */
  route: string | null;
  /** Upstream attempts made, retries and failovers included. */
  attempts: number;
  /** HTTP status sent to the client. */
  status: number;
  /** Stable Crossway error code when the request failed. */
  error_code: string | null;
  stream: boolean;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cached_tokens: number | null;
  /** Whole request, in milliseconds; stored rounded to an integer. */
  duration_ms: number;
  /** Time to the first byte sent to the client, in milliseconds; stored rounded to an integer. */
  ttfb_ms: number | null;
  /** The MCP tools the request listed and called (the Responses `mcp` tool), each with its outcome; absent or null when none. */
  mcp_calls?: McpCallLogEntry[] | null;
  /** The agent session a model step ran for (`endpoint` `agents.sessions.step`); absent or null on every other row. */
  session_id?: string | null;
  /** The tenant the caller's key belongs to (the master key's: `default`); null on rows written before 0014. Read back always present. */
  tenant_id?: string | null;
  /** The virtual key that made the request; null for the master key. */
  key_id?: string | null;
  /** The routing decision of the call (`x-crossway-decision`); null when the request made none. */
  decision_id?: string | null;
  /** The provider of `route`; null when no route was tried. */
  provider?: string | null;
  /** Time spent waiting on upstream attempts, in milliseconds (gateway overhead = duration_ms - upstream_ms); null when unmeasured. */
  upstream_ms?: number | null;
}

/** An inclusive range of HTTP statuses: `200` is {min: 200, max: 200}, `4xx` is {min: 400, max: 499}. */
export interface StatusRange {
  min: number;
  max: number;
}

/** What a request-log listing keeps: every field given must match (statuses: any range). */
export interface RequestLogFilter {
  tenant_id?: string;
  key_id?: string;
  model?: string;
  route?: string;
  endpoint?: string;
  /** At least one range; an empty list matches nothing. */
  statuses?: readonly StatusRange[];
  /** Inclusive lower bound on created_at (an ISO instant as toISOString writes it). */
  since?: string;
  /** Exclusive upper bound on created_at. */
  until?: string;
}

/** A stats window over the request log and the usage events, cut into equal buckets. */
export interface RequestStatsQuery {
  /** Start of the first bucket (inclusive), an ISO instant on a whole multiple of the bucket size. */
  since: string;
  /** End of the last bucket (exclusive). */
  until: string;
  /** A divisor of 60 or a multiple of 60: rows are grouped by the second or minute of their instant, then into buckets. */
  bucketSeconds: number;
  tenant_id?: string;
  /** At most this many rows' timings are read for the percentiles; past it, an evenly spaced sample of them. */
  sampleLimit: number;
}

/** The request counts of one bucket (index from 0 at `since`). */
export interface RequestStatsBucket {
  bucket: number;
  requests: number;
  /** Requests answered with a status of 400 or more. */
  errors: number;
}

/** One request's timings, in its bucket, for the percentiles. */
export interface RequestTimingSample {
  bucket: number;
  duration_ms: number;
  ttfb_ms: number | null;
  upstream_ms: number | null;
}

/** The usage events completed in one bucket, in one currency. */
export interface UsageStatsBucket {
  bucket: number;
  currency: string;
  input_tokens: number;
  output_tokens: number;
  cost: bigint;
  charged: bigint;
}

/** What RequestStatsQuery reads: exact counts and sums per bucket, and the timings (all, or a sample when `sampled`). */
export interface RequestStatsRecord {
  buckets: RequestStatsBucket[];
  timings: RequestTimingSample[];
  /** True when the window held more than `sampleLimit` requests and `timings` is an evenly spaced sample of them. */
  sampled: boolean;
  usage: UsageStatsBucket[];
}

/**
 * A position in the newest-first request log: a page holds the rows strictly older than it.
 * Pass the last row of the previous page (ties on `created_at` are broken by `id`), or only `created_at` to start from a point in time.
 */
export interface RequestLogCursor {
  created_at: string;
  id?: string;
}

export interface ListRequestLogsOptions {
  limit: number;
  before?: RequestLogCursor;
  /** Only rows at or after this cursor (inclusive): the end of a bounded scan (see findRequestLogScanEnd). */
  notBefore?: RequestLogCursor;
  filter?: RequestLogFilter;
}

/** Where a bounded scan of the request log ends: the `rows`-th newest row before `before` matching the filter's indexed part. */
export interface RequestLogScanOptions {
  rows: number;
  before?: RequestLogCursor;
  /** Only tenant_id, key_id, since and until are applied (the columns an index orders by created_at). */
  filter?: RequestLogFilter;
}

export interface InsertRequestLogsOptions {
  /** Skip rows whose id is already stored instead of failing the batch (makes a retried batch idempotent). */
  skipDuplicates?: boolean;
}

export interface InsertDecisionsOptions {
  /** Skip decisions whose id is already stored instead of failing the batch (makes a retried batch idempotent). */
  skipDuplicates?: boolean;
}

/** Crossway's persistent state, behind one interface for every database. */
export interface Store extends AgentStore, AuthStore {
  /** Brings the schema to the latest version; safe to run at every start and from several replicas. */
  migrate(): Promise<void>;
  /** Name of the last applied migration (e.g. `0001_request_log`), or null on an empty database. */
  schemaVersion(): Promise<string | null>;
  /** Resolves when the database answers a query; throws otherwise (used by /readyz). */
  ping(): Promise<void>;
  /** Releases the connection(s); idempotent. */
  close(): Promise<void>;
  /** Stores the rows in one transaction: all of them or none. */
  insertRequestLogs(rows: readonly RequestLogRow[], options?: InsertRequestLogsOptions): Promise<void>;
  /** Newest first (by `created_at`, then `id`), only the rows that match `filter` when given. */
  listRequestLogs(options: ListRequestLogsOptions): Promise<RequestLogRow[]>;
  /**
   * The cursor of the `rows`-th newest row a filter's indexed part (tenant, key, time) selects, or null when fewer
   * rows are there: a filter on other columns then examines at most `rows` rows (an index range, not a table scan).
   */
  findRequestLogScanEnd(options: RequestLogScanOptions): Promise<RequestLogCursor | null>;
  /** The row with this id (of this tenant only, when `tenant` is given), or null. */
  getRequestLog(id: string, tenant?: string): Promise<RequestLogRow | null>;
  /** Counts, timings and usage over a window cut into buckets, for the dashboard's charts; reads a bounded number of rows. */
  readRequestStats(query: RequestStatsQuery): Promise<RequestStatsRecord>;
  /** Deletes the request-log rows created before `olderThan` (an ISO timestamp); resolves with how many went. */
  pruneRequestLogs(olderThan: string): Promise<number>;
  /** Stores routing decisions in one transaction: all of them or none (duplicates skipped when asked). */
  insertDecisions(rows: readonly DecisionRow[], options?: InsertDecisionsOptions): Promise<void>;
  /** The decision with this id, or null when it is unknown or was pruned. */
  getDecision(id: string): Promise<DecisionRecord | null>;
  /** Deletes the decisions recorded before `olderThan` (an ISO timestamp); resolves with how many went. */
  pruneDecisions(olderThan: string): Promise<number>;

  // --- Settings: installation-wide values created once (e.g. the secret virtual keys are hashed with) ---
  /** Stores `value` under `name` unless a value is already there; resolves with the stored value (the first writer wins). */
  putSettingIfAbsent(name: string, value: string): Promise<string>;

  // --- Tenants and virtual keys ---
  /** Inserts a tenant; resolves false (writing nothing) when the id is taken. */
  insertTenant(tenant: TenantRecord): Promise<boolean>;
  /** The live tenant with this id (a deleted one is null). */
  getTenant(id: string): Promise<TenantRecord | null>;
  /** When the tenant with this id was deleted, or null when the id is live or was never used. */
  getTenantDeletedAt(id: string): Promise<string | null>;
  /** Every live tenant, by id. */
  listTenants(): Promise<TenantRecord[]>;
  /** Applies the patch; resolves with the updated tenant, or null when there is none with this id. */
  updateTenant(id: string, patch: TenantPatch): Promise<TenantRecord | null>;
  /**
   * Deletes the tenant and revokes its keys (revoked_at = `at`) in one transaction; false when unknown or already
   * deleted. The row stays as a tombstone (`deleted_at`), so that the id is never reused. Usage and ledger stay.
   */
  deleteTenant(id: string, at: string): Promise<boolean>;
  /**
   * Erases a tenant's stored state in one transaction: responses (with their items and events), conversations (with
   * their items) and idempotency keys. Usage events and ledger transfers are never erased. Resolves with the counts.
   */
  eraseTenantData(tenant: string): Promise<ErasedTenantData>;
  /** Inserts a key; throws when the id or hash is taken. */
  insertApiKey(key: ApiKeyRecord): Promise<void>;
  getApiKey(id: string): Promise<ApiKeyRecord | null>;
  /** The key whose hash this is (revoked and expired keys included: the caller decides), or null. */
  getApiKeyByHash(hash: string): Promise<ApiKeyRecord | null>;
  /** Keys by creation time then id, of one tenant or of all. */
  listApiKeys(options?: { tenant?: string }): Promise<ApiKeyRecord[]>;
  updateApiKey(id: string, patch: ApiKeyPatch): Promise<ApiKeyRecord | null>;

  // --- Ledger: usage events, transfers, balances, accruals ---
  /**
   * Commits entries in ONE transaction, durably (the SQLite store syncs the commit to disk before resolving). Per
   * entry, in order: an event id not yet stored is inserted with its transfers, each transfer's amount is added to the
   * debit account's balance and subtracted from the credit account's, and revenue-share transfers add to their
   * agreement's accrual. A share whose agreement is in `share_caps` is the store's to decide, inside the transaction
   * and exactly whatever the number of writers on the database: it is posted as min(proposed, cap - accrued), the
   * accrual read under a lock (PostgreSQL: a row lock; SQLite: the single writer's transaction) and advanced entry by
   * entry; the share that brings the accrual to its cap sets the agreement's cap_reached_at (if unset) to the event's
   * completed_at; a share the cap leaves nothing of is not written. An event id already stored with the same cost,
   * charged and transfers (a capped share stored at any amount up to the proposed one, or left out) is `replayed`; with
   * anything different, `conflict`; neither writes anything. Resolves with one result per entry, carrying the
   * transfers the ledger holds for it (as posted, as stored for a replay, none for a conflict).
   */
  commitLedger(entries: readonly LedgerEntry[]): Promise<LedgerCommitResult[]>;
  /** Every agreement's accrual, per currency. */
  listAgreementAccruals(): Promise<AgreementAccrualRecord[]>;
  listAccountBalances(): Promise<AccountBalanceRecord[]>;
  /** A page of usage events in id order. */
  listUsageEvents(options: LedgerPageOptions): Promise<UsageEventRecord[]>;
  /** A page of transfers in id order. */
  listTransfers(options: LedgerPageOptions): Promise<TransferRecord[]>;
  /** The events of one request id (at most one in a sound ledger). */
  findUsageEventsByRequest(requestId: string): Promise<UsageEventRecord[]>;
  /** Sums usage events under the filter, one row per (group, currency); one row per currency when not grouped. */
  sumUsage(filter: UsageFilter, groupBy?: UsageGroupBy): Promise<UsageTotalsRecord[]>;
  /** Sums transfer amounts under the filter, per currency. */
  sumTransfers(filter: TransferFilter): Promise<{ currency: string; amount: bigint }[]>;

  // --- Idempotency keys ---
  /**
   * Claims (tenant, key) for a request, atomically: inserts `record` (state in_flight) when no record exists, or when
   * the stored one has expired, or is in flight with an expired lease (its process died); otherwise resolves with the
   * stored record and changes nothing.
   */
  claimIdempotencyKey(
    record: Pick<IdempotencyRecord, 'tenant' | 'key' | 'request_hash' | 'created_at' | 'lease_expires_at' | 'expires_at'>,
  ): Promise<IdempotencyClaim>;
  /** Stores the response of a claimed key (state completed). */
  completeIdempotencyKey(tenant: string, key: string, response: { status: number; headers: Record<string, string>; body: Buffer }): Promise<void>;
  /** Deletes an in-flight claim (the request failed in a way worth retrying), so that a retry may run. */
  releaseIdempotencyKey(tenant: string, key: string): Promise<void>;
  /** Deletes records that expired before `before`; resolves with how many went. */
  pruneIdempotencyKeys(before: string): Promise<number>;

  // --- Stateful runtime: responses (every read and write is scoped by tenant: another tenant's id is not found) ---
  /**
   * Inserts a response with its items (input and/or output) in one transaction, adding their bytes to the tenant's
   * storage (getTenantStorage); throws when the id is taken, and StorageLimitError, storing nothing, when the tenant's
   * bytes would pass `limits.tenantBytes` (checked atomically with the write). With `lease`, a background response
   * is stored held by the replica that will run it.
   */
  insertResponse(response: StoredResponseRecord, items: readonly ResponseItemRecord[], limits?: StorageLimits, lease?: BackgroundLease): Promise<void>;
  /**
   * Applies the patch and appends `items` (output items as they are produced) in one transaction; false when unknown,
   * or when `condition` does not hold (nothing is written then). The tenant's storage moves by what the write adds
   * (never refused).
   */
  updateResponse(
    tenant: string,
    id: string,
    patch: StoredResponsePatch,
    items?: readonly ResponseItemRecord[],
    condition?: ResponseWriteCondition,
  ): Promise<boolean>;
  getResponse(tenant: string, id: string): Promise<StoredResponseRecord | null>;
  /**
   * Deletes the response, its items and its events, giving their bytes back to the tenant's storage; false when
   * unknown. Later responses that chained to it keep their own items.
   */
  deleteResponse(tenant: string, id: string): Promise<boolean>;
  /** A page of one kind of a response's items (input_items), by position; `after` is an item id. */
  listResponseItems(tenant: string, id: string, kind: ResponseItemRecord['kind'], page: ItemPageOptions): Promise<ResponseItemRecord[]>;
  /**
   * The chain ending at `id` (following previous_response_id, within the tenant) with all its items, in ONE query
   * (a recursive CTE), so that a turn's cost does not grow with round trips per earlier turn. Null when `id` is
   * unknown. A chain broken by a deleted response ends there.
   */
  readResponseChain(tenant: string, id: string): Promise<ResponseChain | null>;
  /** Responses in these statuses, oldest first, of every tenant (background jobs to resume after a restart). */
  listResponsesByStatus(statuses: readonly StoredResponseRecord['status'][]): Promise<StoredResponseRecord[]>;
  /** Deletes responses (with items and events) whose expires_at is before `before`, giving their bytes back; resolves with how many went. */
  pruneResponses(before: string): Promise<number>;
  /** Appends stream events of a response (background streaming); duplicates by sequence number are skipped. */
  appendResponseEvents(events: readonly ResponseEventRecord[]): Promise<void>;
  /** The stored events of a response with sequence_number > `after`, in order. */
  listResponseEvents(tenant: string, id: string, after: number): Promise<ResponseEventRecord[]>;

  // --- Stateful runtime: leases of background responses (the replica that runs one holds it, and renews) ---
  /**
   * Claims for `lease.owner` up to `limit` (at most 100) background responses nobody holds: queued or in progress,
   * with a lease expired at `now` or none. Atomic: replicas claiming at once never get the same response. Oldest
   * first; each as it was before the claim.
   */
  claimBackgroundResponses(lease: BackgroundLease, now: string, limit: number): Promise<ClaimedBackgroundResponse[]>;
  /**
   * Starts a run of a background response `lease.owner` holds, in one transaction: applies the patch, extends the
   * lease, records the run's request id and removes the events of an earlier run. Null (nothing written) when the
   * response is not queued or in progress, or is held by another owner.
   */
  startBackgroundRun(
    tenant: string,
    id: string,
    lease: BackgroundLease & { request_id: string },
    patch: StoredResponsePatch,
  ): Promise<BackgroundRunStart | null>;
  /**
   * Extends to `until` the leases `owner` holds on `ids` (those still queued or in progress); resolves with the ids it
   * still holds and their status. A missing id was taken over or deleted; a final status was set elsewhere (a cancel).
   */
  renewBackgroundLeases(owner: string, ids: readonly string[], until: string): Promise<HeldBackgroundResponse[]>;
  /** Gives back the leases `owner` holds on `ids`: another replica may claim them at once. */
  releaseBackgroundLeases(owner: string, ids: readonly string[]): Promise<void>;
  /** Takes the named lease until `until` if it is free, expired at `now`, or already `owner`'s; true when taken. */
  acquireLease(name: string, owner: string, until: string, now: string): Promise<boolean>;
  /** Extends the named lease if `owner` still holds it; false when it does not. */
  renewLease(name: string, owner: string, until: string): Promise<boolean>;
  /** Gives the named lease back if `owner` holds it. */
  releaseLease(name: string, owner: string): Promise<void>;

  // --- Stateful runtime: conversations ---
  /**
   * Inserts a conversation with its initial items (positions from 0) in one transaction, adding their bytes to the
   * tenant's storage; StorageLimitError, storing nothing, past `limits`.
   */
  insertConversation(
    conversation: ConversationRecord,
    items: readonly Omit<ConversationItemRecord, 'position'>[],
    limits?: StorageLimits,
  ): Promise<ConversationItemRecord[]>;
  getConversation(tenant: string, id: string): Promise<ConversationRecord | null>;
  updateConversation(tenant: string, id: string, metadata: Record<string, string>): Promise<ConversationRecord | null>;
  /** Deletes the conversation and all its items, giving their bytes back to the tenant's storage; false when unknown. */
  deleteConversation(tenant: string, id: string): Promise<boolean>;
  /** Deletes the conversations (with their items) created before `olderThan`, giving their bytes back; resolves with how many went. */
  pruneConversations(olderThan: string): Promise<number>;
  /**
   * Appends items after the conversation's last one, atomically: positions are assigned inside the transaction, so
   * that concurrent appends are serialised and none is lost. Null when the conversation is unknown. The items' bytes
   * are added to the tenant's storage; past `limits` (the conversation's item count, the tenant's bytes, checked
   * atomically with the write), StorageLimitError and nothing stored.
   */
  appendConversationItems(
    tenant: string,
    id: string,
    items: readonly Omit<ConversationItemRecord, 'position'>[],
    limits?: StorageLimits,
  ): Promise<ConversationItemRecord[] | null>;
  /** A page of a conversation's items; null when the conversation is unknown. */
  listConversationItems(tenant: string, id: string, page: ItemPageOptions): Promise<ConversationItemRecord[] | null>;
  /** Every item of the conversation in order (the context of a new turn); null when unknown. */
  readConversationItems(tenant: string, id: string): Promise<ConversationItemRecord[] | null>;
  getConversationItem(tenant: string, conversationId: string, itemId: string): Promise<ConversationItemRecord | null>;
  /** Deletes one item, giving its bytes back to the tenant's storage; false when there is no such item. */
  deleteConversationItem(tenant: string, conversationId: string, itemId: string): Promise<boolean>;
  /**
   * The bytes the tenant keeps in stored responses and conversations (UTF-8 of their stored JSON; stream events of
   * background responses are not counted), 0 when it stored nothing: what StorageLimits.tenantBytes bounds.
   */
  getTenantStorage(tenant: string): Promise<number>;

  // --- MCP servers registered per tenant (every method scoped by tenant: another tenant's server is simply not there) ---
  /** Inserts a server; false (nothing written) when the tenant already has one with this label. */
  insertMcpServer(record: McpServerRecord): Promise<boolean>;
  getMcpServer(tenant: string, id: string): Promise<McpServerRecord | null>;
  findMcpServerByLabel(tenant: string, label: string): Promise<McpServerRecord | null>;
  listMcpServers(tenant: string): Promise<McpServerRecord[]>;
  updateMcpServer(tenant: string, id: string, patch: McpServerPatch): Promise<McpServerRecord | null>;
  deleteMcpServer(tenant: string, id: string): Promise<boolean>;

  // --- MCP credentials registered per tenant (named by an mcp tool's `credential_id`; scoped by tenant) ---
  insertMcpCredential(record: McpCredentialRecord): Promise<void>;
  getMcpCredential(tenant: string, id: string): Promise<McpCredentialRecord | null>;
  listMcpCredentials(tenant: string): Promise<McpCredentialRecord[]>;
  deleteMcpCredential(tenant: string, id: string): Promise<boolean>;
}
