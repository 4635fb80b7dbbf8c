// GET /admin/routes (master key): every catalog route with its circuit state, ejections, error rate and latency.
import { PermissionDeniedError } from '../wire/index.ts';
import type { Exchange, GatewayContext, HttpResult } from './gateway-types.ts';
import { jsonResult } from './http-result.ts';

/** One route as the admin list shows it. */
export interface AdminRoute {
  id: string;
  model: string;
  provider: string;
  region: string;
  state: 'closed' | 'open' | 'half_open';
  /** Ejections in a row (decaying while healthy): the next ejection lasts this + 1 times the base ejection time. */
  ejections: number;
  consecutive_failures: number;
  error_rate: number | null;
  latency_ewma_ms: number | null;
  ejected_until: string | null;
}

/** Lists every route of the catalog, including routes never called (closed, no samples). */
export async function handleAdminRoutes(gateway: GatewayContext, exchange: Exchange): Promise<HttpResult> {
  if (exchange.principal?.kind !== 'master') throw new PermissionDeniedError('Only the master key may read /admin/routes.');
  const routes = gateway.catalog.routes;
  const health = gateway.executor.snapshot(routes.map((route) => route.id));
  const data = routes.map((route, index): AdminRoute => {
    const seen = health[index];
    return {
      id: route.id,
      model: route.model,
      provider: route.provider,
      region: route.region,
      state: seen?.state ?? 'closed',
      ejections: seen?.ejections ?? 0,
      consecutive_failures: seen?.consecutive_failures ?? 0,
      error_rate: seen?.error_rate ?? null,
      latency_ewma_ms: seen?.latency_ewma_ms ?? null,
      ejected_until: seen?.ejected_until ?? null,
    };
  });
  return jsonResult(200, { object: 'list', data });
}
