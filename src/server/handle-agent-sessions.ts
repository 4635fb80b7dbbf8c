// The Agents API's sessions: create (optionally streamed), get, list, update, delete; input events and the event
// stream; turns and items. The loop itself runs in src/agents (AgentSessions); this file only translates HTTP.
import {
  agentMcpScope,
  sealAgentTools,
  checkServedTools,
  sessionCreateRequestSchema,
  sessionEventsRequestSchema,
  sessionUpdateRequestSchema,
  toSessionObject,
  toResponsesMcpTools,
  toTurnObject,
  updateSessionAgent,
  withoutPrivateKeys,
  withSpendLimit,
} from '../agents/index.ts';
import type { Principal } from '../calls/index.ts';
import { pickRoutingHeaders, resolveTurnMcpServers } from '../turns/index.ts';
import { ConflictError, excerpt, InvalidRequestError, NotFoundError, parseRequest } from '../wire/index.ts';
import { readQuery, tenantOf } from './admin-access.ts';
import type { Exchange, GatewayContext, HttpResult, RouteEntry } from './gateway-types.ts';
import { jsonResult } from './http-result.ts';
import { readPage, toListPage } from './list-page.ts';
import { readJsonBody } from './read-body.ts';

/** The routes, for the gateway's route table (before the agents' `/v1/agents/:id`). */
export const AGENT_SESSIONS_ROUTES: RouteEntry[] = [
  { method: 'POST', path: '/v1/agents/sessions', auth: true, handler: handleCreateSession },
  { method: 'GET', path: '/v1/agents/sessions', auth: true, handler: handleListSessions },
  { method: 'GET', path: '/v1/agents/sessions/:id', auth: true, handler: handleGetSession },
  { method: 'POST', path: '/v1/agents/sessions/:id', auth: true, handler: handleUpdateSession },
  { method: 'DELETE', path: '/v1/agents/sessions/:id', auth: true, handler: handleDeleteSession },
  { method: 'POST', path: '/v1/agents/sessions/:id/events', auth: true, idempotent: true, handler: handlePostEvents },
  { method: 'GET', path: '/v1/agents/sessions/:id/events', auth: true, handler: handleStreamEvents },
  { method: 'GET', path: '/v1/agents/sessions/:id/turns', auth: true, handler: handleListTurns },
  { method: 'GET', path: '/v1/agents/sessions/:id/turns/:turn_id', auth: true, handler: handleGetTurn },
  { method: 'GET', path: '/v1/agents/sessions/:id/turns/:turn_id/items', auth: true, handler: handleListTurnItems },
  { method: 'GET', path: '/v1/agents/sessions/:id/items', auth: true, handler: handleListItems },
];

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };

function sessionNotFound(id: string): NotFoundError {
  return new NotFoundError(`Session with id '${excerpt(id)}' not found.`, 'session_not_found', 'session_id');
}

function principalOf(exchange: Exchange): Principal {
  if (exchange.principal === null) throw new Error('an authenticated route ran without a principal');
  return exchange.principal;
}

/** The session's events from `after` as server-sent events; `last` ends the stream after an event. */
function streamSessionEvents(
  gateway: GatewayContext,
  exchange: Exchange,
  sessionId: string,
  after: number,
  last?: (event: Record<string, unknown>) => boolean,
): HttpResult {
  // Admitted (or refused with 429) before the head, so that a refusal is an HTTP answer.
  const subscription = gateway.agentSessions.subscribe(tenantOf(exchange), sessionId, after, exchange.signal, last);
  return {
    status: 200,
    headers: SSE_HEADERS,
    stream: async (writer) => {
      try {
        // An SSE comment sends the head now: a subscriber must know it is subscribed before it sends its input.
        await writer.write(': subscribed\n\n');
        for await (const event of subscription.events) await writer.write(`event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`);
      } finally {
        subscription.close();
      }
    },
  };
}

/** Ends a creation stream where the client's helper ends: idle after a turn ended, or the session failed. */
function endOfFirstTurn(): (event: Record<string, unknown>) => boolean {
  let turnEnded = false;
  return (event) => {
    if (event.type === 'agent.session.turn.completed' || event.type === 'agent.session.turn.failed' || event.type === 'agent.session.turn.cancelled')
      turnEnded = true;
    return event.type === 'agent.session.failed' || (event.type === 'agent.session.idle' && turnEnded);
  };
}

