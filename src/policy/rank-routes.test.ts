import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planRoutes } from './plan-routes.ts';
import type { PlanInput } from './plan-types.ts';
import { blendedPrice } from './rank-routes.ts';
import { makeAgreement, makeCloudRoutes, makeHealth, makeNeeds, makePlanInput, makeRoute } from './test-plan-input.ts';

const routes = makeCloudRoutes();
const rofr = makeAgreement({ first_ship: { primary: 'azure', window_days: 30, rofr: true, until: '2032-12-31' } });

interface RankCase {
  name: string;
  input: Partial<PlanInput>;
  /** Kept route ids in plan order. */
  order: string[];
  /** Route id -> expected basis. */
  basis?: Record<string, string>;
}

const CASES: RankCase[] = [
  {
    name: 'default: catalog order',
    input: { routes },
    order: ['azure-us', 'azure-eu', 'bedrock-us', 'openai-global', 'vertex-us'],
    basis: { 'azure-us': 'catalog order' },
  },
  {
    name: 'weight among equals: higher first, catalog order otherwise',
    input: {
      routes: [
        makeRoute({ id: 'a' }),
        makeRoute({ id: 'b', weight: 3 }),
        makeRoute({ id: 'c' }),
        makeRoute({ id: 'd', weight: 0 }),
        makeRoute({ id: 'e', weight: 3 }),
      ],
    },
    order: ['b', 'e', 'a', 'c', 'd'],
    basis: { b: 'catalog order, weight 3', a: 'catalog order' },
  },
  {
    name: 'a half-open route keeps its place, so that it gets its probe',
    input: { routes, health: makeHealth({ 'azure-us': 'half_open', 'bedrock-us': 'half_open' }) },
    order: ['azure-us', 'azure-eu', 'bedrock-us', 'openai-global', 'vertex-us'],
    basis: { 'azure-us': 'circuit half-open, catalog order' },
  },
  {
    name: 'providers.order: listed providers first, in that order; the rest after, in catalog order',
    input: { routes, constraints: { providers: { order: ['vertex', 'bedrock'] } } },
    order: ['vertex-us', 'bedrock-us', 'azure-us', 'azure-eu', 'openai-global'],
    basis: { 'vertex-us': 'providers.order', 'azure-us': 'after providers.order' },
  },
  {
    name: 'providers.order beats weight',
    input: {
      routes: [makeRoute({ id: 'heavy', provider: 'azure', weight: 10 }), makeRoute({ id: 'listed', provider: 'openai' })],
      constraints: { providers: { order: ['openai'] } },
    },
    order: ['listed', 'heavy'],
  },
  {
    name: 'sort price: cheapest blended price first (cached input discounted), unpriced last',
    input: {
      routes: [
        makeRoute({ id: 'unpriced' }),
        makeRoute({ id: 'no-cache', price: { input: 4, output: 30 } }),
        makeRoute({ id: 'cached', price: { input: 5, cached_input: 0.5, output: 30 } }),
        makeRoute({ id: 'dear', price: { input: 5.5, cached_input: 0.55, output: 33 } }),
      ],
      constraints: { sort: 'price' },
    },
    order: ['cached', 'no-cache', 'dear', 'unpriced'],
    basis: { dear: 'price 5.50/33.00 USD', unpriced: 'price unknown' },
  },
  {
    name: 'sort latency: fastest first, unmeasured last',
    input: { routes, constraints: { sort: 'latency' }, health: makeHealth({}, { 'openai-global': 80, 'bedrock-us': 40, 'azure-eu': 120 }) },
    order: ['bedrock-us', 'openai-global', 'azure-eu', 'azure-us', 'vertex-us'],
    basis: { 'bedrock-us': 'latency 40 ms', 'azure-us': 'latency unknown' },
  },
  {
    name: 'sort throughput: ranked by latency as its proxy',
    input: { routes, constraints: { sort: 'throughput' }, health: makeHealth({}, { 'vertex-us': 10, 'azure-us': 20 }) },
    order: ['vertex-us', 'azure-us', 'azure-eu', 'bedrock-us', 'openai-global'],
    basis: { 'vertex-us': 'throughput (latency 10 ms)' },
  },
  {
    name: 'right of first refusal: the primary first, whatever the preference',
    input: { routes, agreements: [rofr], constraints: { sort: 'price', providers: { order: ['openai'] } } },
    order: ['azure-us', 'azure-eu', 'openai-global', 'vertex-us', 'bedrock-us'],
    basis: {
      'azure-us': 'right of first refusal (azure), after providers.order, price 5.00/30.00 USD',
      'openai-global': 'providers.order, price 5.00/30.00 USD',
    },
  },
  {
    name: 'right of first refusal holds for a half-open primary',
    input: { routes, agreements: [rofr], health: makeHealth({ 'azure-us': 'half_open' }) },
    order: ['azure-us', 'azure-eu', 'bedrock-us', 'openai-global', 'vertex-us'],
  },
  {
    name: 'right of first refusal ends with first_ship.until',
    input: { routes, agreements: [rofr], now: new Date('2033-01-01T00:00:00Z'), constraints: { providers: { order: ['openai'] } } },
    order: ['openai-global', 'azure-us', 'azure-eu', 'bedrock-us', 'vertex-us'],
  },
  {
    name: 'inside a first-ship window the primary says so',
    input: { routes, agreements: [rofr], now: new Date('2026-11-15T00:00:00Z') },
    order: ['azure-us', 'azure-eu'],
    basis: { 'azure-us': 'first-ship window (azure until 2026-12-01), right of first refusal (azure), catalog order' },
  },
  {
    name: 'a lifted window says why the others serve',
    input: {
      routes: [makeRoute({ id: 'azure', provider: 'azure', capabilities: ['streaming'] }), makeRoute({ id: 'openai' })],
      agreements: [rofr],
      now: new Date('2026-11-15T00:00:00Z'),
      needs: makeNeeds({ capabilities: ['tools'] }),
    },
    order: ['openai'],
    basis: { openai: 'first-ship window lifted (azure lacks tools), catalog order' },
  },
];

describe('rankRoutes (through planRoutes)', () => {
  for (const testCase of CASES) {
    it(testCase.name, () => {
      const plan = planRoutes(makePlanInput(testCase.input));
      assert.deepEqual(
        plan.kept.map(({ route }) => route.id),
        testCase.order,
      );
      assert.deepEqual(
        plan.kept.map(({ rank }) => rank),
        testCase.order.map((_, index) => index + 1),
      );
      for (const [id, basis] of Object.entries(testCase.basis ?? {})) {
        assert.equal(plan.kept.find(({ route }) => route.id === id)?.basis, basis, id);
      }
    });
  }
});

describe('blendedPrice', () => {
  const cases: { name: string; price: Record<string, number> | undefined; expected: number | null }[] = [
    { name: 'input + output without a cached price', price: { input: 4, output: 30 }, expected: 34 },
    { name: 'half the input at the cached price', price: { input: 5, cached_input: 0.5, output: 30 }, expected: 32.75 },
    { name: 'no price', price: undefined, expected: null },
  ];
  for (const { name, price, expected } of cases) {
    it(name, () => assert.equal(blendedPrice(makeRoute(price === undefined ? {} : { price })), expected));
  }
});
