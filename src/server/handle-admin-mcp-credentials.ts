// The admin API for MCP credentials registered per tenant: /admin/mcp-credentials (the master key for any tenant, an
// admin key for its own). An agent's or session's mcp tool names one by `credential_id`; its values are sealed at rest
// and never returned: every answer is toMcpCredentialView. Another tenant's credential is 404, exactly like a missing one.
import { randomBytes } from 'node:crypto';
import {
  createMcpCredentialRequestSchema,
  deriveMcpCredentialKey,
  mcpCredentialSealLabel,
  parseMcpServerUrl,
  registrationHeaders,
  sealMcpHeaders,
  toMcpCredentialView,
} from '../mcp/index.ts';
import { excerpt, InvalidRequestError, NotFoundError, parseRequest } from '../wire/index.ts';
import { readQuery } from './admin-access.ts';
import type { RouteEntry } from './gateway-types.ts';
import { resolveAdminTenant } from './handle-admin-mcp-servers.ts';
import { jsonResult } from './http-result.ts';
import { readJsonBody } from './read-body.ts';

/** Most credentials one tenant may register: a list is read whole by the admin API. */
const MAX_CREDENTIALS_PER_TENANT = 100;

function credentialNotFound(id: string): NotFoundError {
  return new NotFoundError(`MCP credential with id '${excerpt(id)}' not found.`, 'mcp_credential_not_found', 'id');
}

/** The routes, for the gateway's route table. */
export const ADMIN_MCP_CREDENTIAL_ROUTES: RouteEntry[] = [
  {
    method: 'POST',
    path: '/admin/mcp-credentials',
    auth: true,
    handler: async (gateway, exchange) => {
      const input = parseRequest(createMcpCredentialRequestSchema, await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody));
      const tenant = resolveAdminTenant(exchange, input.tenant);
      if ((await gateway.tenancy.getTenant(tenant, {}).catch(() => null)) === null)
        throw new NotFoundError(`Tenant '${excerpt(tenant)}' not found.`, 'tenant_not_found', 'tenant');
      if ((await gateway.store.listMcpCredentials(tenant)).length >= MAX_CREDENTIALS_PER_TENANT) {
        throw new InvalidRequestError(`A tenant may register at most ${MAX_CREDENTIALS_PER_TENANT} MCP credentials.`, 'name', 'mcp_credential_limit_exceeded');
      }
      // The URL as tools will name it (normalised); where it may be reached is checked when a tool uses it.
      const serverUrl = input.server_url === undefined ? null : parseMcpServerUrl(input.server_url, 'server_url', true).href;
      const id = `mcpc_${randomBytes(12).toString('hex')}`;
      const now = new Date().toISOString();
      const record = {
        id,
        tenant,
        name: input.name,
        server_url: serverUrl,
        headers: sealMcpHeaders(registrationHeaders(input), deriveMcpCredentialKey(gateway.compactionKey), tenant, mcpCredentialSealLabel(id)),
        created_at: now,
        updated_at: now,
      };
      await gateway.store.insertMcpCredential(record);
      return jsonResult(201, toMcpCredentialView(record));
    },
  },
  {
    method: 'GET',
    path: '/admin/mcp-credentials',
    auth: true,
    handler: async (gateway, exchange) => {
      const tenant = resolveAdminTenant(exchange, readQuery(exchange).get('tenant') ?? undefined);
      return jsonResult(200, { object: 'list', data: (await gateway.store.listMcpCredentials(tenant)).map(toMcpCredentialView) });
    },
  },
  {
    method: 'GET',
    path: '/admin/mcp-credentials/:id',
    auth: true,
    handler: async (gateway, exchange, params) => {
      const id = params.id ?? '';
      const record = await gateway.store.getMcpCredential(resolveAdminTenant(exchange, undefined), id);
      if (record === null) throw credentialNotFound(id);
      return jsonResult(200, toMcpCredentialView(record));
    },
  },
  {
    method: 'DELETE',
    path: '/admin/mcp-credentials/:id',
    auth: true,
    handler: async (gateway, exchange, params) => {
      const id = params.id ?? '';
      if (!(await gateway.store.deleteMcpCredential(resolveAdminTenant(exchange, undefined), id))) throw credentialNotFound(id);
      return jsonResult(200, { id, object: 'mcp_credential', deleted: true });
    },
  },
];
