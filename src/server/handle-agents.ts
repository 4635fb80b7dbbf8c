// The Agents API's saved agents: POST/GET /v1/agents, GET/POST/DELETE /v1/agents/{id}, tenant-scoped (another
// tenant's id is answered like a missing one).
import {
  checkAgentToolCredentials,
  sealAgentTools,
  type AgentSettings,
  agentCreateRequestSchema,
  agentUpdateRequestSchema,
  newAgentSettings,
  toAgentObject,
  updateAgentSettings,
} from '../agents/index.ts';
import { createItemId } from '../runtime/index.ts';
import { excerpt, NotFoundError, parseRequest } from '../wire/index.ts';
import { readQuery, tenantOf } from './admin-access.ts';
import type { Exchange, GatewayContext, HttpResult, RouteEntry } from './gateway-types.ts';
import { jsonResult } from './http-result.ts';
import { readPage, toListPage } from './list-page.ts';
import { readJsonBody } from './read-body.ts';

/** The routes, for the gateway's route table (sessions first: `/v1/agents/sessions` is not an agent id). */
export const AGENTS_ROUTES: RouteEntry[] = [
  { method: 'POST', path: '/v1/agents', auth: true, handler: handleCreateAgent },
  { method: 'GET', path: '/v1/agents', auth: true, handler: handleListAgents },
  { method: 'GET', path: '/v1/agents/:id', auth: true, handler: handleGetAgent },
  { method: 'POST', path: '/v1/agents/:id', auth: true, handler: handleUpdateAgent },
  { method: 'DELETE', path: '/v1/agents/:id', auth: true, handler: handleDeleteAgent },
];

function agentNotFound(id: string): NotFoundError {
  return new NotFoundError(`Agent with id '${excerpt(id)}' not found.`, 'agent_not_found', 'agent_id');
}

async function handleCreateAgent(gateway: GatewayContext, exchange: Exchange): Promise<HttpResult> {
  const request = parseRequest(agentCreateRequestSchema, await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody));
  const now = new Date().toISOString();
  checkAgentToolCredentials(request.tools, 'tools');
  const settings = newAgentSettings(request);
  // An mcp tool's credentials are stored sealed.
  settings.tools = sealAgentTools(settings.tools, gateway.compactionKey, tenantOf(exchange));
  const record = { id: createItemId('agent'), tenant: tenantOf(exchange), created_at: now, updated_at: now, config: { ...settings } };
  await gateway.store.insertAgent(record);
  return jsonResult(200, toAgentObject(record));
}

async function handleListAgents(gateway: GatewayContext, exchange: Exchange): Promise<HttpResult> {
  const page = readPage(readQuery(exchange));
  const rows = await gateway.store.listAgents(tenantOf(exchange), { ...page, limit: page.limit + 1 });
  return jsonResult(200, toListPage(rows.map(toAgentObject), page.limit));
}

async function handleGetAgent(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.id ?? '';
  const record = await gateway.store.getAgent(tenantOf(exchange), id);
  if (record === null) throw agentNotFound(id);
  return jsonResult(200, toAgentObject(record));
}

async function handleUpdateAgent(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.id ?? '';
  const tenant = tenantOf(exchange);
  const request = parseRequest(agentUpdateRequestSchema, await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody));
  checkAgentToolCredentials(request.tools, 'tools');
  const current = await gateway.store.getAgent(tenant, id);
  if (current === null) throw agentNotFound(id);
  const config = updateAgentSettings(current.config as unknown as AgentSettings, request);
  config.tools = sealAgentTools(config.tools, gateway.compactionKey, tenant);
  const updated = await gateway.store.updateAgent(tenant, id, { ...config }, new Date().toISOString());
  if (updated === null) throw agentNotFound(id);
  return jsonResult(200, toAgentObject(updated));
}

async function handleDeleteAgent(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.id ?? '';
  if (!(await gateway.store.deleteAgent(tenantOf(exchange), id))) throw agentNotFound(id);
  return jsonResult(200, { id, object: 'agent.deleted', deleted: true });
}
