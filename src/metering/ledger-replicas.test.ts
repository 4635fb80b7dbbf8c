// Two replicas' ledgers on one database crossing one revenue-share cap at once: SQLite (two stores on one file) and PostgreSQL.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openPostgresStore, openSqliteStore, type Store } from '../store/index.ts';
import { createTestSchema, skipWithoutPostgres } from '../store/test-backends.ts';
import { Ledger, type RecordedUsage } from './ledger.ts';
import { makeMeteredCall, makeShareAgreement } from './test-ledger-input.ts';
import { verifyStoredLedger } from './verify-stored-ledger.ts';

// Every call owes 4_000 (20 % of 0.020000); the cap of 0.098000 is 24 whole shares and 2_000 of the 25th.
const agreements = [makeShareAgreement({ cap: { amount: '0.098000', currency: 'USD' } })];
const CAP = 98_000n;
const CALLS_PER_REPLICA = 40;

/**
 * Records CALLS_PER_REPLICA calls on each store's ledger, all at once, in batches of at most four (so that the two
 * ledgers' commits interleave), and checks that the cap was split exactly once. Each ledger alone proposes 160_000.
 */
async function crossTheCapTogether(stores: readonly Store[]): Promise<void> {
  const ledgers = stores.map((store) => new Ledger({ store, agreements, maxBatch: 4 }));
  const recorded = await Promise.all(
    ledgers.flatMap((ledger, replica) =>
      Array.from({ length: CALLS_PER_REPLICA }, (_, n) => {
        const id = `evt_${String(n).padStart(3, '0')}_${replica}`;
        const completedAt = new Date(Date.parse('2026-11-23T12:00:00.000Z') + n * 1000 + replica).toISOString();
        return ledger.record(makeMeteredCall({ id, request_id: id.replace('evt_', 'req_'), completed_at: completedAt }));
      }),
    ),
  );
  await Promise.all(ledgers.map((ledger) => ledger.close()));
  const shares = recorded.flatMap((usage: RecordedUsage) => usage.transfers.filter((transfer) => transfer.kind === 'revenue_share'));

  assert.equal(recorded.filter((usage) => usage.outcome === 'committed').length, stores.length * CALLS_PER_REPLICA);
  // What the callers were told is what the database holds: the cap, exactly, in 24 whole shares and one split one.
  assert.equal(
    shares.reduce((sum, transfer) => sum + transfer.amount, 0n),
    CAP,
  );
  const reader = stores[0]!;
  assert.deepEqual(await reader.sumTransfers({ kind: 'revenue_share', agreement_id: 'msft-openai' }), [{ currency: 'USD', amount: CAP }]);
  assert.deepEqual(
    shares.map((transfer) => transfer.amount).toSorted((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    [2_000n, ...Array.from({ length: 24 }, () => 4_000n)],
  );
  const crossing = shares.find((transfer) => transfer.amount === 2_000n)!;
  assert.deepEqual(await reader.listAgreementAccruals(), [{ agreement_id: 'msft-openai', currency: 'USD', accrued: CAP, cap_reached_at: crossing.created_at }]);
  assert.equal((await reader.listUsageEvents({ limit: 1000 })).length, stores.length * CALLS_PER_REPLICA);
  assert.deepEqual(await verifyStoredLedger(reader, agreements), []);
}

describe('Ledger replicas crossing one cap at once', () => {
  it('on SQLite: two stores on one file, each with its own writer', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'crossway-ledger-replicas-'));
    const file = path.join(directory, 'ledger.db');
    const stores: Store[] = [];
    try {
      for (let replica = 0; replica < 2; replica += 1) {
        const store = await openSqliteStore(file);
        stores.push(store);
        await store.migrate();
      }
      await crossTheCapTogether(stores);
    } finally {
      for (const store of stores) await store.close();
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });

  it('on PostgreSQL: two stores, each on a pool of its own', { skip: skipWithoutPostgres }, async () => {
    const schema = await createTestSchema('ledger-replicas');
    const stores: Store[] = [];
    try {
      for (let replica = 0; replica < 2; replica += 1) {
        const store = await openPostgresStore(schema.url, { poolSize: 2 });
        stores.push(store);
        await store.migrate();
      }
      await crossTheCapTogether(stores);
    } finally {
      // The schema goes even when a store fails to close.
      await Promise.allSettled(stores.map((store) => store.close()));
      await schema.drop();
    }
  });
});
