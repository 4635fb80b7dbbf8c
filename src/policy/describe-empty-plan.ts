// Policies fail closed: when a plan keeps no route, the error says which constraint excluded each route.
import { NoRouteAvailableError, PolicyUnsatisfiableError, type CrosswayError } from '../wire/index.ts';
import type { Plan } from './plan-types.ts';

/** The error code of a request no route can serve under its policy (400). */
export const NO_ROUTE_MATCHES_POLICY = 'no_route_matches_policy';
/** The error code of a request whose only possible routes have open circuits (503, as NoRouteAvailableError). */
export const NO_ROUTE_AVAILABLE = 'no_route_available';

/**
 * The error for a plan that kept nothing:
 * - 503 `no_route_available` (retryable later) when at least one route was rejected only because its circuit is open:
 *   the policy allows a route, it is just unhealthy right now;
 * - otherwise 400 `invalid_request_error` / `no_route_matches_policy` (PolicyUnsatisfiableError), whose message names
 *   every route and every reason, e.g. "No route for model 'gpt-5.5' satisfies the request:
 *   azure-eastus2-gpt-5.5: region (eastus2/us not in [eu]); openai-global-gpt-5.5: region (global/global not in [eu])."
 *   A model without routes gets the same 400 with "it has no routes".
 */
export function describeEmptyPlan(plan: Plan): CrosswayError {
  const onlyCircuitOpen = plan.rejected.filter(({ reasons }) => reasons.every((reason) => reason.code === 'circuit_open'));
  if (onlyCircuitOpen.length > 0) {
    return new NoRouteAvailableError(
      plan.model,
      [],
      onlyCircuitOpen.map(({ route }) => route.id),
    );
  }
  const routes = plan.rejected.map(({ route, reasons }) => `${route.id}: ${reasons.map(({ code, detail }) => `${code} (${detail})`).join(', ')}`);
  const why = routes.length === 0 ? 'it has no routes' : routes.join('; ');
  return new PolicyUnsatisfiableError(
    `No route for model '${plan.model}' satisfies the request: ${why}.`,
    plan.rejected.map(({ route, reasons }) => ({ route: route.id, reasons: reasons.map(({ code, detail }) => ({ code, detail })) })),
  );
}
