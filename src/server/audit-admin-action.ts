// Middleware that writes an audit entry for every admin write (tenants, keys, MCP servers), whatever its outcome:
// who, which tenant, which action on which target, from where. Reads only the answer's `id` and `tenant` (an answer
// may hold a new key's secret, which is never copied).
import { toCrosswayError } from '../wire/index.ts';
import { readQuery } from './admin-access.ts';
import type { AuditEntry } from './audit-trail.ts';
import { actorOf } from './audit-trail.ts';
import type { Exchange, HttpResult, Middleware } from './gateway-types.ts';
import { clientAddress } from './session-cookie.ts';

/** The audited routes (method and route path) and what each is called in the log. */
const AUDITED: ReadonlyMap<string, { action: string; target: string }> = new Map([
  ['POST /admin/tenants', { action: 'tenant.create', target: 'tenant' }],
  ['PATCH /admin/tenants/:id', { action: 'tenant.update', target: 'tenant' }],
  ['DELETE /admin/tenants/:id', { action: 'tenant.delete', target: 'tenant' }],
  ['POST /admin/keys', { action: 'key.create', target: 'key' }],
  ['PATCH /admin/keys/:id', { action: 'key.update', target: 'key' }],
  ['DELETE /admin/keys/:id', { action: 'key.revoke', target: 'key' }],
  ['POST /admin/keys/:id/rotate', { action: 'key.rotate', target: 'key' }],
  ['POST /admin/mcp-servers', { action: 'mcp_server.create', target: 'mcp_server' }],
  ['PATCH /admin/mcp-servers/:id', { action: 'mcp_server.update', target: 'mcp_server' }],
  ['DELETE /admin/mcp-servers/:id', { action: 'mcp_server.delete', target: 'mcp_server' }],
]);

/** Longest answer body read for its id and tenant (admin answers are small; a larger one is not parsed). */
const MAX_PARSED_ANSWER = 256 * 1024;

export const auditAdminAction: Middleware = async (gateway, exchange, next) => {
  const audited = AUDITED.get(`${exchange.route.method} ${exchange.route.path}`);
  if (audited === undefined) return next();
  let result: HttpResult;
  try {
    result = await next();
  } catch (error) {
    await gateway.audit.record(describe(exchange, audited, toCrosswayError(error).status, {}));
    throw error;
  }
  await gateway.audit.record(describe(exchange, audited, result.status, 'body' in result ? readIds(result.body) : {}));
  return result;
};

function describe(exchange: Exchange, audited: { action: string; target: string }, status: number, answer: { id?: string; tenant?: string }): AuditEntry {
  const principal = exchange.principal;
  const tenantRoute = audited.target === 'tenant';
  const targetId = exchange.params.id ?? answer.id ?? null;
  // The tenant touched: the tenant itself, the key's or server's (from the answer), else the one asked for, else the actor's.
  const asked = readQuery(exchange).get('tenant');
  const tenant = (tenantRoute ? targetId : null) ?? answer.tenant ?? asked ?? (principal !== null && principal.kind !== 'master' ? principal.tenant.id : null);
  return {
    actor: actorOf(principal, exchange.session),
    tenant_id: tenant,
    action: audited.action,
    target: { type: audited.target, id: targetId },
    outcome: status < 400 ? 'ok' : status === 401 || status === 403 ? 'denied' : 'error',
    ip: clientAddress(exchange.req),
  };
}

function readIds(body: Uint8Array | string): { id?: string; tenant?: string } {
  const length = typeof body === 'string' ? body.length : body.byteLength;
  if (length === 0 || length > MAX_PARSED_ANSWER) return {};
  try {
    const value = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8')) as Record<string, unknown>;
    return {
      ...(typeof value.id === 'string' ? { id: value.id } : {}),
      ...(typeof value.tenant === 'string' ? { tenant: value.tenant } : {}),
    };
  } catch {
    return {};
  }
}
