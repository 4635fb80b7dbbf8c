// The admin read APIs the dashboard is built on (issue 18), as one list for the gateway's route table: the request
// log, stats over a window, and the plan explorer.
import type { RouteEntry } from './gateway-types.ts';
import { ADMIN_PLAN_ROUTES } from './handle-admin-plan.ts';
import { ADMIN_REQUESTS_ROUTES } from './handle-admin-requests.ts';
import { ADMIN_STATS_ROUTES } from './handle-admin-stats.ts';

/** GET /admin/requests, GET /admin/requests/:id, GET /admin/stats, POST /admin/plan. */
export const ADMIN_READ_ROUTES: RouteEntry[] = [...ADMIN_REQUESTS_ROUTES, ...ADMIN_STATS_ROUTES, ...ADMIN_PLAN_ROUTES];
