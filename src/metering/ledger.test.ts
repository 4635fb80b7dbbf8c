import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openSqliteStore, type LedgerEntry, type Store } from '../store/index.ts';
import { Ledger, type LedgerOptions, type MeteredCall, type RecordedUsage } from './ledger.ts';
import { MeteringError } from './metering-error.ts';
import { makeMeteredCall, makeShareAgreement, openLedgerStore } from './test-ledger-input.ts';
import { verifyStoredLedger } from './verify-stored-ledger.ts';

/** The stored accrual of the test agreement in USD (0 when none). */
const accrued = async (store: Store, agreementId = 'msft-openai') =>
  (await store.listAgreementAccruals()).find((row) => row.agreement_id === agreementId && row.currency === 'USD')?.accrued ?? 0n;
const shareOf = (recorded: RecordedUsage) => recorded.transfers.find((t) => t.kind === 'revenue_share')?.amount ?? 0n;
const isMeteringError = (code: string) => (error: unknown) => error instanceof MeteringError && error.code === code;
const call = (n: number, overrides: Partial<MeteredCall> = {}) =>
  makeMeteredCall({ id: `evt_${String(n).padStart(4, '0')}`, request_id: `req_${n}`, ...overrides });

/** The real store with commitLedger wrapped: counts calls in flight, can hold them at a gate, can fail the next ones. */
function instrument(store: Store) {
  const probe = { commits: 0, inFlight: 0, maxInFlight: 0, failNext: 0, gate: undefined as Promise<void> | undefined, entries: [] as LedgerEntry[][] };
  const commitLedger: Store['commitLedger'] = async (entries) => {
    probe.commits += 1;
    probe.inFlight += 1;
    probe.maxInFlight = Math.max(probe.maxInFlight, probe.inFlight);
    try {
      if (probe.gate) await probe.gate;
      if (probe.failNext > 0) {
        probe.failNext -= 1;
        throw new Error('disk I/O error');
      }
      probe.entries.push([...entries]);
      return await store.commitLedger(entries);
    } finally {
      probe.inFlight -= 1;
    }
  };
  return { probe, store: { commitLedger } };
}

async function openLedger(options: Partial<LedgerOptions> = {}) {
  const store = await openLedgerStore();
  const ledger = new Ledger({ store, agreements: [], ...options });
  return { store, ledger };
}

