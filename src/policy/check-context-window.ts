// Size: the estimated input plus the requested output must fit the route's context window, and the requested
// output its max output. Only limits the route declares are checked.
import type { Route } from '../catalog/index.ts';
import type { RejectionReason, RequestNeeds } from './plan-types.ts';
import type { RouteCheckContext } from './route-check.ts';

/** Rejects a route whose declared `limits.context` or `limits.max_output` the request exceeds. */
export function checkContextWindow(route: Route, context: RouteCheckContext): RejectionReason[] {
  const { maxOutputTokens } = context.needs;
  const { context: window, max_output: maxOutput } = route.limits;
  const reasons: RejectionReason[] = [];
  const inputTokens = window === undefined ? context.needs.inputTokens : inputTokensAgainst(context.needs, window);
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

/**
 * The input tokens to compare with a context window: the cheap upper bound when it already fits, else the exact count
 * (the tokenizer runs only for requests that come near some route's window).
 */
export function inputTokensAgainst(needs: RequestNeeds, window: number): number {
  if (needs.exactInputTokens === undefined || needs.inputTokens + (needs.maxOutputTokens ?? 0) <= window) return needs.inputTokens;
  return needs.exactInputTokens();
}

/**
 * Whether planning over `routes` will ask for the exact input count: the cheap bound plus the requested output does
 * not fit some route's context window. The caller can then count it ahead (measureExactInputTokens) without holding
 * the event loop.
 */
export function needsExactInputCount(needs: RequestNeeds, routes: readonly Route[]): boolean {
  if (needs.exactInputTokens === undefined) return false;
  const needed = needs.inputTokens + (needs.maxOutputTokens ?? 0);
  return routes.some((route) => route.limits.context !== undefined && needed > route.limits.context);
}
