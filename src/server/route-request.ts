// Plans a request over its model (and fallback models), runs the plan, and records the decision: the policy step
// between a validated request and the executor.
import type { Constraints, ModelEntry, Route } from '../catalog/index.ts';
import type { Executed } from '../execute/index.ts';
import { describeEmptyPlan, mergeConstraints, needsExactInputCount, readRequestConstraints, type Plan, type RequestNeeds } from '../policy/index.ts';
import type { Attempt } from '../execute/index.ts';
import { type CrosswayError, excerpt, NoRouteAvailableError, PermissionDeniedError } from '../wire/index.ts';
import type { Principal } from './authenticate.ts';
import { CallMeter } from './call-meter.ts';
import type { Exchange, GatewayContext } from './gateway-types.ts';
import { resolveModel } from './resolve-model.ts';
import { createDecisionId } from './decision-log.ts';
import { toPlannedDecision } from './to-decision-record.ts';

export interface RoutingInput {
  kind: 'chat' | 'embedding';
  /** The API, for the usage event (`chat.completions`, `embeddings`, `responses`). */
  endpoint: string;
  model: string;
  /** The request's `models` fallback list (OpenRouter style); the primary model may or may not repeat in it. */
  fallbackModels: readonly string[] | undefined;
  /** The request's `crossway` object. */
  preferences: unknown;
  needs: RequestNeeds;
}

/**
 * Runs `execute` over the planned routes of the first model that has any, moving to the next model of the fallback
 * list when a model has no route that may serve or every route failed. Sets `x-crossway-decision` on the response.
 * The key's model scope is checked first; the plan follows the gateway's policy narrowed by the tenant's and then by
 * the request's; once a model has a plan, the call is admitted against the key's and tenant's limits and budgets
 * (`exchange.meter`, which the handler completes with the usage or which the server releases).
 */
export async function routeRequest<T>(
  gateway: GatewayContext,
  exchange: Exchange,
  input: RoutingInput,
  execute: (routes: Route[], onAttempt: (attempt: Attempt) => void) => Promise<Executed<T>>,
): Promise<Executed<T>> {
  const names = [input.model, ...(input.fallbackModels ?? []).filter((name) => name !== input.model)];
  const principal = exchange.principal;
  if (principal !== null) checkModelScope(gateway, principal, names);
  const decisionId = createDecisionId();
  exchange.res.setHeader('x-crossway-decision', decisionId);
  const tenantPolicy = principal === null ? {} : (principal.tenant.policy as Constraints);
  const constraints = mergeConstraints(
    mergeConstraints(gateway.catalog.config.policy, tenantPolicy),
    readRequestConstraints({ crossway: input.preferences }, exchange.req.headers),
  );
  const allowFallbacks = constraints.allow_fallbacks !== false;
  exchange.meter ??= new CallMeter(gateway, exchange, input.endpoint);
  let lastError: CrosswayError | null = null;
  // One decision per request: with fallback models it shows the last model's plan and every model's attempts.
  let lastPlan: Plan | null = null;
  const attempts: Attempt[] = [];
  const planOf = async (name: string): Promise<{ model: ModelEntry; plan: Plan }> => {
    const { model, routes } = resolveModel(gateway.catalog, name, input.kind);
    // The planner counts synchronously within a small work budget: a large request is counted ahead, in slices.
    if (needsExactInputCount(input.needs, routes)) await input.needs.measureExactInputTokens?.(exchange.signal);
    const plan = gateway.planCache.planCached(
      { model, routes, needs: input.needs, constraints, agreements: gateway.catalog.agreements, health: gateway.executor.health, now: gateway.now() },
      gateway.catalog.version,
    );
    return { model, plan };
  };
  // Plans made ahead for the reservation are the plans then run, so that the budget covers exactly what is tried.
  const planned = new Map<number, { model: ModelEntry; plan: Plan }>();
  try {
    for (const [index, name] of names.entries()) {
      const { model, plan } = planned.get(index) ?? (await planOf(name));
      lastPlan = plan;
      if (plan.kept.length === 0) {
        lastError = describeEmptyPlan(plan);
        continue;
      }
      const routes = plan.kept.map((kept) => kept.route);
      const tried = allowFallbacks ? routes : routes.slice(0, 1);
      // Admitted once, at the first model with a plan, for the worst case over every route the call may still be
      // tried on: this model's, and the fallback models' after it (a later model may well be dearer).
      await exchange.meter.admit(model.id, allowFallbacks ? [...tried, ...(await planFallbacks(names, index, planOf, planned))] : tried, input.needs);
      try {
        return await execute(tried, (attempt) => attempts.push(attempt));
      } catch (error) {
        const isLast = index === names.length - 1;
        if (isLast || !allowFallbacks || !(error instanceof NoRouteAvailableError)) throw error;
        lastError = error;
      }
    }
    throw lastError ?? new NoRouteAvailableError(input.model, []);
  } finally {
    if (lastPlan !== null) gateway.decisions.record(...toPlannedDecision(decisionId, lastPlan, attempts, principal?.tenant.id ?? null));
  }
}

/**
 * Plans the fallback models after `index` (remembering the plans in `planned`) and returns their kept routes. A model
 * that cannot be resolved adds none: it fails as before when its turn comes, and no route of it can run.
 */
async function planFallbacks(
  names: readonly string[],
  index: number,
  planOf: (name: string) => Promise<{ model: ModelEntry; plan: Plan }>,
  planned: Map<number, { model: ModelEntry; plan: Plan }>,
): Promise<Route[]> {
  const routes: Route[] = [];
  for (let later = index + 1; later < names.length; later += 1) {
    try {
      const entry = await planOf(names[later]!);
      planned.set(later, entry);
      routes.push(...entry.plan.kept.map((kept) => kept.route));
    } catch {
      // Resolved again in its turn, which throws the same error there.
    }
  }
  return routes;
}

/** A key limited to some models may call only those (by id or alias); others answer 403 naming the model. */
export function checkModelScope(gateway: GatewayContext, principal: Principal, names: readonly string[]): void {
  const allowed = principal.key?.models;
  if (allowed === null || allowed === undefined) return;
  for (const name of names) {
    const found = gateway.catalog.findModel(name);
    const ids = found === undefined ? [name] : [found.model.id, ...found.model.aliases];
    if (!ids.some((id) => allowed.includes(id))) {
      throw new PermissionDeniedError(`This API key may not use the model \`${excerpt(name)}\`; it is limited to: ${allowed.join(', ')}.`, 'model_not_allowed');
    }
  }
}
