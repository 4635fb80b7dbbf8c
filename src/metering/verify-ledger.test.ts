import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Agreement } from '../catalog/index.ts';
import { isWithinShareScope, isWithinShareTerm } from './accrue-revenue-share.ts';
import { buildTransfers, type Transfer, type UsageEvent } from './build-transfers.ts';
import { multiplyByRatio, parseMoney, parseRatio, type Micro } from './money.ts';
import type { Price } from './price-usage.ts';
import { verifyLedger, type AccountBalance, type LedgerViolation } from './verify-ledger.ts';

const price: Price = { input: 5, cached_input: 0.5, output: 30, currency: 'USD' };
type ShareAgreement = Pick<Agreement, 'id' | 'models' | 'revenue_share'>;

/** Posts events in order the way the store will: each agreement's accrual carried from one event to the next. */
function postEvents(events: readonly UsageEvent[], agreements: readonly ShareAgreement[], margin = '0'): Transfer[] {
  const accrued = new Map<string, Micro>();
  const transfers: Transfer[] = [];
  for (const event of events) {
    const built = buildTransfers({
      event,
      price,
      margin,
      agreements: agreements.map((agreement) => ({ agreement, accrued: accrued.get(agreement.id) ?? 0n })),
    });
    for (const [id, share] of Object.entries(built.shares)) accrued.set(id, (accrued.get(id) ?? 0n) + share.amount);
    transfers.push(...built.transfers);
  }
  return transfers;
}

function balancesOf(transfers: readonly Transfer[]): AccountBalance[] {
  const balances = new Map<string, AccountBalance>();
  const add = (account: string, currency: string, amount: Micro) => {
    const key = `${account} ${currency}`;
    const entry = balances.get(key) ?? { account, currency, balance: 0n };
    entry.balance += amount;
    balances.set(key, entry);
  };
  for (const transfer of transfers) {
    add(transfer.debit, transfer.currency, transfer.amount);
    add(transfer.credit, transfer.currency, -transfer.amount);
  }
  return [...balances.values()];
}

const share: ShareAgreement = {
  id: 'msft-openai',
  revenue_share: {
    payer: 'openai',
    payee: 'microsoft',
    rate: 0.2,
    scope: ['openai'],
    from: '2026-04-01',
    until: '2026-12-31',
    cap: { amount: '0.01', currency: 'USD' },
  },
};
const event = (id: string, timestamp = '2026-11-23T12:00:00Z', provider = 'openai'): UsageEvent => ({
  id,
  tenant: 'acme',
  provider,
  model: 'gpt-5.5',
  timestamp,
  usage: { input_tokens: 1000, cached_tokens: 200, output_tokens: 500, reasoning_tokens: 100 },
});
const codes = (violations: LedgerViolation[]) => violations.map((violation) => violation.code);

describe('verifyLedger', () => {
  const events = [event('e1'), event('e2'), event('e3')];
  const transfers = postEvents(events, [share]);

  const cases: [string, () => LedgerViolation[], LedgerViolation['code'][]][] = [
    ['a sound ledger', () => verifyLedger(events, transfers, balancesOf(transfers), [share]), []],
    ['an identical replay is a no-op', () => verifyLedger(events, [...transfers, ...transfers], balancesOf(transfers), [share]), []],
    ['a replay with a different amount', () => verifyLedger(events, [...transfers, { ...transfers[0]!, amount: 1n }]), ['conflicting_replay']],
    [
      'a transfer without its event',
      () =>
        verifyLedger(
          events.slice(1),
          transfers.filter((t) => t.kind !== 'revenue_share'),
        ),
      ['transfer_without_event', 'transfer_without_event'],
    ],
    ['an event without transfers', () => verifyLedger([...events, event('e4')], transfers), ['event_without_transfers']],
    [
      'a stored balance off by one micro-unit',
      () => {
        const balances = balancesOf(transfers).map((b) => (b.account === 'revenue' ? { ...b, balance: b.balance - 1n } : b));
        return verifyLedger(events, transfers, balances);
      },
      ['balance_mismatch', 'unbalanced_currency'],
    ],
    [
      'an account missing from the stored balances',
      () =>
        verifyLedger(
          events,
          transfers,
          balancesOf(transfers).filter((b) => b.account !== 'revenue'),
        ),
      ['balance_mismatch', 'unbalanced_currency'],
    ],
    [
      'a negative transfer',
      () => verifyLedger(events, [{ ...transfers[0]!, id: 'x', amount: -5n }]),
      ['invalid_transfer', 'event_without_transfers', 'event_without_transfers'],
    ],
    [
      'a share beyond the cap',
      () => {
        const extra: Transfer = { ...transfers.find((t) => t.kind === 'revenue_share')!, id: 'e3:revenue_share:extra', event_id: 'e3', amount: 10_000n };
        return verifyLedger(events, [...transfers, extra], undefined, [share]);
      },
      ['share_over_cap'],
    ],
    [
      'a share outside the term',
      () => {
        const late = event('late', '2027-01-01T00:00:00Z');
        const extra: Transfer = { ...transfers.find((t) => t.kind === 'revenue_share')!, id: 'late:revenue_share:msft-openai', event_id: 'late', amount: 0n };
        return verifyLedger([...events, late], [...transfers, ...postEvents([late], []), extra], undefined, [share]);
      },
      ['share_outside_term'],
    ],
    [
      'a share under an unknown agreement',
      () => verifyLedger(events, transfers, undefined, []),
      ['unknown_agreement', 'unknown_agreement', 'unknown_agreement'],
    ],
  ];
  for (const [name, run, expected] of cases) it(name, () => assert.deepEqual(codes(run()), expected));
});

