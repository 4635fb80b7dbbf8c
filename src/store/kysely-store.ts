// The Store over any Kysely database: the queries and migrations every SQL backend shares; a backend only opens the connection.
import { sql, SqliteAdapter, type Kysely, type Selectable } from 'kysely';
import { Migrator } from 'kysely/migration';
import type { DecisionRecord, DecisionRow } from './decision-record.ts';
import { toDecisionTableRow, toStoredDecisionRecord } from './decision-rows.ts';
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
import * as agentObjects from './agent-object-queries.ts';
import type { AgentDatabase } from './agent-object-queries.ts';
import type {
  AgentEventRecord,
  AgentItemRecord,
  AgentPageOptions,
  AgentSessionPageOptions,
  AgentRecord,
  AgentSessionRecord,
  AgentSessionWrite,
  AgentTurnRecord,
} from './agent-records.ts';
import * as agentSessions from './agent-session-queries.ts';
import * as leases from './background-lease-queries.ts';
import * as ledger from './ledger-queries.ts';
import * as conversations from './runtime-conversation-queries.ts';
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
import * as responses from './runtime-response-queries.ts';
import { getTenantStorage } from './runtime-storage-queries.ts';
import * as mcpServers from './mcp-server-queries.ts';
import * as mcpCredentials from './mcp-credential-queries.ts';
import * as auth from './auth-queries.ts';
import type { AuditFilter, AuditRecord, DashboardSessionRecord } from './auth-records.ts';
import type { McpServerPatch, McpServerRecord } from './mcp-server-records.ts';
import type { McpCredentialRecord } from './mcp-credential-records.ts';
import type { StorageLimits } from './storage-limits.ts';
import * as requestLogs from './request-log-queries.ts';
import type {
  InsertDecisionsOptions,
  InsertRequestLogsOptions,
  ListRequestLogsOptions,
  RequestLogCursor,
  RequestLogScanOptions,
  RequestLogRow,
  RequestStatsQuery,
  RequestStatsRecord,
  Store,
} from './store.ts';
import type { ApiKeyTable, DecisionPlanTable, IdempotencyKeyTable, RequestDecisionTable, StoreDatabase, TenantTable } from './store-database.ts';
import { storeMigrationProvider } from './store-migrations.ts';
import { checkGuard, toRequestLogRecord, type ExecuteWrites, type SqlStatementResult, type WriteStatement } from './store-records.ts';
import type { ApiKeyPatch, ApiKeyRecord, ErasedTenantData, TenantPatch, TenantRecord } from './tenancy-records.ts';
import {
  toApiKeyRecord,
  toApiKeyTableRow,
  toApiKeyTableUpdate,
  toIdempotencyRecord,
  toTenantRecord,
  toTenantTableRow,
  toTenantTableUpdate,
} from './tenancy-rows.ts';

/** How a KyselyStore keeps its migration records. */
export interface KyselyStoreOptions {
  /** The schema of Kysely's migration tables (PostgreSQL: the store's own schema); the connection's default when absent. */
  migrationTableSchema?: string;
}

// How long a SQLite migration waits in all for another process's migration to finish (each `begin immediate` waits the
// connection's busy_timeout, then it tries again).
const SQLITE_MIGRATION_WAIT_MS = 60_000;

// 14 parameters a row: stays far below SQLite's 32766 and PostgreSQL's 65535 bound parameters per statement.
const rowsPerInsert = 500;

/**
 * A Store on a Kysely instance; SqliteStore (and later the PostgreSQL store) extend it with how to connect. Reads run
 * on `db`. The rare writes (settings, tenants, keys, idempotency) are compiled here and run through executeWrites,
 * which a backend may override to run them elsewhere (SqliteStore: on its write worker); commitLedger, the hot path,
 * is overridden whole. The stateful runtime's writes (responses, conversations) go through executeWrites too.
 */
export class KyselyStore implements Store {
  protected readonly db: Kysely<StoreDatabase>;
  readonly #migrator: Migrator;
  readonly #options: KyselyStoreOptions;
  // executeWrites as a function for the query modules; looked up at each call, so a backend's override applies.
  readonly #executeWrites: ExecuteWrites = (statements) => this.executeWrites(statements);