describe('Ledger.record', () => {
  it('commits the event with its cost, charge and transfers, durably before resolving', async () => {
    const { store, ledger } = await openLedger();
    const recorded = await ledger.record(
      makeMeteredCall({ margin: '0.25', usage: { input_tokens: 1000, cached_tokens: 200, output_tokens: 500, reasoning_tokens: 100 } }),
    );
    assert.equal(recorded.outcome, 'committed');
    // 800 × $5 + 200 × $0.50 + 500 × $30 per 1M = 0.019100; +25 % = 0.023875.
    assert.equal(recorded.event.cost, 19_100n);
    assert.equal(recorded.event.charged, 23_875n);
    assert.deepEqual(
      recorded.transfers.map((t) => [t.id, t.debit, t.credit, t.amount, t.agreement_id, t.created_at]),
      [
        ['evt_1:charge', 'tenant:acme:receivable', 'revenue', 23_875n, null, '2026-11-23T12:00:00.000Z'],
        ['evt_1:cost', 'cost_of_revenue', 'provider:openai:payable', 19_100n, null, '2026-11-23T12:00:00.000Z'],
      ],
    );
    assert.deepEqual(await store.listUsageEvents({ limit: 10 }), [recorded.event]);
    assert.deepEqual(await store.listTransfers({ limit: 10 }), recorded.transfers);
    assert.deepEqual(recorded.event, {
      id: 'evt_1',
      request_id: 'req_1',
      tenant: 'acme',
      key_id: 'key_ci',
      endpoint: 'chat.completions',
      model: 'gpt-5.5',
      route: 'openai-gpt-5.5',
      provider: 'openai',
      region: 'global',
      input_tokens: 1000,
      cached_tokens: 200,
      output_tokens: 500,
      reasoning_tokens: 100,
      estimated: false,
      latency_ms: 420,
      status: 200,
      started_at: '2026-11-23T11:59:59.580Z',
      completed_at: '2026-11-23T12:00:00.000Z',
      currency: 'USD',
      cost: 19_100n,
      charged: 23_875n,
    });
  });

  it('prices a route without a price book at zero USD and still posts both transfers', async () => {
    const { ledger } = await openLedger();
    const recorded = await ledger.record(makeMeteredCall({ route: { id: 'local', provider: 'openai', region: 'global' } }));
    assert.deepEqual([recorded.event.cost, recorded.event.charged, recorded.event.currency], [0n, 0n, 'USD']);
    assert.deepEqual(
      recorded.transfers.map((t) => t.kind),
      ['charge', 'cost'],
    );
  });

  it('stores timestamps in toISOString form', async () => {
    const { ledger } = await openLedger();
    const recorded = await ledger.record(makeMeteredCall({ started_at: '2026-11-23T12:59:59+01:00', completed_at: '2026-11-23T12:00:00Z' }));
    assert.deepEqual([recorded.event.started_at, recorded.event.completed_at], ['2026-11-23T11:59:59.000Z', '2026-11-23T12:00:00.000Z']);
  });

  it('rejects a call it cannot price, and only that call of its batch', async () => {
    const { store, ledger } = await openLedger();
    const results = await Promise.allSettled([
      ledger.record(call(1)),
      ledger.record(call(2, { usage: { input_tokens: 10, cached_tokens: 11, output_tokens: 0 } })),
      ledger.record(call(3, { completed_at: 'yesterday' })),
      ledger.record(call(4)),
    ]);
    assert.deepEqual(
      results.map((result) => result.status),
      ['fulfilled', 'rejected', 'rejected', 'fulfilled'],
    );
    assert.ok(results[1]!.status === 'rejected' && results[1].reason instanceof MeteringError);
    assert.deepEqual(
      (await store.listUsageEvents({ limit: 10 })).map((event) => event.id),
      ['evt_0001', 'evt_0004'],
    );
  });
});

