// Turns the planner's Plan (routes as catalog objects) and the executor's attempts into the plain DecisionRecord JSON
// that is stored and served at GET /v1/crossway/decisions/{id}.
import type { Route } from '../catalog/index.ts';
import type { Plan } from '../policy/index.ts';
import type { DecisionAttempt, DecisionRecord } from '../store/index.ts';

/** One try of one route as the executor reports it (its `Attempt`). */
export interface ExecutedAttempt {
  route: string;
  status: number;
  code: string;
  message: string;
  latencyMs: number;
}

/** The record of a plan and the attempts made along it (none when the request never reached a route). */
export function toDecisionRecord(id: string, plan: Plan, attempts: readonly ExecutedAttempt[]): DecisionRecord {
  return {
    id,
    model: plan.model,
    at: plan.at,
    constraints: { ...plan.constraints },
    kept: plan.kept.map(({ route, rank, basis }) => ({ ...describeRoute(route), rank, basis })),
    rejected: plan.rejected.map(({ route, reasons }) => ({
      ...describeRoute(route),
      reasons: reasons.map(({ code, detail }) => ({ code, detail })),
    })),
    attempts: attempts.map(toDecisionAttempt),
  };
}

/** An executor attempt as the record shows it: a 2xx is a success (error null), anything else names its failure. */
export function toDecisionAttempt(attempt: ExecutedAttempt): DecisionAttempt {
  const succeeded = attempt.status >= 200 && attempt.status < 300;
  return {
    route: attempt.route,
    status: attempt.status,
    latency_ms: Math.round(attempt.latencyMs),
    error: succeeded ? null : `${attempt.code}: ${attempt.message}`,
  };
}

function describeRoute(route: Route): { route: string; provider: string; region: string } {
  return { route: route.id, provider: route.provider, region: route.region };
}
