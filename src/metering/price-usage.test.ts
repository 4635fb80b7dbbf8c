import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MeteringError } from './metering-error.ts';
import { priceUsage, type Price, type TokenUsage } from './price-usage.ts';

const gpt: Price = { input: 5, cached_input: 0.5, output: 30, currency: 'USD' };
const noCache: Price = { input: 5, output: 30, currency: 'USD' };
const usage = (input: number, cached: number, output: number, reasoning?: number): TokenUsage => ({
  input_tokens: input,
  cached_tokens: cached,
  output_tokens: output,
  ...(reasoning === undefined ? {} : { reasoning_tokens: reasoning }),
});

describe('priceUsage', () => {
  const cases: [string, TokenUsage, Price, bigint][] = [
    ['input and output', usage(1000, 0, 500), gpt, 20_000n],
    ['cached tokens at the cached price', usage(1000, 400, 0), gpt, 3_200n],
    ['cached tokens at the input price when no cached price', usage(1000, 400, 0), noCache, 5_000n],
    ['reasoning tokens are inside output, not billed twice', usage(0, 0, 500, 200), gpt, 15_000n],
    ['zero usage', usage(0, 0, 0), gpt, 0n],
    ['half a micro-unit rounds up', usage(1, 0, 0), { input: 0.5, output: 0, currency: 'USD' }, 1n],
    ['0.4 micro-unit rounds down', usage(1, 0, 0), { input: 0.4, output: 0, currency: 'USD' }, 0n],
    ['1.5 micro-units round up', usage(1, 0, 0), { input: 1.5, output: 0, currency: 'USD' }, 2n],
    ['rounded once over all lines, not per line', usage(1, 0, 1), { input: 0.5, output: 0.5, currency: 'USD' }, 1n],
    ['six-decimal price', usage(1_000_000, 0, 0), { input: 0.000001, output: 0, currency: 'USD' }, 1n],
    ['a billion tokens stay exact', usage(1_000_000_000, 250_000_000, 1_000_000_000), gpt, 33_875_000_000n],
  ];
  for (const [name, tokens, price, expected] of cases) it(name, () => assert.equal(priceUsage(tokens, price), expected));

  const bad: [string, TokenUsage, Price][] = [
    ['price with seven decimals', usage(1, 0, 0), { input: 0.1234567, output: 0, currency: 'USD' }],
    ['cached beyond input', usage(10, 11, 0), gpt],
    ['reasoning beyond output', usage(0, 0, 1, 2), gpt],
    ['negative tokens', usage(-1, 0, 0), gpt],
    ['fractional tokens', usage(1.5, 0, 0), gpt],
  ];
  for (const [name, tokens, price] of bad) it(`rejects ${name}`, () => assert.throws(() => priceUsage(tokens, price), MeteringError));
});
