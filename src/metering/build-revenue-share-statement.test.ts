import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Store } from '../store/index.ts';
import { InvalidRequestError } from '../wire/index.ts';
import {
  buildRevenueShareStatement,
  formatStatementCsv,
  neutralizeCsvFormula,
  resolveStatementPeriod,
  type RevenueShareStatement,
} from './build-revenue-share-statement.ts';
import { Ledger } from './ledger.ts';
import { makeMeteredCall, makeShareAgreement, openLedgerStore } from './test-ledger-input.ts';

// Cap 0.010000 at 20 %: an in-scope call charged 0.020000 owes 0.004000; Azure traffic is outside the scope.
const agreement = makeShareAgreement();
const azure = { id: 'azure-gpt', provider: 'azure' as const, region: 'eastus2', price: { input: 5, cached_input: 0.5, output: 30, currency: 'USD' } };
const calls = [
  makeMeteredCall({ id: 'evt_1', completed_at: '2026-10-31T23:59:59.999Z' }),
  makeMeteredCall({ id: 'evt_2', completed_at: '2026-11-01T00:00:00.000Z', margin: '0.25' }),
  makeMeteredCall({ id: 'evt_3', completed_at: '2026-11-15T08:00:00.000Z', route: azure }),
  makeMeteredCall({ id: 'evt_4', completed_at: '2026-11-20T12:00:00.000Z' }),
  makeMeteredCall({ id: 'evt_5', completed_at: '2026-12-02T00:00:00.000Z' }),
];

