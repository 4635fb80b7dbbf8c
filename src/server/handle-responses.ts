// POST /v1/responses and the stored-response endpoints (retrieve, delete, cancel, input_items, input_tokens): the
// Responses API over every route, with state (previous_response_id chains, conversations) kept in Crossway's store,
// scoped by tenant: another tenant's id is answered exactly like a missing one.
import type { ServerResponse } from 'node:http';
import { once } from 'node:events';
import { deriveRequestNeeds } from '../policy/index.ts';
import { convertResponsesToChatRequest, createItemId, encodeResponseStreamEvent, normalizeResponseInput } from '../runtime/index.ts';
import type { ResponseItemRecord, StoredResponseRecord } from '../store/index.ts';
import {
  ClientClosedError,
  InvalidRequestError,
  excerpt,
  NotFoundError,
  inputTokensRequestSchema,
  parseRequest,
  responseCreateRequestSchema,
  type ResponseCreateRequest,
  type ResponseItem,
  type ResponseStreamEvent,
} from '../wire/index.ts';
import { readQuery, tenantOf } from './admin-access.ts';
import { STORED_ROUTING_HEADERS_FIELD, pickRoutingHeaders } from './background-routing-headers.ts';
import type { Exchange, GatewayContext, RouteEntry } from './gateway-types.ts';
import { openTurnItems } from './open-turn-items.ts';
import { readJsonBody } from './read-body.ts';
import { pendingResponse, runResponseTurn, streamResponseTurn, type ResponseTurn, type TurnResult } from './run-response-turn.ts';
import { sendJson } from './send-json.ts';
import { allowanceFor, checkTurnStorage, storageLimitsOf, withStorageQuota } from './storage-quota.ts';
import { encodeStreamError } from './send-error.ts';
import { readPage, toListPage } from './list-page.ts';

const DAY_MS = 86_400_000;

/** The routes, for the gateway's route table. */
export const RESPONSES_ROUTES: RouteEntry[] = [
  { method: 'POST', path: '/v1/responses', auth: true, idempotent: true, handler: handleCreateResponse },
  { method: 'POST', path: '/v1/responses/input_tokens', auth: true, handler: handleInputTokens },
  { method: 'GET', path: '/v1/responses/:id', auth: true, handler: handleGetResponse },
  { method: 'DELETE', path: '/v1/responses/:id', auth: true, handler: handleDeleteResponse },
  { method: 'POST', path: '/v1/responses/:id/cancel', auth: true, handler: handleCancelResponse },
  { method: 'GET', path: '/v1/responses/:id/input_items', auth: true, handler: handleListInputItems },
];

function responseNotFound(id: string): NotFoundError {
  return new NotFoundError(`Response with id '${excerpt(id)}' not found.`, 'response_not_found', 'response_id');
}

/** Reads the chain or the conversation a request continues and normalises its input: everything a turn needs. */
export async function prepareTurn(gateway: GatewayContext, tenant: string, request: ResponseCreateRequest): Promise<ResponseTurn> {
  const previousResponseId = request.previous_response_id ?? null;
  const conversation = request.conversation ?? null;
  if (previousResponseId !== null && conversation !== null) {
    throw new InvalidRequestError(
      "Mutually exclusive parameters: Ensure you are only providing one of: 'previous_response_id' or 'conversation'.",
      'previous_response_id',
      'mutually_exclusive_parameters',
    );
  }
  if (request.background === true && request.store === false) {
    throw new InvalidRequestError('Background responses must be stored: set store to true (the default) to use background mode.', 'store');
  }
  let contextItems: ResponseItem[] = [];
  if (previousResponseId !== null) contextItems = await readChainItems(gateway, tenant, previousResponseId);
  const conversationId = conversation === null ? null : typeof conversation === 'string' ? conversation : conversation.id;
  if (conversationId !== null) {
    const items = await gateway.store.readConversationItems(tenant, conversationId);
    if (items === null) throw new NotFoundError(`Conversation with id '${excerpt(conversationId)}' not found.`, 'conversation_not_found', 'conversation');
    contextItems = items.map((record) => record.item as ResponseItem);
  }
  const inputItems = resolveItemReferences(normalizeResponseInput(request.input), contextItems);
  // A compaction item that does not open for this tenant is refused now, before anything is stored or started.
  openTurnItems(gateway, tenant, { contextItems: [], inputItems, previousResponseId });
  return {
    id: createItemId('resp'),
    createdAt: Math.floor(Date.now() / 1000),
    request,
    inputItems,
    contextItems,
    previousResponseId,
    conversationId,
  };
}

