// What the planner decides for a model under given constraints on a given date, before any request is sent: the
// answer of `crossway plan --json` and of POST /admin/plan (the dashboard's plan explorer), made in one place.
import type { Capability, Catalog, Constraints } from '../catalog/index.ts';
import { mergeConstraints, planRoutes, type HealthView, type Plan, type RequestNeeds } from '../policy/index.ts';
import type { DecisionRecord } from '../store/index.ts';
import { createDecisionId } from './decision-log.ts';
import { toDecisionRecord } from './to-decision-record.ts';

/** A plan to explain: the model (or alias), the constraints asked for, what the request would use, and when. */
export interface PlanQuestion {
  model: string;
  /** Narrow the catalog's policy (and the tenant's, when given); merged in as a request's constraints are. */
  constraints: Constraints;
  capabilities: Capability[];
  at: Date;
  /** A tenant's routing policy, applied between the catalog's and the question's, as for that tenant's requests. */
  tenantPolicy?: Constraints;
}

/** The plan as its decision record shows it, without attempts (none were made). */
export type PlanExplanation = Omit<DecisionRecord, 'attempts'>;

// Nothing has been sent yet, so every route looks healthy and no latency is known.
const NO_TRAFFIC: HealthView = { epoch: 0, state: () => 'closed', latencyMs: () => null };

/** The plan for the question; null when the catalog has no such model (nor alias). */
export function planQuestion(catalog: Catalog, question: PlanQuestion): Plan | null {
  const found = catalog.findModel(question.model);
  if (found === undefined) return null;
  const needs: RequestNeeds = { capabilities: question.capabilities, inputTokens: 0, maxOutputTokens: null, parameters: [] };
  const policy = question.tenantPolicy === undefined ? catalog.config.policy : mergeConstraints(catalog.config.policy, question.tenantPolicy);
  return planRoutes({
    model: found.model,
    routes: found.routes,
    needs,
    constraints: mergeConstraints(policy, question.constraints),
    agreements: catalog.agreements,
    health: NO_TRAFFIC,
    now: question.at,
  });
}

/** The plan's decision record without attempts: kept routes in order, rejected ones with every reason. */
export function explainPlan(plan: Plan): PlanExplanation {
  const { attempts: _attempts, ...record } = toDecisionRecord(createDecisionId(), plan, []);
  return record;
}
