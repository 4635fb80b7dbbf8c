// What a Responses turn carries to each route and what it loses there: the hosted tools it offers (a route whose cloud
// runs them gets them, the others drop them, see the planner's hosted-tool check), reasoning items only the cloud that
// encrypted them can read, and hosted tool calls only a route running that tool can replay. The losses go to the
// client (`x-crossway-dropped-tools`) and into the decision's notes.
import type { CallLosses } from '../calls/index.ts';
import type { Route } from '../catalog/index.ts';
import { findMissingHostedTools, type RequestNeeds, routeHostedTools } from '../policy/index.ts';
import { type NativeRoute, readableReasoning } from '../runtime/index.ts';
import { type HostedTool, hostedToolOf, type ResponseCreateRequest, type ResponseItem } from '../wire/index.ts';

/** The hosted tools a request offers, each once, `forced` when tool_choice names it. */
export function readHostedTools(request: ResponseCreateRequest): { tool: HostedTool; forced: boolean }[] {
  const choice = request.tool_choice;
  const forcedTool = typeof choice === 'object' && choice !== null ? hostedToolOf(choice.type) : null;
  const tools = new Map<HostedTool, boolean>();
  for (const tool of request.tools ?? []) {
    const hosted = hostedToolOf(tool.type);
    if (hosted !== null) tools.set(hosted, hosted === forcedTool);
  }
  return [...tools].map(([tool, forced]) => ({ tool, forced }));
}

/** What a native body for `route` may carry: its provider's reasoning items and the hosted tools its cloud runs. */
export function nativeRouteOf(route: Route): NativeRoute {
  return { provider: route.provider, hostedTools: routeHostedTools(route) };
}

/** What the turn loses on `route`: the hosted tools it drops there, and the items that route cannot take back. */
export function lossesOn(route: Route, needs: Pick<RequestNeeds, 'hostedTools'>, items: readonly ResponseItem[]): CallLosses {
  const droppedTools = findMissingHostedTools(route, needs).map((entry) => entry.tool);
  const notes = droppedTools.map((tool) => `hosted tool ${tool} dropped: route ${route.id} does not run it`);
  const native = route.capabilities.includes('responses');
  const runs = routeHostedTools(route);
  let reasoning = 0;
  let plainReasoning = 0;
  let calls = 0;
  for (const item of items) {
    // A reasoning item without encrypted content (a chat route's reasoning text) no route takes back.
    if (item.type === 'reasoning' && typeof item.encrypted_content !== 'string') plainReasoning += 1;
    else if (item.type === 'reasoning' && (!native || readableReasoning(item, route.provider) === null)) reasoning += 1;
    else if (item.type.endsWith('_call') && hostedToolOf(item.type.slice(0, -'_call'.length)) !== null) {
      const tool = hostedToolOf(item.type.slice(0, -'_call'.length));
      if (tool !== null && !runs.has(tool)) calls += 1;
    }
  }
  if (reasoning > 0) {
    notes.push(
      `${reasoning} reasoning item${reasoning === 1 ? '' : 's'} dropped: only the cloud that encrypted them can read them, and route ${route.id} cannot`,
    );
  }
  if (plainReasoning > 0) {
    notes.push(
      `${plainReasoning} reasoning item${plainReasoning === 1 ? '' : 's'} without encrypted content dropped: route ${route.id} takes no reasoning text back`,
    );
  }
  if (calls > 0) notes.push(`${calls} hosted tool call item${calls === 1 ? '' : 's'} dropped: route ${route.id} does not run the tool`);
  return { droppedTools, notes };
}
