// Conversations in portable Kysely (SQLite and PostgreSQL): KyselyStore's conversation writes and reads, items in order.
import { sql, type Kysely, type Selectable } from 'kysely';
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
import type { ExecuteWrites } from './store-records.ts';

// 5 parameters a row: far below SQLite's 32766 and PostgreSQL's 65535 per statement.
const itemRowsPerInsert = 500;

type NewConversationItem = Omit<ConversationItemRecord, 'position'>;

// The tenant's conversation with this id, as a one-column subquery: empty for an unknown or foreign id.
function selectOwnedConversation(db: Kysely<StoreDatabase>, tenant: string, id: string) {
  return db.selectFrom('conversations').select('conversations.id').where('conversations.id', '=', id).where('conversations.tenant', '=', tenant);
}

/** Inserts the conversation and its items (positions from 0) in one transaction; throws when the id is taken. */
export async function insertConversation(
  db: Kysely<StoreDatabase>,
  executeWrites: ExecuteWrites,
  conversation: ConversationRecord,
  items: readonly NewConversationItem[],
): Promise<ConversationItemRecord[]> {
  assertSameParent(items, 'conversation_id', conversation.id);
  const stored = items.map((item, position) => ({ ...item, position }));
  await executeWrites([
    db.insertInto('conversations').values(toConversationTableRow(conversation)).compile(),
    ...splitIntoChunks(stored, itemRowsPerInsert).map((chunk) =>
      db.insertInto('conversation_items').values(chunk.map((item) => toConversationItemTableRow(item, item.position))).compile(),
    ),
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
  const [updated] = await executeWrites([
    db.updateTable('conversations').set({ metadata: JSON.stringify(metadata) }).where('id', '=', id).where('tenant', '=', tenant).returningAll().compile(),
  ]);
  const row = updated?.rows[0];
  return row === undefined ? null : toConversationRecord(row as Selectable<ConversationTable>);
}

/** Deletes the conversation and its items in one transaction (items first, while the conversation still says whose they are). */
export async function deleteConversation(db: Kysely<StoreDatabase>, executeWrites: ExecuteWrites, tenant: string, id: string): Promise<boolean> {
  const [, deleted] = await executeWrites([
    db.deleteFrom('conversation_items').where('conversation_id', 'in', selectOwnedConversation(db, tenant, id)).compile(),
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
 * position is one past the largest so far, read in the same statement, returning the row it wrote.
 */
export async function appendConversationItems(
  db: Kysely<StoreDatabase>,
  executeWrites: ExecuteWrites,
  tenant: string,
  id: string,
  items: readonly NewConversationItem[],
): Promise<ConversationItemRecord[] | null> {
  assertSameParent(items, 'conversation_id', id);
  const lock = db
    .updateTable('conversations')
    .set((eb) => ({ id: eb.ref('id') }))
    .where('id', '=', id)
    .where('tenant', '=', tenant)
    .compile();
  const inserts = items.map((item) =>
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
          toTextParameter(JSON.stringify(item.item)).as('item'),
          toTextParameter(item.created_at).as('created_at'),
        ]),
      )
      .returningAll()
      .compile(),
  );
  const [locked, ...inserted] = await executeWrites([lock, ...inserts]);
  if (locked?.changes !== 1) return null;
  return inserted.flatMap((result) => result.rows).map((row) => toConversationItemRecord(row as Selectable<ConversationItemTable>));
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
    .select(['conversation_items.conversation_id', 'conversation_items.position', 'conversation_items.item_id', 'conversation_items.item', 'conversation_items.created_at'])
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
    .select(['conversation_items.conversation_id', 'conversation_items.position', 'conversation_items.item_id', 'conversation_items.item', 'conversation_items.created_at'])
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
export async function getConversationItem(db: Kysely<StoreDatabase>, tenant: string, conversationId: string, itemId: string): Promise<ConversationItemRecord | null> {
  const row = await db
    .selectFrom('conversation_items')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .where('item_id', '=', itemId)
    .where((eb) => eb.exists(selectOwnedConversation(db, tenant, conversationId)))
    .executeTakeFirst();
  return row === undefined ? null : toConversationItemRecord(row);
}

/** Deletes one item of the tenant's conversation; false when there is no such item (or conversation). */
export async function deleteConversationItem(
  db: Kysely<StoreDatabase>,
  executeWrites: ExecuteWrites,
  tenant: string,
  conversationId: string,
  itemId: string,
): Promise<boolean> {
  const [deleted] = await executeWrites([
    db
      .deleteFrom('conversation_items')
      .where('conversation_id', '=', conversationId)
      .where('item_id', '=', itemId)
      .where('conversation_id', 'in', selectOwnedConversation(db, tenant, conversationId))
      .compile(),
  ]);
  return deleted?.changes === 1;
}