  constructor(db: Kysely<StoreDatabase>, options: KyselyStoreOptions = {}) {
    this.db = db;
    this.#options = options;
    this.#migrator = new Migrator({ db, provider: storeMigrationProvider, ...options });
  }

  /**
   * Brings the schema to the latest migration; safe when several processes start together (see migrateStoreDatabase).
   * A backend may run it on a connection of its own (PostgresStore: one with a longer statement timeout).
   */
  migrate(): Promise<void> {
    return migrateStoreDatabase(this.db, this.#options);
  }

  async schemaVersion(): Promise<string | null> {
    const migrations = await this.#migrator.getMigrations();
    return migrations.findLast((migration) => migration.executedAt !== undefined)?.name ?? null;
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  async insertRequestLogs(rows: readonly RequestLogRow[], options: InsertRequestLogsOptions = {}): Promise<void> {
    if (rows.length === 0) return;
    const records = rows.map(toRequestLogRecord);
    await this.db.transaction().execute(async (transaction) => {
      for (let start = 0; start < records.length; start += rowsPerInsert) {
        let insert = transaction.insertInto('request_log').values(records.slice(start, start + rowsPerInsert));
        if (options.skipDuplicates) insert = insert.onConflict((conflict) => conflict.column('id').doNothing());
        await insert.execute();
      }
    });
  }

  listRequestLogs(options: ListRequestLogsOptions): Promise<RequestLogRow[]> {
    return requestLogs.listRequestLogs(this.db, options);
  }

  findRequestLogScanEnd(options: RequestLogScanOptions): Promise<RequestLogCursor | null> {
    return requestLogs.findRequestLogScanEnd(this.db, options);
  }

  getRequestLog(id: string, tenant?: string): Promise<RequestLogRow | null> {
    return requestLogs.getRequestLog(this.db, id, tenant);
  }

  readRequestStats(query: RequestStatsQuery): Promise<RequestStatsRecord> {
    return requestLogs.readRequestStats(this.db, query);
  }

  async pruneRequestLogs(olderThan: string): Promise<number> {
    const result = await this.db.deleteFrom('request_log').where('created_at', '<', olderThan).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async insertDecisions(rows: readonly DecisionRow[], options: InsertDecisionsOptions = {}): Promise<void> {
    if (rows.length === 0) return;
    const { plans, decisions } = toDecisionRows(rows);
    await this.db.transaction().execute(async (transaction) => {
      // A plan stored by an earlier batch stays as it is: equal ids mean equal JSON.
      for (let start = 0; start < plans.length; start += rowsPerInsert) {
        await transaction
          .insertInto('decision_plans')
          .values(plans.slice(start, start + rowsPerInsert))
          .onConflict((conflict) => conflict.column('id').doNothing())
          .execute();
      }
      for (let start = 0; start < decisions.length; start += rowsPerInsert) {
        let insert = transaction.insertInto('request_decisions').values(decisions.slice(start, start + rowsPerInsert));
        if (options.skipDuplicates) insert = insert.onConflict((conflict) => conflict.column('id').doNothing());
        await insert.execute();
      }
    });
  }

  async getDecision(id: string): Promise<DecisionRecord | null> {
    const found = await this.db
      .selectFrom('request_decisions')
      .innerJoin('decision_plans', 'decision_plans.id', 'request_decisions.plan_id')
      .select(['decision_plans.plan', 'request_decisions.detail'])
      .where('request_decisions.id', '=', id)
      .executeTakeFirst();
    if (found !== undefined) return toStoredDecisionRecord(id, found.plan, found.detail);
    // Recorded before 0007_decision_plans, whole.
    const legacy = await this.db.selectFrom('decisions').select('record').where('id', '=', id).executeTakeFirst();
    return legacy === undefined ? null : (JSON.parse(legacy.record) as DecisionRecord);
  }

  async pruneDecisions(olderThan: string): Promise<number> {
    const [decisions, legacy] = await this.executeWrites(pruneDecisionStatements(this.db, olderThan));
    return (decisions?.changes ?? 0) + (legacy?.changes ?? 0);
  }

  /**
   * Runs compiled statements in one transaction, in order, and resolves with what each did. Every write below but
   * commitLedger goes through here, so that a backend overriding it moves them all.
   */
  protected executeWrites(statements: readonly WriteStatement[]): Promise<SqlStatementResult[]> {
    return this.db.transaction().execute(async (transaction) => {
      const results: SqlStatementResult[] = [];
      for (const statement of statements) {
        const { rows, numAffectedRows } = await transaction.executeQuery<Record<string, unknown>>(statement);
        const result = { rows, changes: Number(numAffectedRows ?? 0n) };
        // Throwing inside the transaction rolls it back.
        checkGuard(statement, result);
        results.push(result);
      }
      return results;
    });
  }

  async putSettingIfAbsent(name: string, value: string): Promise<string> {
    const [, stored] = await this.executeWrites([
      this.db
        .insertInto('settings')
        .values({ name, value })
        .onConflict((conflict) => conflict.column('name').doNothing())
        .compile(),
      this.db.selectFrom('settings').select('value').where('name', '=', name).compile(),
    ]);
    return stored?.rows[0]?.value as string;
  }

  async insertTenant(tenant: TenantRecord): Promise<boolean> {
    const [inserted] = await this.executeWrites([
      this.db
        .insertInto('tenants')
        .values(toTenantTableRow(tenant))
        .onConflict((conflict) => conflict.column('id').doNothing())
        .compile(),
    ]);
    return inserted?.changes === 1;
  }

  async getTenant(id: string): Promise<TenantRecord | null> {
    const row = await this.db.selectFrom('tenants').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
    return row === undefined ? null : toTenantRecord(row);
  }

  async getTenantDeletedAt(id: string): Promise<string | null> {
    const row = await this.db.selectFrom('tenants').select('deleted_at').where('id', '=', id).executeTakeFirst();
    return row?.deleted_at ?? null;
  }

  async listTenants(): Promise<TenantRecord[]> {
    return (await this.db.selectFrom('tenants').selectAll().where('deleted_at', 'is', null).orderBy('id').execute()).map(toTenantRecord);
  }

  async updateTenant(id: string, patch: TenantPatch): Promise<TenantRecord | null> {
    const update = toTenantTableUpdate(patch);
    // `update ... set` with no column is a syntax error; an empty patch changes nothing.
    if (Object.keys(update).length === 0) return this.getTenant(id);
    const [updated] = await this.executeWrites([
      this.db.updateTable('tenants').set(update).where('id', '=', id).where('deleted_at', 'is', null).returningAll().compile(),
    ]);
    const row = updated?.rows[0];
    return row === undefined ? null : toTenantRecord(row as Selectable<TenantTable>);
  }

  async deleteTenant(id: string, at: string): Promise<boolean> {
    const [, deleted] = await this.executeWrites([
      // Revokes only if the tenant exists (an unknown id writes nothing), and keeps an earlier revocation's date.
      this.db
        .updateTable('api_keys')
        .set({ revoked_at: at })
        .where('tenant', '=', id)
        .where('revoked_at', 'is', null)
        .where((eb) => eb.exists(eb.selectFrom('tenants').select('id').where('id', '=', id).where('deleted_at', 'is', null)))
        .compile(),
      // A tombstone, not a delete: the id stays taken (insertTenant conflicts on it) and names the ledger's rows.
      this.db.updateTable('tenants').set({ deleted_at: at, updated_at: at }).where('id', '=', id).where('deleted_at', 'is', null).compile(),
    ]);
    return deleted?.changes === 1;
  }

  async eraseTenantData(tenant: string): Promise<ErasedTenantData> {
    const responseIds = this.db.selectFrom('responses').select('id').where('tenant', '=', tenant);
    const conversationIds = this.db.selectFrom('conversations').select('id').where('tenant', '=', tenant);
    // Children first, while their parents still say whose they are; one transaction: all of it or nothing.
    const results = await this.executeWrites([
      this.db.deleteFrom('response_items').where('response_id', 'in', responseIds).compile(),
      this.db.deleteFrom('response_events').where('response_id', 'in', responseIds).compile(),
      this.db.deleteFrom('responses').where('tenant', '=', tenant).compile(),
      this.db.deleteFrom('conversation_items').where('conversation_id', 'in', conversationIds).compile(),
      this.db.deleteFrom('conversations').where('tenant', '=', tenant).compile(),
      this.db.deleteFrom('idempotency_keys').where('tenant', '=', tenant).compile(),
      // Nothing of the tenant is stored any more: its storage counter goes with it.
      this.db.deleteFrom('tenant_storage').where('tenant', '=', tenant).compile(),
      // Its agents and agent sessions (after the statements whose counts are reported).
      ...agentSessions.eraseTenantAgentStatements(this.#agentDb, tenant),
      // Its registered MCP servers and their credentials.
      ...mcpServers.eraseTenantMcpServerStatements(this.db, tenant),
      ...mcpCredentials.eraseTenantMcpCredentialStatements(this.db, tenant),
    ]);
    return { responses: results[2]?.changes ?? 0, conversations: results[4]?.changes ?? 0, idempotency_keys: results[5]?.changes ?? 0 };
  }

  async insertApiKey(key: ApiKeyRecord): Promise<void> {
    await this.executeWrites([this.db.insertInto('api_keys').values(toApiKeyTableRow(key)).compile()]);
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | null> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? null : toApiKeyRecord(row);
  }

  async getApiKeyByHash(hash: string): Promise<ApiKeyRecord | null> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
    return row === undefined ? null : toApiKeyRecord(row);
  }

  async listApiKeys(options: { tenant?: string } = {}): Promise<ApiKeyRecord[]> {
    let query = this.db.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('id');
    if (options.tenant !== undefined) query = query.where('tenant', '=', options.tenant);
    return (await query.execute()).map(toApiKeyRecord);
  }

  async updateApiKey(id: string, patch: ApiKeyPatch): Promise<ApiKeyRecord | null> {
    const update = toApiKeyTableUpdate(patch);
    if (Object.keys(update).length === 0) return this.getApiKey(id);
    const [updated] = await this.executeWrites([this.db.updateTable('api_keys').set(update).where('id', '=', id).returningAll().compile()]);
    const row = updated?.rows[0];
    return row === undefined ? null : toApiKeyRecord(row as Selectable<ApiKeyTable>);
  }

  commitLedger(entries: readonly LedgerEntry[]): Promise<LedgerCommitResult[]> {
    return ledger.commitLedgerEntries(this.db, entries);
  }

  listAgreementAccruals(): Promise<AgreementAccrualRecord[]> {
    return ledger.listAgreementAccruals(this.db);
  }

  listAccountBalances(): Promise<AccountBalanceRecord[]> {
    return ledger.listAccountBalances(this.db);
  }

  listUsageEvents(options: LedgerPageOptions): Promise<UsageEventRecord[]> {
    return ledger.listUsageEvents(this.db, options);
  }

  listTransfers(options: LedgerPageOptions): Promise<TransferRecord[]> {
    return ledger.listTransfers(this.db, options);
  }

  findUsageEventsByRequest(requestId: string): Promise<UsageEventRecord[]> {
    return ledger.findUsageEventsByRequest(this.db, requestId);
  }

  sumUsage(filter: UsageFilter, groupBy?: UsageGroupBy): Promise<UsageTotalsRecord[]> {
    return ledger.sumUsage(this.db, filter, groupBy);
  }

  sumTransfers(filter: TransferFilter): Promise<{ currency: string; amount: bigint }[]> {
    return ledger.sumTransfers(this.db, filter);
  }

  /**
   * One upsert whose update applies only to a record that has expired or whose in-flight lease has (both compared
   * with the claim's created_at, i.e. now); RETURNING yields a row exactly when it inserted or took over. The select
   * after it, in the same transaction, reads the record that holds the key otherwise.
   */
  async claimIdempotencyKey(
    record: Pick<IdempotencyRecord, 'tenant' | 'key' | 'request_hash' | 'created_at' | 'lease_expires_at' | 'expires_at'>,
  ): Promise<IdempotencyClaim> {
    const now = record.created_at;
    const [claim, stored] = await this.executeWrites([
      this.db
        .insertInto('idempotency_keys')
        .values({ ...record, state: 'in_flight', status: null, headers: null, body: null })
        .onConflict((conflict) =>
          conflict
            .columns(['tenant', 'key'])
            .doUpdateSet({
              request_hash: record.request_hash,
              state: 'in_flight',
              status: null,
              headers: null,
              body: null,
              created_at: record.created_at,
              lease_expires_at: record.lease_expires_at,
              expires_at: record.expires_at,
            })
            .where((eb) =>
              eb.or([
                eb('idempotency_keys.expires_at', '<=', now),
                eb.and([eb('idempotency_keys.state', '=', 'in_flight'), eb('idempotency_keys.lease_expires_at', '<=', now)]),
              ]),
            ),
        )
        .returning('tenant')
        .compile(),
      this.db.selectFrom('idempotency_keys').selectAll().where('tenant', '=', record.tenant).where('key', '=', record.key).compile(),
    ]);
    if ((claim?.rows.length ?? 0) > 0) return { claimed: true };
    const row = stored?.rows[0];
    if (row === undefined) throw new Error(`idempotency key ${record.key} was neither claimed nor found`);
    return { claimed: false, existing: toIdempotencyRecord(row as Selectable<IdempotencyKeyTable>) };
  }

  async completeIdempotencyKey(tenant: string, key: string, response: { status: number; headers: Record<string, string>; body: Buffer }): Promise<void> {
    await this.executeWrites([
      this.db
        .updateTable('idempotency_keys')
        .set({ state: 'completed', status: response.status, headers: JSON.stringify(response.headers), body: response.body })
        .where('tenant', '=', tenant)
        .where('key', '=', key)
        .compile(),
    ]);
  }

  async releaseIdempotencyKey(tenant: string, key: string): Promise<void> {
    await this.executeWrites([
      this.db.deleteFrom('idempotency_keys').where('tenant', '=', tenant).where('key', '=', key).where('state', '=', 'in_flight').compile(),
    ]);
  }

  async pruneIdempotencyKeys(before: string): Promise<number> {
    const [pruned] = await this.executeWrites([this.db.deleteFrom('idempotency_keys').where('expires_at', '<', before).compile()]);
    return pruned?.changes ?? 0;
  }

  insertResponse(response: StoredResponseRecord, items: readonly ResponseItemRecord[], limits?: StorageLimits, lease?: BackgroundLease): Promise<void> {
    return responses.insertResponse(this.db, this.#executeWrites, response, items, limits, lease);
  }

  updateResponse(
    tenant: string,
    id: string,
    patch: StoredResponsePatch,
    items?: readonly ResponseItemRecord[],
    condition?: ResponseWriteCondition,
  ): Promise<boolean> {
    return responses.updateResponse(this.db, this.#executeWrites, tenant, id, patch, items, condition);
  }

  getResponse(tenant: string, id: string): Promise<StoredResponseRecord | null> {
    return responses.getResponse(this.db, tenant, id);
  }

  deleteResponse(tenant: string, id: string): Promise<boolean> {
    return responses.deleteResponse(this.db, this.#executeWrites, tenant, id);
  }

  listResponseItems(tenant: string, id: string, kind: ResponseItemRecord['kind'], page: ItemPageOptions): Promise<ResponseItemRecord[]> {
    return responses.listResponseItems(this.db, tenant, id, kind, page);
  }

  readResponseChain(tenant: string, id: string): Promise<ResponseChain | null> {
    return responses.readResponseChain(this.db, tenant, id);
  }

  listResponsesByStatus(statuses: readonly StoredResponseRecord['status'][]): Promise<StoredResponseRecord[]> {
    return responses.listResponsesByStatus(this.db, statuses);
  }

  pruneResponses(before: string): Promise<number> {
    return responses.pruneResponses(this.db, this.#executeWrites, before);
  }

  appendResponseEvents(events: readonly ResponseEventRecord[]): Promise<void> {
    return responses.appendResponseEvents(this.db, this.#executeWrites, events);
  }

  listResponseEvents(tenant: string, id: string, after: number): Promise<ResponseEventRecord[]> {
    return responses.listResponseEvents(this.db, tenant, id, after);
  }

  claimBackgroundResponses(lease: BackgroundLease, now: string, limit: number): Promise<ClaimedBackgroundResponse[]> {
    return leases.claimBackgroundResponses(this.db, this.#executeWrites, lease, now, limit);
  }

  startBackgroundRun(
    tenant: string,
    id: string,
    lease: BackgroundLease & { request_id: string },
    patch: StoredResponsePatch,
  ): Promise<BackgroundRunStart | null> {
    return responses.startBackgroundRun(this.db, this.#executeWrites, tenant, id, lease, patch);
  }

  renewBackgroundLeases(owner: string, ids: readonly string[], until: string): Promise<HeldBackgroundResponse[]> {
    return leases.renewBackgroundLeases(this.db, this.#executeWrites, owner, ids, until);
  }

  releaseBackgroundLeases(owner: string, ids: readonly string[]): Promise<void> {
    return leases.releaseBackgroundLeases(this.db, this.#executeWrites, owner, ids);
  }

  acquireLease(name: string, owner: string, until: string, now: string): Promise<boolean> {
    return leases.acquireLease(this.db, this.#executeWrites, name, owner, until, now);
  }

  renewLease(name: string, owner: string, until: string): Promise<boolean> {
    return leases.renewLease(this.db, this.#executeWrites, name, owner, until);
  }

  releaseLease(name: string, owner: string): Promise<void> {
    return leases.releaseLease(this.db, this.#executeWrites, name, owner);
  }

  insertConversation(
    conversation: ConversationRecord,
    items: readonly Omit<ConversationItemRecord, 'position'>[],
    limits?: StorageLimits,
  ): Promise<ConversationItemRecord[]> {
    return conversations.insertConversation(this.db, this.#executeWrites, conversation, items, limits);
  }

  getConversation(tenant: string, id: string): Promise<ConversationRecord | null> {
    return conversations.getConversation(this.db, tenant, id);
  }

  updateConversation(tenant: string, id: string, metadata: Record<string, string>): Promise<ConversationRecord | null> {
    return conversations.updateConversation(this.db, this.#executeWrites, tenant, id, metadata);
  }

  deleteConversation(tenant: string, id: string): Promise<boolean> {
    return conversations.deleteConversation(this.db, this.#executeWrites, tenant, id);
  }

  pruneConversations(olderThan: string): Promise<number> {
    return conversations.pruneConversations(this.db, this.#executeWrites, olderThan);
  }

  appendConversationItems(
    tenant: string,
    id: string,
    items: readonly Omit<ConversationItemRecord, 'position'>[],
    limits?: StorageLimits,
  ): Promise<ConversationItemRecord[] | null> {
    return conversations.appendConversationItems(this.db, this.#executeWrites, tenant, id, items, limits);
  }

  listConversationItems(tenant: string, id: string, page: ItemPageOptions): Promise<ConversationItemRecord[] | null> {
    return conversations.listConversationItems(this.db, tenant, id, page);
  }

  readConversationItems(tenant: string, id: string): Promise<ConversationItemRecord[] | null> {
    return conversations.readConversationItems(this.db, tenant, id);
  }

  getConversationItem(tenant: string, conversationId: string, itemId: string): Promise<ConversationItemRecord | null> {
    return conversations.getConversationItem(this.db, tenant, conversationId, itemId);
  }

  deleteConversationItem(tenant: string, conversationId: string, itemId: string): Promise<boolean> {
    return conversations.deleteConversationItem(this.db, this.#executeWrites, tenant, conversationId, itemId);
  }

  getTenantStorage(tenant: string): Promise<number> {
    return getTenantStorage(this.db, tenant);
  }

  // --- Agents API (agent-object-queries.ts, agent-session-queries.ts) ---
  // The agent tables are typed apart from StoreDatabase (agent-tables.ts, so that the Agents API keeps to its own
  // files), on the same connection: only the query builder's types differ.
  get #agentDb(): AgentDatabase {
    return this.db as unknown as AgentDatabase;
  }

  insertAgent(agent: AgentRecord): Promise<void> {
    return agentObjects.insertAgent(this.#agentDb, this.#executeWrites, agent);
  }

  getAgent(tenant: string, id: string): Promise<AgentRecord | null> {
    return agentObjects.getAgent(this.#agentDb, tenant, id);
  }

  listAgents(tenant: string, page: AgentPageOptions): Promise<AgentRecord[]> {
    return agentObjects.listAgents(this.#agentDb, tenant, page);
  }

  updateAgent(tenant: string, id: string, config: Record<string, unknown>, updatedAt: string): Promise<AgentRecord | null> {
    return agentObjects.updateAgent(this.#agentDb, this.#executeWrites, tenant, id, config, updatedAt);
  }

  deleteAgent(tenant: string, id: string): Promise<boolean> {
    return agentObjects.deleteAgent(this.#agentDb, this.#executeWrites, tenant, id);
  }

  insertAgentSession(session: Omit<AgentSessionRecord, 'event_seq' | 'item_count' | 'version'>, events: readonly Record<string, unknown>[]): Promise<void> {
    return agentSessions.insertAgentSession(this.#agentDb, this.#executeWrites, session, events);
  }

  getAgentSession(tenant: string, id: string): Promise<AgentSessionRecord | null> {
    return agentSessions.getAgentSession(this.#agentDb, tenant, id);
  }

  listAgentSessions(tenant: string, page: AgentSessionPageOptions): Promise<AgentSessionRecord[]> {
    return agentSessions.listAgentSessions(this.#agentDb, tenant, page);
  }

  writeAgentSession(tenant: string, id: string, write: AgentSessionWrite): Promise<boolean> {
    return agentSessions.writeAgentSession(this.#agentDb, this.#executeWrites, tenant, id, write);
  }

  deleteAgentSession(tenant: string, id: string): Promise<boolean> {
    return agentSessions.deleteAgentSession(this.#agentDb, this.#executeWrites, tenant, id);
  }

  listAgentTurns(tenant: string, sessionId: string, page: AgentPageOptions): Promise<AgentTurnRecord[] | null> {
    return agentSessions.listAgentTurns(this.#agentDb, tenant, sessionId, page);
  }

  getAgentTurn(tenant: string, sessionId: string, turnId: string): Promise<AgentTurnRecord | null> {
    return agentSessions.getAgentTurn(this.#agentDb, tenant, sessionId, turnId);
  }

  listAgentItems(tenant: string, sessionId: string, page: AgentPageOptions & { turnId?: string }): Promise<AgentItemRecord[] | null> {
    return agentSessions.listAgentItems(this.#agentDb, tenant, sessionId, page);
  }

  listAgentEvents(tenant: string, sessionId: string, after: number, limit: number): Promise<AgentEventRecord[]> {
    return agentSessions.listAgentEvents(this.#agentDb, tenant, sessionId, after, limit);
  }

  listOrphanedAgentSessions(now: string, limit: number): Promise<AgentSessionRecord[]> {
    return agentSessions.listOrphanedAgentSessions(this.#agentDb, now, limit);
  }

  renewAgentSessionLeases(owner: string, ids: readonly string[], until: string): Promise<string[]> {
    return agentSessions.renewAgentSessionLeases(this.#agentDb, this.#executeWrites, owner, ids, until);
  }

  insertMcpServer(record: McpServerRecord): Promise<boolean> {
    return mcpServers.insertMcpServer(this.db, this.#executeWrites, record);
  }

  getMcpServer(tenant: string, id: string): Promise<McpServerRecord | null> {
    return mcpServers.getMcpServer(this.db, tenant, id);
  }

  findMcpServerByLabel(tenant: string, label: string): Promise<McpServerRecord | null> {
    return mcpServers.findMcpServerByLabel(this.db, tenant, label);
  }

  listMcpServers(tenant: string): Promise<McpServerRecord[]> {
    return mcpServers.listMcpServers(this.db, tenant);
  }

  updateMcpServer(tenant: string, id: string, patch: McpServerPatch): Promise<McpServerRecord | null> {
    return mcpServers.updateMcpServer(this.db, this.#executeWrites, tenant, id, patch);
  }

  deleteMcpServer(tenant: string, id: string): Promise<boolean> {
    return mcpServers.deleteMcpServer(this.db, this.#executeWrites, tenant, id);
  }

  insertMcpCredential(record: McpCredentialRecord): Promise<void> {
    return mcpCredentials.insertMcpCredential(this.db, this.#executeWrites, record);
  }

  getMcpCredential(tenant: string, id: string): Promise<McpCredentialRecord | null> {
    return mcpCredentials.getMcpCredential(this.db, tenant, id);
  }

  listMcpCredentials(tenant: string): Promise<McpCredentialRecord[]> {
    return mcpCredentials.listMcpCredentials(this.db, tenant);
  }

  deleteMcpCredential(tenant: string, id: string): Promise<boolean> {
    return mcpCredentials.deleteMcpCredential(this.db, this.#executeWrites, tenant, id);
  }

  insertDashboardSession(session: DashboardSessionRecord, maxPerSubject: number): Promise<void> {
    return auth.insertDashboardSession(this.db, this.#executeWrites, session, maxPerSubject);
  }

  getDashboardSession(idHash: string): Promise<DashboardSessionRecord | null> {
    return auth.getDashboardSession(this.db, idHash);
  }

  touchDashboardSession(idHash: string, at: string): Promise<void> {
    return auth.touchDashboardSession(this.db, this.#executeWrites, idHash, at);
  }

  deleteDashboardSession(idHash: string): Promise<boolean> {
    return auth.deleteDashboardSession(this.db, this.#executeWrites, idHash);
  }

  pruneDashboardSessions(now: string, idleBefore: string): Promise<number> {
    return auth.pruneDashboardSessions(this.db, this.#executeWrites, now, idleBefore);
  }

  insertAuditRecord(record: AuditRecord): Promise<void> {
    return auth.insertAuditRecord(this.db, this.#executeWrites, record);
  }

  listAuditRecords(filter: AuditFilter): Promise<AuditRecord[]> {
    return auth.listAuditRecords(this.db, filter);
  }

  pruneAuditRecords(olderThan: string): Promise<number> {
    return auth.pruneAuditRecords(this.db, this.#executeWrites, olderThan);
  }
}

/**
 * Brings the database behind `db` to the latest migration, safe when several processes do it at once. On PostgreSQL
 * Kysely's Migrator holds an advisory lock around the check-and-migrate (its creation of its own tables tolerates a
 * race). SQLite has no such lock: two processes on a fresh file would both see no migration and both create the
 * tables, so there the whole check-and-migrate runs in one `begin immediate` transaction, the file's write lock; the
 * second process waits for it and then finds the migrations done (and a failed migration leaves nothing behind).
 */
export async function migrateStoreDatabase(db: Kysely<StoreDatabase>, options: KyselyStoreOptions = {}): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return runMigrator(new Migrator({ db, provider: storeMigrationProvider, ...options }));
  await db.connection().execute(async (connection) => {
    await beginImmediate(connection);
    try {
      await runMigrator(new Migrator({ db: connection, provider: storeMigrationProvider, ...options }));
      await sql`commit`.execute(connection);
    } catch (error) {
      await sql`rollback`.execute(connection).catch(() => {});
      throw error;
    }
  });
}

async function runMigrator(migrator: Migrator): Promise<void> {
  // The Migrator reports failures in its result instead of throwing.
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) throw error instanceof Error ? error : new Error(`store migration failed: ${String(error)}`);
}

// Takes SQLite's write lock, waiting (busy_timeout at a time) up to SQLITE_MIGRATION_WAIT_MS for another process's.
async function beginImmediate(connection: Kysely<StoreDatabase>): Promise<void> {
  const deadline = Date.now() + SQLITE_MIGRATION_WAIT_MS;
  for (;;) {
    try {
      await sql`begin immediate`.execute(connection);
      return;
    } catch (error) {
      if (!/locked|busy/i.test((error as Error).message) || Date.now() >= deadline) throw error;
    }
  }
}

/** A batch of decisions as rows of request_decisions and decision_plans, each distinct plan once. */
function toDecisionRows(rows: readonly DecisionRow[]): { plans: Selectable<DecisionPlanTable>[]; decisions: Selectable<RequestDecisionTable>[] } {
  const plans = new Map<string, Selectable<DecisionPlanTable>>();
  const decisions = rows.map((input) => {
    const { row, plan } = toDecisionTableRow(input);
    plans.set(plan.id, { id: plan.id, plan: plan.json });
    return row;
  });
  return { plans: [...plans.values()], decisions };
}

/**
 * The prune of decisions recorded before `olderThan`, in one transaction: the decisions (the changes of the first
 * statement), the legacy whole records (the second), then every plan no decision refers to any more.
 */
function pruneDecisionStatements(db: Kysely<StoreDatabase>, olderThan: string): WriteStatement[] {
  return [
    db.deleteFrom('request_decisions').where('created_at', '<', olderThan).compile(),
    db.deleteFrom('decisions').where('created_at', '<', olderThan).compile(),
    db
      .deleteFrom('decision_plans')
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('request_decisions').select('request_decisions.id').whereRef('request_decisions.plan_id', '=', 'decision_plans.id'))),
      )
      .compile(),
  ];
}
