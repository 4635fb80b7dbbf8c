import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlanCache, canonicalJson, planCacheKey } from './plan-cache.ts';
import { planRoutes } from './plan-routes.ts';
import type { PlanInput } from './plan-types.ts';
import { makeCloudRoutes, makeHealth, makeNeeds, makePlanInput } from './test-plan-input.ts';

const base = makePlanInput({ routes: makeCloudRoutes(), constraints: { regions: ['us'], providers: { order: ['bedrock'] } } });
const key = (input: Partial<PlanInput>, version = 'v1') => planCacheKey({ ...base, ...input }, version);

describe('planCacheKey', () => {
  const same: { name: string; input: Partial<PlanInput> }[] = [
    { name: 'constraints with keys in another order', input: { constraints: { providers: { order: ['bedrock'] }, regions: ['us'] } } },
    { name: 'another instant in the same minute', input: { now: new Date('2026-12-15T12:00:59.999Z') } },
    { name: 'another size under every limit', input: { needs: makeNeeds({ inputTokens: 5000 }) } },
    { name: 'parameters when require_parameters is off', input: { needs: makeNeeds({ parameters: ['n'] }) } },
  ];
  for (const { name, input } of same) it(`shares: ${name}`, () => assert.equal(key(input), key({})));

  const different: { name: string; input: Partial<PlanInput>; version?: string }[] = [
    { name: 'another catalog version', input: {}, version: 'v2' },
    { name: 'another health epoch', input: { health: makeHealth({}, {}, 1) } },
    { name: 'the next minute', input: { now: new Date('2026-12-15T12:01:00Z') } },
    { name: 'other constraints', input: { constraints: { regions: ['eu'], providers: { order: ['bedrock'] } } } },
    { name: 'a list in another order (providers.order is an order)', input: { constraints: { regions: ['us'], providers: { order: ['azure', 'bedrock'] } } } },
    { name: 'another capability', input: { needs: makeNeeds({ capabilities: ['tools'] }) } },
    { name: "a size over a route's context", input: { needs: makeNeeds({ inputTokens: 200_000 }) } },
    { name: "an output over a route's max_output", input: { needs: makeNeeds({ maxOutputTokens: 40_000 }) } },
    {
      name: 'parameters under require_parameters',
      input: { constraints: { regions: ['us'], providers: { order: ['bedrock'] }, require_parameters: true }, needs: makeNeeds({ parameters: ['n'] }) },
    },
  ];
  for (const { name, input, version } of different) it(`separates: ${name}`, () => assert.notEqual(key(input, version), key({})));

  it('capability order does not matter', () => {
    assert.equal(key({ needs: makeNeeds({ capabilities: ['tools', 'vision'] }) }), key({ needs: makeNeeds({ capabilities: ['vision', 'tools', 'tools'] }) }));
  });
});

describe('PlanCache', () => {
  it('plans once for equivalent requests and stamps a hit with its own instant', () => {
    const cache = new PlanCache();
    const first = cache.planCached(base, 'v1');
    const later = new Date('2026-12-15T12:00:30Z');
    const second = cache.planCached({ ...base, now: later }, 'v1');
    assert.deepEqual(cache.stats, { hits: 1, misses: 1 });
    assert.equal(second.at, later.toISOString());
    assert.deepEqual({ ...second, at: first.at }, first);
    assert.deepEqual(first, planRoutes(base));
  });

  it('a health epoch change replans', () => {
    const cache = new PlanCache();
    cache.planCached(base, 'v1');
    const replanned = cache.planCached({ ...base, health: makeHealth({ 'azure-us': 'open' }, {}, 1) }, 'v1');
    assert.deepEqual(cache.stats, { hits: 0, misses: 2 });
    assert.ok(replanned.rejected.some(({ route, reasons }) => route.id === 'azure-us' && reasons.some((reason) => reason.code === 'circuit_open')));
  });

  it('evicts the least recently used entry beyond its bound', () => {
    const cache = new PlanCache(2);
    const plan = planRoutes(base);
    cache.set('a', plan);
    cache.set('b', plan);
    assert.equal(cache.get('a'), plan);
    cache.set('c', plan);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a'), plan);
    assert.equal(cache.get('c'), plan);
  });

  it('refuses a bound below one', () => {
    assert.throws(() => new PlanCache(0), RangeError);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level, keeps list order, drops undefined', () => {
    assert.equal(canonicalJson({ b: [2, 1], a: { d: undefined, c: 'x' } }), '{"a":{"c":"x"},"b":[2,1]}');
  });
});

describe('PlanCache byte bound', () => {
  it('keeps the estimated bytes of keys and plans under its bound, whatever the constraints weigh', () => {
    const maxBytes = 256 * 1024;
    const cache = new PlanCache(1000, maxBytes);
    for (let index = 0; index < 200; index += 1) {
      // Constraints larger than any request may send (the schema bounds them): the cache must hold on by itself.
      const input = { ...base, constraints: { regions: [`${index}-${'r'.repeat(20_000)}`] } };
      cache.planCached(input, 'v1');
      assert.ok(cache.bytes <= maxBytes, `${cache.bytes} bytes held after ${index + 1} plans`);
    }
    assert.ok(cache.size < 200);
    assert.ok(cache.size > 0);
  });
});