describe('Ledger revenue share', () => {
  it('accrues rate × charged, splits the call that crosses the cap exactly, records when it was reached, then stops', async () => {
    const { store, ledger } = await openLedger({ agreements: [makeShareAgreement()] });
    const shares: bigint[] = [];
    for (let n = 1; n <= 4; n += 1) {
      const recorded = await ledger.record(call(n, { completed_at: `2026-11-23T12:00:0${n}.000Z` }));
      shares.push(recorded.transfers.find((t) => t.kind === 'revenue_share')?.amount ?? 0n);
    }
    assert.deepEqual(shares, [4_000n, 4_000n, 2_000n, 0n]);
    assert.deepEqual(await store.listAgreementAccruals(), [
      { agreement_id: 'msft-openai', currency: 'USD', accrued: 10_000n, cap_reached_at: '2026-11-23T12:00:03.000Z' },
    ]);
    assert.deepEqual(await verifyStoredLedger(store, [makeShareAgreement()]), []);
  });

  it('answers the share the store posted: a ledger on a database another one writes is clamped by what both accrued', async () => {
    const store = await openLedgerStore();
    const agreements = [makeShareAgreement()];
    const [first, second] = [new Ledger({ store, agreements }), new Ledger({ store, agreements })];
    assert.equal(shareOf(await second.record(call(1))), 4_000n);
    assert.equal(shareOf(await first.record(call(2))), 4_000n);
    // `second` recorded 4_000 itself, but the store holds 8_000: 2_000 is left, and this call reaches the cap.
    const crossing = await second.record(call(3, { completed_at: '2026-11-23T12:00:03.000Z' }));
    assert.equal(shareOf(crossing), 2_000n);
    assert.deepEqual(await store.listTransfers({ limit: 10, after: 'evt_0003' }), crossing.transfers);
    const after = await first.record(call(4));
    assert.deepEqual(
      after.transfers.map((t) => t.kind),
      ['charge', 'cost'],
    );
    assert.deepEqual(await store.listAgreementAccruals(), [
      { agreement_id: 'msft-openai', currency: 'USD', accrued: 10_000n, cap_reached_at: '2026-11-23T12:00:03.000Z' },
    ]);
    assert.deepEqual(await verifyStoredLedger(store, agreements), []);
  });

  it('caps an agreement whatever its id, `__proto__` included', async () => {
    const agreements = [makeShareAgreement({}, '__proto__')];
    const { store, ledger } = await openLedger({ agreements });
    const recorded = await Promise.all([1, 2, 3, 4].map((n) => ledger.record(call(n))));
    assert.deepEqual(recorded.map(shareOf), [4_000n, 4_000n, 2_000n, 0n]);
    assert.equal(await accrued(store, '__proto__'), 10_000n);
    assert.deepEqual(await verifyStoredLedger(store, agreements), []);
  });

  it('honours the term end to the millisecond and the scope', async () => {
    const { ledger } = await openLedger({ agreements: [makeShareAgreement({ cap: undefined })] });
    const share = async (overrides: Partial<MeteredCall>) =>
      (await ledger.record(makeMeteredCall(overrides))).transfers.filter((t) => t.kind === 'revenue_share').length;
    assert.equal(await share({ id: 'evt_a', completed_at: '2030-12-31T23:59:59.999Z' }), 1);
    assert.equal(await share({ id: 'evt_b', completed_at: '2031-01-01T00:00:00.000Z' }), 0);
    assert.equal(await share({ id: 'evt_c', completed_at: '2026-03-31T23:59:59.999Z' }), 0);
    assert.equal(
      await share({ id: 'evt_d', route: { id: 'azure-gpt', provider: 'azure', region: 'eastus2', price: { input: 5, output: 30, currency: 'USD' } } }),
      0,
    );
  });

  it('continues from the stored accruals after a restart', async () => {
    const store = await openLedgerStore();
    const first = new Ledger({ store, agreements: [makeShareAgreement()] });
    await first.record(call(1));
    await first.record(call(2));
    await first.close();
    const second = new Ledger({ store, agreements: [makeShareAgreement()] });
    const recorded = await second.record(call(3));
    assert.equal(recorded.transfers.find((t) => t.kind === 'revenue_share')?.amount, 2_000n);
    assert.deepEqual(await verifyStoredLedger(store, [makeShareAgreement()]), []);
  });

  it('takes reloaded agreements from the next call on, keeping what an agreement already accrued', async () => {
    const { ledger } = await openLedger({ agreements: [] });
    const share = async (n: number) => (await ledger.record(call(n))).transfers.find((t) => t.kind === 'revenue_share')?.amount ?? 0n;
    assert.equal(await share(1), 0n);
    ledger.replaceAgreements([makeShareAgreement()]);
    assert.equal(await share(2), 4_000n);
    ledger.replaceAgreements([makeShareAgreement()]);
    assert.equal(await share(3), 4_000n);
    assert.equal(await share(4), 2_000n, 'the cap counts what was accrued before the reload');
    ledger.replaceAgreements([]);
    assert.equal(await share(5), 0n);
  });

  it('rejects a call priced in another currency than the cap of an agreement in scope', async () => {
    const { ledger } = await openLedger({ agreements: [makeShareAgreement()] });
    const euro = { id: 'openai-eu', provider: 'openai' as const, region: 'eu', price: { input: 5, output: 30, currency: 'EUR' } };
    await assert.rejects(ledger.record(makeMeteredCall({ route: euro })), isMeteringError('currency_mismatch'));
  });
});

