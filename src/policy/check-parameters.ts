// `require_parameters`: reject routes whose wire would refuse or drop a parameter the request sets.
import type { Route } from '../catalog/index.ts';
import type { RejectionReason } from './plan-types.ts';
import type { RouteCheckContext } from './route-check.ts';
import { findUncarriedParameters } from './uncarried-parameters.ts';

/** With `require_parameters: true`, one reason naming every request parameter the route cannot carry. */
export function checkParameters(route: Route, context: RouteCheckContext): RejectionReason[] {
  if (context.constraints.require_parameters !== true || context.needs.parameters.length === 0) return [];
  const uncarried = findUncarriedParameters(route.provider, route.api, context.needs.parameters);
  if (uncarried === null) return [];
  return [{ code: 'parameter_unsupported', detail: `${uncarried.wire} cannot carry ${uncarried.lost.join(', ')}` }];
}
