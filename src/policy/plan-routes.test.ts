import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Constraints } from '../catalog/index.ts';
import { planRoutes } from './plan-routes.ts';
import type { HealthView, PlanInput, RejectionCode, RequestNeeds } from './plan-types.ts';
import { makeAgreement, makeCloudRoutes, makeHealth, makeModel, makeNeeds, makePlanInput, makeRoute } from './test-plan-input.ts';

interface RejectionCase {
  name: string;
  input: Partial<PlanInput>;
  /** Route id -> the codes it is rejected with, in order; routes not listed must be kept. */
  rejected: Record<string, RejectionCode[]>;
  /** Route id -> text every detail of that route must contain, in order. */
  details?: Record<string, RegExp[]>;
}

const routes = makeCloudRoutes();
const constraints = (value: Constraints): Partial<PlanInput> => ({ routes, constraints: value });
const needs = (value: Partial<RequestNeeds>): Partial<PlanInput> => ({ routes, needs: makeNeeds(value) });
const at = (iso: string) => new Date(iso);

const CASES: Record<RejectionCode, RejectionCase[]> = {
  not_yet_available: [
    {
      name: 'before available.from (a bare date is midnight UTC)',
      input: { routes: [makeRoute({ id: 'r', available: { from: '2026-12-16' } })] },
      rejected: { r: ['not_yet_available'] },
      details: { r: [/available from 2026-12-16/] },
    },
    { name: 'on available.from', input: { routes: [makeRoute({ id: 'r', available: { from: '2026-12-15' } })] }, rejected: {} },
    {
      name: 'a datetime bound is exact',
      input: { routes: [makeRoute({ id: 'r', available: { from: '2026-12-15T12:00:01Z' } })] },
      rejected: { r: ['not_yet_available'] },
    },
  ],
  expired: [
    {
      name: 'after the day of a bare until',
      input: { routes: [makeRoute({ id: 'r', available: { until: '2026-12-14' } })] },
      rejected: { r: ['expired'] },
      details: { r: [/available until 2026-12-14/] },
    },
    { name: 'on the day of a bare until (inclusive)', input: { routes: [makeRoute({ id: 'r', available: { until: '2026-12-15' } })] }, rejected: {} },
    {
      name: 'a window entirely in the past gives only expired, a future one only not_yet_available',
      input: {
        routes: [
          makeRoute({ id: 'past', available: { from: '2026-01-01', until: '2026-02-01' } }),
          makeRoute({ id: 'future', available: { from: '2027-01-01', until: '2027-02-01' } }),
        ],
      },
      rejected: { past: ['expired'], future: ['not_yet_available'] },
    },
  ],
  region: [
    {
      name: 'a data zone admits every route of that zone',
      input: constraints({ regions: ['eu'] }),
      rejected: { 'azure-us': ['region'], 'bedrock-us': ['region'], 'openai-global': ['region'], 'vertex-us': ['region'] },
      details: { 'azure-us': [/eastus2\/us not in \[eu\]/], 'openai-global': [/global\/global not in \[eu\]/] },
    },
    {
      name: 'a region name admits that region',
      input: constraints({ regions: ['us-east-2', 'swedencentral'] }),
      rejected: { 'azure-us': ['region'], 'openai-global': ['region'], 'vertex-us': ['region'] },
    },
    {
      name: 'global passes only when allowed',
      input: constraints({ regions: ['global'] }),
      rejected: { 'azure-us': ['region'], 'azure-eu': ['region'], 'bedrock-us': ['region'], 'vertex-us': ['region'] },
    },
    {
      name: 'an empty list allows nothing',
      input: constraints({ regions: [] }),
      rejected: { 'azure-us': ['region'], 'azure-eu': ['region'], 'bedrock-us': ['region'], 'openai-global': ['region'], 'vertex-us': ['region'] },
    },
    {
      name: 'a route without a data zone is matched by its region',
      input: { routes: [makeRoute({ id: 'r', region: 'eastus2' })], constraints: { regions: ['us'] } },
      rejected: { r: ['region'] },
      details: { r: [/^eastus2 not in \[us\]$/] },
    },
  ],
  compliance: [
    {
      name: 'every required tag must be present; the detail lists the missing ones',
      input: constraints({ compliance: ['hipaa', 'fedramp-high'] }),
      rejected: { 'azure-us': ['compliance'], 'azure-eu': ['compliance'], 'openai-global': ['compliance'], 'vertex-us': ['compliance'] },
      details: { 'azure-us': [/missing fedramp-high$/], 'azure-eu': [/missing hipaa, fedramp-high/] },
    },
  ],
  capability: [
    {
      name: 'one reason per missing capability, each named',
      input: needs({ capabilities: ['tools', 'vision', 'json_schema'] }),
      rejected: { 'vertex-us': ['capability', 'capability'] },
      details: { 'vertex-us': [/lacks vision/, /lacks json_schema/] },
    },
    {
      name: 'an empty capabilities list declares nothing but streaming',
      input: {
        routes: [makeRoute({ id: 'plain', capabilities: [] }), makeRoute({ id: 'listed', capabilities: ['tools'] })],
        needs: makeNeeds({ capabilities: ['streaming'] }),
      },
      rejected: { listed: ['capability'] },
    },
    {
      name: 'an empty list does not imply tools',
      input: { routes: [makeRoute({ id: 'plain', capabilities: [] })], needs: makeNeeds({ capabilities: ['tools'] }) },
      rejected: { plain: ['capability'] },
    },
    {
      name: 'embedding model routes imply embeddings',
      input: {
        model: makeModel({ kind: 'embedding' }),
        routes: [makeRoute({ id: 'e', capabilities: [] })],
        needs: makeNeeds({ capabilities: ['embeddings'] }),
      },
      rejected: {},
    },
  ],
  context_window: [
    {
      name: 'input plus requested output over the context',
      input: needs({ inputTokens: 120000, maxOutputTokens: 20000 }),
      rejected: { 'vertex-us': ['context_window'] },
      details: { 'vertex-us': [/~120000 input \+ 20000 output tokens > context 131072/] },
    },
    { name: 'exactly the context fits', input: needs({ inputTokens: 131072 }), rejected: {} },
    {
      name: 'requested output over max_output, and the sum over the context: two reasons',
      input: needs({ inputTokens: 100000, maxOutputTokens: 40000 }),
      rejected: { 'vertex-us': ['context_window', 'context_window'] },
      details: { 'vertex-us': [/context 131072/, /40000 output tokens > max_output 32768/] },
    },
    {
      name: 'a route without limits takes anything',
      input: { routes: [makeRoute({ id: 'r' })], needs: makeNeeds({ inputTokens: 10_000_000, maxOutputTokens: 1_000_000 }) },
      rejected: {},
    },
  ],
  price: [
    {
      name: 'prompt and completion ceilings, one reason per side',
      input: constraints({ max_price: { prompt: 5, completion: 30 } }),
      rejected: { 'bedrock-us': ['price', 'price'] },
      details: { 'bedrock-us': [/input 5.50 > max 5.00 USD\/1M/, /output 33.00 > max 30.00 USD\/1M/] },
    },
    {
      name: 'a route without a price passes',
      input: { routes: [makeRoute({ id: 'r' })], constraints: { max_price: { prompt: 0, completion: 0 } } },
      rejected: {},
    },
  ],
  provider_excluded: [
    {
      name: 'providers.only',
      input: constraints({ providers: { only: ['bedrock'] } }),
      rejected: {
        'azure-us': ['provider_excluded'],
        'azure-eu': ['provider_excluded'],
        'openai-global': ['provider_excluded'],
        'vertex-us': ['provider_excluded'],
      },
      details: { 'azure-us': [/azure not in providers.only \[bedrock\]/] },
    },
    {
      name: 'providers.ignore',
      input: constraints({ providers: { ignore: ['azure', 'vertex'] } }),
      rejected: { 'azure-us': ['provider_excluded'], 'azure-eu': ['provider_excluded'], 'vertex-us': ['provider_excluded'] },
      details: { 'vertex-us': [/vertex in providers.ignore/] },
    },
    {
      name: 'both lists: ignore wins over only',
      input: constraints({ providers: { only: ['azure', 'vertex'], ignore: ['azure'] } }),
      rejected: {
        'azure-us': ['provider_excluded'],
        'azure-eu': ['provider_excluded'],
        'bedrock-us': ['provider_excluded'],
        'openai-global': ['provider_excluded'],
      },
    },
  ],
  circuit_open: [
    {
      name: 'an open circuit rejects, a half-open one is kept',
      input: { routes, health: makeHealth({ 'azure-us': 'open', 'azure-eu': 'half_open' }) },
      rejected: { 'azure-us': ['circuit_open'] },
    },
  ],
  license: [
    {
      name: 'an exclusive license in force bars other providers but not the licensor',
      input: { routes, agreements: [makeAgreement({ license: { licensee: 'azure', exclusive: true, until: '2030-12-31' } })] },
      rejected: { 'bedrock-us': ['license'], 'vertex-us': ['license'] },
      details: { 'bedrock-us': [/exclusive license to azure until 2030-12-31 \(agreement test-agreement\)/] },
    },
    {
      name: 'an exclusive license that ended bars nobody, and its licensee is out too',
      input: { routes, agreements: [makeAgreement({ license: { licensee: 'azure', exclusive: true, until: '2026-06-30' } })] },
      rejected: { 'azure-us': ['license'], 'azure-eu': ['license'] },
      details: { 'azure-us': [/license of azure runs open to 2026-06-30/] },
    },
    {
      name: 'a license not yet started keeps its licensee out',
      input: { routes, agreements: [makeAgreement({ license: { licensee: 'bedrock', exclusive: false, from: '2027-01-01' } })] },
      rejected: { 'bedrock-us': ['license'] },
    },
    {
      name: 'an agreement scoped to other models does not apply',
      input: { routes, agreements: [makeAgreement({ models: ['other-model'], license: { licensee: 'azure', exclusive: true } })] },
      rejected: {},
    },
    {
      name: "an agreement without models covers only the licensor's models",
      input: { routes, model: makeModel({ owned_by: 'someone-else' }), agreements: [makeAgreement({ license: { licensee: 'azure', exclusive: true } })] },
      rejected: {},
    },
  ],
  first_ship_window: [
    {
      name: 'inside the window only the primary is kept; the detail names the primary and the end date',
      input: { routes, now: at('2026-11-15T00:00:00Z'), agreements: [makeAgreement({ first_ship: { primary: 'azure', window_days: 30 } })] },
      rejected: { 'bedrock-us': ['first_ship_window'], 'openai-global': ['first_ship_window'], 'vertex-us': ['first_ship_window'] },
      details: { 'bedrock-us': [/azure ships test-model first until 2026-12-01 \(agreement test-agreement\)/] },
    },
    {
      name: 'the window ends at released + window_days',
      input: { routes, now: at('2026-12-01T00:00:00Z'), agreements: [makeAgreement({ first_ship: { primary: 'azure', window_days: 30 } })] },
      rejected: {},
    },
    {
      name: 'first_ship.until ends the window early',
      input: {
        routes,
        now: at('2026-11-15T00:00:00Z'),
        agreements: [makeAgreement({ first_ship: { primary: 'azure', window_days: 30, until: '2026-11-10' } })],
      },
      rejected: {},
    },
    {
      name: 'a capability gap of every primary route lifts the window',
      input: {
        routes,
        now: at('2026-11-15T00:00:00Z'),
        needs: makeNeeds({ capabilities: ['vision'] }),
        agreements: [makeAgreement({ first_ship: { primary: 'vertex', window_days: 30 } })],
      },
      rejected: { 'vertex-us': ['capability'] },
    },
    {
      name: 'one primary route with the capability keeps the window closed',
      input: {
        routes: [routes[0]!, { ...routes[1]!, capabilities: ['streaming'] }, routes[3]!],
        now: at('2026-11-15T00:00:00Z'),
        needs: makeNeeds({ capabilities: ['vision'] }),
        agreements: [makeAgreement({ first_ship: { primary: 'azure', window_days: 30 } })],
      },
      rejected: { 'azure-eu': ['capability'], 'openai-global': ['first_ship_window'] },
    },
    {
      name: 'a primary without any route does not lift the window (fails closed)',
      input: { routes: [routes[3]!], now: at('2026-11-15T00:00:00Z'), agreements: [makeAgreement({ first_ship: { primary: 'azure', window_days: 30 } })] },
      rejected: { 'openai-global': ['first_ship_window'] },
    },
    {
      name: "the primary's region, price or health do not lift it",
      input: {
        routes,
        now: at('2026-11-15T00:00:00Z'),
        constraints: { regions: ['eu'], max_price: { prompt: 1 } },
        health: makeHealth({ 'vertex-us': 'open' }),
        agreements: [makeAgreement({ first_ship: { primary: 'vertex', window_days: 30 } })],
      },
      rejected: {
        'azure-us': ['region', 'price', 'first_ship_window'],
        'azure-eu': ['price', 'first_ship_window'],
        'bedrock-us': ['region', 'price', 'first_ship_window'],
        'openai-global': ['region', 'price', 'first_ship_window'],
        'vertex-us': ['region', 'circuit_open'],
      },
    },
    {
      name: 'a model without a released date has no window',
      input: {
        routes,
        model: makeModel({ released: undefined }),
        now: at('2026-11-15T00:00:00Z'),
        agreements: [makeAgreement({ first_ship: { primary: 'azure', window_days: 30 } })],
      },
      rejected: {},
    },
  ],
  parameter_unsupported: [
    {
      name: 'require_parameters rejects Bedrock Converse for n and logprobs',
      input: {
        routes: [
          makeRoute({ id: 'converse', provider: 'bedrock' }),
          makeRoute({ id: 'converse-named', provider: 'bedrock', api: 'converse' }),
          makeRoute({ id: 'bedrock-openai', provider: 'bedrock', api: 'openai' }),
          makeRoute({ id: 'openai' }),
        ],
        constraints: { require_parameters: true },
        needs: makeNeeds({ parameters: ['temperature', 'n', 'logprobs'] }),
      },
      rejected: { converse: ['parameter_unsupported'], 'converse-named': ['parameter_unsupported'] },
      details: { converse: [/Bedrock Converse cannot carry n, logprobs$/] },
    },
    {
      name: 'without require_parameters nothing is rejected for parameters',
      input: { routes: [makeRoute({ id: 'converse', provider: 'bedrock' })], needs: makeNeeds({ parameters: ['n'] }) },
      rejected: {},
    },
  ],
  hosted_tool: [
    {
      name: 'a forced hosted tool rejects every route that does not run it',
      input: {
        routes: [
          makeRoute({ id: 'runs', capabilities: ['tools', 'responses', 'web_search'] }),
          makeRoute({ id: 'chat', capabilities: ['tools', 'web_search'] }),
          makeRoute({ id: 'native', capabilities: ['tools', 'responses'] }),
        ],
        needs: makeNeeds({ hostedTools: [{ tool: 'web_search', forced: true }] }),
      },
      rejected: { chat: ['hosted_tool'], native: ['hosted_tool'] },
      details: { chat: [/does not run web_search \(forced by tool_choice\)/] },
    },
    {
      name: 'hosted_tools: refuse rejects a route that cannot run an offered tool',
      input: {
        routes: [makeRoute({ id: 'runs', capabilities: ['responses', 'file_search'] }), makeRoute({ id: 'chat' })],
        constraints: { hosted_tools: 'refuse' },
        needs: makeNeeds({ hostedTools: [{ tool: 'file_search', forced: false }] }),
      },
      rejected: { chat: ['hosted_tool'] },
      details: { chat: [/does not run file_search \(hosted_tools: refuse\)/] },
    },
    {
      name: 'by default an offered tool rejects nothing (it is dropped where it cannot run)',
      input: { routes: [makeRoute({ id: 'chat' })], needs: makeNeeds({ hostedTools: [{ tool: 'web_search', forced: false }] }) },
      rejected: {},
    },
  ],
};