/**
 * The items of the chain ending at `id`: from the chain cache when this gateway stored or read it before, else in one
 * query from the store (and then cached). 404 in OpenAI's words when there is no such response for the tenant.
 */
async function readChainItems(gateway: GatewayContext, tenant: string, id: string): Promise<ResponseItem[]> {
  const cached = gateway.chainCache.get(tenant, id);
  if (cached !== undefined) return cached;
  const chain = await gateway.store.readResponseChain(tenant, id);
  if (chain === null) throw new NotFoundError(`Previous response with id '${excerpt(id)}' not found.`, 'previous_response_not_found', 'previous_response_id');
  gateway.chainCache.addStored(tenant, chain);
  return chain.items.map((record) => record.item as ResponseItem);
}

/**
 * Replaces `item_reference` items with the items they name, from the context this turn continues (the chain or the
 * conversation); a reference to anything else is left for the translation to answer 404, as OpenAI does.
 */
function resolveItemReferences(items: ResponseItem[], context: readonly ResponseItem[]): ResponseItem[] {
  if (!items.some((item) => item.type === 'item_reference')) return items;
  const byId = new Map(context.map((item) => [String(item.id), item]));
  return items.map((item) => (item.type === 'item_reference' ? (byId.get(item.id) ?? item) : item));
}

/**
 * The field of a stored background request naming the virtual key that created it, so that a job resumed after a
 * restart runs (and is limited and metered) as that key, and not at all once the key is revoked. Never sent anywhere.
 */
export const STORED_KEY_FIELD = 'crossway_key_id';

/**
 * The stored form of a turn: the request without its input (kept as items) and the response object as it stands;
 * `keyId` and `routingHeaders` (background turns) are kept beside the request for resumption.
 */
export function toStoredResponse(
  gateway: GatewayContext,
  tenant: string,
  turn: ResponseTurn,
  result: Pick<TurnResult, 'response' | 'route' | 'usageEventId'>,
  keyId: string | null = null,
  routingHeaders: Record<string, string> = {},
): StoredResponseRecord {
  const { input: _input, ...fields } = turn.request;
  const request = {
    ...fields,
    ...(keyId === null ? {} : { [STORED_KEY_FIELD]: keyId }),
    ...(Object.keys(routingHeaders).length === 0 ? {} : { [STORED_ROUTING_HEADERS_FIELD]: routingHeaders }),
  };
  const now = new Date();
  return {
    id: turn.id,
    tenant,
    created_at: new Date(turn.createdAt * 1000).toISOString(),
    updated_at: now.toISOString(),
    status: result.response.status as StoredResponseRecord['status'],
    model: turn.request.model,
    route: result.route?.id ?? null,
    previous_response_id: turn.previousResponseId,
    conversation_id: turn.conversationId,
    background: turn.request.background === true,
    request: request as Record<string, unknown>,
    response: result.response as unknown as Record<string, unknown>,
    usage_event_id: result.usageEventId,
    expires_at: new Date(turn.createdAt * 1000 + gateway.catalog.config.runtime.response_retention_days * DAY_MS).toISOString(),
  };
}

/** Item records of a turn: its input items and (when given) its output items. */
export function toItemRecords(responseId: string, kind: ResponseItemRecord['kind'], items: readonly ResponseItem[]): ResponseItemRecord[] {
  return items.map((item, position) => ({
    response_id: responseId,
    kind,
    position,
    item_id: String(item.id),
    item: item as unknown as Record<string, unknown>,
  }));
}

/**
 * Keeps what a finished foreground turn produced: the stored response (unless store is false) and the conversation's
 * new items. Past the tenant's storage limits (checked before the turn ran, and again here atomically with the write)
 * by no more than what the model produced, which is stored: the model ran and was paid for.
 */
