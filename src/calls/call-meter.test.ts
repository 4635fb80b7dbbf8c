// The output bound both reservations of a call use (budget and token rate), as a table of named cases.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_WORST_CASE_OUTPUT_TOKENS, worstCaseOutputTokens } from './call-meter.ts';

describe('worstCaseOutputTokens', () => {
  const bounded = { limits: { max_output: 1000 } };
  const unbounded = { limits: {} };
  const cases: [string, Parameters<typeof worstCaseOutputTokens>, number][] = [
    ["the request's bound", [[bounded], { maxOutputTokens: 20 }], 20],
    ["the request's bound times n", [[bounded], { maxOutputTokens: 20, choices: 128 }], 2560],
    ["else the routes' largest max_output", [[unbounded, bounded], { maxOutputTokens: null }], 1000],
    ["else the routes' largest max_output times n", [[bounded], { maxOutputTokens: null, choices: 3 }], 3000],
    ['else the default', [[unbounded], { maxOutputTokens: null }], DEFAULT_WORST_CASE_OUTPUT_TOKENS],
    ['n below 1 counts as 1', [[bounded], { maxOutputTokens: 7, choices: 0 }], 7],
  ];
  for (const [name, args, expected] of cases) it(name, () => assert.equal(worstCaseOutputTokens(...args), expected));
});
