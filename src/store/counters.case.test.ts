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

      it('reads a budget as held, null before its first use, and writes nothing when reading', async () => {
        const key = fresh('read');
        assert.equal(await counters.readBudget(key), null);
        assert.equal(await counters.readBudget(key), null, 'a read creates no entry');
        await counters.reserve(key, 6n, 10n, async () => 2n);
        assert.deepEqual(await counters.readBudget(key), { spent: 2n, reserved: 6n });
        await counters.reserve(key, 1n, 10n, zero);
        assert.deepEqual(await counters.readBudget(key), { spent: 2n, reserved: 7n });
        await counters.settle(key, 6n, 4n);
        assert.deepEqual(await counters.readBudget(key), { spent: 6n, reserved: 1n });
        await counters.release(key, 1n);
        assert.deepEqual(await counters.readBudget(key), { spent: 6n, reserved: 0n });
        assert.equal(await counters.readBudget(fresh('other')), null, 'budgets are read by key');
      });

      it('reads the spend a refused first use loaded, without its reservation', async () => {
        const key = fresh('read-refused');
        assert.equal((await counters.reserve(key, 5n, 10n, async () => 8n)).ok, false);
        assert.deepEqual(await counters.readBudget(key), { spent: 8n, reserved: 0n });
      });

      it('reads amounts exactly beyond 2^53 micro-units', async () => {
        const key = fresh('read-huge');
        const spent = 2n ** 60n + 1n;
        await counters.reserve(key, 2n ** 55n + 3n, 2n ** 62n, async () => spent);
        assert.deepEqual(await counters.readBudget(key), { spent, reserved: 2n ** 55n + 3n });
      });

      it('keeps budgets apart by key', async () => {
        await counters.reserve(fresh('x'), 10n, 10n, zero);
        assert.equal((await counters.reserve(fresh('y'), 10n, 10n, zero)).ok, true);
      });
    });

    describe('admit and settleAll (batched)', () => {
      const zero = async () => 0n;
      /** A bucket's units now, read with a take of nothing. */
      const unitsOf = async (key: string, limit: number) => (await counters.take(key, 0, limit, MINUTE)).remaining;
      /** A budget's spent and reserved now, read with a reservation of nothing. */
      const budgetOf = async (key: string, limit: bigint) => {
        const state = await counters.reserve(key, 0n, limit, zero);
        await counters.release(key, 0n);
        return { spent: state.spent, reserved: state.reserved };
      };

      it('takes every bucket and reserves every budget when all fit, reporting each in order', async () => {
        const [rpm, tpm, budget] = [fresh('rpm'), fresh('tpm'), fresh('budget')];
        const result = await counters.admit({
          takes: [
            { key: rpm, cost: 1, limit: 5, windowMs: MINUTE },
            { key: tpm, cost: 400, limit: 1000, windowMs: MINUTE },
          ],
          reservations: [{ key: budget, amount: 6n, limit: 10n, loadSpent: async () => 1n }],
        });
        assert.equal(result.ok, true);
        assert.equal(result.refused, null);
        assert.deepEqual(
          result.takes.map((take) => [take.allowed, take.limit, take.remaining]),
          [
            [true, 5, 4],
            [true, 1000, 600],
          ],
        );
        assert.deepEqual(result.reservations, [{ ok: true, spent: 1n, reserved: 6n, limit: 10n }]);
        assert.equal(await unitsOf(tpm, 1000), 600);
        assert.deepEqual(await budgetOf(budget, 10n), { spent: 1n, reserved: 6n });
      });

      it('changes nothing when a take refuses, and says which one', async () => {
        const [first, second, budget] = [fresh('first'), fresh('second'), fresh('budget')];
        await counters.take(second, 2, 2, MINUTE);
        const result = await counters.admit({
          takes: [
            { key: first, cost: 3, limit: 10, windowMs: MINUTE },
            { key: second, cost: 1, limit: 2, windowMs: MINUTE },
          ],
          reservations: [{ key: budget, amount: 1n, limit: 10n, loadSpent: zero }],
        });
        assert.equal(result.ok, false);
        assert.deepEqual(result.refused, { kind: 'take', index: 1 });
        assert.equal(result.takes.length, 2);
        assert.equal(result.takes[1]!.allowed, false);
        assert.ok(result.takes[1]!.retryAfterMs > 0 && result.takes[1]!.retryAfterMs <= 30_000, `retryAfterMs ${result.takes[1]!.retryAfterMs}`);
        assert.deepEqual(result.reservations, []);
        assert.equal(await unitsOf(first, 10), 10, 'the first take was not kept');
        assert.deepEqual(await budgetOf(budget, 10n), { spent: 0n, reserved: 0n });
      });

      it('changes nothing when a reservation refuses, reporting the budget that refused', async () => {
        const [rpm, key, tenant] = [fresh('rpm'), fresh('key-budget'), fresh('tenant-budget')];
        const result = await counters.admit({
          takes: [{ key: rpm, cost: 1, limit: 5, windowMs: MINUTE }],
          reservations: [
            { key, amount: 5n, limit: 10n, loadSpent: zero },
            { key: tenant, amount: 5n, limit: 10n, loadSpent: async () => 8n },
          ],
        });
        assert.equal(result.ok, false);
        assert.deepEqual(result.refused, { kind: 'reservation', index: 1 });
        assert.deepEqual(result.reservations[1], { ok: false, spent: 8n, reserved: 0n, limit: 10n });
        assert.equal(await unitsOf(rpm, 5), 5);
        assert.deepEqual(await budgetOf(key, 10n), { spent: 0n, reserved: 0n });
        assert.deepEqual(await budgetOf(tenant, 10n), { spent: 8n, reserved: 0n }, 'the loaded spend is kept, the reservation is not');
      });

      it('applies the takes of one batch in order, so that one key twice counts twice', async () => {
        const key = fresh('twice');
        const result = await counters.admit({
          takes: [
            { key, cost: 2, limit: 3, windowMs: MINUTE },
            { key, cost: 2, limit: 3, windowMs: MINUTE },
          ],
          reservations: [],
        });
        assert.deepEqual(result.refused, { kind: 'take', index: 1 });
        assert.equal(await unitsOf(key, 3), 3);
      });

      it('refuses a reservation without room: an exhausted budget refuses even a call that reserves nothing', async () => {
        const key = fresh('room');
        await counters.reserve(key, 10n, 10n, zero);
        const refused = await counters.admit({ takes: [], reservations: [{ key, amount: 0n, room: 1n, limit: 10n, loadSpent: zero }] });
        assert.deepEqual(refused.refused, { kind: 'reservation', index: 0 });
        await counters.release(key, 1n);
        const admitted = await counters.admit({ takes: [], reservations: [{ key, amount: 0n, room: 1n, limit: 10n, loadSpent: zero }] });
        assert.deepEqual(admitted.reservations, [{ ok: true, spent: 0n, reserved: 9n, limit: 10n }]);
      });

      it('admits exactly what fits among 50 concurrent batches over a shared budget and rate', async () => {
        const [rpm, budget] = [fresh('rpm'), fresh('budget')];
        const slowLoad = () => new Promise<bigint>((resolve) => setTimeout(() => resolve(0n), 5));
        const results = await Promise.all(
          Array.from({ length: 50 }, () =>
            counters.admit({
              takes: [{ key: rpm, cost: 1, limit: 40, windowMs: MINUTE }],
              reservations: [{ key: budget, amount: 100n, limit: 1_500n, loadSpent: slowLoad }],
            }),
          ),
        );
        assert.equal(results.filter((result) => result.ok).length, 15);
        assert.ok(results.every((result) => result.ok || result.refused?.kind === 'reservation'));
        assert.equal(await unitsOf(rpm, 40), 25, 'only the admitted batches took a request');
        assert.deepEqual(await budgetOf(budget, 1_500n), { spent: 0n, reserved: 1_500n });
      });

      it('passes a failed load on, having changed nothing', async () => {
        const [rpm, budget] = [fresh('rpm'), fresh('budget')];
        await assert.rejects(
          counters.admit({
            takes: [{ key: rpm, cost: 1, limit: 1, windowMs: MINUTE }],
            reservations: [{ key: budget, amount: 1n, limit: 10n, loadSpent: async () => Promise.reject(new Error('ledger down')) }],
          }),
          /ledger down/,
        );
        assert.equal(await unitsOf(rpm, 1), 1);
      });

      it('settles, releases and adjusts a whole call in one step', async () => {
        const [tpm, key, tenant, other] = [fresh('tpm'), fresh('key'), fresh('tenant'), fresh('other')];
        await counters.admit({
          takes: [{ key: tpm, cost: 800, limit: 1000, windowMs: MINUTE }],
          reservations: [
            { key, amount: 8n, limit: 10n, loadSpent: zero },
            { key: tenant, amount: 8n, limit: 100n, loadSpent: zero },
            { key: other, amount: 5n, limit: 10n, loadSpent: zero },
          ],
        });
        await counters.settleAll({
          adjusts: [{ key: tpm, amount: 500, limit: 1000, windowMs: MINUTE }],
          settlements: [
            { key, reserved: 8n, actual: 3n },
            { key: tenant, reserved: 8n, actual: 3n },
          ],
          releases: [{ key: other, reserved: 5n }],
        });
        assert.equal(await unitsOf(tpm, 1000), 700);
        assert.deepEqual(await budgetOf(key, 10n), { spent: 3n, reserved: 0n });
        assert.deepEqual(await budgetOf(tenant, 100n), { spent: 3n, reserved: 0n });
        assert.deepEqual(await budgetOf(other, 10n), { spent: 0n, reserved: 0n });
      });

      it('keeps amounts exact beyond 2^53 micro-units', async () => {
        const key = fresh('huge');
        const limit = 2n ** 62n;
        const spent = 2n ** 60n + 1n;
        const first = await counters.admit({ takes: [], reservations: [{ key, amount: 3n, limit, loadSpent: async () => spent }] });
        assert.deepEqual(first.reservations, [{ ok: true, spent, reserved: 3n, limit }]);
        await counters.settleAll({ adjusts: [], settlements: [{ key, reserved: 3n, actual: 2n ** 55n + 7n }], releases: [] });
        assert.deepEqual(await budgetOf(key, limit), { spent: spent + 2n ** 55n + 7n, reserved: 0n });
        const room = limit - spent - 2n ** 55n - 7n;
        assert.equal((await counters.reserve(key, room + 1n, limit, zero)).ok, false);
        assert.equal((await counters.reserve(key, room, limit, zero)).ok, true);
      });
    });
  });
}
