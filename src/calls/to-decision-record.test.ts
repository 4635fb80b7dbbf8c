import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modelSchema, routeSchema } from '../catalog/index.ts';
import { PlanCache, type Plan, type PlanInput } from '../policy/index.ts';
import { toStoredDecisionPlan } from '../store/index.ts';
import { toDecisionAttempt, toDecisionPlan, toDecisionRecord, toPlannedDecision, type ExecutedAttempt } from './to-decision-record.ts';

const route = (id: string, provider: string, region: string) =>
  routeSchema.parse({ id, model: 'gpt-5.6', provider, endpoint: 'https://example.invalid', region, auth: { type: 'none' } });

const plan: Plan = {
  model: 'gpt-5.6',
  at: '2026-11-15T00:00:00.000Z',
  constraints: { regions: ['us'], providers: { ignore: ['vertex'] } },
  kept: [{ route: route('azure-eastus2-gpt-5.6', 'azure', 'eastus2'), rank: 1, basis: 'first-ship window: azure' }],
  rejected: [
    {
      route: route('bedrock-us-east-2-gpt-5.6', 'bedrock', 'us-east-2'),
      reasons: [{ code: 'first_ship_window', detail: 'only azure serves gpt-5.6 until 2026-12-01' }],
    },
  ],
};

describe('toDecisionRecord', () => {
  it('keeps ids, providers, regions, ranks and reasons, and no route internals', () => {
    const attempts: ExecutedAttempt[] = [
      { route: 'azure-eastus2-gpt-5.6', status: 503, code: 'upstream_error', message: 'overloaded', latencyMs: 12.4 },
      { route: 'azure-eastus2-gpt-5.6', status: 200, code: 'ok', message: 'ok', latencyMs: 80.6 },
    ];
    const record = toDecisionRecord('dec_1', plan, attempts);
    assert.deepEqual(record, {
      id: 'dec_1',
      model: 'gpt-5.6',
      at: '2026-11-15T00:00:00.000Z',
      constraints: { regions: ['us'], providers: { ignore: ['vertex'] } },
      kept: [{ route: 'azure-eastus2-gpt-5.6', provider: 'azure', region: 'eastus2', rank: 1, basis: 'first-ship window: azure' }],
      rejected: [
        {
          route: 'bedrock-us-east-2-gpt-5.6',
          provider: 'bedrock',
          region: 'us-east-2',
          reasons: [{ code: 'first_ship_window', detail: 'only azure serves gpt-5.6 until 2026-12-01' }],
        },
      ],
      attempts: [
        { route: 'azure-eastus2-gpt-5.6', status: 503, latency_ms: 12, error: 'upstream_error: overloaded' },
        { route: 'azure-eastus2-gpt-5.6', status: 200, latency_ms: 81, error: null },
      ],
    });
    // Plain JSON: what is stored is what is served.
    assert.deepEqual(JSON.parse(JSON.stringify(record)), record);
    assert.doesNotMatch(JSON.stringify(record), /example\.invalid/);
  });

  it('records a plan that was never run with no attempts', () => {
    assert.deepEqual(toDecisionRecord('dec_2', { ...plan, kept: [] }, []).attempts, []);
  });
});

describe('toDecisionAttempt', () => {
  const cases: { name: string; attempt: ExecutedAttempt; error: string | null }[] = [
    { name: 'a 200 is a success', attempt: { route: 'r', status: 200, code: 'ok', message: 'ok', latencyMs: 1 }, error: null },
    {
      name: 'a 429 names its code',
      attempt: { route: 'r', status: 429, code: 'rate_limit_exceeded', message: 'slow down', latencyMs: 1 },
      error: 'rate_limit_exceeded: slow down',
    },
    {
      name: 'a timeout names its code',
      attempt: { route: 'r', status: 504, code: 'upstream_timeout', message: 'no answer in 5000 ms', latencyMs: 5000 },
      error: 'upstream_timeout: no answer in 5000 ms',
    },
  ];
  for (const { name, attempt, error } of cases) {
    it(name, () => assert.equal(toDecisionAttempt(attempt).error, error));
  }
  it("keeps the adapter's notes, bounded (16 notes of 1,024 characters at most); none, no notes field", () => {
    const base = { route: 'r', status: 200, code: 'ok', message: 'ok', latencyMs: 1 };
    assert.deepEqual(toDecisionAttempt({ ...base, notes: ['temperature 1.5 clamped to 1'] }).notes, ['temperature 1.5 clamped to 1']);
    const many = toDecisionAttempt({ ...base, notes: Array.from({ length: 40 }, () => 'x'.repeat(5_000)) }).notes ?? [];
    assert.equal(many.length, 16);
    assert.ok(many.every((note) => note.length === 1_024));
    assert.equal('notes' in toDecisionAttempt(base), false);
    assert.equal('notes' in toDecisionAttempt({ ...base, notes: [] }), false);
  });
});