async function handleCreateSession(gateway: GatewayContext, exchange: Exchange): Promise<HttpResult> {
  const request = parseRequest(sessionCreateRequestSchema, await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody));
  const session = await gateway.agentSessions.create(principalOf(exchange), request, pickRoutingHeaders(exchange.req.headers));
  if (request.stream === true) return streamSessionEvents(gateway, exchange, session.id, 0, endOfFirstTurn());
  return jsonResult(200, toSessionObject(session));
}

/** Metadata pairs a session list may filter by (the official list params' bounds). */
const MAX_METADATA_FILTERS = 16;

/** The `metadata[key]=value` pairs of a session list's query: up to 16, keys of 1 to 64 characters, values up to 512. */
function readMetadataFilter(query: URLSearchParams): Record<string, string> | undefined {
  const pairs: Record<string, string> = {};
  let count = 0;
  for (const [name, value] of query) {
    const match = /^metadata\[(.*)\]$/s.exec(name);
    if (match === null) continue;
    const key = match[1] ?? '';
    if (key.length < 1 || key.length > 64)
      throw new InvalidRequestError(`Invalid metadata filter key '${excerpt(key, 64)}': expected 1 to 64 characters.`, 'metadata');
    if (value.length > 512) throw new InvalidRequestError(`Invalid value for 'metadata[${excerpt(key, 64)}]': at most 512 characters.`, 'metadata');
    if (!(key in pairs)) count += 1;
    if (count > MAX_METADATA_FILTERS) throw new InvalidRequestError(`At most ${MAX_METADATA_FILTERS} metadata filters.`, 'metadata');
    pairs[key] = value;
  }
  return count === 0 ? undefined : pairs;
}

async function handleListSessions(gateway: GatewayContext, exchange: Exchange): Promise<HttpResult> {
  const query = readQuery(exchange);
  const page = readPage(query);
  const agentId = query.get('agent_id') ?? undefined;
  const metadata = readMetadataFilter(query);
  const rows = await gateway.store.listAgentSessions(tenantOf(exchange), {
    ...page,
    limit: page.limit + 1,
    ...(agentId ? { agentId } : {}),
    ...(metadata === undefined ? {} : { metadata }),
  });
  return jsonResult(200, toListPage(rows.map(toSessionObject), page.limit));
}

async function handleGetSession(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.id ?? '';
  const session = await gateway.store.getAgentSession(tenantOf(exchange), id);
  if (session === null) throw sessionNotFound(id);
  return jsonResult(200, toSessionObject(session));
}

async function handleUpdateSession(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.id ?? '';
  const tenant = tenantOf(exchange);
  const request = parseRequest(sessionUpdateRequestSchema, await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody));
  if (request.agent?.tools !== undefined && request.agent.tools !== null) checkServedTools(request.agent.tools, 'agent.tools');
  // A read-modify-write of the session's state, retried while other writers move it.
  for (let tries = 0; tries < 50; tries += 1) {
    const session = await gateway.store.getAgentSession(tenant, id);
    if (session === null) throw sessionNotFound(id);
    let state = { ...session.state };
    if (request.agent !== undefined) {
      const agent = updateSessionAgent(state.agent as Record<string, unknown>, request.agent);
      // An mcp tool's credentials are stored sealed.
      state.agent = { ...agent, tools: sealAgentTools(agent.tools, gateway.compactionKey, tenant) };
      // New mcp tools under the tenant's governance now (labels, URLs, credential_id), not at the next step.
      const mcpTools = request.agent.tools === undefined || request.agent.tools === null ? [] : toResponsesMcpTools(agent.tools, gateway.compactionKey, tenant);
      if (mcpTools.length > 0) await resolveTurnMcpServers(gateway, principalOf(exchange).tenant, mcpTools);
    }
    if (request.metadata !== undefined) state.metadata = request.metadata ?? {};
    if (request.review !== undefined) state.review = request.review;
    if (request.prompt_cache_options !== undefined)
      state.prompt_cache_options = request.prompt_cache_options === null ? null : { ttl: request.prompt_cache_options.ttl ?? '30m' };
    // Null, or a null limit, removes the limit without resetting what the session spent (the types' words).
    if (request.spend_control !== undefined) state = withSpendLimit(state, request.spend_control?.limit ?? null);
    if (await gateway.store.writeAgentSession(tenant, id, { patch: { state, updated_at: new Date().toISOString() }, condition: { version: session.version } }))
      return jsonResult(200, toSessionObject({ ...session, state }));
  }
  throw new ConflictError(`Session '${excerpt(id)}' is being changed by other requests; try again.`, 'session_busy');
}

