import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreakers } from './circuit-breakers.ts';

function breakersAt(clock: { now: number }) {
  return new CircuitBreakers({ failureThreshold: 3, cooldownMs: 1_000, now: () => clock.now });
}

describe('CircuitBreakers', () => {
  it('opens after consecutive failures and skips the route during the cooldown', () => {
    const clock = { now: 0 };
    const breakers = breakersAt(clock);
    breakers.recordFailure('a');
    breakers.recordFailure('a');
    assert.equal(breakers.tryAcquire('a'), true);
    breakers.recordFailure('a');
    assert.equal(breakers.state('a'), 'open');
    assert.equal(breakers.tryAcquire('a'), false);
    assert.equal(breakers.tryAcquire('b'), true, 'other routes are unaffected');
  });

  it('a success resets the failure count', () => {
    const breakers = breakersAt({ now: 0 });
    breakers.recordFailure('a');
    breakers.recordFailure('a');
    breakers.recordSuccess('a');
    breakers.recordFailure('a');
    breakers.recordFailure('a');
    assert.equal(breakers.state('a'), 'closed');
  });

  it('lets exactly one trial through when half-open, and closes on its success', () => {
    const clock = { now: 0 };
    const breakers = breakersAt(clock);
    for (let i = 0; i < 3; i += 1) breakers.recordFailure('a');
    clock.now = 1_000;
    assert.equal(breakers.state('a'), 'half-open');
    assert.equal(breakers.tryAcquire('a'), true);
    assert.equal(breakers.tryAcquire('a'), false, 'second caller waits for the trial');
    breakers.recordSuccess('a');
    assert.equal(breakers.state('a'), 'closed');
    assert.equal(breakers.tryAcquire('a'), true);
  });

  it('re-opens at once when the trial fails', () => {
    const clock = { now: 0 };
    const breakers = breakersAt(clock);
    for (let i = 0; i < 3; i += 1) breakers.recordFailure('a');
    clock.now = 1_500;
    assert.equal(breakers.tryAcquire('a'), true);
    breakers.recordFailure('a');
    assert.equal(breakers.state('a'), 'open');
    clock.now = 2_400;
    assert.equal(breakers.tryAcquire('a'), false);
  });

  it('a released trial lets the next caller try', () => {
    const clock = { now: 0 };
    const breakers = breakersAt(clock);
    for (let i = 0; i < 3; i += 1) breakers.recordFailure('a');
    clock.now = 1_000;
    assert.equal(breakers.tryAcquire('a'), true);
    breakers.release('a');
    assert.equal(breakers.tryAcquire('a'), true);
  });
});
