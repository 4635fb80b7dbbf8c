// The request log for the dashboard: GET /admin/requests (filtered, newest first, cursor pages) and
// GET /admin/requests/:id (one request with its routing decision and usage events). A tenant's admin sees its own
// tenant's requests only; another tenant's request is a 404, as an unknown one.
import { z } from 'zod';
import type { Catalog } from '../catalog/index.ts';
import { formatMoney } from '../metering/index.ts';
import type { RequestLogFilter, RequestLogRow, StatusRange, UsageEventRecord } from '../store/index.ts';
import { excerpt, InvalidRequestError, NotFoundError } from '../wire/index.ts';
import { requireAdmin } from './admin-access.ts';
import { confineTenant, filterText, isoInstant, parseQuery } from './admin-query.ts';
import type { GatewayContext, RouteEntry } from './gateway-types.ts';
import { jsonResult } from './http-result.ts';

/** A page holds at most this many rows (the dashboard asks for fewer). */
export const MAX_REQUESTS_PAGE = 200;
/**
 * Most rows one page examines when it filters on columns no index orders by time (model, route, endpoint, status):
 * past them the page ends, possibly short or empty, with has_more and a last_id to go on from, instead of reading the
 * whole log for a value that is rare or absent.
 */
export const REQUESTS_SCAN_ROWS = 20_000;
// Request ids are `req_` + 28 hex digits; anything far longer is not one and is not worth a lookup.
const MAX_ID_LENGTH = 128;
const STATUS_TOKEN = /^(?:([1-5])xx|([1-5]\d\d))$/i;

const requestsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_REQUESTS_PAGE).default(50),
  after: z.string().min(1).max(MAX_ID_LENGTH).optional(),
  tenant_id: filterText.optional(),
  key_id: filterText.optional(),
  model: filterText.optional(),
  route: filterText.optional(),
  endpoint: filterText.optional(),
  status: z
    .string()
    .max(64)
    .transform((text, context) => {
      const ranges = parseStatusFilter(text);
      if (ranges === null) {
        context.addIssue({ code: 'custom', message: 'expected statuses or classes separated by commas, e.g. 200,4xx,5xx' });
        return z.NEVER;
      }
      return ranges;
    })
    .optional(),
  since: isoInstant.optional(),
  until: isoInstant.optional(),
});

/** `200,4xx,5xx` as status ranges; null when a part is neither a status (100-599) nor a class (1xx-5xx), or there are more than 10. */
export function parseStatusFilter(text: string): StatusRange[] | null {
  const parts = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (parts.length === 0 || parts.length > 10) return null;
  const ranges: StatusRange[] = [];
  for (const part of parts) {
    const match = STATUS_TOKEN.exec(part);
    if (match === null) return null;
    const [, kind, exact] = match;
    if (kind !== undefined) ranges.push({ min: Number(kind) * 100, max: Number(kind) * 100 + 99 });
    else ranges.push({ min: Number(exact), max: Number(exact) });
  }
  return ranges;
}

/** A request-log row as the admin API answers it: every field, null where unknown (the provider of an older row from the catalog). */
export function toAdminRequest(row: RequestLogRow, catalog: Pick<Catalog, 'findRoute'>) {
  return {
    id: row.id,
    created_at: row.created_at,
    endpoint: row.endpoint,
    model: row.model,
    route: row.route,
    provider: row.provider ?? (row.route === null ? null : (catalog.findRoute(row.route)?.provider ?? null)),
    attempts: row.attempts,
    status: row.status,
    error_code: row.error_code,
    stream: row.stream,
    prompt_tokens: row.prompt_tokens,
    completion_tokens: row.completion_tokens,
    cached_tokens: row.cached_tokens,
    duration_ms: row.duration_ms,
    ttfb_ms: row.ttfb_ms,
    upstream_ms: row.upstream_ms ?? null,
    tenant_id: row.tenant_id ?? null,
    key_id: row.key_id ?? null,
    decision_id: row.decision_id ?? null,
    ...(row.mcp_calls === undefined || row.mcp_calls === null ? {} : { mcp_calls: row.mcp_calls }),
  };
}

