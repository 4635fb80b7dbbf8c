// MemoryCounters: the Counters contract plus eviction of idle entries, on an injected clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCountersTests } from './counters.case.test.ts';
import { MemoryCounters } from './memory-counters.ts';

runCountersTests({ name: 'MemoryCounters', open: async ({ now }) => new MemoryCounters({ now }) });

describe('MemoryCounters eviction', () => {
  const MINUTE = 60_000;

  it('drops idle budgets without reservations and reloads them from the ledger', async () => {
    let clock = 0;
    const counters = new MemoryCounters({ now: () => clock, budgetIdleMs: 10 * MINUTE });
    let loads = 0;
    const loadSpent = async () => {
      loads += 1;
      return 4n;
    };
    await counters.reserve('idle', 1n, 10n, loadSpent);
    await counters.settle('idle', 1n, 1n);
    await counters.reserve('busy', 1n, 10n, loadSpent);
    assert.deepEqual(counters.size, { buckets: 0, budgets: 2 });

    clock += 11 * MINUTE;
    await counters.take('sweeper', 1, 10, MINUTE);
    assert.equal(counters.size.budgets, 1, 'the budget with an outstanding reservation stays');
    const reloaded = await counters.reserve('idle', 1n, 10n, loadSpent);
    assert.equal(loads, 3);
    assert.equal(reloaded.spent, 4n, 'the ledger is the truth after a reload');
  });

  it('keeps a budget that is used within the idle time', async () => {
    let clock = 0;
    const counters = new MemoryCounters({ now: () => clock });
    await counters.reserve('b', 1n, 10n, async () => 0n);
    await counters.settle('b', 1n, 1n);
    clock += 5 * MINUTE;
    await counters.take('sweeper', 1, 10, MINUTE);
    assert.equal(counters.size.budgets, 1);
  });

  it('drops buckets once they have refilled, and keeps those still refilling', async () => {
    let clock = 0;
    const counters = new MemoryCounters({ now: () => clock });
    await counters.take('quick', 1, 10, MINUTE);
    await counters.take('slow', 10, 10, 60 * MINUTE);
    clock += 2 * MINUTE;
    await counters.take('another', 1, 10, MINUTE);
    assert.deepEqual(counters.size, { buckets: 2, budgets: 0 });
    const slow = await counters.take('slow', 0, 10, 60 * MINUTE);
    assert.equal(slow.remaining, 0, 'still refilling: 2 of 60 minutes passed');
  });

  it('does not keep an idle budget alive by reading it', async () => {
    let clock = 0;
    const counters = new MemoryCounters({ now: () => clock, budgetIdleMs: 10 * MINUTE });
    await counters.reserve('read', 1n, 10n, async () => 0n);
    await counters.settle('read', 1n, 1n);
    clock += 6 * MINUTE;
    assert.deepEqual(await counters.readBudget('read'), { spent: 1n, reserved: 0n });
    clock += 5 * MINUTE;
    await counters.take('sweeper', 1, 10, MINUTE);
    assert.equal(await counters.readBudget('read'), null, 'idle for 11 minutes despite the read: dropped');
  });

  it('forgets everything on close', async () => {
    const counters = new MemoryCounters();
    await counters.take('k', 1, 10, MINUTE);
    await counters.reserve('b', 1n, 10n, async () => 0n);
    await counters.close();
    assert.deepEqual(counters.size, { buckets: 0, budgets: 0 });
  });
});
