// Hosted tools (web_search, file_search, code_interpreter, image_generation): the routes whose cloud runs a tool the
// request offers, and the rule for the others: a forced tool, or any tool under `hosted_tools: refuse`, rejects a
// route that cannot run it; otherwise the route is kept and the tool dropped there (ranked after the routes that run
// it, see rankRoutes).
import type { Route } from '../catalog/index.ts';
import { HOSTED_TOOLS, type HostedTool } from '../wire/index.ts';
import type { RejectionReason, RequestNeeds } from './plan-types.ts';
import type { RouteCheckContext } from './route-check.ts';

/** The hosted tools a route's cloud runs: those it declares, on a route that serves the Responses API natively. */
export function routeHostedTools(route: Route): ReadonlySet<HostedTool> {
  if (!route.capabilities.includes('responses')) return new Set();
  return new Set(HOSTED_TOOLS.filter((tool) => route.capabilities.includes(tool)));
}

/** The hosted tools of `needs` that `route` cannot run, each once, in the request's order. */
export function findMissingHostedTools(route: Route, needs: Pick<RequestNeeds, 'hostedTools'>): { tool: HostedTool; forced: boolean }[] {
  const wanted = needs.hostedTools ?? [];
  if (wanted.length === 0) return [];
  const runs = routeHostedTools(route);
  return wanted.filter((entry) => !runs.has(entry.tool));
}

/** Rejects a route that cannot run a forced hosted tool, or any hosted tool the request offers under `refuse`. */
export function checkHostedTools(route: Route, context: RouteCheckContext): RejectionReason[] {
  const refuse = context.constraints.hosted_tools === 'refuse';
  return findMissingHostedTools(route, context.needs)
    .filter((entry) => entry.forced || refuse)
    .map((entry) => ({
      code: 'hosted_tool',
      detail: `does not run ${entry.tool}${entry.forced ? ' (forced by tool_choice)' : ' (hosted_tools: refuse)'}`,
    }));
}
