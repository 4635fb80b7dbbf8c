// Compliance: every tag the policy requires must be among the route's compliance tags.
import type { Route } from '../catalog/index.ts';
import type { RejectionReason } from './plan-types.ts';
import type { RouteCheckContext } from './route-check.ts';

/** Rejects a route lacking any required compliance tag; the detail lists the missing ones. */
export function checkCompliance(route: Route, context: RouteCheckContext): RejectionReason[] {
  const required = context.constraints.compliance ?? [];
  const missing = required.filter((tag) => !route.compliance.includes(tag));
  return missing.length === 0 ? [] : [{ code: 'compliance', detail: `missing ${missing.join(', ')}` }];
}
