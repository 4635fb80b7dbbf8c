// The Conversations API: a durable, tenant-scoped list of items that responses read from and append to.
// POST/GET/DELETE /v1/conversations[/{id}], GET/POST /v1/conversations/{id}/items, GET/DELETE .../items/{item_id}.
import { createItemId, normalizeResponseInput } from '../runtime/index.ts';
import type { ConversationItemRecord, ConversationRecord } from '../store/index.ts';
import {
  excerpt,
  NotFoundError,
  conversationCreateRequestSchema,
  conversationItemsCreateRequestSchema,
  conversationUpdateRequestSchema,
  parseRequest,
  type ResponseItem,
} from '../wire/index.ts';
import { readQuery, tenantOf } from './admin-access.ts';
import type { Exchange, GatewayContext, HttpResult, RouteEntry } from './gateway-types.ts';
import { readPage, toListPage } from './list-page.ts';
import { readJsonBody } from './read-body.ts';
import { jsonResult } from './http-result.ts';
import { storageLimitsOf, toStoredJson, withStorageQuota } from '../turns/index.ts';

/** The routes, for the gateway's route table. */
export const CONVERSATIONS_ROUTES: RouteEntry[] = [
  { method: 'POST', path: '/v1/conversations', auth: true, handler: handleCreateConversation },
  { method: 'GET', path: '/v1/conversations/:id', auth: true, handler: handleGetConversation },
  { method: 'POST', path: '/v1/conversations/:id', auth: true, handler: handleUpdateConversation },
  { method: 'DELETE', path: '/v1/conversations/:id', auth: true, handler: handleDeleteConversation },
  { method: 'GET', path: '/v1/conversations/:id/items', auth: true, handler: handleListItems },
  { method: 'POST', path: '/v1/conversations/:id/items', auth: true, handler: handleCreateItems },
  { method: 'GET', path: '/v1/conversations/:id/items/:item_id', auth: true, handler: handleGetItem },
  { method: 'DELETE', path: '/v1/conversations/:id/items/:item_id', auth: true, handler: handleDeleteItem },
];

function conversationNotFound(id: string): NotFoundError {
  return new NotFoundError(`Conversation with id '${excerpt(id)}' not found.`, 'conversation_not_found', 'conversation_id');
}

/** The Conversation object as OpenAI returns it. */
function toConversationObject(record: ConversationRecord): Record<string, unknown> {
  return { id: record.id, object: 'conversation', created_at: Math.floor(Date.parse(record.created_at) / 1000), metadata: record.metadata };
}

function toItemInputs(conversationId: string, items: readonly ResponseItem[]): Omit<ConversationItemRecord, 'position'>[] {
  const createdAt = new Date().toISOString();
  return items.map((item) => ({
    conversation_id: conversationId,
    item_id: String(item.id),
    item: toStoredJson(item),
    created_at: createdAt,
  }));
}

async function handleCreateConversation(gateway: GatewayContext, exchange: Exchange): Promise<HttpResult> {
  const request = parseRequest(conversationCreateRequestSchema, await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody));
  const record: ConversationRecord = {
    id: createItemId('conv'),
    tenant: tenantOf(exchange),
    created_at: new Date().toISOString(),
    metadata: request.metadata ?? {},
  };
  await withStorageQuota(
    gateway,
    gateway.store.insertConversation(record, toItemInputs(record.id, normalizeResponseInput(request.items ?? [])), storageLimitsOf(gateway)),
  );
  return jsonResult(200, toConversationObject(record));
}

async function handleGetConversation(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.id ?? '';
  const record = await gateway.store.getConversation(tenantOf(exchange), id);
  if (record === null) throw conversationNotFound(id);
  return jsonResult(200, toConversationObject(record));
}

async function handleUpdateConversation(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.id ?? '';
  const request = parseRequest(conversationUpdateRequestSchema, await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody));
  const record = await gateway.store.updateConversation(tenantOf(exchange), id, request.metadata);
  if (record === null) throw conversationNotFound(id);
  return jsonResult(200, toConversationObject(record));
}

async function handleDeleteConversation(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.id ?? '';
  if (!(await gateway.store.deleteConversation(tenantOf(exchange), id))) throw conversationNotFound(id);
  return jsonResult(200, { id, object: 'conversation.deleted', deleted: true });
}

async function handleListItems(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.id ?? '';
  const page = readPage(readQuery(exchange));
  const rows = await gateway.store.listConversationItems(tenantOf(exchange), id, { ...page, limit: page.limit + 1 });
  if (rows === null) throw conversationNotFound(id);
  return jsonResult(
    200,
    toListPage(
      rows.map((row) => row.item),
      page.limit,
    ),
  );
}

async function handleCreateItems(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.id ?? '';
  const request = parseRequest(conversationItemsCreateRequestSchema, await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody));
  const items = toItemInputs(id, normalizeResponseInput(request.items));
  const added = await withStorageQuota(gateway, gateway.store.appendConversationItems(tenantOf(exchange), id, items, storageLimitsOf(gateway)));
  if (added === null) throw conversationNotFound(id);
  const data = added.map((row) => row.item);
  return jsonResult(200, { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false });
}

async function handleGetItem(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.id ?? '';
  const itemId = params.item_id ?? '';
  const tenant = tenantOf(exchange);
  const row = await gateway.store.getConversationItem(tenant, id, itemId);
  if (row === null) {
    if ((await gateway.store.getConversation(tenant, id)) === null) throw conversationNotFound(id);
    throw new NotFoundError(`Item with id '${excerpt(itemId)}' not found in conversation '${excerpt(id)}'.`, 'item_not_found', 'item_id');
  }
  return jsonResult(200, row.item);
}

/** Deletes one item; answers with the conversation, as OpenAI does. */
async function handleDeleteItem(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.id ?? '';
  const itemId = params.item_id ?? '';
  const tenant = tenantOf(exchange);
  const conversation = await gateway.store.getConversation(tenant, id);
  if (conversation === null) throw conversationNotFound(id);
  if (!(await gateway.store.deleteConversationItem(tenant, id, itemId))) {
    throw new NotFoundError(`Item with id '${excerpt(itemId)}' not found in conversation '${excerpt(id)}'.`, 'item_not_found', 'item_id');
  }
  return jsonResult(200, toConversationObject(conversation));
}
