import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Store } from '../store/index.ts';
import { InvalidRequestError } from '../wire/index.ts';
import { buildUsageReport } from './build-usage-report.ts';
import { Ledger } from './ledger.ts';
import { makeMeteredCall, openLedgerStore } from './test-ledger-input.ts';

const azure = { id: 'azure-gpt-4o', provider: 'azure' as const, region: 'eastus2', price: { input: 2.5, cached_input: 1.25, output: 10, currency: 'USD' } };
const euro = { id: 'openai-eu', provider: 'openai' as const, region: 'eu', price: { input: 4, output: 20, currency: 'EUR' } };

// Costs: 0.020000 (+25 % = 0.025000), 0.005375, 0.020000, and 0.024000 EUR.
const calls = [
  makeMeteredCall({ id: 'evt_1', tenant: 'acme', key_id: 'key_ci', completed_at: '2026-11-01T10:00:00.000Z', margin: '0.25' }),
  makeMeteredCall({
    id: 'evt_2',
    tenant: 'acme',
    key_id: null,
    model: 'gpt-4o',
    route: azure,
    usage: { input_tokens: 2000, cached_tokens: 500, output_tokens: 100 },
    completed_at: '2026-11-02T00:00:00.000Z',
  }),
  makeMeteredCall({ id: 'evt_3', tenant: 'globex', key_id: 'key_gx', completed_at: '2026-11-30T23:59:59.999Z' }),
  makeMeteredCall({
    id: 'evt_4',
    tenant: 'globex',
    key_id: 'key_gx',
    route: euro,
    usage: { input_tokens: 1000, cached_tokens: 0, output_tokens: 1000 },
    completed_at: '2026-12-01T00:00:00.000Z',
  }),
];

describe('buildUsageReport', () => {
  let store: Store;
  before(async () => {
    store = await openLedgerStore();
    const ledger = new Ledger({ store, agreements: [] });
    await Promise.all(calls.map((call) => ledger.record(call)));
  });

  it('groups by model, sorted by group then currency, with a total per currency', async () => {
    assert.deepEqual(await buildUsageReport(store, { group_by: 'model' }), {
      data: [
        { group: 'gpt-4o', requests: 1, input_tokens: 2000, cached_tokens: 500, output_tokens: 100, cost: '0.005375', charged: '0.005375', currency: 'USD' },
        { group: 'gpt-5.5', requests: 1, input_tokens: 1000, cached_tokens: 0, output_tokens: 1000, cost: '0.024000', charged: '0.024000', currency: 'EUR' },
        { group: 'gpt-5.5', requests: 2, input_tokens: 2000, cached_tokens: 0, output_tokens: 1000, cost: '0.040000', charged: '0.045000', currency: 'USD' },
      ],
      total: { requests: 3, input_tokens: 4000, cached_tokens: 500, output_tokens: 1100, cost: '0.045375', charged: '0.050375', currency: 'USD' },
      totals: [
        { requests: 1, input_tokens: 1000, cached_tokens: 0, output_tokens: 1000, cost: '0.024000', charged: '0.024000', currency: 'EUR' },
        { requests: 3, input_tokens: 4000, cached_tokens: 500, output_tokens: 1100, cost: '0.045375', charged: '0.050375', currency: 'USD' },
      ],
    });
  });

  it('answers one row per currency with group null when not grouped, and no totals for one currency', async () => {
    const report = await buildUsageReport(store, { tenant: 'acme' });
    assert.deepEqual(report.data, [{ group: null, ...report.total }]);
    assert.equal(report.total.charged, '0.030375');
    assert.equal('totals' in report, false);
  });

  const filters: [string, Parameters<typeof buildUsageReport>[1], string[]][] = [
    ['by key, the master key as master', { group_by: 'key' }, ['key_ci USD 1', 'key_gx EUR 1', 'key_gx USD 1', 'master USD 1']],
    ['by day (UTC)', { group_by: 'day' }, ['2026-11-01 USD 1', '2026-11-02 USD 1', '2026-11-30 USD 1', '2026-12-01 EUR 1']],
    ['by provider for one key', { group_by: 'provider', key_id: 'key_gx' }, ['openai EUR 1', 'openai USD 1']],
    ['from inclusive, to exclusive, as dates', { group_by: 'route', from: '2026-11-02', to: '2026-12-01' }, ['azure-gpt-4o USD 1', 'openai-gpt-5.5 USD 1']],
    ['bounds as instants with offsets', { group_by: 'tenant', from: '2026-11-02T01:00:00+01:00', to: '2026-11-30T23:59:59.999Z' }, ['acme USD 1']],
  ];
  for (const [name, query, expected] of filters) {
    it(name, async () => {
      const report = await buildUsageReport(store, query);
      assert.deepEqual(
        report.data.map((row) => `${row.group} ${row.currency} ${row.requests}`),
        expected,
      );
    });
  }

  it('answers an empty report with a zero USD total', async () => {
    assert.deepEqual(await buildUsageReport(store, { tenant: 'nobody', group_by: 'model' }), {
      data: [],
      total: { requests: 0, input_tokens: 0, cached_tokens: 0, output_tokens: 0, cost: '0.000000', charged: '0.000000', currency: 'USD' },
    });
  });

  it('rejects malformed or reversed bounds with a 400 naming the parameter', async () => {
    for (const [query, param] of [
      [{ from: 'last week' }, 'from'],
      [{ to: '2026-11-01T00:00:00' }, 'to'],
      [{ from: '2026-12-01', to: '2026-11-01' }, 'from'],
    ] as const) {
      await assert.rejects(
        buildUsageReport(store, query),
        (error: unknown) => error instanceof InvalidRequestError && error.param === param && error.status === 400,
      );
    }
  });
});
