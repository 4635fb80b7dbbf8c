// The planner: a pure function from (model, routes, needs, constraints, agreements, health, now) to a plan in which
// every route is kept (ranked, with a basis) or rejected with every reason that applies.
import type { Route } from '../catalog/index.ts';
import { firstShipRejection, findAgreementRules, checkLicense, type FirstShipWindow } from './agreement-rules.ts';
import { checkAvailability } from './check-availability.ts';
import { checkCapabilities, findMissingCapabilities } from './check-capabilities.ts';
import { checkCompliance } from './check-compliance.ts';
import { checkContextWindow } from './check-context-window.ts';
import { checkHostedTools, findMissingHostedTools } from './check-hosted-tools.ts';
import { checkParameters } from './check-parameters.ts';
import { checkPrice } from './check-price.ts';
import { checkProviders } from './check-providers.ts';
import { checkRegion } from './check-region.ts';
import type { Plan, PlanInput, RejectedRoute, RejectionReason } from './plan-types.ts';
import { rankRoutes, type RankCandidate } from './rank-routes.ts';
import type { RouteCheck, RouteCheckContext } from './route-check.ts';

/** The constraint checks, in the order their reasons are listed. */
const ROUTE_CHECKS: readonly RouteCheck[] = [
  checkAvailability,
  checkRegion,
  checkCompliance,
  checkProviders,
  checkCapabilities,
  checkHostedTools,
  checkContextWindow,
  checkPrice,
  checkParameters,
];

interface Evaluated {
  route: Route;
  catalogIndex: number;
  reasons: RejectionReason[];
}

/**
 * Plans one request for one model. Pure: reads the clock only through `input.now`, does no I/O, and returns the same
 * plan for the same input. Every route of `input.routes` ends in exactly one of `kept` (no reasons) or `rejected`
 * (at least one reason, all of them, not just the first):
 * - constraint checks: availability window, region/data zone, compliance, providers only/ignore, capabilities, hosted
 *   tools (forced, or under `hosted_tools: refuse`), context window and max output, price ceiling, `require_parameters`;
 * - agreements: licenses (see checkLicense) and open first-ship windows, which reject every provider but the primary
 *   unless every primary route lacks a capability the request needs (the only gap that lifts the rule; the primary's
 *   health, region or price do not; a model without any primary route is not lifted);
 * - health: an `open` circuit rejects; `half_open` routes are kept and ranked after closed ones.
 * Ranking: see rankRoutes.
 */
export function planRoutes(input: PlanInput): Plan {
  const now = input.now.getTime();
  const context: RouteCheckContext = { model: input.model, needs: input.needs, constraints: input.constraints, now };
  const rules = findAgreementRules(input.model, input.agreements, now);
  const evaluated: Evaluated[] = input.routes.map((route, catalogIndex) => {
    const reasons: RejectionReason[] = [];
    for (const check of ROUTE_CHECKS) reasons.push(...check(route, context));
    reasons.push(...checkLicense(route, rules, now));
    return { route, catalogIndex, reasons };
  });

  const windows = rules.windows.map((window) => ({ ...window, liftedBy: findLift(window, input) }));
  for (const entry of evaluated) {
    for (const window of windows) {
      if (window.liftedBy === null && entry.route.provider !== window.primary) entry.reasons.push(firstShipRejection(window, input.model));
    }
    if (input.health.state(entry.route.id) === 'open') entry.reasons.push({ code: 'circuit_open', detail: 'circuit open' });
  }

  const candidates: RankCandidate[] = [];
  const rejected: RejectedRoute[] = [];
  for (const { route, catalogIndex, reasons } of evaluated) {
    if (reasons.length === 0)
      candidates.push({ route, catalogIndex, missingHostedTools: findMissingHostedTools(route, input.needs).map((entry) => entry.tool) });
    else rejected.push({ route, reasons });
  }
  const kept = rankRoutes(candidates, {
    constraints: input.constraints,
    health: input.health,
    rofrPrimaries: rules.rofrPrimaries,
    windows,
  });
  return { model: input.model.id, at: input.now.toISOString(), constraints: input.constraints, kept, rejected };
}

/**
 * The capabilities whose absence lifts a first-ship window ("unless [the primary] cannot and chooses not to support
 * the necessary capabilities"): null unless the primary has routes and every one of them lacks a needed capability.
 */
function findLift(window: FirstShipWindow, input: PlanInput): string[] | null {
  const primaryRoutes = input.routes.filter((route) => route.provider === window.primary);
  if (primaryRoutes.length === 0) return null;
  const missing = new Set<string>();
  for (const route of primaryRoutes) {
    const gaps = findMissingCapabilities(route, input.model, input.needs.capabilities);
    if (gaps.length === 0) return null;
    for (const gap of gaps) missing.add(gap);
  }
  return [...missing];
}
