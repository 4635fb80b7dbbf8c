// Provider allow- and deny-lists: `providers.only` and `providers.ignore` (`providers.order` only ranks).
import type { Route } from '../catalog/index.ts';
import type { RejectionReason } from './plan-types.ts';
import type { RouteCheckContext } from './route-check.ts';

/** Rejects a route whose provider is outside `providers.only` or inside `providers.ignore`. */
export function checkProviders(route: Route, context: RouteCheckContext): RejectionReason[] {
  const { only, ignore } = context.constraints.providers ?? {};
  const reasons: RejectionReason[] = [];
  if (only !== undefined && !only.includes(route.provider)) {
    reasons.push({ code: 'provider_excluded', detail: `${route.provider} not in providers.only [${only.join(', ')}]` });
  }
  if (ignore?.includes(route.provider)) {
    reasons.push({ code: 'provider_excluded', detail: `${route.provider} in providers.ignore` });
  }
  return reasons;
}