export async function persistTurn(gateway: GatewayContext, tenant: string, turn: ResponseTurn, result: TurnResult): Promise<void> {
  if (turn.request.store !== false) {
    const items = [...toItemRecords(turn.id, 'input', turn.inputItems), ...toItemRecords(turn.id, 'output', result.output)];
    const limits = storageLimitsOf(gateway, allowanceFor([result.response, result.output], result.output));
    await withStorageQuota(gateway, gateway.store.insertResponse(toStoredResponse(gateway, tenant, turn, result), items, limits));
    gateway.chainCache.add(tenant, turn.id, turn.previousResponseId, [...turn.inputItems, ...result.output]);
  }
  await appendToConversation(gateway, tenant, turn, result.output);
}

/** Appends a turn's input and output to its conversation, if it has one (the store serialises concurrent appends). */
export async function appendToConversation(gateway: GatewayContext, tenant: string, turn: ResponseTurn, output: readonly ResponseItem[]): Promise<void> {
  if (turn.conversationId === null) return;
  const createdAt = new Date().toISOString();
  // A client may send back items the conversation already holds (with their ids): those are context, not new items.
  const known = new Set(turn.contextItems.map((item) => String(item.id)));
  const items = [...turn.inputItems, ...output]
    .filter((item) => !known.has(String(item.id)))
    .map((item) => ({
      conversation_id: turn.conversationId as string,
      item_id: String(item.id),
      item: item as unknown as Record<string, unknown>,
      created_at: createdAt,
    }));
  // The output may pass the limits (see persistTurn); the input was checked before the turn ran.
  const limits = storageLimitsOf(gateway, allowanceFor([output], output));
  if ((await withStorageQuota(gateway, gateway.store.appendConversationItems(tenant, turn.conversationId, items, limits))) === null) {
    throw new NotFoundError(`Conversation with id '${excerpt(turn.conversationId)}' not found.`, 'conversation_not_found', 'conversation');
  }
}

async function handleCreateResponse(gateway: GatewayContext, exchange: Exchange): Promise<void> {
  const body = await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody);
  const request = parseRequest(responseCreateRequestSchema, body);
  const tenant = tenantOf(exchange);
  const turn = await prepareTurn(gateway, tenant, request);
  // Before the model runs: a turn whose own request would pass the tenant's storage limits is refused at no cost.
  await checkTurnStorage(gateway, tenant, {
    request,
    stores: request.store !== false,
    conversationItems: turn.conversationId === null ? null : turn.contextItems.length,
    newItems: turn.inputItems.length,
  });

  if (request.background === true) {
    // The job is routed by these headers now and after a restart alike; no other header (credentials) is kept.
    const routingHeaders = pickRoutingHeaders(exchange.req.headers);
    const record = toStoredResponse(
      gateway,
      tenant,
      turn,
      { response: pendingResponse(turn, 'queued'), route: null, usageEventId: null },
      exchange.principal?.key?.id ?? null,
      routingHeaders,
    );
    await withStorageQuota(gateway, gateway.store.insertResponse(record, toItemRecords(turn.id, 'input', turn.inputItems), storageLimitsOf(gateway)));
    const principal = exchange.principal;
    if (principal !== null) gateway.backgroundResponses.start(turn, principal, routingHeaders);
    if (request.stream === true) {
      await followResponseEvents(gateway, exchange, tenant, turn.id, -1);
      return;
    }
    sendJson(exchange.res, 200, record.response);
    return;
  }

  if (request.stream !== true) {
    const result = await runResponseTurn(gateway, exchange, turn);
    await persistTurn(gateway, tenant, turn, result);
    const payload = JSON.stringify(result.response);
    exchange.res.writeHead(200, {
      ...(result.route === null ? {} : { 'x-crossway-route': result.route.id }),
      ...exchange.meter?.headers(),
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
    });
    exchange.res.end(payload);
    return;
  }

  const emit = createEventWriter(exchange, () => ({
    ...(exchange.log?.route ? { 'x-crossway-route': exchange.log.route } : {}),
    ...exchange.meter?.headers(),
  }));
  try {
    await streamResponseTurn(gateway, exchange, turn, emit, (result) => persistTurn(gateway, tenant, turn, result));
    exchange.res.end();
  } catch (error) {
    if (!exchange.res.headersSent) throw error;
    if (error instanceof ClientClosedError || exchange.signal.aborted) exchange.res.destroy();
    else exchange.res.end(encodeStreamError(error));
  }
}

/**
 * Writes Responses API events as SSE with backpressure; the first event writes the headers (which then know the
 * route that answered).
 */
