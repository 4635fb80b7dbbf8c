// The ledger part of the Store contract (usage events, transfers, balances, accruals, sums); run by runStoreTests.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { LedgerCommitResult, LedgerEntry, TransferRecord, UsageEventRecord } from './ledger-records.ts';
import type { Store } from './store.ts';

/** Builds a usage event with defaults for whatever the test does not care about. */
export function makeUsageEvent(overrides: Partial<UsageEventRecord> & Pick<UsageEventRecord, 'id'>): UsageEventRecord {
  return {
    request_id: `req_${overrides.id}`,
    tenant: 'acme',
    key_id: 'key_000000000000000000000001',
    endpoint: 'chat.completions',
    model: 'gpt-5.5',
    route: 'azure-swedencentral-gpt-5.5',
    provider: 'azure',
    region: 'swedencentral',
    input_tokens: 1_000,
    cached_tokens: 100,
    output_tokens: 200,
    reasoning_tokens: 50,
    estimated: false,
    latency_ms: 420,
    status: 200,
    started_at: '2026-11-03T10:00:00.000Z',
    completed_at: '2026-11-03T10:00:01.000Z',
    currency: 'USD',
    cost: 3_000n,
    charged: 3_750n,
    ...overrides,
  };
}

/**
 * Builds an entry with the chart of accounts of src/metering/build-transfers.ts: a charge and a cost transfer, plus
 * one revenue-share transfer per given agreement (the proposed share), capped by `caps` where given.
 */
export function makeLedgerEntry(
  overrides: Partial<UsageEventRecord> & Pick<UsageEventRecord, 'id'>,
  options: { shares?: Record<string, bigint>; caps?: Record<string, bigint> } = {},
): LedgerEntry {
  const event = makeUsageEvent(overrides);
  const transfer = (kind: TransferRecord['kind'], debit: string, credit: string, amount: bigint, agreement: string | null = null): TransferRecord => ({
    id: agreement === null ? `${event.id}:${kind}` : `${event.id}:${kind}:${agreement}`,
    event_id: event.id,
    debit,
    credit,
    amount,
    currency: event.currency,
    kind,
    agreement_id: agreement,
    created_at: event.completed_at,
  });
  const transfers = [
    transfer('charge', `tenant:${event.tenant}:receivable`, 'revenue', event.charged),
    transfer('cost', 'cost_of_revenue', `provider:${event.provider}:payable`, event.cost),
    ...Object.entries(options.shares ?? {}).map(([agreement, amount]) =>
      transfer('revenue_share', `agreement:${agreement}:share_expense`, `agreement:${agreement}:share_payable`, amount, agreement),
    ),
  ];
  return options.caps === undefined ? { event, transfers } : { event, transfers, share_caps: options.caps };
}

/** The balances the transfers imply: debits add, credits subtract. */
function sumBalances(entries: readonly LedgerEntry[]): Map<string, bigint> {
  const balances = new Map<string, bigint>();
  const add = (key: string, amount: bigint) => balances.set(key, (balances.get(key) ?? 0n) + amount);
  for (const { transfers } of entries) {
    for (const transfer of transfers) {
      add(`${transfer.debit}|${transfer.currency}`, transfer.amount);
      add(`${transfer.credit}|${transfer.currency}`, -transfer.amount);
    }
  }
  return balances;
}

