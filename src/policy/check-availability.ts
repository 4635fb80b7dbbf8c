// Availability window of a route: `not_yet_available` before `available.from`, `expired` from the end of `available.until`.
import type { Route } from '../catalog/index.ts';
import { endOfCatalogDate, startOfCatalogDate } from './catalog-dates.ts';
import type { RejectionReason } from './plan-types.ts';
import type { RouteCheckContext } from './route-check.ts';

/** Rejects a route outside its availability window; a bare `until` date is inclusive (see catalog-dates.ts). */
export function checkAvailability(route: Route, context: RouteCheckContext): RejectionReason[] {
  const { from, until } = route.available;
  const reasons: RejectionReason[] = [];
  if (from !== undefined && context.now < startOfCatalogDate(from)) {
    reasons.push({ code: 'not_yet_available', detail: `available from ${from}` });
  }
  if (until !== undefined && context.now >= endOfCatalogDate(until)) {
    reasons.push({ code: 'expired', detail: `available until ${until}` });
  }
  return reasons;
}
