// GET /admin/audit: the audit log, newest first, in pages (`after` = the previous page's `last_id`), filtered by
// action, tenant and time. A tenant's admin (key or session) sees only its tenant's entries.
import type { AuditFilter } from '../store/index.ts';
import { InvalidRequestError } from '../wire/index.ts';
import { adminScope, readQuery, requireAdmin } from './admin-access.ts';
import type { RouteEntry } from './gateway-types.ts';
import { jsonResult } from './http-result.ts';

const MAX_LIMIT = 200;
const DEFAULT_LIMIT = 50;
const ID_SHAPE = /^[A-Za-z0-9_.:-]{1,128}$/;

function readInstant(query: URLSearchParams, name: string): string | undefined {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  const ms = text.length <= 40 ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) throw new InvalidRequestError(`Invalid value for '${name}': expected an ISO 8601 time.`, name);
  return new Date(ms).toISOString();
}

function readName(query: URLSearchParams, name: string): string | undefined {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  if (!ID_SHAPE.test(text)) throw new InvalidRequestError(`Invalid value for '${name}'.`, name);
  return text;
}

export const ADMIN_AUDIT_ROUTES: RouteEntry[] = [
  {
    method: 'GET',
    path: '/admin/audit',
    auth: true,
    handler: async (gateway, exchange) => {
      const principal = requireAdmin(exchange);
      const query = readQuery(exchange);
      const limitText = query.get('limit');
      const limit = limitText === null ? DEFAULT_LIMIT : Number(limitText);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
        throw new InvalidRequestError(`Invalid value for 'limit': expected an integer from 1 to ${MAX_LIMIT}.`, 'limit');
      }
      const scope = adminScope(principal);
      const asked = readName(query, 'tenant_id');
      if (scope.tenant !== undefined && asked !== undefined && asked !== scope.tenant) {
        return jsonResult(200, { object: 'list', data: [], has_more: false, last_id: null });
      }
      const filter: AuditFilter = { limit: limit + 1 };
      const after = readName(query, 'after');
      const action = readName(query, 'action');
      const tenant = scope.tenant ?? asked;
      const since = readInstant(query, 'since');
      const until = readInstant(query, 'until');
      if (after !== undefined) filter.after = after;
      if (action !== undefined) filter.action = action;
      if (tenant !== undefined) filter.tenant = tenant;
      if (since !== undefined) filter.since = since;
      if (until !== undefined) filter.until = until;
      const rows = await gateway.store.listAuditRecords(filter);
      const data = rows.slice(0, limit);
      return jsonResult(200, { object: 'list', data, has_more: rows.length > limit, last_id: data.at(-1)?.id ?? null });
    },
  },
];
