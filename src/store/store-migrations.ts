// Versioned schema changes, applied in name order by Kysely's Migrator; one set for every SQL backend, so only portable column types.
import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely/migration';

// Migrations are frozen history: they take `Kysely<any>` on purpose, never today's StoreDatabase type.
/** Every migration by name; names sort in version order (`0001_...`, `0002_...`). Never edit one that has shipped: add the next. */
export const storeMigrations: Readonly<Record<string, Migration>> = {
  '0001_request_log': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('request_log')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('endpoint', 'text', (column) => column.notNull())
        .addColumn('model', 'text', (column) => column.notNull())
        .addColumn('route', 'text')
        .addColumn('attempts', 'integer', (column) => column.notNull())
        .addColumn('status', 'integer', (column) => column.notNull())
        .addColumn('error_code', 'text')
        .addColumn('stream', 'boolean', (column) => column.notNull())
        .addColumn('prompt_tokens', 'integer')
        .addColumn('completion_tokens', 'integer')
        .addColumn('cached_tokens', 'integer')
        .addColumn('duration_ms', 'integer', (column) => column.notNull())
        .addColumn('ttfb_ms', 'integer')
        .execute();
      // Serves the newest-first listing and its (created_at, id) cursor.
      await db.schema.createIndex('request_log_created_at_id').on('request_log').columns(['created_at', 'id']).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('request_log').execute();
    },
  },
  '0002_decisions': {
    async up(db: Kysely<any>) {
      // The record is JSON in a text column: it is only ever read whole, by id, and text is portable to every backend.
      await db.schema
        .createTable('decisions')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('model', 'text', (column) => column.notNull())
        .addColumn('record', 'text', (column) => column.notNull())
        .execute();
      // Serves the retention prune (delete where created_at < cutoff).
      await db.schema.createIndex('decisions_created_at').on('decisions').column('created_at').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('decisions').execute();
    },
  },
  '0003_tenancy_ledger': {
    async up(db: Kysely<any>) {
      // JSON values live in text columns (portable, and only ever read whole); money in bigint micro-units; instants
      // as ISO text (Date.prototype.toISOString(): text order is time order).
      await db.schema
        .createTable('settings')
        .addColumn('name', 'text', (column) => column.primaryKey())
        .addColumn('value', 'text', (column) => column.notNull())
        .execute();

      await db.schema
        .createTable('tenants')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('policy', 'text', (column) => column.notNull())
        .addColumn('margin', 'text')
        .addColumn('rpm', 'integer')
        .addColumn('tpm', 'integer')
        .addColumn('budget', 'text')
        .addColumn('metadata', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .execute();

      // No foreign key to tenants: a deleted tenant's revoked keys stay, as its usage and ledger do.
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('tenant', 'text', (column) => column.notNull())
        .addColumn('name', 'text')
        .addColumn('prefix', 'text', (column) => column.notNull())
        .addColumn('hash', 'text', (column) => column.notNull().unique())
        .addColumn('models', 'text')
        .addColumn('rpm', 'integer')
        .addColumn('tpm', 'integer')
        .addColumn('budget', 'text')
        .addColumn('expires_at', 'text')
        .addColumn('admin', 'boolean', (column) => column.notNull())
        .addColumn('metadata', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
      // Serves the listing of a tenant's keys and the revocation of them all when the tenant goes.
      await db.schema.createIndex('api_keys_tenant_created_at').on('api_keys').columns(['tenant', 'created_at']).execute();

      await db.schema
        .createTable('usage_events')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('request_id', 'text', (column) => column.notNull())
        .addColumn('tenant', 'text', (column) => column.notNull())
        .addColumn('key_id', 'text')
        .addColumn('endpoint', 'text', (column) => column.notNull())
        .addColumn('model', 'text', (column) => column.notNull())
        .addColumn('route', 'text', (column) => column.notNull())
        .addColumn('provider', 'text', (column) => column.notNull())
        .addColumn('region', 'text', (column) => column.notNull())
        .addColumn('input_tokens', 'integer', (column) => column.notNull())
        .addColumn('cached_tokens', 'integer', (column) => column.notNull())
        .addColumn('output_tokens', 'integer', (column) => column.notNull())
        .addColumn('reasoning_tokens', 'integer', (column) => column.notNull())
        .addColumn('estimated', 'boolean', (column) => column.notNull())
        .addColumn('latency_ms', 'integer', (column) => column.notNull())
        .addColumn('status', 'integer', (column) => column.notNull())
        .addColumn('started_at', 'text', (column) => column.notNull())
        .addColumn('completed_at', 'text', (column) => column.notNull())
        .addColumn('currency', 'text', (column) => column.notNull())
        .addColumn('cost', 'bigint', (column) => column.notNull())
        .addColumn('charged', 'bigint', (column) => column.notNull())
        .execute();
      // Usage reports filter by time, by tenant and time (budgets), and look events up by request.
      await db.schema.createIndex('usage_events_completed_at').on('usage_events').column('completed_at').execute();
      await db.schema.createIndex('usage_events_tenant_completed_at').on('usage_events').columns(['tenant', 'completed_at']).execute();
      await db.schema.createIndex('usage_events_request_id').on('usage_events').column('request_id').execute();

      await db.schema
        .createTable('transfers')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('event_id', 'text', (column) => column.notNull())
        .addColumn('debit', 'text', (column) => column.notNull())
        .addColumn('credit', 'text', (column) => column.notNull())
        .addColumn('amount', 'bigint', (column) => column.notNull())
        .addColumn('currency', 'text', (column) => column.notNull())
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('agreement_id', 'text')
        .addColumn('created_at', 'text', (column) => column.notNull())
        .execute();
      // A replay compares an event's transfers; statements sum an agreement's shares, or one kind, over a period.
      await db.schema.createIndex('transfers_event_id').on('transfers').column('event_id').execute();
      await db.schema.createIndex('transfers_agreement_id_created_at').on('transfers').columns(['agreement_id', 'created_at']).execute();
      await db.schema.createIndex('transfers_kind_created_at').on('transfers').columns(['kind', 'created_at']).execute();

      await db.schema
        .createTable('account_balances')
        .addColumn('account', 'text', (column) => column.notNull())
        .addColumn('currency', 'text', (column) => column.notNull())
        .addColumn('balance', 'bigint', (column) => column.notNull())
        .addPrimaryKeyConstraint('account_balances_pk', ['account', 'currency'])
        .execute();

      await db.schema
        .createTable('agreement_accruals')
        .addColumn('agreement_id', 'text', (column) => column.notNull())
        .addColumn('currency', 'text', (column) => column.notNull())
        .addColumn('accrued', 'bigint', (column) => column.notNull())
        .addColumn('cap_reached_at', 'text')
        .addPrimaryKeyConstraint('agreement_accruals_pk', ['agreement_id', 'currency'])
        .execute();

      await db.schema
        .createTable('idempotency_keys')
        .addColumn('tenant', 'text', (column) => column.notNull())
        .addColumn('key', 'text', (column) => column.notNull())
        .addColumn('request_hash', 'text', (column) => column.notNull())
        .addColumn('state', 'text', (column) => column.notNull())
        .addColumn('status', 'integer')
        .addColumn('headers', 'text')
        .addColumn('body', binaryType(db))
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('lease_expires_at', 'text', (column) => column.notNull())
        .addColumn('expires_at', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['tenant', 'key'])
        .execute();
      // Serves the prune of expired records.
      await db.schema.createIndex('idempotency_keys_expires_at').on('idempotency_keys').column('expires_at').execute();
    },
    async down(db: Kysely<any>) {
      for (const table of ['idempotency_keys', 'agreement_accruals', 'account_balances', 'transfers', 'usage_events', 'api_keys', 'tenants', 'settings']) {
        await db.schema.dropTable(table).execute();
      }
    },
  },
  '0004_runtime': {
    async up(db: Kysely<any>) {
      // Responses, items and events are OpenAI JSON kept whole in text columns. No foreign keys: deletes cascade by
      // hand, in the store's transaction, scoped by tenant. Every lookup is `id = ? and tenant = ?`, which the id
      // primary key serves (one row, then the tenant compared), so there is no index on tenant.
      await db.schema
        .createTable('responses')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('tenant', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('model', 'text', (column) => column.notNull())
        .addColumn('route', 'text')
        .addColumn('previous_response_id', 'text')
        .addColumn('conversation_id', 'text')
        .addColumn('background', 'boolean', (column) => column.notNull())
        .addColumn('request', 'text', (column) => column.notNull())
        .addColumn('response', 'text', (column) => column.notNull())
        .addColumn('usage_event_id', 'text')
        .addColumn('expires_at', 'text')
        .execute();
      // Serve the listing of unfinished (background) responses oldest first, and the retention prune.
      await db.schema.createIndex('responses_status_created_at').on('responses').columns(['status', 'created_at']).execute();
      await db.schema.createIndex('responses_expires_at').on('responses').column('expires_at').execute();

      await db.schema
        .createTable('response_items')
        .addColumn('response_id', 'text', (column) => column.notNull())
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('position', 'integer', (column) => column.notNull())
        .addColumn('item_id', 'text', (column) => column.notNull())
        .addColumn('item', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('response_items_pk', ['response_id', 'kind', 'position'])
        .addUniqueConstraint('response_items_item_id', ['response_id', 'item_id'])
        .execute();

      await db.schema
        .createTable('response_events')
        .addColumn('response_id', 'text', (column) => column.notNull())
        .addColumn('sequence_number', 'integer', (column) => column.notNull())
        .addColumn('event', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('response_events_pk', ['response_id', 'sequence_number'])
        .execute();

      await db.schema
        .createTable('conversations')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('tenant', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('metadata', 'text', (column) => column.notNull())
        .execute();

      await db.schema
        .createTable('conversation_items')
        .addColumn('conversation_id', 'text', (column) => column.notNull())
        .addColumn('position', 'integer', (column) => column.notNull())
        .addColumn('item_id', 'text', (column) => column.notNull())
        .addColumn('item', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('conversation_items_pk', ['conversation_id', 'position'])
        .addUniqueConstraint('conversation_items_item_id', ['conversation_id', 'item_id'])
        .execute();
    },
    async down(db: Kysely<any>) {
      for (const table of ['conversation_items', 'conversations', 'response_events', 'response_items', 'responses']) {
        await db.schema.dropTable(table).execute();
      }
    },
  },
  '0005_tenant_tombstones': {
    async up(db: Kysely<any>) {
      // A deleted tenant's row stays with its deletion time, so that its id is never handed out again: a new tenant
      // under an old id would otherwise inherit its responses, conversations, spend and idempotency keys.
      await db.schema.alterTable('tenants').addColumn('deleted_at', 'text').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('tenants').dropColumn('deleted_at').execute();
    },
  },
  '0006_tenant_storage': {
    async up(db: Kysely<any>) {
      // The bytes each tenant keeps in responses and conversations, maintained in the transaction of every write
      // and delete of them, so that a quota is one comparison. Sizes are octet_length of the stored JSON text
      // (SQLite >= 3.43 and PostgreSQL both have it), which is what the store adds when it writes.
      await db.schema
        .createTable('tenant_storage')
        .addColumn('tenant', 'text', (column) => column.primaryKey())
        .addColumn('bytes', 'bigint', (column) => column.notNull())
        .execute();
      await sql`insert into tenant_storage (tenant, bytes)
        select tenant, sum(bytes) from (
          select tenant, octet_length(request) + octet_length(response) as bytes from responses
          union all
          select responses.tenant, octet_length(response_items.item) from response_items join responses on responses.id = response_items.response_id
          union all
          select tenant, octet_length(metadata) from conversations
          union all
          select conversations.tenant, octet_length(conversation_items.item)
          from conversation_items join conversations on conversations.id = conversation_items.conversation_id
        ) as stored
        group by tenant`.execute(db);
      // Serves the optional retention purge of conversations (runtime.conversation_retention_days).
      await db.schema.createIndex('conversations_created_at').on('conversations').column('created_at').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('conversations_created_at').execute();
      await db.schema.dropTable('tenant_storage').execute();
    },
  },
  '0007_decision_plans': {
    async up(db: Kysely<any>) {
      // A decision as a reference to its plan, which many requests share (the plan cache serves one plan to many):
      // the plan's JSON is stored once, under a hash of it, and each decision keeps only what is particular to its
      // request. The `decisions` table of 0002 stays for the decisions recorded before, read and pruned until the
      // retention window has emptied it.
      await db.schema
        .createTable('decision_plans')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('plan', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('request_decisions')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('plan_id', 'text', (column) => column.notNull())
        .addColumn('tenant', 'text')
        .addColumn('route', 'text')
        .addColumn('detail', 'text', (column) => column.notNull())
        .execute();
      // Serve the retention prune, and the prune of plans no decision refers to any more.
      await db.schema.createIndex('request_decisions_created_at').on('request_decisions').column('created_at').execute();
      await db.schema.createIndex('request_decisions_plan_id').on('request_decisions').column('plan_id').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('request_decisions').execute();
      await db.schema.dropTable('decision_plans').execute();
    },
  },
  '0008_background_leases': {
    async up(db: Kysely<any>) {
      // A background response is run by the replica that holds its lease (owner, until lease_expires_at, ISO text),
      // renewed while it runs; a lease that expired (its replica died) lets another replica claim the job.
      // run_request_id names the request id of the run that held it last, so that a takeover can tell from the ledger
      // whether that run was billed.
      await db.schema.alterTable('responses').addColumn('owner', 'text').execute();
      await db.schema.alterTable('responses').addColumn('lease_expires_at', 'text').execute();
      await db.schema.alterTable('responses').addColumn('run_request_id', 'text').execute();
      // Serves the claim of jobs (queued or in progress, lease expired or none, oldest first): only unfinished jobs
      // are indexed, in claim order, so the index stays as small as the work in flight and the claim reads it in
      // order, checking each one's lease, instead of sorting. The claim repeats this predicate word for word.
      await db.schema
        .createIndex('responses_claimable')
        .on('responses')
        .columns(['created_at', 'id', 'lease_expires_at'])
        .where(sql.ref('status'), 'in', ['queued', 'in_progress'])
        .execute();
      // Named leases for work one replica at a time must do (housekeeping).
      await db.schema
        .createTable('leases')
        .addColumn('name', 'text', (column) => column.primaryKey())
        .addColumn('owner', 'text', (column) => column.notNull())
        .addColumn('expires_at', 'text', (column) => column.notNull())
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('leases').execute();
      await db.schema.dropIndex('responses_claimable').execute();
      await db.schema.alterTable('responses').dropColumn('run_request_id').execute();
      await db.schema.alterTable('responses').dropColumn('lease_expires_at').execute();
      await db.schema.alterTable('responses').dropColumn('owner').execute();
    },
  },
  '0009_agents': {
    async up(db: Kysely<any>) {
      // The Agents API: saved agents, sessions, their turns, items and events; objects as JSON text, instants as ISO text.
      await db.schema
        .createTable('agents')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('tenant', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .addColumn('config', 'text', (column) => column.notNull())
        .execute();
      // Serves the tenant's cursor pages in creation order.
      await db.schema.createIndex('agents_tenant_created_at').on('agents').columns(['tenant', 'created_at', 'id']).execute();
      // event_seq and item_seq count the session's events and items: a write numbers what it appends by moving them on
      // the session's row, which serialises concurrent writers of one session on every backend. owner and
      // lease_expires_at hold a running step (as background responses' leases do); write_token marks the last write
      // that passed its condition, so that the rows it appends are selected through it in the same transaction.
      await db.schema
        .createTable('agent_sessions')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('tenant', 'text', (column) => column.notNull())
        .addColumn('agent_id', 'text')
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .addColumn('last_active_at', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('state', 'text', (column) => column.notNull())
        .addColumn('active_turn_id', 'text')
        .addColumn('event_seq', 'integer', (column) => column.notNull().defaultTo(0))
        .addColumn('item_seq', 'integer', (column) => column.notNull().defaultTo(0))
        .addColumn('owner', 'text')
        .addColumn('lease_expires_at', 'text')
        .addColumn('write_token', 'text')
        .execute();
      await db.schema.createIndex('agent_sessions_tenant_created_at').on('agent_sessions').columns(['tenant', 'created_at', 'id']).execute();
      // Serves the sweep for steps whose replica died: only sessions with a step are indexed.
      await db.schema
        .createIndex('agent_sessions_leased')
        .on('agent_sessions')
        .columns(['lease_expires_at', 'id'])
        .where(sql.ref('owner'), 'is not', null)
        .execute();
      await db.schema
        .createTable('agent_turns')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('session_id', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('turn', 'text', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('agent_turns_session').on('agent_turns').columns(['session_id', 'created_at', 'id']).execute();
      await db.schema
        .createTable('agent_items')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('session_id', 'text', (column) => column.notNull())
        .addColumn('turn_id', 'text', (column) => column.notNull())
        .addColumn('position', 'integer', (column) => column.notNull())
        .addColumn('item', 'text', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('agent_items_session_position').on('agent_items').columns(['session_id', 'position']).unique().execute();
      await db.schema
        .createTable('agent_events')
        .addColumn('session_id', 'text', (column) => column.notNull())
        .addColumn('seq', 'integer', (column) => column.notNull())
        .addColumn('event', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('agent_events_pk', ['session_id', 'seq'])
        .execute();
    },
    async down(db: Kysely<any>) {
      for (const table of ['agent_events', 'agent_items', 'agent_turns', 'agent_sessions', 'agents']) await db.schema.dropTable(table).execute();
    },
  },
  '0010_mcp_servers': {
    async up(db: Kysely<any>) {
      // MCP servers an admin registered per tenant; `headers` holds the credentials sent to the server (never
      // returned by the admin API). A label names one server within its tenant.
      await db.schema
        .createTable('mcp_servers')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('tenant', 'text', (column) => column.notNull())
        .addColumn('label', 'text', (column) => column.notNull())
        .addColumn('url', 'text', (column) => column.notNull())
        .addColumn('description', 'text')
        .addColumn('headers', 'text', (column) => column.notNull())
        .addColumn('credential_id', 'text')
        .addColumn('allowed_tools', 'text')
        .addColumn('require_approval', 'text', (column) => column.notNull())
        // `private`: registered by the installation's operator, may be on a loopback or private address; `public`
        // (a tenant's admin key): checked on the resolved address at every connection, as inline URLs are.
        .addColumn('network', 'text', (column) => column.notNull().defaultTo('public'))
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .addUniqueConstraint('mcp_servers_tenant_label', ['tenant', 'label'])
        .execute();
      // The MCP operations of a request (JSON: server label, tool, outcome; never arguments or credentials).
      await db.schema.alterTable('request_log').addColumn('mcp_calls', 'text').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('request_log').dropColumn('mcp_calls').execute();
      await db.schema.dropTable('mcp_servers').execute();
    },
  },
  '0013_dashboard_auth': {
    async up(db: Kysely<any>) {
      // Dashboard sessions, by the SHA-256 of their id (the cookie's value is never stored), so that every replica
      // sees a sign-out or a revocation at once.
      await db.schema
        .createTable('dashboard_sessions')
        .addColumn('id_hash', 'text', (column) => column.primaryKey())
        .addColumn('via', 'text', (column) => column.notNull())
        .addColumn('role', 'text', (column) => column.notNull())
        .addColumn('tenant', 'text')
        .addColumn('key_id', 'text')
        .addColumn('key_fingerprint', 'text')
        .addColumn('subject', 'text', (column) => column.notNull())
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('last_seen_at', 'text', (column) => column.notNull())
        .addColumn('expires_at', 'text', (column) => column.notNull())
        .execute();
      // Serves the per-user bound on sessions.
      await db.schema.createIndex('dashboard_sessions_subject').on('dashboard_sessions').columns(['subject', 'created_at']).execute();
      // The audit log of admin actions: who, on which tenant, what, on what, how it ended, from where; never a secret.
      await db.schema
        .createTable('audit_log')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('actor_kind', 'text', (column) => column.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('actor_name', 'text')
        .addColumn('tenant_id', 'text')
        .addColumn('action', 'text', (column) => column.notNull())
        .addColumn('target_type', 'text')
        .addColumn('target_id', 'text')
        .addColumn('outcome', 'text', (column) => column.notNull())
        .addColumn('ip', 'text')
        .execute();
      // Serve a tenant's page (newest first) and the retention prune.
      await db.schema.createIndex('audit_log_tenant_id').on('audit_log').columns(['tenant_id', 'id']).execute();
      await db.schema.createIndex('audit_log_created_at').on('audit_log').column('created_at').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('audit_log').execute();
      await db.schema.dropTable('dashboard_sessions').execute();
    },
  },
  '0014_request_log_columns': {
    async up(db: Kysely<any>) {
      // Who made each request and what explains it, for the admin API's filters and the dashboard: the tenant and key
      // (null for the master key), the routing decision, the provider of the route that answered, and the time spent
      // waiting on upstream attempts (gateway overhead = duration_ms - upstream_ms). Rows written before stay null.
      await db.schema.alterTable('request_log').addColumn('tenant_id', 'text').execute();
      await db.schema.alterTable('request_log').addColumn('key_id', 'text').execute();
      await db.schema.alterTable('request_log').addColumn('decision_id', 'text').execute();
      await db.schema.alterTable('request_log').addColumn('provider', 'text').execute();
      await db.schema.alterTable('request_log').addColumn('upstream_ms', 'integer').execute();
      // Serve a tenant's (or key's) newest-first pages and stats windows; the other filters (model, route, status,
      // endpoint) narrow one of these ranges or the (created_at, id) index of 0001.
      await db.schema.createIndex('request_log_tenant_created_at_id').on('request_log').columns(['tenant_id', 'created_at', 'id']).execute();
      await db.schema.createIndex('request_log_key_created_at_id').on('request_log').columns(['key_id', 'created_at', 'id']).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('request_log_key_created_at_id').execute();
      await db.schema.dropIndex('request_log_tenant_created_at_id').execute();
      for (const column of ['upstream_ms', 'provider', 'decision_id', 'key_id', 'tenant_id']) {
        await db.schema.alterTable('request_log').dropColumn(column).execute();
      }
    },
  },
};

// The one column type no name covers on both: SQLite calls bytes `blob`, PostgreSQL `bytea`.
function binaryType(db: Kysely<any>): 'blob' | 'bytea' {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'bytea' : 'blob';
}

/** Serves `storeMigrations` to Kysely's Migrator (migrations live in code, not in a folder read at run time). */
export const storeMigrationProvider: MigrationProvider = {
  getMigrations: async () => ({ ...storeMigrations }),
};
