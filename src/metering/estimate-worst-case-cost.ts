// The most a request can cost on any route it may be tried on: what a budget reserves before the upstream call.
import { multiplyByRatio, parseRatio, type Micro } from './money.ts';
import { priceUsage, type Price } from './price-usage.ts';

export interface WorstCaseCostInput {
  /** The price books of every route the request may be tried on; `undefined` for a route without one (it costs nothing). */
  prices: readonly (Price | undefined)[];
  /** The most input tokens the request can be billed for (every input of an embeddings batch, summed). */
  inputTokens: number;
  /** The most output the request may produce over all its choices (the output bound times chat's `n`). */
  maxOutputTokens: number;
  /** The tenant's margin over cost as a non-negative decimal string (`"0.25"` = +25%); null or absent = none. */
  margin?: string | null;
}

/** A worst-case charge in one currency. */
export interface WorstCaseCost {
  amount: Micro;
  currency: string;
}

/**
 * The worst-case charge of a request in each currency its routes are priced in (first seen first): the most expensive
 * route in that currency, with every input token at the full input price (a cache hit cannot be counted on) and
 * `maxOutputTokens` at the output price, then the margin applied exactly as buildTransfers applies it
 * (cost × (1 + margin), rounded half up), so the reservation is what the ledger would charge. Empty when no route has
 * a price.
 *
 * Prices in different currencies cannot be compared without exchange rates, so each currency gets its own worst case;
 * a budget in one currency must refuse a request that may run on a route priced in another (see Limiter), never
 * reserve nothing for it.
 */
export function estimateWorstCaseCosts(input: WorstCaseCostInput): WorstCaseCost[] {
  const usage = { input_tokens: input.inputTokens, cached_tokens: 0, output_tokens: input.maxOutputTokens };
  const worst = new Map<string, Micro>();
  for (const price of input.prices) {
    if (price === undefined) continue;
    const cost = priceUsage(usage, price);
    const known = worst.get(price.currency);
    if (known === undefined || cost > known) worst.set(price.currency, cost);
  }
  const margin = parseRatio(input.margin ?? '0');
  const factor = { numerator: margin.denominator + margin.numerator, denominator: margin.denominator };
  return [...worst].map(([currency, amount]) => ({ amount: multiplyByRatio(amount, factor), currency }));
}
