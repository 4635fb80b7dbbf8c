// The contract every Counters backend passes: each backend's test calls runCountersTests with a way to open fresh counters.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Counters } from './counters.ts';

export interface CountersTestOptions {
  name: string;
  /**
   * Opens counters that nothing else uses, reading time from `now` (milliseconds). A backend that keeps its own
   * clock (Redis's TIME) may ignore it and set `controlsClock: false`: the cases that move time are then skipped.
   */
  open: (options: { now: () => number }) => Promise<Counters>;
  controlsClock?: boolean;
}

const MINUTE = 60_000;

/** Runs the Counters contract against one backend. */
export function runCountersTests(options: CountersTestOptions): void {
  const timeless = options.controlsClock === false;

  describe(`Counters contract: ${options.name}`, () => {
    let counters: Counters;
    let clock: number;
    let prefix = 0;
    /** A key no earlier case used, so that a shared backend (Redis) needs no flush between cases. */
    const fresh = (name: string) => `case-${++prefix}-${Date.now()}:${name}`;

    beforeEach(async () => {
      clock = Date.UTC(2026, 11, 1, 12, 0, 0);
      counters = await options.open({ now: () => clock });
    });
    afterEach(async () => {
      await counters.close();
    });

    describe('take', () => {
      it('starts full and takes until the bucket is empty, then refuses with how long to wait', async () => {
        const key = fresh('rpm');
        const first = await counters.take(key, 1, 3, MINUTE);
        assert.deepEqual(
          { allowed: first.allowed, limit: first.limit, remaining: first.remaining, retryAfterMs: first.retryAfterMs },
          {
            allowed: true,
            limit: 3,
            remaining: 2,
            retryAfterMs: 0,
          },
        );
        assert.ok(first.resetMs > 0 && first.resetMs <= 20_000, `one unit of 3/min refills in 20 s, got ${first.resetMs}`);
        await counters.take(key, 1, 3, MINUTE);
        const third = await counters.take(key, 1, 3, MINUTE);
        assert.equal(third.allowed, true);
        assert.equal(third.remaining, 0);
        const refused = await counters.take(key, 1, 3, MINUTE);
        assert.equal(refused.allowed, false);
        assert.equal(refused.remaining, 0);
        assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 20_000, `retryAfterMs ${refused.retryAfterMs}`);
        assert.ok(refused.resetMs > 40_000 && refused.resetMs <= MINUTE, `resetMs ${refused.resetMs}`);
      });

      it('takes a cost only when all of it is available, and never a cost above the limit', async () => {
        const key = fresh('tpm');
        assert.equal((await counters.take(key, 700, 1000, MINUTE)).allowed, true);
        const refused = await counters.take(key, 400, 1000, MINUTE);
        assert.equal(refused.allowed, false);
        assert.equal(refused.remaining, 300, 'a refused take leaves the bucket as it was');
        assert.equal((await counters.take(key, 300, 1000, MINUTE)).allowed, true);
        assert.equal((await counters.take(fresh('big'), 1001, 1000, MINUTE)).allowed, false);
      });

      it('keeps keys apart', async () => {
        const a = fresh('a');
        const b = fresh('b');
        await counters.take(a, 1, 1, MINUTE);
        assert.equal((await counters.take(a, 1, 1, MINUTE)).allowed, false);
        assert.equal((await counters.take(b, 1, 1, MINUTE)).allowed, true);
      });

      it('lets exactly the limit through among 50 concurrent takes', async () => {
        const key = fresh('burst');
        const results = await Promise.all(Array.from({ length: 50 }, () => counters.take(key, 1, 10, MINUTE)));
        assert.equal(results.filter((r) => r.allowed).length, 10);
      });

      it('refills continuously over the window', { skip: timeless }, async () => {
        const key = fresh('refill');
        assert.equal((await counters.take(key, 60, 60, MINUTE)).allowed, true);
        clock += 30_000;
        const half = await counters.take(key, 0, 60, MINUTE);
        assert.equal(half.remaining, 30);
        assert.equal(half.resetMs, 30_000);
        assert.equal((await counters.take(key, 31, 60, MINUTE)).allowed, false);
        const refused = await counters.take(key, 31, 60, MINUTE);
        assert.equal(refused.retryAfterMs, 1_000, 'one more unit of 60/min takes a second');
        clock += 1_000;
        assert.equal((await counters.take(key, 31, 60, MINUTE)).allowed, true);
        clock += 10 * MINUTE;
        assert.equal((await counters.take(key, 0, 60, MINUTE)).remaining, 60, 'never above the limit');
      });
    });

    describe('adjust', () => {
      it('returns units without exceeding the limit', async () => {
        const key = fresh('give-back');
        await counters.take(key, 800, 1000, MINUTE);
        await counters.adjust(key, 500, 1000, MINUTE);
        assert.equal((await counters.take(key, 0, 1000, MINUTE)).remaining, 700);
        await counters.adjust(key, 5000, 1000, MINUTE);
        assert.equal((await counters.take(key, 0, 1000, MINUTE)).remaining, 1000);
      });

      it('takes more without a check, so that an overrun delays later takes', { skip: timeless }, async () => {
        const key = fresh('overrun');
        await counters.take(key, 600, 600, MINUTE);
        await counters.adjust(key, -300, 600, MINUTE);
        const refused = await counters.take(key, 1, 600, MINUTE);
        assert.equal(refused.allowed, false);
        assert.equal(refused.remaining, 0);
        assert.equal(refused.retryAfterMs, 30_100, '301 units at 10 per second');
        clock += 30_100;
        assert.equal((await counters.take(key, 1, 600, MINUTE)).allowed, true);
      });
    });

    describe('budgets', () => {
      const zero = async () => 0n;

      it('reserves within the limit, refuses beyond it, and reports spent, reserved and limit', async () => {
        const key = fresh('budget');
        assert.deepEqual(await counters.reserve(key, 6n, 10n, zero), { ok: true, spent: 0n, reserved: 6n, limit: 10n });
        assert.deepEqual(await counters.reserve(key, 5n, 10n, zero), { ok: false, spent: 0n, reserved: 6n, limit: 10n });
        assert.deepEqual(await counters.reserve(key, 4n, 10n, zero), { ok: true, spent: 0n, reserved: 10n, limit: 10n });
      });

      it('settles a reservation to the actual amount, freeing the difference', async () => {
        const key = fresh('settle');
        await counters.reserve(key, 8n, 10n, zero);
        await counters.settle(key, 8n, 3n);
        assert.deepEqual(await counters.reserve(key, 7n, 10n, zero), { ok: true, spent: 3n, reserved: 7n, limit: 10n });
        assert.equal((await counters.reserve(key, 1n, 10n, zero)).ok, false);
      });

      it('releases a cancelled reservation in full', async () => {
        const key = fresh('release');
        await counters.reserve(key, 10n, 10n, zero);
        assert.equal((await counters.reserve(key, 1n, 10n, zero)).ok, false);
        await counters.release(key, 10n);
        assert.deepEqual(await counters.reserve(key, 10n, 10n, zero), { ok: true, spent: 0n, reserved: 10n, limit: 10n });
      });

      it('starts from the spend loaded from the ledger, loaded once for concurrent first uses', async () => {
        const key = fresh('load');
        let loads = 0;
        const loadSpent = async () => {
          loads += 1;
          await new Promise((resolve) => setTimeout(resolve, 5));
          return 7n;
        };
        const states = await Promise.all(Array.from({ length: 20 }, () => counters.reserve(key, 1n, 10n, loadSpent)));
        assert.equal(loads, 1);
        assert.equal(states.filter((s) => s.ok).length, 3);
        for (const state of states) assert.equal(state.spent, 7n);
      });

      it('admits exactly the reservations that fit among 50 concurrent ones', async () => {
        const key = fresh('concurrent');
        const slowLoad = () => new Promise<bigint>((resolve) => setTimeout(() => resolve(0n), 5));
        const states = await Promise.all(Array.from({ length: 50 }, () => counters.reserve(key, 100n, 1_000n, slowLoad)));
        assert.equal(states.filter((s) => s.ok).length, 10);
        const last = await counters.reserve(key, 0n, 1_000n, zero);
        assert.equal(last.reserved, 1_000n);
      });

      it('passes a failed load on, and loads again on the next use', async () => {
        const key = fresh('failing');
        await assert.rejects(
          counters.reserve(key, 1n, 10n, async () => Promise.reject(new Error('ledger down'))),
          /ledger down/,
        );
        assert.deepEqual(await counters.reserve(key, 1n, 10n, async () => 2n), { ok: true, spent: 2n, reserved: 1n, limit: 10n });
      });

      it('keeps budgets apart by key', async () => {
        await counters.reserve(fresh('x'), 10n, 10n, zero);
        assert.equal((await counters.reserve(fresh('y'), 10n, 10n, zero)).ok, true);
      });
    });
  });
}