describe('ledger properties', () => {
  const providers = ['openai', 'azure', 'bedrock', 'vertex'];
  const start = Date.parse('2026-01-01T00:00:00Z');
  const end = Date.parse('2032-01-01T00:00:00Z');
  const usageArbitrary = fc
    .record({
      input: fc.nat(2_000_000),
      cachedShare: fc.double({ min: 0, max: 1, noNaN: true }),
      output: fc.nat(200_000),
      reasoningShare: fc.double({ min: 0, max: 1, noNaN: true }),
    })
    .map(({ input, cachedShare, output, reasoningShare }) => ({
      input_tokens: input,
      cached_tokens: Math.floor(input * cachedShare),
      output_tokens: output,
      reasoning_tokens: Math.floor(output * reasoningShare),
    }));
  const eventsArbitrary = fc
    .array(
      fc.record({
        tenant: fc.constantFrom('acme', 'globex'),
        provider: fc.constantFrom(...providers),
        model: fc.constantFrom('gpt-5.5', 'gpt-4o'),
        at: fc.integer({ min: start, max: end }),
        usage: usageArbitrary,
      }),
      { maxLength: 40 },
    )
    .map((items) =>
      items.map(
        (item, index): UsageEvent => ({
          id: `evt_${index}`,
          tenant: item.tenant,
          provider: item.provider,
          model: item.model,
          timestamp: new Date(item.at).toISOString(),
          usage: item.usage,
        }),
      ),
    );
  const agreementArbitrary = fc
    .record({
      rate: fc.constantFrom(0, 0.1, 0.2, 0.333333, 1),
      scope: fc.constantFrom<'all' | string[]>('all', ['openai', 'bedrock', 'vertex'], ['azure']),
      from: fc.constantFrom('2026-04-01', '2026-04-01T06:30:00Z', undefined),
      until: fc.constantFrom('2030-12-31', '2028-06-30T23:59:59Z', undefined),
      cap: fc.constantFrom('0.05', '1.00', '25.00', '1000000000.00'),
    })
    .map(
      ({ rate, scope, from, until, cap }): ShareAgreement => ({
        id: 'share',
        revenue_share: { payer: 'openai', payee: 'microsoft', rate, scope, from, until, cap: { amount: cap, currency: 'USD' } },
      }),
    );
  const margin = fc.constantFrom('0', '0.1', '0.25', '0.000001');
  const shareTotal = (transfers: Transfer[]) => transfers.filter((t) => t.kind === 'revenue_share').reduce((sum, t) => sum + t.amount, 0n);

  it('random event sequences keep every invariant (debits == credits, balances, matching, cap, term)', () => {
    fc.assert(
      fc.property(eventsArbitrary, agreementArbitrary, margin, (events, agreement, tenantMargin) => {
        const transfers = postEvents(events, [agreement], tenantMargin);
        assert.deepEqual(verifyLedger(events, transfers, balancesOf(transfers), [agreement]), []);
        const sums = balancesOf(transfers).reduce((sum, b) => sum + b.balance, 0n);
        assert.equal(sums, 0n);
      }),
      { numRuns: 200 },
    );
  });

  it('the cap is never exceeded and is reached exactly when demand exceeds it', () => {
    fc.assert(
      fc.property(eventsArbitrary, agreementArbitrary, margin, (events, agreement, tenantMargin) => {
        const terms = agreement.revenue_share!;
        const cap = parseMoney(terms.cap!.amount);
        const transfers = postEvents(events, [agreement], tenantMargin);
        const total = shareTotal(transfers);
        assert.ok(total <= cap, `share ${total} exceeds cap ${cap}`);
        const demand = events
          .filter((e) => isWithinShareTerm(terms, e.timestamp) && isWithinShareScope(agreement, e))
          .map((e) => multiplyByRatio(buildTransfers({ event: e, price, margin: tenantMargin }).charged, parseRatio(terms.rate)))
          .reduce((sum, amount) => sum + amount, 0n);
        // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.min does not take
        assert.equal(total, demand < cap ? demand : cap);
      }),
      { numRuns: 200 },
    );
  });

  it('events outside the term accrue nothing', () => {
    fc.assert(
      fc.property(eventsArbitrary, agreementArbitrary, (events, agreement) => {
        const byId = new Map(events.map((e) => [e.id, e]));
        for (const transfer of postEvents(events, [agreement]).filter((t) => t.kind === 'revenue_share')) {
          assert.ok(isWithinShareTerm(agreement.revenue_share!, byId.get(transfer.event_id)!.timestamp));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('replaying events yields identical transfer ids and amounts', () => {
    fc.assert(
      fc.property(eventsArbitrary, agreementArbitrary, margin, (events, agreement, tenantMargin) => {
        const first = postEvents(events, [agreement], tenantMargin);
        const replay = postEvents(structuredClone(events), [agreement], tenantMargin);
        assert.deepEqual(replay, first);
        assert.equal(new Set(first.map((t) => t.id)).size, first.length);
        assert.deepEqual(verifyLedger(events, [...first, ...replay], balancesOf(first), [agreement]), []);
      }),
      { numRuns: 200 },
    );
  });
});