describe('buildRevenueShareStatement', () => {
  let store: Store;
  before(async () => {
    store = await openLedgerStore();
    const ledger = new Ledger({ store, agreements: [agreement] });
    for (const call of calls) await ledger.record(call);
  });

  it('states a month: scoped revenue and cost, the share of the month and to date, the cap and when it was reached', async () => {
    // evt_1 owed 0.004000, evt_2 (charged 0.025000 with a 25 % margin) 0.005000, evt_4 only the 0.001000 left: the cap is reached on 2026-11-20.
    assert.deepEqual(await buildRevenueShareStatement(store, agreement, '2026-11'), {
      object: 'ledger.statement',
      agreement: 'msft-openai',
      payer: 'openai',
      payee: 'microsoft',
      rate: 0.2,
      period: { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' },
      currency: 'USD',
      events: 2,
      revenue: '0.045000',
      cost: '0.040000',
      margin: '0.005000',
      share_accrued: '0.006000',
      share_accrued_to_date: '0.010000',
      cap: '0.010000',
      cap_remaining: '0.000000',
      cap_reached_at: '2026-11-20T12:00:00.000Z',
    } satisfies RevenueShareStatement);
  });

  it('speaks as of the period end: a cap reached later is not reached yet', async () => {
    const statement = await buildRevenueShareStatement(store, agreement, '2026-10');
    assert.deepEqual(
      [statement.events, statement.share_accrued, statement.share_accrued_to_date, statement.cap_remaining, statement.cap_reached_at],
      [1, '0.004000', '0.004000', '0.006000', null],
    );
  });

  it('states one day, and explicit bounds', async () => {
    const day = await buildRevenueShareStatement(store, agreement, '2026-11-01');
    assert.deepEqual([day.period, day.events, day.share_accrued], [{ from: '2026-11-01T00:00:00.000Z', to: '2026-11-02T00:00:00.000Z' }, 1, '0.005000']);
    const span = await buildRevenueShareStatement(store, agreement, { from: '2026-11-15', to: '2026-12-31T00:00:00Z' });
    assert.deepEqual([span.events, span.revenue, span.share_accrued], [2, '0.040000', '0.001000']);
  });

  it('leaves the cap figures null for an uncapped share, in USD', async () => {
    const uncapped = makeShareAgreement({ cap: undefined });
    const statement = await buildRevenueShareStatement(store, uncapped, '2026-11');
    assert.deepEqual([statement.currency, statement.cap, statement.cap_remaining, statement.cap_reached_at], ['USD', null, null, null]);
  });

  it('counts every provider under scope all and only listed models when the agreement names some', async () => {
    const all = await buildRevenueShareStatement(store, makeShareAgreement({ scope: 'all' }), '2026-11');
    assert.equal(all.events, 3);
    const otherModel = await buildRevenueShareStatement(store, { ...agreement, models: ['gpt-4o'] }, '2026-11');
    assert.equal(otherModel.events, 0);
  });

  it('refuses an agreement without a revenue share and a malformed period', async () => {
    await assert.rejects(
      buildRevenueShareStatement(store, { id: 'plain' }, '2026-11'),
      (error: unknown) => error instanceof InvalidRequestError && error.code === 'no_revenue_share',
    );
    for (const period of ['2026-13', '2026-02-30', 'November', '2026-1']) {
      await assert.rejects(
        buildRevenueShareStatement(store, agreement, period),
        (error: unknown) => error instanceof InvalidRequestError && error.param === 'period',
      );
    }
  });
});

describe('resolveStatementPeriod', () => {
  const cases: [string, Parameters<typeof resolveStatementPeriod>[0], { from: string; to: string }][] = [
    ['December rolls into the next year', '2026-12', { from: '2026-12-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' }],
    ['a leap day', '2028-02-29', { from: '2028-02-29T00:00:00.000Z', to: '2028-03-01T00:00:00.000Z' }],
    ['bounds with offsets', { from: '2026-11-01T01:00:00+01:00', to: '2026-11-02' }, { from: '2026-11-01T00:00:00.000Z', to: '2026-11-02T00:00:00.000Z' }],
  ];
  for (const [name, period, expected] of cases) it(name, () => assert.deepEqual(resolveStatementPeriod(period), expected));
  it('refuses empty or reversed bounds', () => {
    assert.throws(() => resolveStatementPeriod({ from: '2026-11-02', to: '2026-11-02' }), InvalidRequestError);
    assert.throws(() => resolveStatementPeriod('2029-02-29'), InvalidRequestError);
  });
});

describe('formatStatementCsv', () => {
  const statement: RevenueShareStatement = {
    object: 'ledger.statement',
    agreement: 'a,"b"',
    payer: 'openai',
    payee: 'microsoft',
    rate: 0.2,
    period: { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' },
    currency: 'USD',
    events: 2,
    revenue: '0.050000',
    cost: '0.040000',
    margin: '0.010000',
    share_accrued: '0.008000',
    share_accrued_to_date: '0.010000',
    cap: null,
    cap_remaining: null,
    cap_reached_at: null,
  };
  it('writes a header and one row with CRLF, quoting what needs quoting and leaving nulls empty', () => {
    assert.equal(
      formatStatementCsv(statement),
      'agreement,payer,payee,rate,period_from,period_to,currency,events,revenue,cost,margin,' +
        'share_accrued,share_accrued_to_date,cap,cap_remaining,cap_reached_at\r\n' +
        '"a,""b""",openai,microsoft,0.2,2026-11-01T00:00:00.000Z,2026-12-01T00:00:00.000Z,USD,2,0.050000,0.040000,0.010000,0.008000,0.010000,,,\r\n',
    );
  });

  it('writes no cell a spreadsheet would run as a formula, and keeps a negative amount a number', () => {
    const csv = formatStatementCsv({ ...statement, agreement: '=HYPERLINK("http://x","y")', payer: '+1', payee: '@sum', margin: '-0.010000' });
    const [, row] = csv.split('\r\n');
    assert.ok(row?.startsWith(`"'=HYPERLINK(""http://x"",""y"")",'+1,'@sum,`), row);
    assert.match(row ?? '', /,-0\.010000,/);
  });

  it('neutralizes formulas cell by cell (OWASP CSV injection)', () => {
    const cases: [string, string][] = [
      ['=1+1', "'=1+1"],
      ['+cmd', "'+cmd"],
      ['-2+3', "'-2+3"],
      ['@SUM(A1)', "'@SUM(A1)"],
      ['\t=1', "'\t=1"],
      ['-0.5', '-0.5'],
      ['-12', '-12'],
      ['plain', 'plain'],
      ['', ''],
    ];
    for (const [value, expected] of cases) assert.equal(neutralizeCsvFormula(value), expected, value);
  });
});
