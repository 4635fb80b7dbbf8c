// POST /v1/responses and the stored-response endpoints (retrieve, delete, cancel, input_items, input_tokens): the
// Responses API over every route, with state (previous_response_id chains, conversations) kept in Crossway's store,
// scoped by tenant: another tenant's id is answered exactly like a missing one.
import type { McpCallLogEntry } from '../store/index.ts';
import {
  checkTurnStorage,
  pendingResponse,
  redactMcpTurn,
  runMcpTurn,
  streamMcpTurn,
  usesMcpTools,
  persistTurn,
  pickRoutingHeaders,
  prepareTurn,
  runTurn,
  storageLimitsOf,
  streamTurn,
  toItemRecords,
  toStoredResponse,
  withStorageQuota,
} from '../turns/index.ts';
import { convertResponsesToChatRequest, encodeResponseStreamEvent } from '../runtime/index.ts';
import { deriveRequestNeeds } from '../policy/index.ts';
import {
  excerpt,
  InvalidRequestError,
  inputTokensRequestSchema,
  NotFoundError,
  parseRequest,
  type ResponseCreateRequest,
  responseCreateRequestSchema,
} from '../wire/index.ts';
import { openTurnItems } from '../turns/index.ts';
import { readQuery, tenantOf } from './admin-access.ts';
import { callContextOf } from './call-context-of.ts';
import { callHeaders } from './call-headers.ts';
import { logCallInfo } from './log-chat-call.ts';
import type { Exchange, GatewayContext, HttpResult, RouteEntry } from './gateway-types.ts';
import { jsonResult } from './http-result.ts';
import { readPage, toListPage } from './list-page.ts';
import { readJsonBody } from './read-body.ts';

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

async function handleCreateResponse(gateway: GatewayContext, exchange: Exchange): Promise<HttpResult> {
  const body = await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody);
  const request = parseRequest(responseCreateRequestSchema, body);
  const context = callContextOf(exchange);
  const tenant = context.principal.tenant.id;
  const turn = await prepareTurn(gateway, tenant, request);
  // Before the model runs: a turn whose own request would pass the tenant's storage limits is refused at no cost.
  await checkTurnStorage(gateway, tenant, {
    request,
    stores: request.store !== false,
    conversationItems: turn.conversationId === null ? null : turn.contextItems.length,
    newItems: turn.inputItems.length,
  });

  if (request.background === true && usesMcpTools(request)) {
    throw new InvalidRequestError('Background responses with mcp tools are not supported yet: run them in the foreground.', 'background');
  }
  if (request.background === true) {
    // The job is routed by these headers now and after a restart alike; no other header (credentials) is kept.
    const routingHeaders = pickRoutingHeaders(exchange.req.headers);
    const record = toStoredResponse(
      gateway,
      tenant,
      turn,
      { response: pendingResponse(turn, 'queued'), route: null, usageEventId: null },
      context.principal.key?.id ?? null,
      routingHeaders,
    );
    // Stored held by this replica (a lease), which runs it: no other replica claims it while this one lives.
    const items = toItemRecords(turn.id, 'input', turn.inputItems);
    await withStorageQuota(gateway, gateway.store.insertResponse(record, items, storageLimitsOf(gateway), gateway.backgroundResponses.lease()));
    gateway.backgroundResponses.start(turn, context.principal, routingHeaders);
    if (request.stream === true) return followResponseEvents(gateway, exchange, tenant, turn.id, -1);
    return jsonResult(200, record.response);
  }

  exchange.log = { endpoint: 'responses', model: turn.request.model, stream: request.stream === true };
  // With mcp tools, Crossway runs the servers' tools itself (turns/run-mcp-turn.ts); what is stored has no credentials.
  const mcp = usesMcpTools(request);
  const stored = mcp ? redactMcpTurn(turn) : turn;
  if (request.stream !== true) {
    const result = await (mcp ? runMcpTurn : runTurn)(gateway, context, turn);
    logCallInfo(exchange, result.info);
    if ('mcpCalls' in result) exchange.log.mcp_calls = result.mcpCalls as McpCallLogEntry[];
    exchange.log.prompt_tokens = result.usage.input_tokens;
    exchange.log.completion_tokens = result.usage.output_tokens;
    await persistTurn(gateway, tenant, stored, result);
    return jsonResult(200, result.response, callHeaders(result.info));
  }
  return {
    status: 200,
    headers: {},
    async stream(writer) {
      const result = await (mcp ? streamMcpTurn : streamTurn)(
        gateway,
        context,
        turn,
        {
          started(info) {
            logCallInfo(exchange, info);
            writer.head(callHeaders(info));
          },
          event: async (event) => writer.write(encodeResponseStreamEvent(event)),
        },
        (result) => persistTurn(gateway, tenant, stored, result),
      );
      if ('mcpCalls' in result && exchange.log !== null) exchange.log.mcp_calls = result.mcpCalls as McpCallLogEntry[];
    },
  };
}

/**
 * Streams a background response's events after sequence number `after`: the stored ones, then live ones, whichever
 * replica runs the job; ends when the response reached a final status.
 */
function followResponseEvents(gateway: GatewayContext, exchange: Exchange, tenant: string, id: string, after: number): HttpResult {
  return {
    status: 200,
    headers: {},
    stream: (writer) => gateway.backgroundResponses.follow(tenant, id, after, async (event) => writer.write(encodeResponseStreamEvent(event)), exchange.signal),
  };
}

async function handleGetResponse(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
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
    return followResponseEvents(gateway, exchange, tenant, id, after);
  }
  return jsonResult(200, record.response);
}

async function handleDeleteResponse(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.id ?? '';
  const tenant = tenantOf(exchange);
  await gateway.backgroundResponses.cancel(tenant, id).catch(() => null);
  if (!(await gateway.store.deleteResponse(tenant, id))) throw responseNotFound(id);
  // The deletion breaks every chain through this response, and only those.
  gateway.chainCache.delete(tenant, id);
  return jsonResult(200, { id, object: 'response', deleted: true });
}

async function handleCancelResponse(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.id ?? '';
  const tenant = tenantOf(exchange);
  const record = await gateway.store.getResponse(tenant, id);
  if (record === null) throw responseNotFound(id);
  if (!record.background) throw new InvalidRequestError('Only responses created with background=true can be cancelled.', 'response_id', 'not_background');
  const cancelled = await gateway.backgroundResponses.cancel(tenant, id);
  return jsonResult(200, (cancelled ?? record).response);
}

async function handleListInputItems(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.id ?? '';
  const tenant = tenantOf(exchange);
  if ((await gateway.store.getResponse(tenant, id)) === null) throw responseNotFound(id);
  const page = readPage(readQuery(exchange));
  const rows = await gateway.store.listResponseItems(tenant, id, 'input', { ...page, limit: page.limit + 1 });
  return jsonResult(
    200,
    toListPage(
      rows.map((row) => row.item),
      page.limit,
    ),
  );
}

/** POST /v1/responses/input_tokens: the input a create request would send, counted with the real tokenizer. */
async function handleInputTokens(gateway: GatewayContext, exchange: Exchange): Promise<HttpResult> {
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
  return jsonResult(200, { object: 'response.input_tokens', input_tokens: inputTokens });
}
