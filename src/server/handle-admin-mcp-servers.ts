// The admin API for MCP servers registered per tenant: /admin/mcp-servers (the master key for any tenant, an admin
// key for its own). Credentials go in and are never echoed: every answer is toMcpServerView. Another tenant's server
// is 404, exactly like a missing one. Servers of crossway.yaml (`mcp.servers`) are listed too, read-only, marked
// `source: "configuration"` (ids `config:<label>`).
import { randomBytes } from 'node:crypto';
import {
  createMcpServerRequestSchema,
  deriveMcpCredentialKey,
  findConfiguredMcpServer,
  isConfiguredMcpServerId,
  listConfiguredMcpServers,
  sealMcpHeaders,
  parseMcpServerUrl,
  patchMcpServerRequestSchema,
  registrationHeaders,
  toMcpServerView,
} from '../mcp/index.ts';
import type { McpServerPatch } from '../store/index.ts';
import { ConflictError, excerpt, InvalidRequestError, NotFoundError, parseRequest } from '../wire/index.ts';
import { readQuery, requireAdmin } from './admin-access.ts';
import type { Exchange, RouteEntry } from './gateway-types.ts';
import { jsonResult } from './http-result.ts';
import { readJsonBody } from './read-body.ts';

/** Most servers one tenant may register: lists are read whole at each request naming a label. */
const MAX_SERVERS_PER_TENANT = 100;

/** The tenant an admin call acts on: the admin key's own; for the master key the one it names (`default` if none). */
export function resolveAdminTenant(exchange: Exchange, named: string | undefined): string {
  const principal = requireAdmin(exchange);
  if (principal.kind === 'master') return named ?? readQuery(exchange).get('tenant') ?? 'default';
  // An admin key naming another tenant is answered as if that tenant's servers did not exist.
  if (named !== undefined && named !== principal.tenant.id) throw new NotFoundError(`Tenant '${excerpt(named)}' not found.`, 'tenant_not_found', 'tenant');
  return principal.tenant.id;
}

function serverNotFound(id: string): NotFoundError {
  return new NotFoundError(`MCP server with id '${excerpt(id)}' not found.`, 'mcp_server_not_found', 'id');
}

/** A configured server cannot be changed here: 400 naming the id. */
function refuseConfigured(id: string): void {
  if (isConfiguredMcpServerId(id)) {
    throw new InvalidRequestError(`The MCP server '${excerpt(id)}' is set in the configuration (mcp.servers): change it there.`, 'id', 'mcp_server_configured');
  }
}

/**
 * The URL and network of a registration: the master key (the installation's operator) may register a server on a
 * loopback or private address; a tenant's admin key may not (SSRF into the gateway's network), and its servers are
 * checked on the resolved address at every connection, as inline URLs are.
 */
function checkUrl(exchange: Exchange, url: string): { url: string; network: 'public' | 'private' } {
  const operator = exchange.principal?.kind === 'master';
  return { url: parseMcpServerUrl(url, 'url', operator).href, network: operator ? 'private' : 'public' };
}

