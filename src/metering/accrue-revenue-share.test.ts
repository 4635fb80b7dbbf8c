import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Agreement } from '../catalog/index.ts';
import { accrueRevenueShare, isWithinShareTerm, type ShareAccrual, type ShareEvent } from './accrue-revenue-share.ts';
import { MeteringError } from './metering-error.ts';
import type { Micro } from './money.ts';

// Shaped like examples/microsoft-openai-2026.yaml, with a small cap so that tests can reach it.
const agreement: Pick<Agreement, 'models' | 'revenue_share'> = {
  revenue_share: {
    payer: 'openai',
    payee: 'microsoft',
    rate: 0.2,
    scope: ['openai', 'bedrock', 'vertex'],
    from: '2026-04-01',
    until: '2030-12-31',
    cap: { amount: '1.00', currency: 'USD' },
  },
};
const event = (overrides: Partial<ShareEvent> = {}): ShareEvent => ({
  provider: 'openai',
  model: 'gpt-5.5',
  timestamp: '2026-11-23T12:00:00Z',
  revenue: 1_000_000n,
  currency: 'USD',
  ...overrides,
});

describe('accrueRevenueShare', () => {
  const cases: [string, Pick<Agreement, 'models' | 'revenue_share'>, ShareEvent, Micro, ShareAccrual][] = [
    ['rate × revenue inside term and scope', agreement, event(), 0n, { amount: 200_000n, reason: 'accrued' }],
    ['provider outside scope', agreement, event({ provider: 'azure' }), 0n, { amount: 0n, reason: 'outside_scope' }],
    ['scope all', { revenue_share: { ...agreement.revenue_share!, scope: 'all' } }, event({ provider: 'azure' }), 0n, { amount: 200_000n, reason: 'accrued' }],
    ['model outside the agreement', { ...agreement, models: ['gpt-4o'] }, event(), 0n, { amount: 0n, reason: 'outside_scope' }],
    ['first millisecond of the term', agreement, event({ timestamp: '2026-04-01T00:00:00.000Z' }), 0n, { amount: 200_000n, reason: 'accrued' }],
    ['just before the term', agreement, event({ timestamp: '2026-03-31T23:59:59.999Z' }), 0n, { amount: 0n, reason: 'outside_term' }],
    ['last millisecond of the until day', agreement, event({ timestamp: '2030-12-31T23:59:59.999Z' }), 0n, { amount: 200_000n, reason: 'accrued' }],
    ['the day after until', agreement, event({ timestamp: '2031-01-01T00:00:00Z' }), 0n, { amount: 0n, reason: 'outside_term' }],
    ['offset timestamps compare as instants', agreement, event({ timestamp: '2031-01-01T00:30:00+01:00' }), 0n, { amount: 200_000n, reason: 'accrued' }],
    ['crossing the cap is split exactly at it', agreement, event(), 900_000n, { amount: 100_000n, reason: 'capped' }],
    ['landing exactly on the cap', agreement, event(), 800_000n, { amount: 200_000n, reason: 'capped' }],
    ['nothing after the cap', agreement, event(), 1_000_000n, { amount: 0n, reason: 'cap_reached' }],
    ['share rounds half up per event', agreement, event({ revenue: 3n }), 0n, { amount: 1n, reason: 'accrued' }],
    [
      'uncapped',
      { revenue_share: { ...agreement.revenue_share!, cap: undefined } },
      event({ revenue: 10n ** 20n }),
      0n,
      { amount: 2n * 10n ** 19n, reason: 'accrued' },
    ],
    ['no revenue share', {}, event(), 0n, { amount: 0n, reason: 'no_revenue_share' }],
  ];
  for (const [name, terms, shareEvent, accrued, expected] of cases) {
    it(name, () => assert.deepEqual(accrueRevenueShare(terms, shareEvent, accrued), expected));
  }

  it('rejects a cap in another currency', () => {
    assert.throws(
      () => accrueRevenueShare(agreement, event({ currency: 'EUR' }), 0n),
      (error: unknown) => error instanceof MeteringError && error.code === 'currency_mismatch',
    );
  });
  it('rejects a malformed timestamp', () => assert.throws(() => accrueRevenueShare(agreement, event({ timestamp: 'yesterday' }), 0n), MeteringError));
});

describe('isWithinShareTerm with instants', () => {
  const terms = { from: '2026-04-01T09:00:00Z', until: '2026-06-30T12:00:00Z' };
  const cases: [string, string, boolean][] = [
    ['at from', '2026-04-01T09:00:00Z', true],
    ['before from', '2026-04-01T08:59:59.999Z', false],
    ['at until (inclusive)', '2026-06-30T12:00:00Z', true],
    ['one millisecond after until', '2026-06-30T12:00:00.001Z', false],
  ];
  for (const [name, timestamp, expected] of cases) it(name, () => assert.equal(isWithinShareTerm(terms, timestamp), expected));
});
