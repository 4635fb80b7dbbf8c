// Price ceiling: `max_price.prompt` / `.completion` (per 1M tokens) against the route's input / output price.
// A route without a price passes: the policy cannot know it is over the ceiling.
import type { Route } from '../catalog/index.ts';
import type { RejectionReason } from './plan-types.ts';
import type { RouteCheckContext } from './route-check.ts';

/** Rejects a route whose input or output price exceeds the ceiling (one reason per side exceeded). */
export function checkPrice(route: Route, context: RouteCheckContext): RejectionReason[] {
  const ceiling = context.constraints.max_price;
  const price = route.price;
  if (ceiling === undefined || price === undefined) return [];
  const reasons: RejectionReason[] = [];
  if (ceiling.prompt !== undefined && price.input > ceiling.prompt) {
    reasons.push({ code: 'price', detail: `input ${formatPrice(price.input)} > max ${formatPrice(ceiling.prompt)} ${price.currency}/1M` });
  }
  if (ceiling.completion !== undefined && price.output > ceiling.completion) {
    reasons.push({ code: 'price', detail: `output ${formatPrice(price.output)} > max ${formatPrice(ceiling.completion)} ${price.currency}/1M` });
  }
  return reasons;
}

/** `5.5` -> `5.50`; sub-cent prices keep their digits (`0.015`). */
export function formatPrice(value: number): string {
  const fixed = value.toFixed(2);
  return Number(fixed) === value ? fixed : String(value);
}
