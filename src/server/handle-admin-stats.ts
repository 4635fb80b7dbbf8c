// GET /admin/stats?window=15m|1h|6h|24h|7d&tenant_id: the dashboard's overview charts, from the request log and the
// usage events; a tenant's admin sees its own tenant's. Bounded whatever the traffic (see STATS_SAMPLE_LIMIT).
import { z } from 'zod';
import { requireAdmin } from './admin-access.ts';
import { confineTenant, filterText, parseQuery } from './admin-query.ts';
import { buildRequestStats, STATS_WINDOWS, toRequestStatsQuery, type StatsWindow } from './build-request-stats.ts';
import type { RouteEntry } from './gateway-types.ts';
import { RequestStatsCache } from './request-stats-cache.ts';
import type { Store } from '../store/index.ts';
import { jsonResult } from './http-result.ts';

const statsQuerySchema = z.object({
  window: z.enum(Object.keys(STATS_WINDOWS) as [StatsWindow, ...StatsWindow[]]).default('1h'),
  tenant_id: filterText.optional(),
});

// One cache per store (a gateway has one; tests start several gateways in one process).
const caches = new WeakMap<Store, RequestStatsCache>();

function cacheOf(store: Store): RequestStatsCache {
  let cache = caches.get(store);
  if (cache === undefined) {
    cache = new RequestStatsCache();
    caches.set(store, cache);
  }
  return cache;
}

/** The route, for the gateway's route table. */
export const ADMIN_STATS_ROUTES: RouteEntry[] = [
  {
    method: 'GET',
    path: '/admin/stats',
    auth: true,
    handler: async (gateway, exchange) => {
      const principal = requireAdmin(exchange);
      const { window, tenant_id: asked } = parseQuery(exchange, statsQuerySchema);
      // The request log dates rows by the wall clock (log-request.ts), so the window ends at the wall clock's now.
      const now = new Date();
      const query = toRequestStatsQuery(window, now, confineTenant(principal, asked));
      const record = await cacheOf(gateway.store).read(gateway.store, query, now.getTime());
      return jsonResult(200, buildRequestStats(window, query, record));
    },
  },
];