/** The routes, for the gateway's route table. */
export const ADMIN_MCP_SERVER_ROUTES: RouteEntry[] = [
  {
    method: 'POST',
    path: '/admin/mcp-servers',
    auth: true,
    handler: async (gateway, exchange) => {
      const input = parseRequest(createMcpServerRequestSchema, await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody));
      const tenant = resolveAdminTenant(exchange, input.tenant);
      if ((await gateway.tenancy.getTenant(tenant, {}).catch(() => null)) === null)
        throw new NotFoundError(`Tenant '${excerpt(tenant)}' not found.`, 'tenant_not_found', 'tenant');
      if ((await gateway.store.listMcpServers(tenant)).length >= MAX_SERVERS_PER_TENANT) {
        throw new InvalidRequestError(`A tenant may register at most ${MAX_SERVERS_PER_TENANT} MCP servers.`, 'server_label', 'mcp_server_limit_exceeded');
      }
      const now = new Date().toISOString();
      const record = {
        id: `mcps_${randomBytes(12).toString('hex')}`,
        tenant,
        label: input.server_label,
        ...checkUrl(exchange, input.url),
        description: input.description ?? null,
        headers: sealMcpHeaders(registrationHeaders(input), deriveMcpCredentialKey(gateway.compactionKey), tenant, input.server_label),
        credential_id: input.credential_id ?? null,
        allowed_tools: input.allowed_tools ?? null,
        require_approval: input.require_approval ?? 'never',
        created_at: now,
        updated_at: now,
      };
      if (!(await gateway.store.insertMcpServer(record))) {
        throw new ConflictError(
          `An MCP server labelled '${excerpt(input.server_label)}' is already registered for this tenant.`,
          'mcp_server_label_taken',
          'server_label',
        );
      }
      return jsonResult(201, toMcpServerView(record));
    },
  },
  {
    method: 'GET',
    path: '/admin/mcp-servers',
    auth: true,
    handler: async (gateway, exchange) => {
      const tenant = resolveAdminTenant(exchange, readQuery(exchange).get('tenant') ?? undefined);
      const configured = listConfiguredMcpServers(gateway.catalog.config.mcp.servers, tenant, deriveMcpCredentialKey(gateway.compactionKey));
      const stored = await gateway.store.listMcpServers(tenant);
      return jsonResult(200, { object: 'list', data: [...configured, ...stored].map(toMcpServerView) });
    },
  },
  {
    method: 'GET',
    path: '/admin/mcp-servers/:id',
    auth: true,
    handler: async (gateway, exchange, params) => {
      const id = params.id ?? '';
      const tenant = resolveAdminTenant(exchange, undefined);
      const record = isConfiguredMcpServerId(id)
        ? findConfiguredMcpServer(gateway.catalog.config.mcp.servers, tenant, id.slice('config:'.length), deriveMcpCredentialKey(gateway.compactionKey))
        : await gateway.store.getMcpServer(tenant, id);
      if (record === null) throw serverNotFound(id);
      return jsonResult(200, toMcpServerView(record));
    },
  },
  {
    method: 'PATCH',
    path: '/admin/mcp-servers/:id',
    auth: true,
    handler: async (gateway, exchange, params) => {
      const id = params.id ?? '';
      const tenant = resolveAdminTenant(exchange, undefined);
      refuseConfigured(id);
      const input = parseRequest(patchMcpServerRequestSchema, await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody));
      const patch: McpServerPatch = { updated_at: new Date().toISOString() };
      if (input.url !== undefined) Object.assign(patch, checkUrl(exchange, input.url));
      if (input.description !== undefined) patch.description = input.description;
      if (input.credential_id !== undefined) patch.credential_id = input.credential_id;
      if (input.allowed_tools !== undefined) patch.allowed_tools = input.allowed_tools;
      if (input.require_approval !== undefined) patch.require_approval = input.require_approval;
      if (input.headers !== undefined || input.authorization !== undefined) {
        // Sealed for the server's label, which an update cannot change: read it first.
        const current = await gateway.store.getMcpServer(tenant, id);
        if (current === null) throw serverNotFound(id);
        patch.headers = sealMcpHeaders(registrationHeaders(input), deriveMcpCredentialKey(gateway.compactionKey), tenant, current.label);
      }
      const record = await gateway.store.updateMcpServer(tenant, id, patch);
      if (record === null) throw serverNotFound(id);
      gateway.mcp?.forget(tenant, record.label);
      return jsonResult(200, toMcpServerView(record));
    },
  },
  {
    method: 'DELETE',
    path: '/admin/mcp-servers/:id',
    auth: true,
    handler: async (gateway, exchange, params) => {
      const id = params.id ?? '';
      const tenant = resolveAdminTenant(exchange, undefined);
      refuseConfigured(id);
      const record = await gateway.store.getMcpServer(tenant, id);
      if (record === null || !(await gateway.store.deleteMcpServer(tenant, id))) throw serverNotFound(id);
      gateway.mcp?.forget(tenant, record.label);
      return jsonResult(200, { id, object: 'mcp_server', deleted: true });
    },
  },
];