async function handleDeleteSession(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.id ?? '';
  const tenant = tenantOf(exchange);
  const session = await gateway.store.getAgentSession(tenant, id);
  if (session === null) throw sessionNotFound(id);
  // As OpenAI says: running execution must be cancelled first.
  if (session.status === 'in_progress')
    throw new ConflictError(`Session '${excerpt(id)}' is running a step: cancel it first (agent.session.input.cancel).`, 'session_running');
  if (!(await gateway.store.deleteAgentSession(tenant, id))) throw sessionNotFound(id);
  // Its MCP connections (kept across its steps) close with it.
  gateway.mcp?.closeScope(agentMcpScope(id));
  return jsonResult(200, { id, object: 'agent.session.deleted', deleted: true });
}

async function handlePostEvents(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.id ?? '';
  const request = parseRequest(sessionEventsRequestSchema, await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody));
  await gateway.agentSessions.post(principalOf(exchange), id, request.events, pickRoutingHeaders(exchange.req.headers));
  return { status: 202, headers: {}, body: '' };
}

async function handleStreamEvents(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.id ?? '';
  const session = await gateway.store.getAgentSession(tenantOf(exchange), id);
  if (session === null) throw sessionNotFound(id);
  // Live events only: those after the subscription began (a client subscribes, then sends).
  return streamSessionEvents(gateway, exchange, id, session.event_seq);
}

async function handleListTurns(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.id ?? '';
  const page = readPage(readQuery(exchange));
  const rows = await gateway.store.listAgentTurns(tenantOf(exchange), id, { ...page, limit: page.limit + 1 });
  if (rows === null) throw sessionNotFound(id);
  return jsonResult(
    200,
    toListPage(
      rows.map((row) => toTurnObject(row) as { id?: unknown }),
      page.limit,
    ),
  );
}

async function handleGetTurn(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.id ?? '';
  const turnId = params.turn_id ?? '';
  const row = await gateway.store.getAgentTurn(tenantOf(exchange), id, turnId);
  if (row === null) throw new NotFoundError(`Turn with id '${excerpt(turnId)}' not found in session '${excerpt(id)}'.`, 'turn_not_found', 'turn_id');
  return jsonResult(200, toTurnObject(row));
}

async function handleListItems(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.id ?? '';
  const page = readPage(readQuery(exchange));
  const rows = await gateway.store.listAgentItems(tenantOf(exchange), id, { ...page, limit: page.limit + 1 });
  if (rows === null) throw sessionNotFound(id);
  return jsonResult(
    200,
    toListPage(
      rows.map((row) => withoutPrivateKeys(row.item) as { id?: unknown }),
      page.limit,
    ),
  );
}

async function handleListTurnItems(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.id ?? '';
  const turnId = params.turn_id ?? '';
  const tenant = tenantOf(exchange);
  if ((await gateway.store.getAgentTurn(tenant, id, turnId)) === null)
    throw new NotFoundError(`Turn with id '${excerpt(turnId)}' not found in session '${excerpt(id)}'.`, 'turn_not_found', 'turn_id');
  const page = readPage(readQuery(exchange));
  const rows = (await gateway.store.listAgentItems(tenant, id, { ...page, limit: page.limit + 1, turnId })) ?? [];
  return jsonResult(
    200,
    toListPage(
      rows.map((row) => withoutPrivateKeys(row.item) as { id?: unknown }),
      page.limit,
    ),
  );
}
