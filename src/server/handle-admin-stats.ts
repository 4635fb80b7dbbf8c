// GET /admin/stats?window=15m|1h|6h|24h|7d&tenant_id: the dashboard's overview charts, from the request log and the
// usage events; a tenant's admin sees its own tenant's. Bounded whatever the traffic (see STATS_SAMPLE_LIMIT).
import { z } from 'zod';
import { requireAdmin } from './admin-access.ts';
import { confineTenant, filterText, parseQuery } from './admin-query.ts';
import { buildRequestStats, STATS_WINDOWS, toRequestStatsQuery, type StatsWindow } from './build-request-stats.ts';
import type { RouteEntry } from './gateway-types.ts';
import { jsonResult } from './http-result.ts';

const statsQuerySchema = z.object({
  window: z.enum(Object.keys(STATS_WINDOWS) as [StatsWindow, ...StatsWindow[]]).default('1h'),
  tenant_id: filterText.optional(),
});

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
      const query = toRequestStatsQuery(window, new Date(), confineTenant(principal, asked));
      const record = await gateway.store.readRequestStats(query);
      return jsonResult(200, buildRequestStats(window, query, record));
    },
  },
];
