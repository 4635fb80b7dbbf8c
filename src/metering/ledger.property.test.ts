// Properties of the Ledger over a real store: random waves of concurrent calls, replays, prices, margins and times around the term end.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Agreement } from '../catalog/index.ts';
import { isWithinShareScope, isWithinShareTerm } from './accrue-revenue-share.ts';
import { buildTransfers } from './build-transfers.ts';
import { Ledger, type MeteredCall, type RecordedUsage } from './ledger.ts';
import { multiplyByRatio, parseMoney, parseRatio, type Micro } from './money.ts';
import type { Price } from './price-usage.ts';
import { makeMeteredCall, makeShareAgreement, openLedgerStore, testPrice } from './test-ledger-input.ts';
import { verifyStoredLedger } from './verify-stored-ledger.ts';

const RUNS = { numRuns: 50 };
/** `until: 2030-12-31` runs through 2030-12-31T23:59:59.999Z: this is the first instant outside the term. */
const TERM_END = Date.parse('2031-01-01T00:00:00.000Z');
const prices: (Price | undefined)[] = [
  testPrice,
  { input: 0.15, output: 0.6, currency: 'USD' },
  { input: 2.5, cached_input: 1.25, output: 10, currency: 'USD' },
  undefined,
];

const newCallArb = fc
  .record({
    input: fc.nat(60_000),
    cachedShare: fc.double({ min: 0, max: 1, noNaN: true }),
    output: fc.nat(20_000),
    price: fc.constantFrom(...prices),
    provider: fc.constantFrom('openai', 'azure', 'bedrock') as fc.Arbitrary<'openai' | 'azure' | 'bedrock'>,
    model: fc.constantFrom('gpt-5.5', 'gpt-4o'),
    // Most calls within three seconds of the term end, the rest anywhere in 2026..2031.
    at: fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: TERM_END - 3000, max: TERM_END + 3000 }) },
      { weight: 1, arbitrary: fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2031-06-30T00:00:00Z') }) },
    ),
    margin: fc.constantFrom(null, '0', '0.25', '0.000001'),
  })
  .map((c) => ({ kind: 'new' as const, ...c }));
/** A wave is recorded with Promise.all (concurrently); waves follow one another. A replay repeats an earlier call. */
const wavesArb = fc.array(
  fc.array(fc.oneof({ weight: 4, arbitrary: newCallArb }, { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'replay' as const, pick })) }), {
    minLength: 1,
    maxLength: 8,
  }),
  { minLength: 1, maxLength: 5 },
);
const agreementArb = fc
  .record({
    rate: fc.constantFrom(0.1, 0.2, 1),
    scope: fc.constantFrom<'all' | string[]>('all', ['openai', 'bedrock', 'vertex']),
    cap: fc.constantFrom('0.000100', '0.005000', '0.050000', '1000000000.00', undefined),
    models: fc.constantFrom<string[] | undefined>(undefined, ['gpt-5.5']),
  })
  .map(
    ({ rate, scope, cap, models }): Agreement => ({
      ...makeShareAgreement({ rate, scope, cap: cap === undefined ? undefined : { amount: cap, currency: 'USD' } }),
      ...(models ? { models } : {}),
    }),
  );

describe('Ledger properties (real store)', () => {
  it('random concurrent calls keep every invariant, reach the cap exactly, stop at the term end, replay as no-ops and batch', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(wavesArb, agreementArb, fc.constantFrom(2, 512), async (waves, agreement, maxBatch) => {
        run += 1;
        const store = await openLedgerStore();
        try {
          const ledger = new Ledger({ store, agreements: [agreement], maxBatch });
          const seen: MeteredCall[] = [];
          const expectedOutcomes: string[] = [];
          const results: RecordedUsage[] = [];
          let calls = 0;
          let widestWave = 0;
          for (const wave of waves) {
            const batch: MeteredCall[] = [];
            for (const item of wave) {
              if (item.kind === 'replay') {
                if (seen.length === 0) continue;
                batch.push(structuredClone(seen[item.pick % seen.length]!));
                expectedOutcomes.push('replayed');
                continue;
              }
              const input = item.input;
              const call = makeMeteredCall({
                id: `evt_${run}_${String(seen.length).padStart(3, '0')}`,
                request_id: `req_${seen.length}`,
                model: item.model,
                route: { id: `${item.provider}-route`, provider: item.provider, region: 'global', ...(item.price ? { price: item.price } : {}) },
                usage: { input_tokens: input, cached_tokens: Math.floor(input * item.cachedShare), output_tokens: item.output },
                completed_at: new Date(item.at).toISOString(),
                margin: item.margin,
              });
              seen.push(call);
              batch.push(call);
              expectedOutcomes.push('committed');
            }
            calls += batch.length;
            widestWave = Math.max(widestWave, batch.length);
            results.push(...(await Promise.all(batch.map((call) => ledger.record(call)))));
          }
          await ledger.close();

          assert.deepEqual(await verifyStoredLedger(store, [agreement], { pageSize: 7 }), []);
          assert.deepEqual(
            results.map((result) => result.outcome),
            expectedOutcomes,
          );
          assert.equal((await store.listUsageEvents({ limit: 1000 })).length, seen.length);

          // The sequential model: calls committed in first-occurrence order, each owing rate × charged while in term and scope.
          const share = agreement.revenue_share!;
          const cap = share.cap ? parseMoney(share.cap.amount) : undefined;
          let demand: Micro = 0n;
          let reachedAt: string | null = null;
          for (const call of seen) {
            const inTerms = isWithinShareTerm(share, call.completed_at) && isWithinShareScope(agreement, { provider: call.route.provider, model: call.model });
            if (!inTerms) continue;
            const charged = buildTransfers({
              event: { id: call.id, tenant: call.tenant, provider: call.route.provider, model: call.model, timestamp: call.completed_at, usage: call.usage },
              price: call.route.price ?? { input: 0, output: 0, currency: 'USD' },
              margin: call.margin ?? '0',
            }).charged;
            demand += multiplyByRatio(charged, parseRatio(share.rate));
            if (cap !== undefined && reachedAt === null && demand >= cap) reachedAt = call.completed_at;
          }
          const expectedTotal = cap !== undefined && demand > cap ? cap : demand;
          const shareTransfers = (await store.listTransfers({ limit: 10_000 })).filter((transfer) => transfer.kind === 'revenue_share');
          const total = shareTransfers.reduce((sum, transfer) => sum + transfer.amount, 0n);
          assert.equal(total, expectedTotal);
          if (cap !== undefined) assert.ok(total <= cap);
          for (const transfer of shareTransfers) assert.ok(Date.parse(transfer.created_at) < TERM_END, `share accrued at ${transfer.created_at}`);
          const accrual = (await store.listAgreementAccruals()).find((a) => a.agreement_id === agreement.id && a.currency === 'USD');
          assert.equal(accrual?.accrued ?? 0n, total);
          assert.equal(accrual?.cap_reached_at ?? null, reachedAt);

          const stats = ledger.stats();
          assert.equal(stats.eventsCommitted, seen.length);
          assert.ok(stats.largestBatch <= maxBatch);
          if (widestWave >= 2) assert.ok(stats.batches < calls, `${stats.batches} commits for ${calls} calls`);
        } finally {
          await store.close();
        }
      }),
      RUNS,
    );
  });
});