describe('planRoutes hosted tools', () => {
  it('ranks the routes that run every offered hosted tool first, ahead of a right of first refusal, and says what the others drop', () => {
    const plan = planRoutes(
      makePlanInput({
        routes: [
          makeRoute({ id: 'primary', provider: 'azure', capabilities: ['tools', 'responses'] }),
          makeRoute({ id: 'runs', provider: 'openai', capabilities: ['tools', 'responses', 'web_search'] }),
        ],
        agreements: [makeAgreement({ first_ship: { primary: 'azure', window_days: 0, rofr: true } })],
        needs: makeNeeds({ hostedTools: [{ tool: 'web_search', forced: false }] }),
      }),
    );
    assert.deepEqual(
      plan.kept.map((kept) => kept.route.id),
      ['runs', 'primary'],
    );
    assert.match(plan.kept[1]?.basis ?? '', /^drops web_search/);
  });

  it('keeps the catalog order when no hosted tool is offered', () => {
    const plan = planRoutes(
      makePlanInput({ routes: [makeRoute({ id: 'a', capabilities: ['responses'] }), makeRoute({ id: 'b', capabilities: ['responses', 'web_search'] })] }),
    );
    assert.deepEqual(
      plan.kept.map((kept) => kept.route.id),
      ['a', 'b'],
    );
  });
});

