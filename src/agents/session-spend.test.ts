// A session's spend in micro-USD and its spend_control in cents: added exactly, floored for display, kept when the
// limit is removed, and checked against the limit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addSpend, checkSpendLimit, readSpent, withSpendLimit } from './session-spend.ts';

describe('session spend', () => {
  it('adds charges exactly and shows consumed floored to cents', () => {
    let state: Record<string, unknown> = withSpendLimit({ metadata: {} }, 2);
    assert.deepEqual(state.spend_control, { limit: 2, consumed: 0 });
    state = addSpend(state, 9_999n);
    assert.deepEqual(state.spend_control, { limit: 2, consumed: 0 });
    assert.equal(checkSpendLimit(state), null);
    state = addSpend(state, 10_001n);
    assert.equal(readSpent(state), 20_000n);
    assert.deepEqual(state.spend_control, { limit: 2, consumed: 2 });
    assert.equal(checkSpendLimit(state)?.code, 'session_budget_exceeded');
  });

  it('keeps the spend when the limit goes, and shows it under a new limit', () => {
    const spent = addSpend(withSpendLimit({}, 1), 35_000n);
    const unlimited = withSpendLimit(spent, null);
    assert.equal(unlimited.spend_control, undefined);
    assert.equal(checkSpendLimit(unlimited), null);
    assert.equal(readSpent(addSpend(unlimited, 5_000n)), 40_000n);
    assert.deepEqual(withSpendLimit(unlimited, 10).spend_control, { limit: 10, consumed: 3 });
  });

  it('reads no spend from a state without one or with a malformed one', () => {
    assert.equal(readSpent({}), 0n);
    assert.equal(readSpent({ crossway_spent_micro_usd: '1.5' }), 0n);
    assert.equal(readSpent({ crossway_spent_micro_usd: 12 }), 0n);
  });
});