/** A usage event as the request's detail shows it: tokens by kind and money as decimal strings. */
function toAdminUsage(event: UsageEventRecord) {
  return {
    id: event.id,
    completed_at: event.completed_at,
    endpoint: event.endpoint,
    model: event.model,
    route: event.route,
    provider: event.provider,
    region: event.region,
    input_tokens: event.input_tokens,
    cached_tokens: event.cached_tokens,
    output_tokens: event.output_tokens,
    reasoning_tokens: event.reasoning_tokens,
    estimated: event.estimated,
    latency_ms: event.latency_ms,
    status: event.status,
    cost: formatMoney(event.cost),
    charge: formatMoney(event.charged),
    currency: event.currency,
  };
}

/** The row with this id that the caller may see: stored, or still queued for the next batch; null otherwise. */
async function findRequest(gateway: GatewayContext, id: string, tenant: string | undefined): Promise<RequestLogRow | null> {
  if (id.length > MAX_ID_LENGTH) return null;
  const pending = gateway.requestLog.findPending((row) => row.id === id);
  if (pending !== undefined) return tenant === undefined || pending.tenant_id === tenant ? pending : null;
  return gateway.store.getRequestLog(id, tenant);
}

/** The routes, for the gateway's route table. */
export const ADMIN_REQUESTS_ROUTES: RouteEntry[] = [
  {
    method: 'GET',
    path: '/admin/requests',
    auth: true,
    handler: async (gateway, exchange) => {
      const principal = requireAdmin(exchange);
      const { limit, after, status, tenant_id: asked, ...rest } = parseQuery(exchange, requestsQuerySchema);
      const tenant = confineTenant(principal, asked);
      const filter: RequestLogFilter = { ...stripUndefined(rest), ...(tenant === undefined ? {} : { tenant_id: tenant }) };
      if (status !== undefined) filter.statuses = status;
      let before: { created_at: string; id: string } | undefined;
      if (after !== undefined) {
        const from = await gateway.store.getRequestLog(after, tenant);
        if (from === null) throw new InvalidRequestError(`Invalid value for 'after': no request '${excerpt(after, 64)}' to page from.`, 'after');
        before = { created_at: from.created_at, id: from.id };
      }
      const scanned = filter.model !== undefined || filter.route !== undefined || filter.endpoint !== undefined || filter.statuses !== undefined;
      const scanEnd = scanned
        ? await gateway.store.findRequestLogScanEnd({ rows: REQUESTS_SCAN_ROWS, filter, ...(before === undefined ? {} : { before }) })
        : null;
      const rows = await gateway.store.listRequestLogs({
        limit: limit + 1,
        filter,
        ...(before === undefined ? {} : { before }),
        ...(scanEnd === null ? {} : { notBefore: scanEnd }),
      });
      const data = rows.slice(0, limit).map((row) => toAdminRequest(row, gateway.catalog));
      if (rows.length <= limit && scanEnd !== null) {
        // The scan stopped at its bound: older rows may match, and the next page starts where this one stopped.
        return jsonResult(200, { object: 'list', data, has_more: true, last_id: scanEnd.id ?? null });
      }
      return jsonResult(200, { object: 'list', data, has_more: rows.length > limit, last_id: data.at(-1)?.id ?? null });
    },
  },
  {
    method: 'GET',
    path: '/admin/requests/:id',
    auth: true,
    handler: async (gateway, exchange, params) => {
      const principal = requireAdmin(exchange);
      const tenant = confineTenant(principal, undefined);
      const id = params.id ?? '';
      const row = await findRequest(gateway, id, tenant);
      if (row === null) throw new NotFoundError(`No request with id '${excerpt(id, 64)}' in the request log.`, 'request_not_found', 'id');
      const decision = row.decision_id === null || row.decision_id === undefined ? null : await gateway.decisions.get(row.decision_id);
      const events = await gateway.store.findUsageEventsByRequest(row.id);
      const usage = events.filter((event) => tenant === undefined || event.tenant === tenant).map(toAdminUsage);
      return jsonResult(200, { request: toAdminRequest(row, gateway.catalog), decision, usage });
    },
  },
];

function stripUndefined<T extends Record<string, unknown>>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