export function runLedgerStoreTests(open: () => Promise<Store>): void {
  let store: Store;
  beforeEach(async () => {
    store = await open();
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
  });

  /** Commits the entries; resolves with their outcomes alone. */
  const commitOutcomes = async (entries: readonly LedgerEntry[]) => (await store.commitLedger(entries)).map((result) => result.outcome);
  const snapshot = async () => ({
    events: await store.listUsageEvents({ limit: 1_000 }),
    transfers: await store.listTransfers({ limit: 1_000 }),
    balances: await store.listAccountBalances(),
    accruals: await store.listAgreementAccruals(),
  });

  describe('commitLedger', () => {
    it("bounds a usage event's names (the model above all) to 256 characters", async () => {
      const entry = makeLedgerEntry({ id: 'evt_long', model: `gpt-${'x'.repeat(100_000)}` });
      assert.deepEqual(await commitOutcomes([entry]), ['committed']);
      const [event] = await store.listUsageEvents({ limit: 1 });
      assert.equal(event?.model.length, 256);
      assert.ok(event?.model.endsWith('…'));
      // A replay of the same entry is still recognised as one.
      assert.deepEqual(await commitOutcomes([entry]), ['replayed']);
    });

    it('commits an entry, then replays it unchanged, and refuses other amounts, writing nothing either time', async () => {
      const entry = makeLedgerEntry({ id: 'evt_1' }, { shares: { 'msft-oai': 600n } });
      assert.deepEqual(await commitOutcomes([entry]), ['committed']);
      assert.deepEqual(await store.listUsageEvents({ limit: 10 }), [entry.event]);
      assert.deepEqual(
        await store.listTransfers({ limit: 10 }),
        entry.transfers.toSorted((a, b) => (a.id < b.id ? -1 : 1)),
      );
      const committed = await snapshot();

      assert.deepEqual(await commitOutcomes([structuredClone(entry)]), ['replayed']);
      // Transfers in another order are the same set; other token counts or latency do not make a conflict.
      const reordered = { ...entry, event: { ...entry.event, latency_ms: 999, output_tokens: 1 }, transfers: entry.transfers.toReversed() };
      assert.deepEqual(await commitOutcomes([reordered]), ['replayed']);

      const otherCost = makeLedgerEntry({ id: 'evt_1', cost: 3_001n }, { shares: { 'msft-oai': 600n } });
      const otherShare = makeLedgerEntry({ id: 'evt_1' }, { shares: { 'msft-oai': 601n } });
      const missingShare = makeLedgerEntry({ id: 'evt_1' });
      const otherCurrency = makeLedgerEntry({ id: 'evt_1', currency: 'EUR' }, { shares: { 'msft-oai': 600n } });
      const otherAccount = { ...entry, transfers: entry.transfers.map((t) => (t.kind === 'cost' ? { ...t, credit: 'provider:bedrock:payable' } : t)) };
      assert.deepEqual(await commitOutcomes([otherCost, otherShare, missingShare, otherCurrency, otherAccount]), [
        'conflict',
        'conflict',
        'conflict',
        'conflict',
        'conflict',
      ]);
      assert.deepEqual(await snapshot(), committed);
    });

    it('answers per entry inside one batch, a repeated id within it included', async () => {
      const first = makeLedgerEntry({ id: 'evt_a' });
      assert.deepEqual(await commitOutcomes([first]), ['committed']);
      const outcomes = await commitOutcomes([
        makeLedgerEntry({ id: 'evt_b' }),
        first,
        makeLedgerEntry({ id: 'evt_a', charged: 1n }),
        makeLedgerEntry({ id: 'evt_c' }),
        makeLedgerEntry({ id: 'evt_c' }),
        makeLedgerEntry({ id: 'evt_c', cost: 1n }),
      ]);
      assert.deepEqual(outcomes, ['committed', 'replayed', 'conflict', 'committed', 'replayed', 'conflict']);
      assert.deepEqual(
        (await store.listUsageEvents({ limit: 10 })).map((event) => event.id),
        ['evt_a', 'evt_b', 'evt_c'],
      );
      assert.equal((await store.listTransfers({ limit: 100 })).length, 6);
      assert.deepEqual(await commitOutcomes([]), []);
    });

    it('keeps every balance equal to the sum of its transfers (debits positive, credits negative)', async () => {
      const entries = [
        makeLedgerEntry({ id: 'evt_1', tenant: 'acme', provider: 'azure', cost: 1_000n, charged: 1_250n }, { shares: { a1: 200n } }),
        makeLedgerEntry({ id: 'evt_2', tenant: 'acme', provider: 'bedrock', cost: 2_000n, charged: 2_000n }),
        makeLedgerEntry({ id: 'evt_3', tenant: 'globex', provider: 'azure', cost: 500n, charged: 700n, currency: 'EUR' }, { shares: { a1: 100n } }),
      ];
      await store.commitLedger(entries.slice(0, 2));
      await store.commitLedger(entries.slice(2));
      await store.commitLedger(entries); // all replays: nothing moves
      const expected = [...sumBalances(entries)].map(([key, balance]) => {
        const [account = '', currency = ''] = key.split('|');
        return { account, currency, balance };
      });
      const byKey = (a: { account: string; currency: string }, b: { account: string; currency: string }) =>
        a.account === b.account ? a.currency.localeCompare(b.currency) : a.account < b.account ? -1 : 1;
      assert.deepEqual(await store.listAccountBalances(), expected.sort(byKey));
      const balance = (account: string, currency = 'USD') => expected.find((row) => row.account === account && row.currency === currency)?.balance;
      assert.equal(balance('tenant:acme:receivable'), 3_250n);
      assert.equal(balance('revenue'), -3_250n);
      assert.equal(balance('provider:azure:payable', 'EUR'), -500n);
      // Double entry: every currency sums to zero.
      for (const currency of ['USD', 'EUR']) {
        const total = (await store.listAccountBalances()).filter((row) => row.currency === currency).reduce((sum, row) => sum + row.balance, 0n);
        assert.equal(total, 0n);
      }
    });

    it('accrues uncapped revenue shares per agreement and currency, as proposed', async () => {
      await store.commitLedger([
        makeLedgerEntry({ id: 'evt_1', completed_at: '2026-11-01T00:00:00.000Z' }, { shares: { a1: 100n, a2: 7n } }),
        makeLedgerEntry({ id: 'evt_2', completed_at: '2026-11-02T00:00:00.000Z', currency: 'EUR' }, { shares: { a1: 40n } }),
      ]);
      const results = await store.commitLedger([makeLedgerEntry({ id: 'evt_3' }, { shares: { a1: 50n } })]);
      assert.deepEqual(results, [{ outcome: 'committed', transfers: makeLedgerEntry({ id: 'evt_3' }, { shares: { a1: 50n } }).transfers }]);
      // A conflicting replay writes no share.
      await store.commitLedger([makeLedgerEntry({ id: 'evt_1', cost: 1n }, { shares: { a2: 1n } })]);
      assert.deepEqual(await store.listAgreementAccruals(), [
        { agreement_id: 'a1', currency: 'EUR', accrued: 40n, cap_reached_at: null },
        { agreement_id: 'a1', currency: 'USD', accrued: 150n, cap_reached_at: null },
        { agreement_id: 'a2', currency: 'USD', accrued: 7n, cap_reached_at: null },
      ]);
    });

    it('posts a capped share as what is left under the cap, dates the cap once, and leaves out a share nothing is left of', async () => {
      const at = (day: string) => `2026-11-${day}T00:00:00.000Z`;
      const capped = (id: string, day: string, share: bigint, cap = 1_000n, currency = 'USD') =>
        makeLedgerEntry({ id, completed_at: at(day), currency }, { shares: { a1: share }, caps: { a1: cap } });
      const share = (result: LedgerCommitResult | undefined) => result?.transfers.find((transfer) => transfer.kind === 'revenue_share')?.amount;

      const first = await store.commitLedger([capped('evt_1', '01', 600n)]);
      assert.equal(share(first[0]), 600n);
      // One batch crossing the cap: the first entry gets what is left, the next one nothing; another currency is apart.
      const crossing = await store.commitLedger([capped('evt_2', '02', 600n), capped('evt_3', '03', 600n), capped('evt_4', '03', 600n, 1_000n, 'EUR')]);
      assert.deepEqual(
        crossing.map((result) => [result.outcome, share(result)]),
        [
          ['committed', 400n],
          ['committed', undefined],
          ['committed', 600n],
        ],
      );
      assert.deepEqual(
        crossing[1]?.transfers.map((transfer) => transfer.kind),
        ['charge', 'cost'],
      );
      const written = await store.listTransfers({ limit: 100 });
      assert.deepEqual(
        written.filter((transfer) => transfer.kind === 'revenue_share').map((transfer) => [transfer.id, transfer.amount]),
        [
          ['evt_1:revenue_share:a1', 600n],
          ['evt_2:revenue_share:a1', 400n],
          ['evt_4:revenue_share:a1', 600n],
        ],
      );
      assert.deepEqual(
        written.filter((transfer) => transfer.event_id === 'evt_2'),
        crossing[0]?.transfers.toSorted((a, b) => (a.id < b.id ? -1 : 1)),
      );
      // A cap raised later (in the catalog) lets shares accrue again up to it; the date the first cap was reached stays.
      assert.equal(share((await store.commitLedger([capped('evt_5', '05', 600n, 1_500n)]))[0]), 500n);
      assert.equal(share((await store.commitLedger([capped('evt_6', '06', 600n, 1_500n)]))[0]), undefined);
      assert.deepEqual(await store.listAgreementAccruals(), [
        { agreement_id: 'a1', currency: 'EUR', accrued: 600n, cap_reached_at: null },
        { agreement_id: 'a1', currency: 'USD', accrued: 1_500n, cap_reached_at: at('02') },
      ]);
      const balances = await store.listAccountBalances();
      assert.deepEqual(
        balances.filter((row) => row.account === 'agreement:a1:share_expense').map((row) => [row.currency, row.balance]),
        [
          ['EUR', 600n],
          ['USD', 1_500n],
        ],
      );
    });

    it('judges a replay of a clamped entry a replay, answering the transfers stored, and anything else a conflict', async () => {
      const capped = (id: string, share: bigint, cap = 1_000n) => makeLedgerEntry({ id }, { shares: { a1: share }, caps: { a1: cap } });
      await store.commitLedger([capped('evt_1', 700n), capped('evt_2', 700n), capped('evt_3', 700n)]);
      const committed = await snapshot();
      const stored = (id: string) => committed.transfers.filter((transfer) => transfer.event_id === id);

      // Replayed by a writer that knows nothing of the accrual: it proposes the whole share again.
      const replays = await store.commitLedger([capped('evt_1', 700n), capped('evt_2', 700n), capped('evt_3', 700n)]);
      assert.deepEqual(
        replays.map((result) => result.outcome),
        ['replayed', 'replayed', 'replayed'],
      );
      for (const [index, id] of ['evt_1', 'evt_2', 'evt_3'].entries()) {
        assert.deepEqual(
          replays[index]?.transfers.toSorted((a, b) => (a.id < b.id ? -1 : 1)),
          stored(id),
        );
      }
      assert.equal(replays[1]?.transfers.find((transfer) => transfer.kind === 'revenue_share')?.amount, 300n);
      // A replay with another cap is the same event: the cap decided the amount once, when it was first committed.
      assert.deepEqual(await commitOutcomes([capped('evt_2', 700n, 5_000n)]), ['replayed']);
      // A proposal below what was stored, a share without its cap (stored clamped, or stored as nothing), other accounts.
      const otherAccount = { ...capped('evt_2', 700n), transfers: capped('evt_2', 700n).transfers.map((t) => ({ ...t, debit: `${t.debit}:x` })) };
      assert.deepEqual(await commitOutcomes([capped('evt_2', 299n), makeLedgerEntry({ id: 'evt_2' }, { shares: { a1: 700n } })]), ['conflict', 'conflict']);
      assert.deepEqual(await commitOutcomes([makeLedgerEntry({ id: 'evt_3' }, { shares: { a1: 700n } }), otherAccount]), ['conflict', 'conflict']);
      assert.deepEqual(await snapshot(), committed);
      // A repeated id within one batch is judged against the entry the batch wrote.
      const other = (share: bigint) => makeLedgerEntry({ id: 'evt_9' }, { shares: { a2: share }, caps: { a2: 1_000n } });
      assert.deepEqual(await commitOutcomes([other(700n), other(700n), other(100n)]), ['committed', 'replayed', 'conflict']);
    });

    it('writes no capped share of zero, and says so', async () => {
      const zero = makeLedgerEntry({ id: 'evt_zero' }, { shares: { a1: 0n }, caps: { a1: 1_000n } });
      const [committed] = await store.commitLedger([zero]);
      assert.deepEqual(
        committed?.transfers.map((transfer) => transfer.kind),
        ['charge', 'cost'],
      );
      const [replayed] = await store.commitLedger([zero]);
      assert.deepEqual([replayed?.outcome, replayed?.transfers], ['replayed', committed?.transfers]);
      assert.equal((await store.listTransfers({ limit: 10 })).length, 2);
    });

    it('splits a cap exactly between concurrent commits (on a backend with several connections, at the same time)', async () => {
      const cap = 10_000n;
      const commits = Array.from({ length: 12 }, (_, commit) =>
        store.commitLedger(
          Array.from({ length: 4 }, (_, index) =>
            makeLedgerEntry(
              { id: `evt_${commit}_${index}`, completed_at: `2026-11-01T00:00:${String(commit).padStart(2, '0')}.00${index}Z` },
              { shares: { a1: 333n, a2: 250n }, caps: { a1: cap } },
            ),
          ),
        ),
      );
      const results = (await Promise.all(commits)).flat();
      assert.ok(results.every((result) => result.outcome === 'committed'));
      const posted = (agreement: string) =>
        results.flatMap((result) => result.transfers).reduce((sum, t) => (t.agreement_id === agreement ? sum + t.amount : sum), 0n);
      // 48 × 333 = 15 984 proposed against a cap of 10 000; the uncapped agreement gets every share.
      assert.equal(posted('a1'), cap);
      assert.equal(posted('a2'), 48n * 250n);
      const stored = await store.sumTransfers({ kind: 'revenue_share', agreement_id: 'a1' });
      assert.deepEqual(stored, [{ currency: 'USD', amount: cap }]);
      const [a1, a2] = await store.listAgreementAccruals();
      assert.equal(a1?.accrued, cap);
      assert.equal(a2?.accrued, 48n * 250n);
      // The date is that of the one event whose share reached the cap: the single share of a1 below 333.
      const crossing = results.flatMap((result) => result.transfers).filter((t) => t.agreement_id === 'a1' && t.amount !== 333n);
      assert.equal(crossing.length, 1);
      assert.equal(a1?.cap_reached_at, crossing[0]?.created_at);
      assert.equal(a2?.cap_reached_at, null);
    });

    it('commits each event once when two commits carry the same new events at once, in opposite orders', async () => {
      const entries = Array.from({ length: 30 }, (_, index) => makeLedgerEntry({ id: `evt_${String(index).padStart(2, '0')}` }, { shares: { a1: 7n } }));
      const [forward, backward] = await Promise.all([store.commitLedger(entries), store.commitLedger(entries.toReversed())]);
      const outcomes = new Map<string, string[]>();
      const record = (batch: readonly LedgerEntry[], results: readonly LedgerCommitResult[]) => {
        for (const [index, result] of results.entries()) {
          const id = batch[index]!.event.id;
          outcomes.set(id, [...(outcomes.get(id) ?? []), result.outcome]);
        }
      };
      record(entries, forward);
      record(entries.toReversed(), backward);
      for (const [id, pair] of outcomes) assert.deepEqual(pair.toSorted(), ['committed', 'replayed'], id);
      assert.equal((await store.listUsageEvents({ limit: 100 })).length, 30);
      assert.deepEqual(await store.listAgreementAccruals(), [{ agreement_id: 'a1', currency: 'USD', accrued: 210n, cap_reached_at: null }]);
      assert.equal((await store.listAccountBalances()).find((row) => row.account === 'revenue')?.balance, -30n * 3_750n);
    });

    it('round-trips amounts far above 2^32 (and 2^53) exactly, in rows, balances and sums', async () => {
      const big = 2n ** 60n + 12_345n; // 1.15 trillion USD in micro-units: no double holds it exactly
      const entry = makeLedgerEntry({ id: 'evt_big', cost: 2n ** 32n + 1n, charged: big }, { shares: { a1: 2n ** 40n + 3n } });
      await store.commitLedger([entry]);
      const [event] = await store.listUsageEvents({ limit: 1 });
      assert.equal(event?.cost, 2n ** 32n + 1n);
      assert.equal(event?.charged, big);
      assert.deepEqual(await store.findUsageEventsByRequest(entry.event.request_id), [entry.event]);
      assert.equal((await store.listTransfers({ limit: 10 })).find((t) => t.kind === 'charge')?.amount, big);
      assert.equal((await store.listAccountBalances()).find((row) => row.account === 'revenue')?.balance, -big);
      assert.equal((await store.listAgreementAccruals())[0]?.accrued, 2n ** 40n + 3n);
      assert.equal((await store.sumUsage({}))[0]?.charged, big);
      assert.deepEqual(await store.sumTransfers({ kind: 'charge' }), [{ currency: 'USD', amount: big }]);
      assert.deepEqual(await commitOutcomes([entry]), ['replayed']);
      assert.deepEqual(
        await commitOutcomes([makeLedgerEntry({ id: 'evt_big', cost: 2n ** 32n + 1n, charged: big + 1n }, { shares: { a1: 2n ** 40n + 3n } })]),
        ['conflict'],
      );
      // A capped accrual is read back exactly too: what is left under a cap of 2^61 + 5 after 2^61 is 5.
      const capped = (id: string) => makeLedgerEntry({ id }, { shares: { a2: 2n ** 60n }, caps: { a2: 2n ** 61n + 5n } });
      await store.commitLedger([capped('evt_big_1'), capped('evt_big_2')]);
      const [result] = await store.commitLedger([capped('evt_big_3')]);
      assert.equal(result?.transfers.find((t) => t.kind === 'revenue_share')?.amount, 5n);
      assert.equal((await store.listAgreementAccruals())[1]?.accrued, 2n ** 61n + 5n);
    });

    it('keeps estimated, a null key and a fractional latency (rounded)', async () => {
      const entry = makeLedgerEntry({ id: 'evt_est', estimated: true, key_id: null, latency_ms: 12.6, status: 499 });
      await store.commitLedger([entry]);
      assert.deepEqual(await store.listUsageEvents({ limit: 1 }), [{ ...entry.event, latency_ms: 13 }]);
    });
  });

  describe('ledger listings', () => {
    it('pages events and transfers in id order with `after`', async () => {
      const ids = ['evt_04', 'evt_01', 'evt_03', 'evt_05', 'evt_02'];
      await store.commitLedger(ids.map((id) => makeLedgerEntry({ id })));
      const pages: string[][] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.listUsageEvents(after === undefined ? { limit: 2 } : { limit: 2, after });
        if (page.length === 0) break;
        pages.push(page.map((event) => event.id));
        after = page.at(-1)?.id;
      }
      assert.deepEqual(pages, [['evt_01', 'evt_02'], ['evt_03', 'evt_04'], ['evt_05']]);

      const transfers = await store.listTransfers({ limit: 3, after: 'evt_02:charge' });
      assert.deepEqual(
        transfers.map((t) => t.id),
        ['evt_02:cost', 'evt_03:charge', 'evt_03:cost'],
      );
      assert.deepEqual(await store.listTransfers({ limit: 10, after: 'evt_05:cost' }), []);
    });

    it('finds the events of a request id', async () => {
      await store.commitLedger([
        makeLedgerEntry({ id: 'evt_1', request_id: 'req_a' }),
        makeLedgerEntry({ id: 'evt_2', request_id: 'req_b' }),
        makeLedgerEntry({ id: 'evt_3', request_id: 'req_a' }),
      ]);
      assert.deepEqual(
        (await store.findUsageEventsByRequest('req_a')).map((event) => event.id),
        ['evt_1', 'evt_3'],
      );
      assert.deepEqual(await store.findUsageEventsByRequest('req_unknown'), []);
    });
  });

  describe('sumUsage', () => {
    beforeEach(async () => {
      const at = (day: string) => `2026-11-${day}T12:00:00.000Z`;
      await store.commitLedger([
        makeLedgerEntry({ id: 'evt_1', completed_at: at('01'), model: 'gpt-5.5', route: 'azure-se', provider: 'azure', cost: 100n, charged: 125n }),
        makeLedgerEntry({
          id: 'evt_2',
          completed_at: at('01'),
          model: 'gpt-5.5',
          route: 'bedrock-us',
          provider: 'bedrock',
          cost: 200n,
          charged: 250n,
          input_tokens: 10,
        }),
        makeLedgerEntry({
          id: 'evt_3',
          completed_at: at('02'),
          model: 'gpt-4.1',
          route: 'azure-se',
          provider: 'azure',
          key_id: null,
          cost: 300n,
          charged: 300n,
        }),
        makeLedgerEntry({
          id: 'evt_4',
          completed_at: at('02'),
          tenant: 'globex',
          key_id: 'key_g',
          model: 'gpt-5.5',
          route: 'vertex-eu',
          provider: 'vertex',
          cost: 400n,
          charged: 500n,
        }),
        makeLedgerEntry({
          id: 'evt_5',
          completed_at: at('03'),
          currency: 'EUR',
          model: 'gpt-5.5',
          route: 'azure-se',
          provider: 'azure',
          cost: 50n,
          charged: 60n,
        }),
      ]);
    });

    const totals = (requests: number, cost: bigint, charged: bigint) => ({ requests, cost, charged });
    const pick = (rows: Awaited<ReturnType<Store['sumUsage']>>) =>
      rows.map(({ group, currency, requests, cost, charged }) => ({ group, currency, ...totals(requests, cost, charged) }));

    it('sums everything per currency when not grouped, tokens included', async () => {
      const rows = await store.sumUsage({});
      assert.deepEqual(rows, [
        {
          group: null,
          currency: 'EUR',
          requests: 1,
          input_tokens: 1_000,
          cached_tokens: 100,
          output_tokens: 200,
          reasoning_tokens: 50,
          cost: 50n,
          charged: 60n,
        },
        {
          group: null,
          currency: 'USD',
          requests: 4,
          input_tokens: 3_010,
          cached_tokens: 400,
          output_tokens: 800,
          reasoning_tokens: 200,
          cost: 1_000n,
          charged: 1_175n,
        },
      ]);
    });

    it('groups by each dimension, one row per (group, currency)', async () => {
      assert.deepEqual(pick(await store.sumUsage({}, 'model')), [
        { group: 'gpt-4.1', currency: 'USD', ...totals(1, 300n, 300n) },
        { group: 'gpt-5.5', currency: 'EUR', ...totals(1, 50n, 60n) },
        { group: 'gpt-5.5', currency: 'USD', ...totals(3, 700n, 875n) },
      ]);
      assert.deepEqual(pick(await store.sumUsage({}, 'route')), [
        { group: 'azure-se', currency: 'EUR', ...totals(1, 50n, 60n) },
        { group: 'azure-se', currency: 'USD', ...totals(2, 400n, 425n) },
        { group: 'bedrock-us', currency: 'USD', ...totals(1, 200n, 250n) },
        { group: 'vertex-eu', currency: 'USD', ...totals(1, 400n, 500n) },
      ]);
      assert.deepEqual(pick(await store.sumUsage({ tenant: 'acme' }, 'provider')), [
        { group: 'azure', currency: 'EUR', ...totals(1, 50n, 60n) },
        { group: 'azure', currency: 'USD', ...totals(2, 400n, 425n) },
        { group: 'bedrock', currency: 'USD', ...totals(1, 200n, 250n) },
      ]);
      assert.deepEqual(pick(await store.sumUsage({}, 'key')), [
        { group: 'key_000000000000000000000001', currency: 'EUR', ...totals(1, 50n, 60n) },
        { group: 'key_000000000000000000000001', currency: 'USD', ...totals(2, 300n, 375n) },
        { group: 'key_g', currency: 'USD', ...totals(1, 400n, 500n) },
        { group: 'master', currency: 'USD', ...totals(1, 300n, 300n) },
      ]);
      assert.deepEqual(pick(await store.sumUsage({}, 'day')), [
        { group: '2026-11-01', currency: 'USD', ...totals(2, 300n, 375n) },
        { group: '2026-11-02', currency: 'USD', ...totals(2, 700n, 800n) },
        { group: '2026-11-03', currency: 'EUR', ...totals(1, 50n, 60n) },
      ]);
      assert.deepEqual(pick(await store.sumUsage({}, 'tenant')), [
        { group: 'acme', currency: 'EUR', ...totals(1, 50n, 60n) },
        { group: 'acme', currency: 'USD', ...totals(3, 600n, 675n) },
        { group: 'globex', currency: 'USD', ...totals(1, 400n, 500n) },
      ]);
    });

    it('filters by tenant, key, time (from inclusive, to exclusive), providers and models', async () => {
      const sumUsd = async (filter: Parameters<Store['sumUsage']>[0]) =>
        (await store.sumUsage(filter)).filter((row) => row.currency === 'USD').map((row) => [row.requests, row.cost]);
      assert.deepEqual(await sumUsd({ tenant: 'globex' }), [[1, 400n]]);
      assert.deepEqual(await sumUsd({ key_id: 'key_000000000000000000000001' }), [[2, 300n]]);
      assert.deepEqual(await sumUsd({ from: '2026-11-02T12:00:00.000Z' }), [[2, 700n]]);
      assert.deepEqual(await sumUsd({ to: '2026-11-02T12:00:00.000Z' }), [[2, 300n]]);
      assert.deepEqual(await sumUsd({ from: '2026-11-01T12:00:00.000Z', to: '2026-11-01T12:00:00.001Z' }), [[2, 300n]]);
      assert.deepEqual(await sumUsd({ providers: ['azure', 'vertex'] }), [[3, 800n]]);
      assert.deepEqual(await sumUsd({ models: ['gpt-4.1'] }), [[1, 300n]]);
      assert.deepEqual(await sumUsd({ tenant: 'acme', providers: ['azure'], models: ['gpt-5.5'] }), [[1, 100n]]);
      assert.deepEqual(await store.sumUsage({ providers: [] }), []);
      assert.deepEqual(await store.sumUsage({ models: [] }, 'model'), []);
      assert.deepEqual(await store.sumUsage({ tenant: 'nobody' }, 'day'), []);
    });
  });

  describe('sumTransfers', () => {
    it('sums by kind, agreement and time, per currency', async () => {
      await store.commitLedger([
        makeLedgerEntry({ id: 'evt_1', completed_at: '2026-10-31T23:59:59.999Z', cost: 10n, charged: 11n }, { shares: { a1: 1n } }),
        makeLedgerEntry({ id: 'evt_2', completed_at: '2026-11-01T00:00:00.000Z', cost: 20n, charged: 22n }, { shares: { a1: 2n, a2: 4n } }),
        makeLedgerEntry({ id: 'evt_3', completed_at: '2026-11-30T00:00:00.000Z', cost: 30n, charged: 33n, currency: 'EUR' }, { shares: { a1: 3n } }),
        makeLedgerEntry({ id: 'evt_4', completed_at: '2026-12-01T00:00:00.000Z', cost: 40n, charged: 44n }, { shares: { a1: 8n } }),
      ]);
      assert.deepEqual(await store.sumTransfers({}), [
        { currency: 'EUR', amount: 66n },
        { currency: 'USD', amount: 10n + 11n + 1n + 20n + 22n + 2n + 4n + 40n + 44n + 8n },
      ]);
      assert.deepEqual(await store.sumTransfers({ kind: 'cost' }), [
        { currency: 'EUR', amount: 30n },
        { currency: 'USD', amount: 70n },
      ]);
      const november = { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' };
      assert.deepEqual(await store.sumTransfers({ kind: 'revenue_share', agreement_id: 'a1', ...november }), [
        { currency: 'EUR', amount: 3n },
        { currency: 'USD', amount: 2n },
      ]);
      assert.deepEqual(await store.sumTransfers({ agreement_id: 'a2' }), [{ currency: 'USD', amount: 4n }]);
      assert.deepEqual(await store.sumTransfers({ kind: 'charge', from: '2026-12-01T00:00:00.000Z' }), [{ currency: 'USD', amount: 44n }]);
      assert.deepEqual(await store.sumTransfers({ agreement_id: 'unknown' }), []);
    });
  });
}
