// Size: the estimated input plus the requested output must fit the route's context window, and the requested
// output its max output. Only limits the route declares are checked.
import type { Route } from '../catalog/index.ts';
import type { RejectionReason } from './plan-types.ts';
import type { RouteCheckContext } from './route-check.ts';

/** Rejects a route whose declared `limits.context` or `limits.max_output` the request exceeds. */
export function checkContextWindow(route: Route, context: RouteCheckContext): RejectionReason[] {
  const { inputTokens, maxOutputTokens } = context.needs;
  const { context: window, max_output: maxOutput } = route.limits;
  const reasons: RejectionReason[] = [];
  const needed = inputTokens + (maxOutputTokens ?? 0);
  if (window !== undefined && needed > window) {
    const output = maxOutputTokens === null ? '' : ` + ${maxOutputTokens} output`;
    reasons.push({ code: 'context_window', detail: `~${inputTokens} input${output} tokens > context ${window}` });
  }
  if (maxOutput !== undefined && maxOutputTokens !== null && maxOutputTokens > maxOutput) {
    reasons.push({ code: 'context_window', detail: `${maxOutputTokens} output tokens > max_output ${maxOutput}` });
  }
  return reasons;
}