describe('toPlannedDecision', () => {
  const input: PlanInput = {
    model: modelSchema.parse({ id: 'gpt-5.6', owned_by: 'openai', released: '2026-11-01' }),
    routes: [route('azure-eastus2-gpt-5.6', 'azure', 'eastus2'), route('bedrock-us-east-2-gpt-5.6', 'bedrock', 'us-east-2')],
    needs: { capabilities: [], inputTokens: 100, maxOutputTokens: null, parameters: [] },
    constraints: { regions: ['us'] },
    agreements: [],
    health: { epoch: 0, state: () => 'closed', latencyMs: () => null },
    now: new Date('2026-12-15T12:00:00.000Z'),
  };
  const attempts: ExecutedAttempt[] = [{ route: 'azure-eastus2-gpt-5.6', status: 200, code: 'ok', message: 'ok', latencyMs: 10.2 }];

  it('describes a cached plan once for every request it serves, each record as toDecisionRecord makes it', () => {
    const cache = new PlanCache();
    const first = cache.planCached(input, 'v1');
    const later = new Date('2026-12-15T12:00:30.000Z');
    const second = cache.planCached({ ...input, now: later }, 'v1');
    assert.deepEqual(cache.stats, { hits: 1, misses: 1 });
    const [firstRecord, firstPlan] = toPlannedDecision('dec_a', first, attempts, 'acme');
    const [secondRecord, secondPlan] = toPlannedDecision('dec_b', second, [], null);
    // The same object: described, serialised and hashed once.
    assert.equal(secondPlan, firstPlan);
    assert.deepEqual(firstPlan, toStoredDecisionPlan(toDecisionPlan(first)));
    assert.deepEqual(firstRecord, { ...toDecisionRecord('dec_a', first, attempts), tenant: 'acme' });
    assert.deepEqual(secondRecord, { ...toDecisionRecord('dec_b', second, []), tenant: null });
    assert.equal(secondRecord.at, later.toISOString());
    // The JSON served reads as before: the tenant after the attempts.
    assert.deepEqual(Object.keys(firstRecord), ['id', 'model', 'at', 'constraints', 'kept', 'rejected', 'attempts', 'tenant']);
  });

  it('describes anew a plan that shares the kept routes of another but not the rest', () => {
    const [, stored] = toPlannedDecision('dec_a', plan, [], null);
    const [record, other] = toPlannedDecision('dec_b', { ...plan, rejected: [] }, [], null);
    assert.notEqual(other.id, stored.id);
    assert.deepEqual(record.rejected, []);
    const [, again] = toPlannedDecision('dec_c', { ...plan, constraints: { regions: ['eu'] } }, [], null);
    assert.notEqual(again.id, stored.id);
  });

  it('records the catalog version the plan was made with, in the record and in the plan as stored', () => {
    const [record, stored] = toPlannedDecision('dec_v', plan, [], null, [], 'catalog-one');
    assert.equal(record.catalog_version, 'catalog-one');
    assert.deepEqual(Object.keys(record).slice(0, 3), ['id', 'model', 'catalog_version']);
    assert.equal(JSON.parse(stored.json).catalog_version, 'catalog-one');
    // The same plan under another catalog (a reload) is another stored plan.
    const [other, otherStored] = toPlannedDecision('dec_w', plan, [], null, [], 'catalog-two');
    assert.equal(other.catalog_version, 'catalog-two');
    assert.notEqual(otherStored.id, stored.id);
  });
});
