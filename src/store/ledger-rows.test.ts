import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeLedgerEntry } from './ledger-store.case.test.ts';
import { parseLedgerEntries, stringifyLedgerEntries } from './ledger-rows.ts';

describe('ledger entries across the writer thread', () => {
  it('come back exactly, every amount a bigint, also beyond 2^53', () => {
    const huge = 2n ** 63n - 1n;
    const entries = [
      makeLedgerEntry(
        { id: 'evt_a', cost: huge, charged: huge - 7n },
        { shares: { 'msft-openai': 123_456_789_012_345_678n }, caps: { 'msft-openai': 2n ** 62n + 1n } },
      ),
      makeLedgerEntry({ id: 'evt_b', cost: 0n, charged: 1n }),
    ];
    const back = parseLedgerEntries(stringifyLedgerEntries(entries));
    assert.deepEqual(back, entries);
    assert.equal(typeof back[0]!.event.cost, 'bigint');
    assert.equal(typeof back[0]!.transfers[2]!.amount, 'bigint');
    assert.equal(back[0]!.share_caps?.['msft-openai'], 2n ** 62n + 1n);
    assert.equal('share_caps' in back[1]!, false);
  });

  it('leave a field that merely shares an amount name alone (a string stays a string)', () => {
    const entry = makeLedgerEntry({ id: 'evt_c', model: 'amount', endpoint: 'cost' });
    const [back] = parseLedgerEntries(stringifyLedgerEntries([entry]));
    assert.equal(back!.event.model, 'amount');
    assert.equal(back!.event.endpoint, 'cost');
  });
});
