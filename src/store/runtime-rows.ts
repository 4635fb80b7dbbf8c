// Stored responses, their items and events, conversations and their items as stored, and back: JSON as text, 0/1 booleans.
import { sql, type Insertable, type RawBuilder, type Selectable, type Updateable } from 'kysely';
import type {
  ConversationItemRecord,
  ConversationRecord,
  ResponseEventRecord,
  ResponseItemRecord,
  StoredResponsePatch,
  StoredResponseRecord,
} from './runtime-records.ts';
import type { ConversationItemTable, ConversationTable, ResponseEventTable, ResponseItemTable, ResponseTable } from './store-database.ts';

/** A response as stored: request and response objects as JSON text. */
export function toResponseTableRow(response: StoredResponseRecord): Insertable<ResponseTable> {
  return {
    id: response.id,
    tenant: response.tenant,
    created_at: response.created_at,
    updated_at: response.updated_at,
    status: response.status,
    model: response.model,
    route: response.route,
    previous_response_id: response.previous_response_id,
    conversation_id: response.conversation_id,
    background: response.background,
    request: JSON.stringify(response.request),
    response: JSON.stringify(response.response),
    usage_event_id: response.usage_event_id,
    expires_at: response.expires_at,
  };
}

/** The columns a response patch sets; fields left undefined are not in it. */
export function toResponseTableUpdate(patch: StoredResponsePatch): Updateable<ResponseTable> {
  const update: Updateable<ResponseTable> = {};
  if (patch.status !== undefined) update.status = patch.status;
  if (patch.route !== undefined) update.route = patch.route;
  if (patch.response !== undefined) update.response = JSON.stringify(patch.response);
  if (patch.usage_event_id !== undefined) update.usage_event_id = patch.usage_event_id;
  if (patch.updated_at !== undefined) update.updated_at = patch.updated_at;
  return update;
}

/** Copies a stored row into a plain StoredResponseRecord. */
export function toStoredResponseRecord(row: Selectable<ResponseTable>): StoredResponseRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    created_at: row.created_at,
    updated_at: row.updated_at,
    status: row.status as StoredResponseRecord['status'],
    model: row.model,
    route: row.route,
    previous_response_id: row.previous_response_id,
    conversation_id: row.conversation_id,
    background: Boolean(row.background),
    request: JSON.parse(row.request) as Record<string, unknown>,
    response: JSON.parse(row.response) as Record<string, unknown>,
    usage_event_id: row.usage_event_id,
    expires_at: row.expires_at,
  };
}

/** A response item as stored. */
export function toResponseItemTableRow(item: ResponseItemRecord): Insertable<ResponseItemTable> {
  return { response_id: item.response_id, kind: item.kind, position: item.position, item_id: item.item_id, item: JSON.stringify(item.item) };
}

/** Copies a stored row into a plain ResponseItemRecord. */
export function toResponseItemRecord(row: Selectable<ResponseItemTable>): ResponseItemRecord {
  return {
    response_id: row.response_id,
    kind: row.kind as ResponseItemRecord['kind'],
    // PostgreSQL reads integer as a number already; SQLite too: Number() only pins the type.
    position: Number(row.position),
    item_id: row.item_id,
    item: JSON.parse(row.item) as Record<string, unknown>,
  };
}

/** Copies a stored row into a plain ResponseEventRecord. */
export function toResponseEventRecord(row: Selectable<ResponseEventTable>): ResponseEventRecord {
  return { response_id: row.response_id, sequence_number: Number(row.sequence_number), event: JSON.parse(row.event) as Record<string, unknown> };
}

/** A conversation as stored: metadata as JSON text. */
export function toConversationTableRow(conversation: ConversationRecord): Insertable<ConversationTable> {
  return { id: conversation.id, tenant: conversation.tenant, created_at: conversation.created_at, metadata: JSON.stringify(conversation.metadata) };
}

/** Copies a stored row into a plain ConversationRecord. */
export function toConversationRecord(row: Selectable<ConversationTable>): ConversationRecord {
  return { id: row.id, tenant: row.tenant, created_at: row.created_at, metadata: JSON.parse(row.metadata) as Record<string, string> };
}

/** A conversation item as stored, at `position`. */
export function toConversationItemTableRow(item: Omit<ConversationItemRecord, 'position'>, position: number): Insertable<ConversationItemTable> {
  return { conversation_id: item.conversation_id, position, item_id: item.item_id, item: JSON.stringify(item.item), created_at: item.created_at };
}

/** Copies a stored row into a plain ConversationItemRecord. */
export function toConversationItemRecord(row: Selectable<ConversationItemTable>): ConversationItemRecord {
  return {
    conversation_id: row.conversation_id,
    position: Number(row.position),
    item_id: row.item_id,
    item: JSON.parse(row.item) as Record<string, unknown>,
    created_at: row.created_at,
  };
}

/** Splits rows into consecutive chunks of at most `size` (one multi-row insert each, under the bound-parameter limits). */
export function splitIntoChunks<T>(rows: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < rows.length; start += size) chunks.push(rows.slice(start, start + size));
  return chunks;
}

/**
 * Throws unless every row names `parentId` as its parent: an item filed under another response or conversation than
 * the one written is a caller's bug, and the store writes each row under the parent it checked the tenant of.
 */
export function assertSameParent<K extends 'response_id' | 'conversation_id'>(
  rows: readonly (Record<K, string> & { item_id: string })[],
  key: K,
  parentId: string,
): void {
  const stray = rows.find((row) => row[key] !== parentId);
  if (stray !== undefined) throw new Error(`item ${stray.item_id} has ${key} ${stray[key]}, expected ${parentId}`);
}

// PostgreSQL cannot always infer the type of a bound parameter in a select list (`insert ... select $1`): these say it,
// and are plain casts on SQLite.
/** A bound text parameter with its type spelled out. */
export function toTextParameter(value: string): RawBuilder<string> {
  return sql<string>`cast(${value} as text)`;
}

/** A bound integer parameter with its type spelled out. */
export function toIntegerParameter(value: number): RawBuilder<number> {
  return sql<number>`cast(${value} as integer)`;
}
