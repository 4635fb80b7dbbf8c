import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTransfers, type BuildTransfersInput, type UsageEvent } from './build-transfers.ts';
import { MeteringError } from './metering-error.ts';

const event: UsageEvent = {
  id: 'evt_1',
  tenant: 'acme',
  provider: 'openai',
  model: 'gpt-5.5',
  timestamp: '2026-11-23T12:00:00Z',
  usage: { input_tokens: 1000, cached_tokens: 0, output_tokens: 500 },
};
const price = { input: 5, cached_input: 0.5, output: 30, currency: 'USD' };
const share = {
  id: 'msft-openai',
  revenue_share: { payer: 'openai', payee: 'microsoft', rate: 0.2, scope: 'all' as const, cap: { amount: '1.00', currency: 'USD' } },
};

describe('buildTransfers', () => {
  it('posts a charge and a cost at zero margin', () => {
    assert.deepEqual(buildTransfers({ event, price }), {
      cost: 20_000n,
      charged: 20_000n,
      currency: 'USD',
      shares: {},
      transfers: [
        { id: 'evt_1:charge', event_id: 'evt_1', debit: 'tenant:acme:receivable', credit: 'revenue', amount: 20_000n, currency: 'USD', kind: 'charge' },
        { id: 'evt_1:cost', event_id: 'evt_1', debit: 'cost_of_revenue', credit: 'provider:openai:payable', amount: 20_000n, currency: 'USD', kind: 'cost' },
      ],
    });
  });

  const margins: [string, string, bigint][] = [
    ['25% margin', '0.25', 25_000n],
    ['margin rounds half up', '0.000025', 20_001n],
    ['zero margin', '0', 20_000n],
  ];
  for (const [name, margin, charged] of margins) {
    it(name, () => assert.equal(buildTransfers({ event, price, margin }).charged, charged));
  }
  it('rejects a malformed margin', () => assert.throws(() => buildTransfers({ event, price, margin: '-0.1' }), MeteringError));

  it('accrues the revenue share on the charged amount', () => {
    const built = buildTransfers({ event, price, margin: '0.25', agreements: [{ agreement: share, accrued: 0n }] });
    assert.deepEqual(built.shares, { 'msft-openai': { amount: 5_000n, reason: 'accrued' } });
    assert.deepEqual(built.transfers[2], {
      id: 'evt_1:revenue_share:msft-openai',
      event_id: 'evt_1',
      debit: 'agreement:msft-openai:share_expense',
      credit: 'agreement:msft-openai:share_payable',
      amount: 5_000n,
      currency: 'USD',
      kind: 'revenue_share',
      agreement_id: 'msft-openai',
    });
  });

  it('posts no share transfer once the cap is reached', () => {
    const built = buildTransfers({ event, price, agreements: [{ agreement: share, accrued: 1_000_000n }] });
    assert.equal(built.transfers.length, 2);
    assert.deepEqual(built.shares['msft-openai'], { amount: 0n, reason: 'cap_reached' });
  });

  it('posts zero-amount transfers for an empty call, so the event still has transfers', () => {
    const input: BuildTransfersInput = { event: { ...event, usage: { input_tokens: 0, cached_tokens: 0, output_tokens: 0 } }, price };
    assert.deepEqual(
      buildTransfers(input).transfers.map((transfer) => [transfer.kind, transfer.amount]),
      [
        ['charge', 0n],
        ['cost', 0n],
      ],
    );
  });

  it('rejects the same agreement twice', () => {
    const agreements = [
      { agreement: share, accrued: 0n },
      { agreement: share, accrued: 0n },
    ];
    assert.throws(() => buildTransfers({ event, price, agreements }), MeteringError);
  });
});
