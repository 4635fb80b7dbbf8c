// The most a request can cost on any route of its plan: what a budget reserves before the upstream call.
import { multiplyByRatio, parseRatio, type Micro } from './money.ts';
import { priceUsage, type Price } from './price-usage.ts';

export interface WorstCaseCostInput {
  /** The price books of the plan's routes; `undefined` for a route without one (it costs nothing). */
  prices: readonly (Price | undefined)[];
  /** The request's (estimated) input tokens. */
  inputTokens: number;
  /** The most output the request may produce (its `max_tokens`, or the route limit the caller settled on). */
  maxOutputTokens: number;
  /** The tenant's margin over cost as a non-negative decimal string (`"0.25"` = +25%); null or absent = none. */
  margin?: string | null;
}

/**
 * The worst-case charge of a request: the most expensive route of the plan, with every input token at the full input
 * price (a cache hit cannot be counted on) and `maxOutputTokens` at the output price, then the margin applied exactly
 * as buildTransfers applies it (cost × (1 + margin), rounded half up), so the reservation is what the ledger would
 * charge. Null when no route has a price.
 *
 * Routes priced in another currency than the first priced route are ignored: prices in different currencies cannot
 * be compared without exchange rates, and a budget is kept in one currency anyway (the caller reserves nothing when
 * the currency is not the budget's).
 */
export function estimateWorstCaseCost(input: WorstCaseCostInput): { amount: Micro; currency: string } | null {
  const usage = { input_tokens: input.inputTokens, cached_tokens: 0, output_tokens: input.maxOutputTokens };
  let worst: { amount: Micro; currency: string } | null = null;
  for (const price of input.prices) {
    if (price === undefined) continue;
    if (worst !== null && price.currency !== worst.currency) continue;
    const cost = priceUsage(usage, price);
    if (worst === null || cost > worst.amount) worst = { amount: cost, currency: price.currency };
  }
  if (worst === null) return null;
  const margin = parseRatio(input.margin ?? '0');
  return { amount: multiplyByRatio(worst.amount, { numerator: margin.denominator + margin.numerator, denominator: margin.denominator }), currency: worst.currency };
}