describe('planRoutes rejections', () => {
  for (const [code, cases] of Object.entries(CASES)) {
    describe(code, () => {
      for (const testCase of cases) {
        it(testCase.name, () => {
          const input = makePlanInput(testCase.input);
          const plan = planRoutes(input);
          const rejected = Object.fromEntries(plan.rejected.map(({ route, reasons }) => [route.id, reasons.map((reason) => reason.code)]));
          assert.deepEqual(rejected, testCase.rejected);
          const keptIds = plan.kept.map(({ route }) => route.id).sort();
          const expectedKept = input.routes
            .map((route) => route.id)
            .filter((id) => !(id in testCase.rejected))
            .sort();
          assert.deepEqual(keptIds, expectedKept);
          for (const [id, patterns] of Object.entries(testCase.details ?? {})) {
            const reasons = plan.rejected.find(({ route }) => route.id === id)?.reasons ?? [];
            for (const [index, pattern] of patterns.entries()) assert.match(reasons[index]?.detail ?? '', pattern, `${id} reason ${index}`);
          }
        });
      }
    });
  }
});

describe('planRoutes plan shape', () => {
  it('names the model, the instant and the effective constraints', () => {
    const constraints: Constraints = { regions: ['us'] };
    const plan = planRoutes(makePlanInput({ routes, constraints }));
    assert.equal(plan.model, 'test-model');
    assert.equal(plan.at, '2026-12-15T12:00:00.000Z');
    assert.equal(plan.constraints, constraints);
    assert.deepEqual(
      plan.kept.map(({ rank }) => rank),
      [1, 2, 3],
    );
  });

  it('lists every reason, not just the first', () => {
    const route = makeRoute({
      id: 'r',
      provider: 'vertex',
      region: 'us-central1',
      data_zone: 'us',
      available: { from: '2027-01-01' },
      capabilities: [],
      price: { input: 9, output: 9 },
    });
    const plan = planRoutes(
      makePlanInput({
        routes: [route],
        constraints: {
          regions: ['eu'],
          compliance: ['hipaa'],
          providers: { only: ['azure'] },
          max_price: { prompt: 1, completion: 1 },
          require_parameters: true,
        },
        needs: makeNeeds({ capabilities: ['tools'], parameters: ['n'] }),
        health: makeHealth({ r: 'open' }),
      }),
    );
    assert.deepEqual(
      plan.rejected[0]?.reasons.map((reason) => reason.code),
      ['not_yet_available', 'region', 'compliance', 'provider_excluded', 'capability', 'price', 'price', 'circuit_open'],
    );
  });

  it('reads no clock: the same input gives the same plan', () => {
    const input = makePlanInput({ routes, health: makeHealth({}, { 'azure-us': 40 }) satisfies HealthView });
    assert.deepEqual(planRoutes(input), planRoutes(input));
  });
});
