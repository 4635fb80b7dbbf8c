// Admission against rate limits and budgets: exact under concurrency, rolled back on refusal, settled and released.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCounters, openSqliteStore, type ApiKeyRecord, type TenantRecord, type UsageFilter, type UsageTotalsRecord } from '../store/index.ts';
import { InsufficientQuotaError, PermissionDeniedError, RateLimitError } from '../wire/index.ts';
import { makeApiKey, makeTenant as makeTenantRecord } from '../store/tenancy-store.case.test.ts';
import { budgetPeriod, Limiter, type AdmitRequest } from './limiter.ts';

const USD = 1_000_000n;
const START = Date.parse('2026-12-15T12:00:00.000Z');

function makeTenant(overrides: Partial<TenantRecord> = {}): TenantRecord {
  return makeTenantRecord({ id: 'acme', name: 'Acme', ...overrides });
}

function makeKey(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return makeApiKey({ id: 'key_aaaaaaaaaaaaaaaaaaaaaaaa', ...overrides });
}

function totals(currency: string, charged: bigint): UsageTotalsRecord {
  return { group: null, currency, requests: 1, input_tokens: 0, cached_tokens: 0, output_tokens: 0, reasoning_tokens: 0, cost: charged, charged };
}

/** A limiter over fresh memory counters, a movable clock and a ledger that answers `spent` and records its queries. */
function setup(spent: UsageTotalsRecord[] = []) {
  const state = { clock: START, queries: [] as UsageFilter[] };
  const counters = new MemoryCounters({ now: () => state.clock });
  const limiter = new Limiter({
    counters,
    store: {
      sumUsage: async (filter: UsageFilter) => {
        state.queries.push(filter);
        await new Promise((resolve) => setTimeout(resolve, 2));
        return spent;
      },
    },
    now: () => new Date(state.clock),
  });
  return { state, counters, limiter };
}

function request(overrides: Partial<AdmitRequest> = {}): AdmitRequest {
  return { tenant: makeTenant(), key: makeKey(), model: 'gpt-5.5', estimatedTokens: 100, worstCaseCosts: [{ amount: USD, currency: 'USD' }], ...overrides };
}

/** Admits all at once; resolves with the admitted ones and the errors of the refused. */
async function admitAll(limiter: Limiter, requests: AdmitRequest[]) {
  const outcomes = await Promise.allSettled(requests.map((r) => limiter.admit(r)));
  return {
    admitted: outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : [])),
    refused: outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : [])),
  };
}

