// Turns the planner's Plan (routes as catalog objects) and the executor's attempts into the plain DecisionRecord JSON
// that is stored and served at GET /v1/crossway/decisions/{id}, the plan's part once per cached plan.
import type { Route } from '../catalog/index.ts';
import type { Plan } from '../policy/index.ts';
import { type DecisionAttempt, type DecisionPlan, type DecisionRecord, type StoredDecisionPlan, toStoredDecisionPlan } from '../store/index.ts';

/** One try of one route as the executor reports it (its `Attempt`). */
export interface ExecutedAttempt {
  route: string;
  status: number;
  code: string;
  message: string;
  latencyMs: number;
  /** What the adapter changed to fit the request to the route's wire. */
  notes?: readonly string[];
  /** The id the route's cloud was asked for (its deployment). */
  upstreamModel?: string;
}

/** At most this many notes per attempt are recorded, each at most MAX_NOTE_CHARS long: they may quote the request. */
const MAX_NOTES = 16;
const MAX_NOTE_CHARS = 1_024;

/** The record of a plan and the attempts made along it (none when the request never reached a route). */
export function toDecisionRecord(id: string, plan: Plan, attempts: readonly ExecutedAttempt[]): DecisionRecord {
  return assembleRecord(id, toDecisionPlan(plan), plan.at, attempts);
}

/** What the plan decided, as its decision record shows it: routes by id, provider and region, reasons copied. */
export function toDecisionPlan(plan: Plan, catalogVersion?: string): DecisionPlan {
  return {
    model: plan.model,
    ...(catalogVersion === undefined ? {} : { catalog_version: catalogVersion }),
    constraints: { ...plan.constraints },
    kept: plan.kept.map(({ route, rank, basis }) => ({ ...describeRoute(route), rank, basis })),
    rejected: plan.rejected.map(({ route, reasons }) => ({
      ...describeRoute(route),
      reasons: reasons.map(({ code, detail }) => ({ code, detail })),
    })),
  };
}

/** A plan's part of its decisions, made once: the record's plan part, and the same as stored. */
interface DescribedPlan {
  source: Pick<Plan, 'model' | 'constraints' | 'rejected'>;
  decision: DecisionPlan;
  stored: StoredDecisionPlan;
}

// Keyed by the plan's kept list, which every hit of a cached plan shares (PlanCache hands out shallow copies that
// differ only in `at`); the other parts are compared by identity on lookup, so that a plan put together otherwise is
// described anew. Weak: an entry lives as long as its plan, so the plan cache's bounds are this memo's.
const describedPlans = new WeakMap<Plan['kept'], DescribedPlan>();

/**
 * The decision of a request served along `plan`, and the plan's part as stored (for DecisionLog.record): the plan's
 * part is described, bounded, serialised and hashed once per cached plan, not once per request.
 */
export function toPlannedDecision(
  id: string,
  plan: Plan,
  attempts: readonly ExecutedAttempt[],
  tenant: string | null,
  notes: readonly string[] = [],
  catalogVersion?: string,
): [record: DecisionRecord, plan: StoredDecisionPlan] {
  let described = describedPlans.get(plan.kept);
  const { source } = described ?? {};
  if (
    described === undefined ||
    source?.model !== plan.model ||
    source.constraints !== plan.constraints ||
    source.rejected !== plan.rejected ||
    described.decision.catalog_version !== catalogVersion
  ) {
    const decision = toDecisionPlan(plan, catalogVersion);
    described = { source: { model: plan.model, constraints: plan.constraints, rejected: plan.rejected }, decision, stored: toStoredDecisionPlan(decision) };
    describedPlans.set(plan.kept, described);
  }
  const record: DecisionRecord = { ...assembleRecord(id, described.decision, plan.at, attempts), tenant };
  if (notes.length > 0) record.notes = [...notes];
  return [record, described.stored];
}

// The key order of every decision record, which is the order its JSON shows.
function assembleRecord(id: string, plan: DecisionPlan, at: string, attempts: readonly ExecutedAttempt[]): DecisionRecord {
  return {
    id,
    model: plan.model,
    ...(plan.catalog_version === undefined ? {} : { catalog_version: plan.catalog_version }),
    at,
    constraints: plan.constraints,
    kept: plan.kept,
    rejected: plan.rejected,
    attempts: attempts.map(toDecisionAttempt),
  };
}

/** An executor attempt as the record shows it: a 2xx is a success (error null), anything else names its failure. */
export function toDecisionAttempt(attempt: ExecutedAttempt): DecisionAttempt {
  const succeeded = attempt.status >= 200 && attempt.status < 300;
  const record: DecisionAttempt = {
    route: attempt.route,
    status: attempt.status,
    latency_ms: Math.round(attempt.latencyMs),
    error: succeeded ? null : `${attempt.code}: ${attempt.message}`,
  };
  if (attempt.upstreamModel !== undefined) record.upstream_model = attempt.upstreamModel;
  if (attempt.notes !== undefined && attempt.notes.length > 0) record.notes = attempt.notes.slice(0, MAX_NOTES).map((note) => note.slice(0, MAX_NOTE_CHARS));
  return record;
}

function describeRoute(route: Route): { route: string; provider: string; region: string } {
  return { route: route.id, provider: route.provider, region: route.region };
}
