import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowedRetries, RetryBudget } from './retry-budget.ts';

describe('allowedRetries', () => {
  const cases = [
    { name: 'one request gets the minimum', active: 1, expected: 3 },
    { name: 'below 20 active the minimum holds', active: 19, expected: 3 },
    { name: '20 active allow 4', active: 20, expected: 4 },
    { name: 'floors the share', active: 24, expected: 4 },
    { name: '100 active allow 20', active: 100, expected: 20 },
    { name: 'none active still allows the minimum', active: 0, expected: 3 },
  ];
  for (const { name, active, expected } of cases) {
    it(name, () => assert.equal(allowedRetries(active, { percent: 20, minConcurrency: 3 }), expected));
  }

  it('honours a configured budget', () => {
    assert.equal(allowedRetries(10, { percent: 50, minConcurrency: 0 }), 5);
    assert.equal(allowedRetries(10, { percent: 0, minConcurrency: 0 }), 0);
  });
});

describe('RetryBudget', () => {
  it('hands out retry slots up to the allowance and takes them back', () => {
    const budget = new RetryBudget();
    for (let i = 0; i < 20; i += 1) budget.requestStarted();
    const taken = [0, 1, 2, 3, 4, 5].map(() => budget.tryStartRetry());
    assert.deepEqual(taken, [true, true, true, true, false, false]);
    assert.equal(budget.retries, 4);
    budget.retryEnded();
    assert.equal(budget.tryStartRetry(), true);
    // Fewer active requests shrink the allowance; slots already out stay out until they end.
    for (let i = 0; i < 10; i += 1) budget.requestEnded();
    assert.equal(budget.allowed, 3);
    assert.equal(budget.tryStartRetry(), false);
    budget.retryEnded();
    budget.retryEnded();
    assert.equal(budget.tryStartRetry(), true);
  });
});