describe('Limiter', () => {
  describe('concurrency', () => {
    it('admits exactly 10 of 50 concurrent calls against a budget covering 10 worst cases', async () => {
      const { limiter, state } = setup();
      const key = makeKey({ budget: { limit: '10.00', currency: 'USD', period: 'month' } });
      const { admitted, refused } = await admitAll(
        limiter,
        Array.from({ length: 50 }, () => request({ key })),
      );
      assert.equal(admitted.length, 10);
      assert.ok(refused.every((e) => e instanceof InsufficientQuotaError));
      assert.equal(state.queries.length, 1, 'the spend was loaded once for all 50');
    });

    it('admits exactly 10 of 50 concurrent calls against RPM 10', async () => {
      const { limiter } = setup();
      const { admitted, refused } = await admitAll(
        limiter,
        Array.from({ length: 50 }, () => request({ key: makeKey({ rpm: 10 }) })),
      );
      assert.equal(admitted.length, 10);
      for (const error of refused) {
        assert.ok(error instanceof RateLimitError);
        assert.equal(error.type, 'requests');
        assert.equal(error.retryAfterMs, 6_000);
      }
    });
  });

  describe('rate limits', () => {
    it("words a refusal as OpenAI does, with retry-after and the limit's headers", async () => {
      const { limiter } = setup();
      const key = makeKey({ rpm: 2 });
      await limiter.admit(request({ key }));
      await limiter.admit(request({ key }));
      const error = await limiter.admit(request({ key })).then(
        () => assert.fail('admitted'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof RateLimitError);
      assert.equal(
        error.message,
        'Rate limit reached for gpt-5.5 in key key_aaaaaaaaaaaaaaaaaaaaaaaa (tenant acme) on requests per min (RPM): Limit 2, Used 2, Requested 1. ' +
          'Please try again in 30s.',
      );
      assert.deepEqual({ status: error.status, code: error.code }, { status: 429, code: 'rate_limit_exceeded' });
      assert.deepEqual(error.headers, { 'x-ratelimit-limit-requests': '2', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1m0s' });
    });

    it("gives the key's request back when the tenant's limit refuses", async () => {
      const { limiter, counters } = setup();
      const tenant = makeTenant({ rpm: 1 });
      const key = makeKey({ rpm: 5 });
      await limiter.admit(request({ tenant, key }));
      await assert.rejects(limiter.admit(request({ tenant, key })), RateLimitError);
      const keyBucket = await counters.take(`rpm:key:${key.id}`, 0, 5, 60_000);
      assert.equal(keyBucket.remaining, 4, 'only the admitted request is counted on the key');
    });

    it('reserves tokens at admission and corrects them to the actual use on settle', async () => {
      const { limiter } = setup();
      const key = makeKey({ tpm: 1000 });
      const first = await limiter.admit(request({ key, estimatedTokens: 800 }));
      await assert.rejects(limiter.admit(request({ key, estimatedTokens: 800 })), (e: unknown) => e instanceof RateLimitError && e.type === 'tokens');
      await first.settle({ tokens: 100, cost: null });
      const second = await limiter.admit(request({ key, estimatedTokens: 800 }));
      assert.equal(second.headers()['x-ratelimit-remaining-tokens'], '100');
      await second.settle({ tokens: 1000, cost: null });
      const refused = await limiter.admit(request({ key, estimatedTokens: 1 })).then(
        () => assert.fail('admitted'),
        (e: unknown) => e,
      );
      assert.ok(refused instanceof RateLimitError, 'an overrun is charged and delays later calls');
    });

    it('refuses a call larger than the token limit as OpenAI does', async () => {
      const { limiter } = setup();
      const error = await limiter.admit(request({ key: makeKey({ tpm: 100 }), estimatedTokens: 101 })).then(
        () => assert.fail('admitted'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof RateLimitError);
      assert.match(error.message, /^Request too large for gpt-5.5 in key key_a+ \(tenant acme\) on tokens per min \(TPM\): Limit 100, Requested 101\./);
    });

    it('applies only the tenant limits to the master key', async () => {
      const { limiter } = setup();
      const tenant = makeTenant({ rpm: 1 });
      await limiter.admit(request({ tenant, key: null }));
      const error = await limiter.admit(request({ tenant, key: null })).then(
        () => assert.fail('admitted'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof RateLimitError);
      assert.match(error.message, / in tenant acme on requests per min/);
    });
  });

  describe('headers', () => {
    it('reports the tighter of key and tenant, and only configured limits', async () => {
      const { limiter } = setup();
      const admission = await limiter.admit(request({ tenant: makeTenant({ rpm: 10 }), key: makeKey({ rpm: 60, tpm: 2000 }), estimatedTokens: 500 }));
      assert.deepEqual(admission.headers(), {
        'x-ratelimit-limit-requests': '10',
        'x-ratelimit-remaining-requests': '9',
        'x-ratelimit-reset-requests': '6s',
        'x-ratelimit-limit-tokens': '2000',
        'x-ratelimit-remaining-tokens': '1500',
        'x-ratelimit-reset-tokens': '15s',
      });
      assert.deepEqual((await limiter.admit(request())).headers(), {});
    });
  });

  describe('budgets', () => {
    const budget = (limit: string, period: 'day' | 'month' | 'total' = 'month') => ({ limit, currency: 'USD', period });

    it('releases a failed call so that a later one is admitted', async () => {
      const { limiter } = setup();
      const key = makeKey({ budget: budget('1') });
      const failed = await limiter.admit(request({ key }));
      await assert.rejects(limiter.admit(request({ key })), InsufficientQuotaError);
      await failed.release();
      const later = await limiter.admit(request({ key }));
      await later.settle({ tokens: 10, cost: USD });
      await assert.rejects(limiter.admit(request({ key })), InsufficientQuotaError);
    });

    it('settles to the actual cost, freeing the rest of the reservation', async () => {
      const { limiter } = setup();
      const key = makeKey({ budget: budget('10') });
      const worst = { amount: 4n * USD, currency: 'USD' };
      const first = await limiter.admit(request({ key, worstCaseCosts: [worst] }));
      await limiter.admit(request({ key, worstCaseCosts: [worst] }));
      await assert.rejects(limiter.admit(request({ key, worstCaseCosts: [worst] })), InsufficientQuotaError);
      await first.settle({ tokens: 10, cost: USD });
      await limiter.admit(request({ key, worstCaseCosts: [worst] }));
    });

    it('counts the spend already in the ledger for the period, in the budget currency only', async () => {
      const { limiter, state } = setup([totals('USD', 9n * USD), totals('EUR', 100n * USD)]);
      const key = makeKey({ budget: budget('10') });
      await limiter.admit(request({ key }));
      const error = await limiter.admit(request({ key })).then(
        () => assert.fail('admitted'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof InsufficientQuotaError);
      assert.equal(
        error.message,
        'Budget exceeded for key key_aaaaaaaaaaaaaaaaaaaaaaaa (tenant acme): limit 10.000000 USD per month, spent 9.000000, ' +
          'reserved by requests in flight 1.000000; this request may cost up to 1.000000 USD. It resets at 2027-01-01T00:00:00.000Z.',
      );
      assert.deepEqual(state.queries, [{ key_id: key.id, from: '2026-12-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' }]);
    });

    it('reads a budget: from the ledger before its first admission (keeping nothing), then live from the counters', async () => {
      const { limiter, state, counters } = setup([totals('USD', 2n * USD), totals('EUR', 7n * USD)]);
      const key = makeKey({ budget: budget('10') });
      const owner = { kind: 'key' as const, id: key.id };
      const before = await limiter.readBudget(owner, key.budget!);
      assert.deepEqual(
        { limit: before.limit, spent: before.spent, reserved: before.reserved, source: before.source, period: before.period },
        {
          limit: 10n * USD,
          spent: 2n * USD,
          reserved: 0n,
          source: 'ledger',
          period: { label: '2026-12', from: '2026-12-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' },
        },
      );
      assert.deepEqual(state.queries, [{ key_id: key.id, from: '2026-12-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' }]);
      assert.equal(counters.size.budgets, 0, 'a read loads nothing into the counters');

      const inFlight = await limiter.admit(request({ key, worstCaseCosts: [{ amount: 3n * USD, currency: 'USD' }] }));
      const during = await limiter.readBudget(owner, key.budget!);
      assert.deepEqual([during.spent, during.reserved, during.source], [2n * USD, 3n * USD, 'counters']);
      await inFlight.settle({ tokens: 1, cost: USD / 2n });
      const after = await limiter.readBudget(owner, key.budget!);
      assert.deepEqual([after.spent, after.reserved, after.source], [2n * USD + USD / 2n, 0n, 'counters']);
      assert.equal(state.queries.length, 2, 'one ledger load for the admission, none for the reads of a held budget');
    });

    it("reads a tenant's budget in its own period, apart from its keys' budgets", async () => {
      const { limiter, state } = setup();
      const tenant = makeTenant({ budget: budget('5', 'day') });
      const key = makeKey({ budget: budget('1') });
      await limiter.admit(request({ tenant, key, worstCaseCosts: [{ amount: USD / 4n, currency: 'USD' }] }));
      const read = await limiter.readBudget({ kind: 'tenant', id: tenant.id }, tenant.budget!);
      assert.deepEqual([read.reserved, read.source, read.period.label], [USD / 4n, 'counters', '2026-12-15']);
      state.clock += 24 * 3_600_000;
      const nextDay = await limiter.readBudget({ kind: 'tenant', id: tenant.id }, tenant.budget!);
      assert.deepEqual([nextDay.reserved, nextDay.source, nextDay.period.label], [0n, 'ledger', '2026-12-16']);
    });

    it('rolls over to a new period, loading its spend afresh', async () => {
      const { limiter, state } = setup();
      const tenant = makeTenant({ budget: budget('1', 'day') });
      const admission = await limiter.admit(request({ tenant, key: null }));
      await admission.settle({ tokens: 1, cost: USD });
      await assert.rejects(limiter.admit(request({ tenant, key: null })), InsufficientQuotaError);
      state.clock += 12 * 3_600_000;
      await limiter.admit(request({ tenant, key: null }));
      assert.deepEqual(state.queries.at(-1), { tenant: 'acme', from: '2026-12-16T00:00:00.000Z', to: '2026-12-17T00:00:00.000Z' });
    });

    it("releases the key's reservation when the tenant's budget refuses", async () => {
      const { limiter } = setup();
      const key = makeKey({ budget: budget('1') });
      await assert.rejects(limiter.admit(request({ tenant: makeTenant({ budget: budget('0.5') }), key })), InsufficientQuotaError);
      await limiter.admit(request({ tenant: makeTenant(), key }));
    });

    it('gives everything back when loading the spend fails', async () => {
      const counters = new MemoryCounters({ now: () => START });
      const limiter = new Limiter({ counters, store: { sumUsage: async () => Promise.reject(new Error('database down')) }, now: () => new Date(START) });
      const key = makeKey({ rpm: 1, budget: budget('1') });
      await assert.rejects(limiter.admit(request({ key })), /database down/);
      assert.equal((await counters.take(`rpm:key:${key.id}`, 0, 1, 60_000)).remaining, 1);
    });

    it('reserves nothing for a call no route prices, but refuses once the budget is used up', async () => {
      const { limiter } = setup([totals('USD', USD)]);
      const key = makeKey({ budget: budget('2') });
      const unpriced = await limiter.admit(request({ key, worstCaseCosts: [] }));
      await unpriced.settle({ tokens: 1, cost: USD, currency: 'USD' });
      const error = await limiter.admit(request({ key, worstCaseCosts: [] })).then(
        () => assert.fail('admitted'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof InsufficientQuotaError);
      assert.match(error.message, /spent 2\.000000.*the budget is used up/);
    });

    it('refuses, never reserves nothing for, a call that may run on a route priced in another currency, giving back what it took', async () => {
      const { limiter, counters } = setup();
      const key = makeKey({ rpm: 5, budget: budget('2') });
      for (const worstCaseCosts of [
        [{ amount: 1n, currency: 'EUR' }],
        [
          { amount: 1n, currency: 'USD' },
          { amount: 1n, currency: 'EUR' },
        ],
      ]) {
        const error = await limiter.admit(request({ key, worstCaseCosts })).then(
          () => assert.fail('admitted'),
          (e: unknown) => e,
        );
        assert.ok(error instanceof PermissionDeniedError);
        assert.equal(error.code, 'budget_currency_mismatch');
        assert.match(error.message, /in USD.*priced in EUR/);
      }
      assert.equal((await counters.take(`rpm:key:${key.id}`, 0, 5, 60_000)).remaining, 5);
      await limiter.admit(request({ key, worstCaseCosts: [{ amount: USD, currency: 'USD' }] }));
    });

    it('settles or releases once: the first call wins', async () => {
      const { limiter } = setup();
      const key = makeKey({ budget: budget('2') });
      const admission = await limiter.admit(request({ key }));
      await limiter.admit(request({ key }));
      await admission.settle({ tokens: 1, cost: USD });
      // Neither may touch the other call's outstanding reservation nor count the spend twice.
      await admission.release();
      await admission.settle({ tokens: 1, cost: USD });
      await assert.rejects(limiter.admit(request({ key })), InsufficientQuotaError);
    });

    it('loads the spend of a key from a real ledger, within the period', async () => {
      const store = await openSqliteStore(':memory:');
      await store.migrate();
      const event = (id: string, completedAt: string, keyId: string | null, charged: bigint) => ({
        event: {
          id,
          request_id: `req_${id}`,
          tenant: 'acme',
          key_id: keyId,
          endpoint: 'chat.completions',
          model: 'gpt-5.5',
          route: 'r',
          provider: 'openai',
          region: 'us',
          input_tokens: 1,
          cached_tokens: 0,
          output_tokens: 1,
          reasoning_tokens: 0,
          estimated: false,
          latency_ms: 1,
          status: 200,
          started_at: completedAt,
          completed_at: completedAt,
          currency: 'USD',
          cost: charged,
          charged,
        },
        transfers: [],
        caps_reached: [],
      });
      const key = makeKey({ budget: budget('10') });
      await store.commitLedger([
        event('evt_1', '2026-11-30T23:59:59.999Z', key.id, 5n * USD),
        event('evt_2', '2026-12-01T00:00:00.000Z', key.id, 8n * USD),
        event('evt_3', '2026-12-02T00:00:00.000Z', null, 5n * USD),
      ]);
      const limiter = new Limiter({ counters: new MemoryCounters({ now: () => START }), store, now: () => new Date(START) });
      await limiter.admit(request({ key, worstCaseCosts: [{ amount: 2n * USD, currency: 'USD' }] }));
      await assert.rejects(limiter.admit(request({ key, tenant: makeTenant(), worstCaseCosts: [{ amount: 1n, currency: 'USD' }] })), InsufficientQuotaError);
      // The tenant's December: 8 by the key and 5 by the master key (key_id null); November does not count.
      const tenant = makeTenant({ budget: budget('13.000001') });
      await limiter.admit(request({ key: null, tenant, worstCaseCosts: [{ amount: 1n, currency: 'USD' }] }));
      await assert.rejects(limiter.admit(request({ key: null, tenant, worstCaseCosts: [{ amount: 1n, currency: 'USD' }] })), InsufficientQuotaError);
      await store.close();
    });
  });

  describe('budgetPeriod', () => {
    it('labels and bounds UTC days and months', () => {
      const at = new Date('2026-12-31T23:30:00.000-02:00');
      assert.deepEqual(budgetPeriod('day', at), { label: '2027-01-01', from: '2027-01-01T00:00:00.000Z', to: '2027-01-02T00:00:00.000Z' });
      assert.deepEqual(budgetPeriod('month', at), { label: '2027-01', from: '2027-01-01T00:00:00.000Z', to: '2027-02-01T00:00:00.000Z' });
      assert.deepEqual(budgetPeriod('total', at), { label: 'total' });
    });

    it('moves to the next period at its first millisecond, though the last one was reused within its minute', () => {
      assert.equal(budgetPeriod('month', new Date('2027-01-31T23:59:00.000Z')).label, '2027-01');
      assert.equal(budgetPeriod('month', new Date('2027-01-31T23:59:59.999Z')).label, '2027-01');
      assert.equal(budgetPeriod('month', new Date('2027-02-01T00:00:00.000Z')).label, '2027-02');
      assert.equal(budgetPeriod('day', new Date('2027-02-01T00:00:00.000Z')).label, '2027-02-01');
      assert.equal(budgetPeriod('day', new Date('2027-01-31T23:59:30.000Z')).label, '2027-01-31');
    });
  });
});

describe('Limiter.takeRequest', () => {
  it('takes one request per configured RPM before admission, and admit then takes none again', async () => {
    const { limiter } = setup();
    const key = makeKey({ rpm: 2 });
    const caller = { tenant: makeTenant({ rpm: 5 }), key };
    const first = await limiter.takeRequest(caller);
    assert.equal(first.takes.length, 2);
    const admission = await limiter.admit(request({ key, tenant: caller.tenant, requests: first }));
    assert.equal(admission.headers()['x-ratelimit-remaining-requests'], '1');
    await limiter.takeRequest(caller);
    await assert.rejects(limiter.takeRequest(caller), (error: unknown) => error instanceof RateLimitError && !/ for /.test(error.message));
  });

  it('gives back what it took when a later limit refuses', async () => {
    const { limiter } = setup();
    const tenant = makeTenant({ rpm: 1 });
    await limiter.takeRequest({ tenant, key: makeKey({ id: 'key_bbbbbbbbbbbbbbbbbbbbbbbb', rpm: 10 }) });
    const key = makeKey({ rpm: 1 });
    await assert.rejects(limiter.takeRequest({ tenant, key }), RateLimitError);
    // The key's own request was given back when the tenant refused: under a tenant without an RPM it still has its one.
    assert.equal((await limiter.takeRequest({ tenant: makeTenant({ id: 'other' }), key })).takes.length, 1);
  });
});
