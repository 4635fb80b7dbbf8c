// Go-style durations for the rate-limit headers and messages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatRateLimitDuration } from './format-rate-limit-duration.ts';

describe('formatRateLimitDuration', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [-5, '0s'],
    [0.2, '1ms'],
    [20, '20ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1200, '1.2s'],
    [1205, '1.205s'],
    [59_999, '59.999s'],
    [60_000, '1m0s'],
    [360_000, '6m0s'],
    [90_500, '1m30.5s'],
    [3_600_000, '1h0m0s'],
    [3_723_040, '1h2m3.04s'],
  ];
  for (const [ms, text] of cases) {
    it(`writes ${ms} ms as ${text}`, () => assert.equal(formatRateLimitDuration(ms), text));
  }
});
