// Prices one call's token usage with a route's price book, exactly, in micro-units.
import type { Route } from '../catalog/index.ts';
import { MeteringError } from './metering-error.ts';
import { divideRoundHalfUp, numberToMicro, type Micro } from './money.ts';

/**
 * Token counts of one call with OpenAI's usage semantics: `input_tokens` (prompt_tokens) includes `cached_tokens`,
 * and `output_tokens` (completion_tokens) includes `reasoning_tokens`
 * (https://platform.openai.com/docs/api-reference/chat/object#chat/object-usage).
 */
export interface TokenUsage {
  input_tokens: number;
  cached_tokens: number;
  output_tokens: number;
  reasoning_tokens?: number;
}

/** A route's price book: currency units per 1M tokens. */
export type Price = NonNullable<Route['price']>;

const TOKENS_PER_PRICE_UNIT = 1_000_000n;

function toTokenCount(value: number, name: string): bigint {
  if (!Number.isSafeInteger(value) || value < 0) throw new MeteringError(`${name} must be a non-negative integer, got ${value}`);
  return BigInt(value);
}

/**
 * Cost of `usage` at `price`, in micro-units of `price.currency`.
 *
 * Exact: each per-1M price becomes integer micro-units per 1M tokens (prices needing more than 6 decimals are
 * rejected), the three lines (uncached input, cached input, output) are summed exactly as micro-units × tokens, and
 * the total is divided by 1M **once**, rounding half up. Rounding once (not per line) keeps a call's cost within half
 * a micro-unit of the true value. Cached tokens are billed at `cached_input`, or at `input` when the route has no
 * cached price; reasoning tokens are already inside `output_tokens` and are not billed twice.
 */
export function priceUsage(usage: TokenUsage, price: Price): Micro {
  const input = toTokenCount(usage.input_tokens, 'input_tokens');
  const cached = toTokenCount(usage.cached_tokens, 'cached_tokens');
  const output = toTokenCount(usage.output_tokens, 'output_tokens');
  const reasoning = toTokenCount(usage.reasoning_tokens ?? 0, 'reasoning_tokens');
  if (cached > input) throw new MeteringError(`cached_tokens (${cached}) exceed input_tokens (${input})`);
  if (reasoning > output) throw new MeteringError(`reasoning_tokens (${reasoning}) exceed output_tokens (${output})`);
  const inputPrice = numberToMicro(price.input);
  const cachedPrice = price.cached_input === undefined ? inputPrice : numberToMicro(price.cached_input);
  const outputPrice = numberToMicro(price.output);
  if (inputPrice < 0n || cachedPrice < 0n || outputPrice < 0n) throw new MeteringError('prices must be non-negative');
  const total = (input - cached) * inputPrice + cached * cachedPrice + output * outputPrice;
  return divideRoundHalfUp(total, TOKENS_PER_PRICE_UNIT);
}
