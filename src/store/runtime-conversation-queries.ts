// Conversations in portable Kysely (SQLite and PostgreSQL): KyselyStore's conversation writes and reads, items in order.
import { sql, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import type { ConversationItemRecord, ConversationRecord, ItemPageOptions } from './runtime-records.ts';
import {
  assertSameParent,
  splitIntoChunks,
  toConversationItemRecord,
  toConversationItemTableRow,
  toConversationRecord,
  toConversationTableRow,
  toTextParameter,
} from './runtime-rows.ts';
import type { ConversationItemTable, ConversationTable, StoreDatabase } from './store-database.ts';
import { addTenantBytes, countStoredBytes, ensureTenantStorage, subtractTenantBytes } from './runtime-storage-queries.ts';
import { StorageLimitError, type StorageLimits } from './storage-limits.ts';
import { toGuard, type ExecuteWrites, type WriteStatement } from './store-records.ts';

// 5 parameters a row: far below SQLite's 32766 and PostgreSQL's 65535 per statement.
const itemRowsPerInsert = 500;

type NewConversationItem = Omit<ConversationItemRecord, 'position'>;

// The tenant's conversation with this id, as a one-column subquery: empty for an unknown or foreign id.
function selectOwnedConversation(db: Kysely<StoreDatabase>, tenant: string, id: string) {
  return db.selectFrom('conversations').select('conversations.id').where('conversations.id', '=', id).where('conversations.tenant', '=', tenant);
}

// Whether the tenant's conversation with this id exists, as an SQL condition.
function ownsConversation(tenant: string, id: string): RawBuilder<unknown> {
  return sql`exists (select 1 from conversations where id = ${id} and tenant = ${tenant})`;
}

/**
 * Inserts the conversation and its items (positions from 0) in one transaction, adding their bytes to the tenant's
 * storage counter; throws when the id is taken, and StorageLimitError (storing nothing) past `limits`.
 */
export async function insertConversation(
  db: Kysely<StoreDatabase>,
  executeWrites: ExecuteWrites,
  conversation: ConversationRecord,
  items: readonly NewConversationItem[],
  limits: StorageLimits = {},
): Promise<ConversationItemRecord[]> {
  assertSameParent(items, 'conversation_id', conversation.id);
  if (limits.conversationItems !== undefined && items.length > limits.conversationItems) throw new StorageLimitError('conversation_max_items');
  const stored = items.map((item, position) => ({ ...item, position }));
  const row = toConversationTableRow(conversation);
  const itemRows = stored.map((item) => toConversationItemTableRow(item, item.position));
  await executeWrites([
    ensureTenantStorage(db, conversation.tenant),
    addTenantBytes(db, conversation.tenant, countStoredBytes([row.metadata, ...itemRows.map((item) => item.item)]), limits),
    db.insertInto('conversations').values(row).compile(),
    ...splitIntoChunks(itemRows, itemRowsPerInsert).map((chunk) => db.insertInto('conversation_items').values(chunk).compile()),
  ]);
  return stored;
}

/** The tenant's conversation with this id, or null. */
export async function getConversation(db: Kysely<StoreDatabase>, tenant: string, id: string): Promise<ConversationRecord | null> {
  const row = await db.selectFrom('conversations').selectAll().where('id', '=', id).where('tenant', '=', tenant).executeTakeFirst();
  return row === undefined ? null : toConversationRecord(row);
}

/** Replaces the conversation's metadata; resolves with the conversation, or null when it is unknown or foreign. */
export async function updateConversation(
  db: Kysely<StoreDatabase>,
  executeWrites: ExecuteWrites,
  tenant: string,
  id: string,
  metadata: Record<string, string>,
): Promise<ConversationRecord | null> {
  const text = JSON.stringify(metadata);
  const results = await executeWrites([
    // Metadata is bounded at the edge (16 pairs): its change is counted, never refused.
    ensureTenantStorage(db, tenant),
    subtractTenantBytes(db, tenant, sql`select octet_length(metadata) from conversations where id = ${id} and tenant = ${tenant}`),
    addTenantBytes(db, tenant, countStoredBytes([text]), {}, ownsConversation(tenant, id)),
    db.updateTable('conversations').set({ metadata: text }).where('id', '=', id).where('tenant', '=', tenant).returningAll().compile(),
  ]);
  const row = results[3]?.rows[0];
  return row === undefined ? null : toConversationRecord(row as Selectable<ConversationTable>);
}

/**
 * Deletes the conversation and its items in one transaction (items first, while the conversation still says whose
 * they are), giving their bytes back to the tenant's storage counter.
 */
export async function deleteConversation(db: Kysely<StoreDatabase>, executeWrites: ExecuteWrites, tenant: string, id: string): Promise<boolean> {
  const [, , deleted] = await executeWrites([
    subtractTenantBytes(
      db,
      tenant,
      sql`(select coalesce(sum(octet_length(metadata)), 0) from conversations where id = ${id} and tenant = ${tenant})
        + (select coalesce(sum(octet_length(item)), 0) from conversation_items where conversation_id = ${id} and ${ownsConversation(tenant, id)})`,
    ),
    db
      .deleteFrom('conversation_items')
      .where('conversation_id', 'in', selectOwnedConversation(db, tenant, id))
      .compile(),
    db.deleteFrom('conversations').where('id', '=', id).where('tenant', '=', tenant).compile(),
  ]);
  return deleted?.changes === 1;
}

/**
 * Appends the items after the conversation's last one, in one transaction of fixed statements. The first is a
 * no-op update of the conversation row: on PostgreSQL it locks the row, so that concurrent appends to one
 * conversation queue behind each other instead of computing the same next position (SQLite has a single writer
 * anyway), and its count says whether the conversation is the tenant's. Each item is then one
 * `insert ... select ... from conversations where id = ? and tenant = ?` (nothing for an unknown or foreign id) whose
 * position is one past the largest so far, read in the same statement, returning the row it wrote. Before the inserts,
 * guards check `limits` (the conversation's item count, the tenant's bytes) and the tenant's counter grows by the
 * items' bytes: past a limit, StorageLimitError and nothing stored. An unknown conversation passes the guards.
 */
export async function appendConversationItems(
  db: Kysely<StoreDatabase>,
  executeWrites: ExecuteWrites,
  tenant: string,
  id: string,
  items: readonly NewConversationItem[],
  limits: StorageLimits = {},
): Promise<ConversationItemRecord[] | null> {
  assertSameParent(items, 'conversation_id', id);
  const itemTexts = items.map((item) => JSON.stringify(item.item));
  const checks: WriteStatement[] = [ensureTenantStorage(db, tenant)];
  if (limits.conversationItems !== undefined) {
    checks.push(
      toGuard(
        sql`select 1 as fits where not ${ownsConversation(tenant, id)}
          or (select count(*) from conversation_items where conversation_id = ${id}) + ${items.length} <= ${limits.conversationItems}`.compile(db),
        'conversation_max_items',
      ),
    );
  }
  checks.push(addTenantBytes(db, tenant, countStoredBytes(itemTexts), limits, ownsConversation(tenant, id)));
  const lock = db
    .updateTable('conversations')
    .set((eb) => ({ id: eb.ref('id') }))
    .where('id', '=', id)
    .where('tenant', '=', tenant)
    .compile();
  const inserts = items.map((item, index) =>
    db
      .insertInto('conversation_items')
      .columns(['conversation_id', 'position', 'item_id', 'item', 'created_at'])
      .expression(
        selectOwnedConversation(db, tenant, id).select((eb) => [
          eb
            .selectFrom('conversation_items as existing')
            .select(sql<number>`coalesce(max(existing.position), -1) + 1`.as('next'))
            .where('existing.conversation_id', '=', id)
            .as('position'),
          toTextParameter(item.item_id).as('item_id'),
          toTextParameter(itemTexts[index] ?? '').as('item'),
          toTextParameter(item.created_at).as('created_at'),
        ]),
      )
      .returningAll()
      .compile(),
  );
  const [locked, ...rest] = await executeWrites([lock, ...checks, ...inserts]);
  if (locked?.changes !== 1) return null;
  return rest
    .slice(checks.length)
    .flatMap((result) => result.rows)
    .map((row) => toConversationItemRecord(row as Selectable<ConversationItemTable>));
}

/**
 * A page of the conversation's items by position, or null when the conversation is unknown or foreign. `after` is an
 * item id: ascending pages hold the items after its position, descending ones those before; an `after` that names no
 * item of this conversation gives an empty page. One query: the conversation left-joined with the page, so that a
 * conversation without (matching) items still yields its one row.
 */
export async function listConversationItems(
  db: Kysely<StoreDatabase>,
  tenant: string,
  id: string,
  { after, limit, order }: ItemPageOptions,
): Promise<ConversationItemRecord[] | null> {
  const rows = await db
    .selectFrom('conversations')
    .leftJoin('conversation_items', (join) => {
      const onConversation = join.onRef('conversation_items.conversation_id', '=', 'conversations.id');
      if (after === undefined) return onConversation;
      const anchor = db
        .selectFrom('conversation_items as anchor')
        .select('anchor.position')
        .where('anchor.conversation_id', '=', id)
        .where('anchor.item_id', '=', after);
      return onConversation.on('conversation_items.position', order === 'asc' ? '>' : '<', anchor);
    })
    .select([
      'conversation_items.conversation_id',
      'conversation_items.position',
      'conversation_items.item_id',
      'conversation_items.item',
      'conversation_items.created_at',
    ])
    .where('conversations.id', '=', id)
    .where('conversations.tenant', '=', tenant)
    .orderBy('conversation_items.position', order)
    // At least one row, or an existing conversation would look unknown.
    .limit(Math.max(limit, 1))
    .execute();
  return toConversationItemPage(rows)?.slice(0, Math.max(limit, 0)) ?? null;
}

/** Every item of the conversation in order, or null when it is unknown or foreign; one query, as listConversationItems. */
export async function readConversationItems(db: Kysely<StoreDatabase>, tenant: string, id: string): Promise<ConversationItemRecord[] | null> {
  const rows = await db
    .selectFrom('conversations')
    .leftJoin('conversation_items', 'conversation_items.conversation_id', 'conversations.id')
    .select([
      'conversation_items.conversation_id',
      'conversation_items.position',
      'conversation_items.item_id',
      'conversation_items.item',
      'conversation_items.created_at',
    ])
    .where('conversations.id', '=', id)
    .where('conversations.tenant', '=', tenant)
    .orderBy('conversation_items.position')
    .execute();
  return toConversationItemPage(rows);
}

// Rows of a conversation left-joined with items: none means no conversation; a row of nulls, no item.
function toConversationItemPage(rows: { [K in keyof ConversationItemTable]: ConversationItemTable[K] | null }[]): ConversationItemRecord[] | null {
  if (rows.length === 0) return null;
  return rows.filter((row) => row.conversation_id !== null).map((row) => toConversationItemRecord(row as Selectable<ConversationItemTable>));
}

/** One item of the tenant's conversation, or null. */
export async function getConversationItem(
  db: Kysely<StoreDatabase>,
  tenant: string,
  conversationId: string,
  itemId: string,
): Promise<ConversationItemRecord | null> {
  const row = await db
    .selectFrom('conversation_items')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .where('item_id', '=', itemId)
    .where((eb) => eb.exists(selectOwnedConversation(db, tenant, conversationId)))
    .executeTakeFirst();
  return row === undefined ? null : toConversationItemRecord(row);
}

/** Deletes one item of the tenant's conversation, giving its bytes back; false when there is no such item (or conversation). */
export async function deleteConversationItem(
  db: Kysely<StoreDatabase>,
  executeWrites: ExecuteWrites,
  tenant: string,
  conversationId: string,
  itemId: string,
): Promise<boolean> {
  const [, deleted] = await executeWrites([
    subtractTenantBytes(
      db,
      tenant,
      sql`select octet_length(item) from conversation_items
        where conversation_id = ${conversationId} and item_id = ${itemId} and ${ownsConversation(tenant, conversationId)}`,
    ),
    db
      .deleteFrom('conversation_items')
      .where('conversation_id', '=', conversationId)
      .where('item_id', '=', itemId)
      .where('conversation_id', 'in', selectOwnedConversation(db, tenant, conversationId))
      .compile(),
  ]);
  return deleted?.changes === 1;
}

/**
 * Deletes the conversations created before `before` (the optional retention purge), with their items, in one
 * transaction, giving their bytes back to each tenant's storage counter; resolves with how many went.
 */
export async function pruneConversations(db: Kysely<StoreDatabase>, executeWrites: ExecuteWrites, before: string): Promise<number> {
  const expired = db.selectFrom('conversations').select('id').where('created_at', '<', before);
  const results = await executeWrites([
    sql`update tenant_storage set bytes = bytes - coalesce((
        select sum(octet_length(expired.metadata)
          + coalesce((select sum(octet_length(conversation_items.item)) from conversation_items where conversation_items.conversation_id = expired.id), 0))
        from conversations as expired where expired.tenant = tenant_storage.tenant and expired.created_at < ${before}), 0)
      where tenant in (select tenant from conversations where created_at < ${before})`.compile(db),
    db.deleteFrom('conversation_items').where('conversation_id', 'in', expired).compile(),
    db.deleteFrom('conversations').where('created_at', '<', before).compile(),
  ]);
  return results[2]?.changes ?? 0;
}