describe('Ledger replays', () => {
  it('answers the same call again as a replay, writing nothing', async () => {
    const { store, ledger } = await openLedger({ agreements: [makeShareAgreement()] });
    const first = await ledger.record(call(1));
    await ledger.record(call(2));
    const again = await ledger.record(call(1));
    assert.equal(again.outcome, 'replayed');
    assert.deepEqual(again.transfers, first.transfers);
    assert.equal((await store.listUsageEvents({ limit: 10 })).length, 2);
    assert.equal(await accrued(store), 8_000n);
  });

  it('rejects the same id with other usage as ledger_conflict', async () => {
    const { ledger } = await openLedger();
    await ledger.record(call(1));
    await assert.rejects(ledger.record(call(1, { usage: { input_tokens: 1, cached_tokens: 0, output_tokens: 0 } })), isMeteringError('ledger_conflict'));
    await assert.rejects(ledger.record(call(1, { margin: '0.5' })), isMeteringError('ledger_conflict'));
  });

  it('lets the store judge replays it no longer remembers (after a restart), keeping accruals right', async () => {
    const store = await openLedgerStore();
    const agreements = [makeShareAgreement()];
    const first = new Ledger({ store, agreements });
    await first.record(call(1));
    const second = new Ledger({ store, agreements, rememberedEvents: 0 });
    const replay = await second.record(call(1));
    assert.equal(replay.outcome, 'replayed');
    await assert.rejects(second.record(call(1, { usage: { input_tokens: 2000, cached_tokens: 0, output_tokens: 0 } })), isMeteringError('ledger_conflict'));
    // The replay accrued nothing: the next call still gets its full share.
    assert.equal((await second.record(call(2))).transfers.find((t) => t.kind === 'revenue_share')?.amount, 4_000n);
    assert.equal(await accrued(store), 8_000n);
    assert.deepEqual(await verifyStoredLedger(store, agreements), []);
  });

  it('answers a replay of a clamped share with the share stored, from memory and from the store', async () => {
    const store = await openLedgerStore();
    const agreements = [makeShareAgreement()];
    const ledger = new Ledger({ store, agreements });
    const recorded = [];
    for (let n = 1; n <= 4; n += 1) recorded.push(await ledger.record(call(n)));
    assert.deepEqual(recorded.map(shareOf), [4_000n, 4_000n, 2_000n, 0n]);
    const other = new Ledger({ store, agreements, rememberedEvents: 0 });
    for (const replaying of [ledger, other]) {
      const [clamped, nothing] = await Promise.all([replaying.record(call(3)), replaying.record(call(4))]);
      assert.deepEqual([clamped.outcome, nothing.outcome], ['replayed', 'replayed']);
      assert.deepEqual(clamped.transfers, recorded[2]!.transfers);
      assert.deepEqual(nothing.transfers, recorded[3]!.transfers);
    }
    await assert.rejects(other.record(call(3, { margin: '0.5' })), isMeteringError('ledger_conflict'));
    assert.equal(await accrued(store), 10_000n);
    assert.deepEqual(await verifyStoredLedger(store, agreements), []);
  });

  it('commits a duplicate id sent in the same batch once', async () => {
    const { store, ledger } = await openLedger();
    const [a, b] = await Promise.all([ledger.record(call(1)), ledger.record(call(1))]);
    assert.deepEqual([a.outcome, b.outcome], ['committed', 'replayed']);
    assert.equal((await store.listUsageEvents({ limit: 10 })).length, 1);
  });
});