export function createEventWriter(exchange: Exchange, headers: () => Record<string, string>): (event: ResponseStreamEvent) => Promise<void> {
  const res: ServerResponse = exchange.res;
  return async (event) => {
    if (exchange.signal.aborted) throw new ClientClosedError();
    if (!res.headersSent) {
      res.writeHead(200, { ...headers(), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    }
    if (!res.write(encodeResponseStreamEvent(event))) await once(res, 'drain', { signal: exchange.signal });
  };
}

/**
 * Streams a background response's events after sequence number `after`: the stored ones, then live ones while the
 * job runs in this process; ends when the response reached a final status.
 */
async function followResponseEvents(gateway: GatewayContext, exchange: Exchange, tenant: string, id: string, after: number): Promise<void> {
  const emit = createEventWriter(exchange, () => ({}));
  try {
    await gateway.backgroundResponses.follow(tenant, id, after, emit, exchange.signal);
    exchange.res.end();
  } catch (error) {
    if (!exchange.res.headersSent) throw error;
    exchange.res.destroy();
  }
}

async function handleGetResponse(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<void> {
  const id = params.id ?? '';
  const tenant = tenantOf(exchange);
  const record = await gateway.store.getResponse(tenant, id);
  if (record === null) throw responseNotFound(id);
  const query = readQuery(exchange);
  if (query.get('stream') === 'true') {
    if (!record.background)
      throw new InvalidRequestError('Only background responses can be streamed again: create the response with background=true.', 'stream');
    const startingAfter = query.get('starting_after');
    const after = startingAfter === null ? -1 : Number(startingAfter);
    if (!Number.isInteger(after) || after < -1)
      throw new InvalidRequestError("Invalid value for 'starting_after': expected a sequence number.", 'starting_after');
    await followResponseEvents(gateway, exchange, tenant, id, after);
    return;
  }
  sendJson(exchange.res, 200, record.response);
}

async function handleDeleteResponse(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<void> {
  const id = params.id ?? '';
  const tenant = tenantOf(exchange);
  await gateway.backgroundResponses.cancel(tenant, id).catch(() => null);
  if (!(await gateway.store.deleteResponse(tenant, id))) throw responseNotFound(id);
  // The deletion breaks every chain through this response, and only those.
  gateway.chainCache.delete(tenant, id);
  sendJson(exchange.res, 200, { id, object: 'response', deleted: true });
}

async function handleCancelResponse(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<void> {
  const id = params.id ?? '';
  const tenant = tenantOf(exchange);
  const record = await gateway.store.getResponse(tenant, id);
  if (record === null) throw responseNotFound(id);
  if (!record.background) throw new InvalidRequestError('Only responses created with background=true can be cancelled.', 'response_id', 'not_background');
  const cancelled = await gateway.backgroundResponses.cancel(tenant, id);
  sendJson(exchange.res, 200, (cancelled ?? record).response);
}

async function handleListInputItems(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<void> {
  const id = params.id ?? '';
  const tenant = tenantOf(exchange);
  if ((await gateway.store.getResponse(tenant, id)) === null) throw responseNotFound(id);
  const page = readPage(readQuery(exchange));
  const rows = await gateway.store.listResponseItems(tenant, id, 'input', { ...page, limit: page.limit + 1 });
  sendJson(
    exchange.res,
    200,
    toListPage(
      rows.map((row) => row.item),
      page.limit,
    ),
  );
}

/** POST /v1/responses/input_tokens: the input a create request would send, counted with the real tokenizer. */
async function handleInputTokens(gateway: GatewayContext, exchange: Exchange): Promise<void> {
  const body = await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody);
  const request = parseRequest(inputTokensRequestSchema, body);
  const turn = await prepareTurn(gateway, tenantOf(exchange), {
    ...request,
    model: request.model ?? 'input-tokens',
    input: request.input ?? [],
  } as ResponseCreateRequest);
  const chat = convertResponsesToChatRequest(turn.request, openTurnItems(gateway, tenantOf(exchange), turn));
  const needs = deriveRequestNeeds(chat);
  await needs.measureExactInputTokens?.(exchange.signal);
  const inputTokens = needs.exactInputTokens?.() ?? needs.inputTokens;
  sendJson(exchange.res, 200, { object: 'response.input_tokens', input_tokens: inputTokens });
}
