import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTransfers } from './build-transfers.ts';
import { estimateWorstCaseCosts, type WorstCaseCost, type WorstCaseCostInput } from './estimate-worst-case-cost.ts';
import { MeteringError } from './metering-error.ts';
import type { Price } from './price-usage.ts';

const cheap: Price = { input: 1, cached_input: 0.1, output: 2, currency: 'USD' };
const dear: Price = { input: 5, cached_input: 0.5, output: 30, currency: 'USD' };
const euro: Price = { input: 100, output: 100, currency: 'EUR' };
const outputHeavy: Price = { input: 0, output: 60, currency: 'USD' };

describe('estimateWorstCaseCosts', () => {
  const base = { inputTokens: 1000, maxOutputTokens: 500 };
  const cases: [string, WorstCaseCostInput, WorstCaseCost[]][] = [
    ['one route', { ...base, prices: [dear] }, [{ amount: 20_000n, currency: 'USD' }]],
    ['the dearest route of the plan, whatever its position', { ...base, prices: [cheap, dear, undefined] }, [{ amount: 20_000n, currency: 'USD' }]],
    ['input always at the full input price', { inputTokens: 1_000_000, maxOutputTokens: 0, prices: [dear] }, [{ amount: 5_000_000n, currency: 'USD' }]],
    [
      'dearest for this request, not by input price',
      { inputTokens: 100, maxOutputTokens: 1000, prices: [dear, outputHeavy] },
      [{ amount: 60_000n, currency: 'USD' }],
    ],
    ['margin applied', { ...base, prices: [dear], margin: '0.25' }, [{ amount: 25_000n, currency: 'USD' }]],
    ['null margin is none', { ...base, prices: [dear], margin: null }, [{ amount: 20_000n, currency: 'USD' }]],
    [
      'one worst case per currency, first seen first',
      { ...base, prices: [undefined, cheap, euro, dear] },
      [
        { amount: 20_000n, currency: 'USD' },
        { amount: 150_000n, currency: 'EUR' },
      ],
    ],
    ['no priced route', { ...base, prices: [undefined, undefined] }, []],
    ['empty plan', { ...base, prices: [] }, []],
  ];
  for (const [name, input, expected] of cases) it(name, () => assert.deepEqual(estimateWorstCaseCosts(input), expected));

  it('reserves exactly what the ledger charges for the same usage and margin', () => {
    const usage = { input_tokens: 1234, cached_tokens: 0, output_tokens: 777 };
    const built = buildTransfers({
      event: { id: 'e', tenant: 't', provider: 'openai', model: 'm', timestamp: '2026-01-01T00:00:00Z', usage },
      price: dear,
      margin: '0.333333',
    });
    assert.deepEqual(estimateWorstCaseCosts({ prices: [dear], inputTokens: 1234, maxOutputTokens: 777, margin: '0.333333' }), [
      { amount: built.charged, currency: 'USD' },
    ]);
  });

  it('rejects a negative token count and a malformed margin', () => {
    assert.throws(() => estimateWorstCaseCosts({ prices: [dear], inputTokens: -1, maxOutputTokens: 0 }), MeteringError);
    assert.throws(() => estimateWorstCaseCosts({ prices: [dear], inputTokens: 1, maxOutputTokens: 0, margin: 'ten' }), MeteringError);
  });
});
