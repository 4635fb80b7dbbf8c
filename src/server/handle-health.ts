// GET /healthz (the process answers) and GET /readyz (store reachable, catalog loaded, not shutting down; the shared counters' state).
import type { Exchange, GatewayContext, HttpResult } from './gateway-types.ts';
import { jsonResult } from './http-result.ts';

/** Liveness: answers while the event loop runs. */
export async function handleHealth(_gateway: GatewayContext, _exchange: Exchange): Promise<HttpResult> {
  return jsonResult(200, { status: 'ok' });
}

/** Readiness: the store answers a query and a catalog with routes is loaded. */
export async function handleReady(gateway: GatewayContext, _exchange: Exchange): Promise<HttpResult> {
  // At once, without asking the store: a load balancer must stop sending before the listener is gone.
  if (gateway.draining) return jsonResult(503, { status: 'draining', checks: { catalog: `ok (version ${gateway.catalog.version})` } });
  const checks: Record<string, string> = {};
  let ready = true;
  try {
    await gateway.store.ping();
    checks.store = 'ok';
  } catch (error) {
    ready = false;
    checks.store = `unreachable: ${(error as Error).message}`;
  }
  checks.catalog = gateway.catalog.routes.length > 0 ? `ok (version ${gateway.catalog.version})` : 'no routes';
  if (gateway.catalog.routes.length === 0) ready = false;
  // Redis down is no reason to stop taking traffic: local limits serve meanwhile, and the detail says so.
  const counters = gateway.countersHealth?.();
  if (counters !== undefined) checks.redis = counters;
  // Without Redis a replica still serves, alone: said here, and not a reason to take it out of the load balancer.
  if (gateway.cluster !== undefined) {
    checks.cluster = gateway.cluster.bus.connected ? 'ok' : 'alone: Redis unreachable; route health and cache invalidations stay local until it answers';
  }
  return jsonResult(ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', checks });
}
