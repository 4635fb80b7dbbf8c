// Orders the kept routes: agreement rules first (right of first refusal), then
// the preference (`providers.order`, else `sort`), then weight, then catalog order; and says why for each.
import type { Constraints, Route } from '../catalog/index.ts';
import { formatInstant } from './catalog-dates.ts';
import { formatPrice } from './check-price.ts';
import type { HealthView, KeptRoute } from './plan-types.ts';

/**
 * ASSUMPTION: the share of a request's input tokens that hits the prompt cache, used to blend `cached_input` into the
 * price a `sort: price` ranks by. A request does not say how much of its prompt is cached; multi-turn chats resend
 * most of theirs, one-shot requests none, so the ranking takes half.
 */
export const ASSUMED_CACHED_INPUT_SHARE = 0.5;

/** The weight of a route that sets none (as LiteLLM's default). */
export const DEFAULT_ROUTE_WEIGHT = 1;

/** A route that passed every check, with its position in the catalog. */
export interface RankCandidate {
  route: Route;
  catalogIndex: number;
  /** Hosted tools the request offers that this route's cloud does not run (dropped there). Absent = none. */
  missingHostedTools?: readonly string[];
}

/** The agreement facts ranking needs, already evaluated for this model and instant. */
export interface RankingContext {
  constraints: Constraints;
  health: HealthView;
  /** Providers with a right of first refusal, in precedence order. */
  rofrPrimaries: readonly string[];
  /** Open first-ship windows; `liftedBy` lists the capabilities the primary lacks when the window is lifted. */
  windows: readonly { primary: string; endsAt: number; liftedBy: readonly string[] | null }[];
}

interface Ranked {
  candidate: RankCandidate;
  keys: number[];
  basis: string[];
}

/**
 * The kept routes in plan order, each with its 1-based rank and the basis of its position. Sort keys, in order:
 * 1. agreements: providers holding a right of first refusal first (inside a first-ship window only the primary is
 *    kept anyway);
 * 2. health does not reorder: a half-open route keeps its place, so that it gets the single probe the executor lets
 *    through (other requests skip it at no cost); ranked last, it would never be probed behind a healthy route;
 * 3. preference: `providers.order` (listed providers first, in that order; the others after), then `sort`: `price`
 *    (blendedPrice, unpriced last), `latency` (the health view's EWMA of time to first byte, unmeasured last) or
 *    `throughput` (ranked by the same latency, as its proxy); with neither, every route is equal here;
 * 4. weight, higher first (DEFAULT_ROUTE_WEIGHT when unset), so that weights order routes that no preference separates;
 * 5. catalog order (the sort is stable).
 */
export function rankRoutes(candidates: readonly RankCandidate[], context: RankingContext): KeptRoute[] {
  const ranked = candidates.map((candidate) => rankOne(candidate, context));
  ranked.sort((a, b) => compareKeys(a.keys, b.keys));
  return ranked.map((entry, index) => ({ route: entry.candidate.route, rank: index + 1, basis: entry.basis.join(', ') }));
}

function rankOne(candidate: RankCandidate, context: RankingContext): Ranked {
  const { route, catalogIndex } = candidate;
  const basis: string[] = [];
  for (const window of context.windows) {
    if (window.liftedBy === null && route.provider === window.primary) {
      basis.push(`first-ship window (${window.primary} until ${formatInstant(window.endsAt)})`);
    } else if (window.liftedBy !== null && route.provider !== window.primary) {
      basis.push(`first-ship window lifted (${window.primary} lacks ${window.liftedBy.join(', ')})`);
    }
  }
  const rofrPosition = context.rofrPrimaries.indexOf(route.provider);
  if (rofrPosition !== -1) basis.push(`right of first refusal (${route.provider})`);
  const halfOpen = context.health.state(route.id) === 'half_open';
  if (halfOpen) basis.push('circuit half-open');
  const preference = rankPreference(route, context);
  basis.push(...preference.basis);
  const weight = route.weight ?? DEFAULT_ROUTE_WEIGHT;
  if (route.weight !== undefined) basis.push(`weight ${route.weight}`);
  const missing = candidate.missingHostedTools ?? [];
  if (missing.length > 0) basis.unshift(`drops ${missing.join(', ')}`);
  const keys = [missing.length, rofrPosition === -1 ? context.rofrPrimaries.length : rofrPosition, ...preference.keys, -weight, catalogIndex];
  return { candidate, keys, basis };
}

/** Sort keys (lower first) and basis of the request's or tenant's preference. */
function rankPreference(route: Route, context: RankingContext): { keys: number[]; basis: string[] } {
  const { providers, sort } = context.constraints;
  const order = providers?.order;
  const keys: number[] = [];
  const basis: string[] = [];
  if (order !== undefined && order.length > 0) {
    const position = order.indexOf(route.provider);
    keys.push(position === -1 ? order.length : position);
    basis.push(position === -1 ? 'after providers.order' : 'providers.order');
  }
  switch (sort) {
    case 'price': {
      const blended = blendedPrice(route);
      keys.push(blended ?? Number.POSITIVE_INFINITY);
      basis.push(
        route.price === undefined ? 'price unknown' : `price ${formatPrice(route.price.input)}/${formatPrice(route.price.output)} ${route.price.currency}`,
      );
      break;
    }
    case 'latency':
    case 'throughput': {
      // Throughput is ranked by time to first byte too: the health view measures no tokens per second yet, and a route
      // that answers sooner is, on the same model, the one with more headroom.
      const latency = context.health.latencyMs(route.id);
      keys.push(latency ?? Number.POSITIVE_INFINITY);
      const measured = latency === null ? 'unknown' : `${Math.round(latency)} ms`;
      basis.push(sort === 'latency' ? `latency ${measured}` : `throughput (latency ${measured})`);
      break;
    }
    case undefined:
      if (basis.length === 0) basis.push('catalog order');
      break;
  }
  return { keys, basis };
}

/**
 * The price a `sort: price` ranks by, per 1M tokens: input (blended with `cached_input` at ASSUMED_CACHED_INPUT_SHARE
 * where the route gives one) plus output; null for a route without a price, which ranks last.
 */
export function blendedPrice(route: Route): number | null {
  const price = route.price;
  if (price === undefined) return null;
  const input =
    price.cached_input === undefined ? price.input : price.input * (1 - ASSUMED_CACHED_INPUT_SHARE) + price.cached_input * ASSUMED_CACHED_INPUT_SHARE;
  return input + price.output;
}

function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0 && !Number.isNaN(difference)) return difference;
  }
  return 0;
}
