// What every route check receives: the request's needs, the effective constraints and the instant planned for.
import type { Constraints, ModelEntry, Route } from '../catalog/index.ts';
import type { RejectionReason, RequestNeeds } from './plan-types.ts';

/** The facts a route check may read; all plain data, so every check is a pure function. */
export interface RouteCheckContext {
  model: ModelEntry;
  needs: RequestNeeds;
  constraints: Constraints;
  /** The instant planned for, ms since epoch. */
  now: number;
}

/** One rule: every reason it finds to reject `route` (empty when the route passes). */
export type RouteCheck = (route: Route, context: RouteCheckContext) => RejectionReason[];
