// Residency: a route passes when its region or its data zone is in the allowed list (`eu` admits every route whose
// data_zone is eu; a `global` zone passes only when `global` itself is allowed). An empty list allows nothing.
import type { Route } from '../catalog/index.ts';
import type { RejectionReason } from './plan-types.ts';
import type { RouteCheckContext } from './route-check.ts';

/** Rejects a route whose region and data zone are both outside `constraints.regions` (when given). */
export function checkRegion(route: Route, context: RouteCheckContext): RejectionReason[] {
  const allowed = context.constraints.regions;
  if (allowed === undefined) return [];
  if (allowed.includes(route.region)) return [];
  if (route.data_zone !== undefined && allowed.includes(route.data_zone)) return [];
  const place = route.data_zone === undefined ? route.region : `${route.region}/${route.data_zone}`;
  return [{ code: 'region', detail: `${place} not in [${allowed.join(', ')}]` }];
}
