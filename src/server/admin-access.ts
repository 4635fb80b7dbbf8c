// Who may do what under /admin/*, and whose state a call touches: the master key everything; an admin key of a tenant only that tenant's keys, usage
// and data; any other key nothing (403).
import type { ApiKeyRecord } from '../store/index.ts';
import { InvalidRequestError, PermissionDeniedError } from '../wire/index.ts';
import type { Principal } from '../calls/index.ts';
import type { Exchange } from './gateway-types.ts';

/** The caller, who must be the master key or an admin key; 403 otherwise. */
export function requireAdmin(exchange: Exchange): Principal {
  const principal = exchange.principal;
  if (principal === null || !principal.admin) {
    throw new PermissionDeniedError('This API key is not an admin key: /admin/* needs the master key or a key created with "admin": true.');
  }
  return principal;
}

/** The caller, who must be the master key; 403 for every virtual key, admin or not. */
export function requireMaster(exchange: Exchange, what: string): Principal {
  const principal = requireAdmin(exchange);
  if (principal.kind !== 'master') throw new PermissionDeniedError(`Only the master key may ${what}.`);
  return principal;
}

/**
 * What an admin call is confined to: nothing for the master key; for an admin key its own tenant, and its own limits
 * for the keys it creates or changes.
 */
export function adminScope(principal: Principal): { tenant?: string; key?: ApiKeyRecord } {
  if (principal.kind === 'master') return {};
  return principal.key === null ? { tenant: principal.tenant.id } : { tenant: principal.tenant.id, key: principal.key };
}

/** The tenant whose state an authenticated call reads and writes (`default` for the master key). */
export function tenantOf(exchange: Exchange): string {
  return exchange.principal?.tenant.id ?? 'default';
}

/**
 * The query string of the request as URLSearchParams; a 400 when a name or value holds a NUL (no filter or cursor
 * does, and PostgreSQL refuses one in a query with an error rather than a miss).
 */
export function readQuery(exchange: Exchange): URLSearchParams {
  const url = exchange.req.url ?? '';
  const at = url.indexOf('?');
  const query = new URLSearchParams(at === -1 ? '' : url.slice(at + 1));
  for (const [name, value] of query) {
    if (name.includes('\u0000') || value.includes('\u0000')) throw new InvalidRequestError('Invalid query string: a parameter holds a NUL character.', null);
  }
  return query;
}