describe('Ledger group commit', () => {
  it('commits concurrent calls together, one commit in flight at a time, each call resolving with its batch', async () => {
    const real = await openLedgerStore();
    const { probe, store } = instrument(real);
    const ledger = new Ledger({ store, agreements: [] });
    let open!: () => void;
    probe.gate = new Promise((resolve) => (open = resolve));
    let firstDone = false;
    const first = ledger.record(call(0)).then((recorded) => {
      firstDone = true;
      return recorded;
    });
    await new Promise((resolve) => setImmediate(resolve));
    const rest = Array.from({ length: 20 }, (_, n) => ledger.record(call(n + 1)));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(firstDone, false, 'resolved before its commit finished');
    assert.equal(probe.commits, 1);
    open();
    await Promise.all([first, ...rest]);
    assert.equal(probe.maxInFlight, 1);
    assert.deepEqual(
      probe.entries.map((batch) => batch.length),
      [1, 20],
    );
    assert.deepEqual(ledger.stats(), { eventsCommitted: 21, batches: 2, largestBatch: 20, failedCommits: 0 });
    assert.equal((await real.listUsageEvents({ limit: 100 })).length, 21);
  });

  it('keeps batches within maxBatch', async () => {
    const { ledger } = await openLedger({ maxBatch: 4 });
    await Promise.all(Array.from({ length: 10 }, (_, n) => ledger.record(call(n))));
    assert.deepEqual(ledger.stats(), { eventsCommitted: 10, batches: 3, largestBatch: 4, failedCommits: 0 });
  });

  it('retries a failed commit and then succeeds', async () => {
    const real = await openLedgerStore();
    const { probe, store } = instrument(real);
    const ledger = new Ledger({ store, agreements: [makeShareAgreement()], retryDelaysMs: [0, 0] });
    probe.failNext = 2;
    const recorded = await Promise.all([ledger.record(call(1)), ledger.record(call(2))]);
    assert.deepEqual(
      recorded.map((r) => r.outcome),
      ['committed', 'committed'],
    );
    assert.equal(ledger.stats().failedCommits, 2);
    assert.deepEqual(await verifyStoredLedger(real, [makeShareAgreement()]), []);
  });

  it('rejects the whole batch when the commit keeps failing, writing nothing of it', async () => {
    const real = await openLedgerStore();
    const { probe, store } = instrument(real);
    const agreements = [makeShareAgreement()];
    const ledger = new Ledger({ store, agreements, retryDelaysMs: [0] });
    await ledger.record(call(1));
    probe.failNext = 2;
    const failed = await Promise.allSettled([ledger.record(call(2)), ledger.record(call(3))]);
    assert.deepEqual(
      failed.map((result) => result.status),
      ['rejected', 'rejected'],
    );
    assert.equal(await accrued(real), 4_000n);
    assert.equal((await real.listUsageEvents({ limit: 10 })).length, 1);
    // The same calls go through once the store works again, with the shares they would have had.
    const retried = await Promise.all([ledger.record(call(2)), ledger.record(call(3)), ledger.record(call(4))]);
    assert.deepEqual(
      retried.map((r) => r.transfers.find((t) => t.kind === 'revenue_share')?.amount ?? 0n),
      [4_000n, 2_000n, 0n],
    );
    assert.deepEqual(await verifyStoredLedger(real, agreements), []);
  });

  it('flush waits for queued calls; close refuses new ones', async () => {
    const { store, ledger } = await openLedger();
    const pending = Array.from({ length: 5 }, (_, n) => ledger.record(call(n)));
    await ledger.close();
    assert.equal((await store.listUsageEvents({ limit: 10 })).length, 5);
    await Promise.all(pending);
    await assert.rejects(ledger.record(call(9)), isMeteringError('ledger_closed'));
  });
});

describe('Ledger on a SQLite file', () => {
  it('commits concurrent calls through the write worker; a reopened store holds them and a new ledger continues the accrual', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'crossway-ledger-'));
    const file = path.join(directory, 'ledger.db');
    const agreements = [makeShareAgreement()];
    try {
      const store = await openSqliteStore(file);
      await store.migrate();
      const ledger = new Ledger({ store, agreements });
      await Promise.all(Array.from({ length: 12 }, (_, n) => ledger.record(call(n))));
      await ledger.close();
      assert.ok(ledger.stats().batches < 12);
      await store.close();

      const reopened = await openSqliteStore(file);
      await reopened.migrate();
      assert.equal((await reopened.listUsageEvents({ limit: 100 })).length, 12);
      assert.deepEqual(await verifyStoredLedger(reopened, agreements), []);
      const next = new Ledger({ store: reopened, agreements });
      assert.deepEqual(
        (await next.record(call(99))).transfers.map((t) => t.kind),
        ['charge', 'cost'],
      );
      await next.close();
      await reopened.close();
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });
});
