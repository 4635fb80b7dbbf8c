// Properties of the planner over generated catalogs, constraints, agreements, health and dates (fast-check).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Agreement, Capability, Constraints, Route } from '../catalog/index.ts';
import { mergeConstraints } from './merge-constraints.ts';
import { planRoutes } from './plan-routes.ts';
import type { PlanInput, RequestNeeds } from './plan-types.ts';
import { makeAgreement, makeHealth, makeModel, makeRoute } from './test-plan-input.ts';

const RUNS = { numRuns: 200 };
const DAY = 86_400_000;
const EPOCH = Date.parse('2026-01-01T00:00:00Z');

const PROVIDERS = ['openai', 'azure', 'bedrock', 'vertex'] as const;
const REGIONS = ['eastus2', 'swedencentral', 'us-east-2', 'global', 'us-central1'];
const ZONES = ['us', 'eu', 'apac', 'global'];
const TAGS = ['soc2', 'hipaa', 'fedramp-high', 'zdr', 'eu-data-boundary'];
const CAPABILITIES: Capability[] = ['tools', 'vision', 'json_schema', 'reasoning', 'streaming'];
const PARAMETERS = ['n', 'temperature', 'logprobs', 'seed', 'top_p'];

/** A bare catalog date between 2026-01-01 and 2027-12-31. */
const dateArb = fc.integer({ min: 0, max: 729 }).map((days) => new Date(EPOCH + days * DAY).toISOString().slice(0, 10));
const subset = <T>(items: readonly T[]) => fc.subarray([...items]);
/** `arbitrary` one time in `1 + absentWeight`, else undefined: generated policies must keep some routes to say much. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>, absentWeight = 3) =>
  fc.oneof({ weight: absentWeight, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });
/** A list biased towards most of `items` (route-side lists: what a route offers). */
const most = <T>(items: readonly T[]) => fc.oneof({ weight: 2, arbitrary: fc.constant([...items]) }, { weight: 1, arbitrary: subset(items) });
/** A list biased towards few of `items` (request-side lists: what a policy requires). */
const few = <T>(items: readonly T[]) =>
  fc.oneof(
    fc.constant([] as T[]),
    subset(items).map((list) => list.slice(0, 2)),
  );
const withoutUndefined = <T extends object>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const routeFieldsArb = fc.record({
  provider: fc.constantFrom(...PROVIDERS),
  api: sometimes(fc.constantFrom('converse', 'openai'), 1),
  region: fc.constantFrom(...REGIONS),
  data_zone: sometimes(fc.constantFrom(...ZONES), 1),
  compliance: most(TAGS),
  capabilities: fc.oneof({ weight: 3, arbitrary: fc.constant(CAPABILITIES) }, { weight: 1, arbitrary: subset(CAPABILITIES) }),
  limits: fc.record({ context: sometimes(fc.integer({ min: 1000, max: 500_000 }), 1), max_output: sometimes(fc.integer({ min: 100, max: 200_000 }), 1) }),
  price: sometimes(
    fc.record({
      input: fc.integer({ min: 0, max: 2000 }).map((cents) => cents / 100),
      cached_input: sometimes(
        fc.integer({ min: 0, max: 200 }).map((cents) => cents / 100),
        1,
      ),
      output: fc.integer({ min: 0, max: 6000 }).map((cents) => cents / 100),
    }),
    1,
  ),
  available: fc.record({ from: sometimes(dateArb), until: sometimes(dateArb) }),
  weight: sometimes(fc.integer({ min: 0, max: 5 }), 1),
});

const routesArb = fc
  .array(routeFieldsArb, { maxLength: 8 })
  .map((list) => list.map((fields, index) => makeRoute(withoutUndefined({ id: `route-${index}`, ...fields }))));

/** Constraints where each field is present one time in `1 + absentWeight`. */
const constraintsWith = (absentWeight: number): fc.Arbitrary<Constraints> =>
  fc
    .record({
      regions: sometimes(subset([...REGIONS, ...ZONES]), absentWeight),
      compliance: sometimes(few(TAGS), absentWeight),
      providers: sometimes(
        fc.record({ order: sometimes(subset(PROVIDERS), 1), only: sometimes(subset(PROVIDERS), 1), ignore: sometimes(few(PROVIDERS), 1) }),
        absentWeight,
      ),
      allow_fallbacks: sometimes(fc.boolean()),
      require_parameters: sometimes(fc.boolean(), absentWeight),
      sort: sometimes(fc.constantFrom('price' as const, 'latency' as const, 'throughput' as const), 1),
      max_price: sometimes(
        fc.record({
          prompt: sometimes(
            fc.integer({ min: 0, max: 2000 }).map((cents) => cents / 100),
            1,
          ),
          completion: sometimes(
            fc.integer({ min: 0, max: 6000 }).map((cents) => cents / 100),
            1,
          ),
        }),
        absentWeight,
      ),
    })
    .map(withoutUndefined);
const constraintsArb = constraintsWith(3);
/** Denser constraints, for the merge property: both sides must often set the same field for it to be tested. */
const denseConstraintsArb = constraintsWith(1);

const needsArb: fc.Arbitrary<RequestNeeds> = fc.record({
  capabilities: few(CAPABILITIES),
  inputTokens: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 4000 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 600_000 }) }),
  maxOutputTokens: fc.option(fc.integer({ min: 1, max: 200_000 }), { nil: null }),
  parameters: few(PARAMETERS),
});

const agreementArb: fc.Arbitrary<Agreement> = fc
  .record({
    license: sometimes(fc.record({ licensee: fc.constantFrom(...PROVIDERS), exclusive: fc.boolean(), from: sometimes(dateArb), until: sometimes(dateArb) }), 1),
    first_ship: sometimes(
      fc.record({ primary: fc.constantFrom(...PROVIDERS), window_days: fc.integer({ min: 0, max: 90 }), rofr: fc.boolean(), until: sometimes(dateArb, 1) }),
      1,
    ),
  })
  .map((fields) => makeAgreement(withoutUndefined({ id: 'generated', ...fields })));

const inputArb: fc.Arbitrary<PlanInput> = fc
  .record({
    routes: routesArb,
    constraints: constraintsArb,
    needs: needsArb,
    agreements: fc.array(agreementArb, { maxLength: 2 }),
    released: fc.option(dateArb, { nil: undefined }),
    ownedBy: fc.constantFrom('openai', 'someone-else'),
    states: fc.array(fc.constantFrom('closed', 'closed', 'closed', 'closed', 'open', 'half_open'), { minLength: 8, maxLength: 8 }),
    latencies: fc.array(fc.option(fc.integer({ min: 1, max: 2000 }), { nil: undefined }), { minLength: 8, maxLength: 8 }),
    nowDays: fc.integer({ min: 0, max: 729 }),
    nowMs: fc.integer({ min: 0, max: DAY - 1 }),
  })
  .map(({ routes, constraints, needs, agreements, released, ownedBy, states, latencies, nowDays, nowMs }) => ({
    model: makeModel({ released, owned_by: ownedBy }),
    routes,
    needs,
    constraints,
    agreements,
    health: makeHealth(
      Object.fromEntries(routes.map((route, index) => [route.id, states[index] ?? 'closed'])),
      Object.fromEntries(routes.flatMap((route, index) => (latencies[index] === undefined ? [] : [[route.id, latencies[index]]]))),
    ),
    now: new Date(EPOCH + nowDays * DAY + nowMs),
  }));

// An oracle written apart from the planner's own checks: what "violates a constraint" means, rule by rule.
function violations(route: Route, input: PlanInput): string[] {
  const found: string[] = [];
  const now = input.now.getTime();
  const { constraints: c, needs } = input;
  const dayStart = (text: string) => Date.parse(`${text}T00:00:00Z`);
  if (route.available.from !== undefined && now < dayStart(route.available.from)) found.push('from');
  if (route.available.until !== undefined && now >= dayStart(route.available.until) + DAY) found.push('until');
  if (c.regions !== undefined && !c.regions.includes(route.region) && !(route.data_zone !== undefined && c.regions.includes(route.data_zone)))
    found.push('region');
  if ((c.compliance ?? []).some((tag) => !route.compliance.includes(tag))) found.push('compliance');
  if (c.providers?.only !== undefined && !c.providers.only.includes(route.provider)) found.push('only');
  if (c.providers?.ignore?.includes(route.provider) === true) found.push('ignore');
  const declared = route.capabilities.length === 0 ? ['streaming'] : route.capabilities;
  if (needs.capabilities.some((capability) => !declared.includes(capability))) found.push('capability');
  if (route.limits.context !== undefined && needs.inputTokens + (needs.maxOutputTokens ?? 0) > route.limits.context) found.push('context');
  if (route.limits.max_output !== undefined && needs.maxOutputTokens !== null && needs.maxOutputTokens > route.limits.max_output) found.push('max_output');
  if (route.price !== undefined && c.max_price?.prompt !== undefined && route.price.input > c.max_price.prompt) found.push('prompt price');
  if (route.price !== undefined && c.max_price?.completion !== undefined && route.price.output > c.max_price.completion) found.push('completion price');
  const converse = route.provider === 'bedrock' && route.api !== 'openai';
  if (c.require_parameters === true && converse && needs.parameters.some((parameter) => ['n', 'logprobs', 'seed'].includes(parameter)))
    found.push('parameters');
  if (input.health.state(route.id) === 'open') found.push('circuit');
  return found;
}

/** Whether a first-ship agreement's window is open for the input's model and instant. */
function windowOpen(agreement: Agreement, input: PlanInput): boolean {
  const firstShip = agreement.first_ship;
  if (firstShip === undefined || input.model.released === undefined || input.model.owned_by !== agreement.licensor) return false;
  const end = Math.min(
    Date.parse(`${input.model.released}T00:00:00Z`) + firstShip.window_days * DAY,
    firstShip.until === undefined ? Infinity : Date.parse(`${firstShip.until}T00:00:00Z`) + DAY,
  );
  return input.now.getTime() < end;
}

function primaryLacksCapability(primary: string, input: PlanInput): boolean {
  const primaryRoutes = input.routes.filter((route) => route.provider === primary);
  return (
    primaryRoutes.length > 0 &&
    primaryRoutes.every((route) => {
      const declared = route.capabilities.length === 0 ? ['streaming'] : route.capabilities;
      return input.needs.capabilities.some((capability) => !declared.includes(capability));
    })
  );
}

const keptIds = (input: PlanInput) => new Set(planRoutes(input).kept.map(({ route }) => route.id));
const withoutFirstShip = (input: PlanInput): PlanInput => ({
  ...input,
  agreements: input.agreements.map(({ first_ship: _firstShip, ...rest }) => rest),
});

describe('planRoutes properties', () => {
  it('never keeps a route that violates a constraint', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        for (const { route } of planRoutes(input).kept) assert.deepEqual(violations(route, input), [], route.id);
      }),
      RUNS,
    );
  });

  it('rejects a route for each constraint it violates (a reason per violated rule family)', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const plan = planRoutes(input);
        for (const { route, reasons } of plan.rejected) {
          const codes = new Set(reasons.map((reason) => reason.code));
          for (const violation of violations(route, input)) {
            const code =
              (
                {
                  from: 'not_yet_available',
                  until: 'expired',
                  only: 'provider_excluded',
                  ignore: 'provider_excluded',
                  context: 'context_window',
                  max_output: 'context_window',
                  'prompt price': 'price',
                  'completion price': 'price',
                  parameters: 'parameter_unsupported',
                  circuit: 'circuit_open',
                } as Record<string, string>
              )[violation] ?? violation;
            assert.ok(codes.has(code as never), `${route.id}: ${violation} not among ${[...codes].join(', ')}`);
          }
        }
      }),
      RUNS,
    );
  });

  it('partitions the routes: every rejected route has a reason, kept routes are ranked 1..n', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const plan = planRoutes(input);
        for (const { reasons } of plan.rejected) assert.ok(reasons.length >= 1);
        for (const { reasons } of plan.rejected) for (const reason of reasons) assert.ok(reason.detail.length > 0);
        assert.deepEqual(
          plan.kept.map(({ rank }) => rank),
          plan.kept.map((_, index) => index + 1),
        );
        const ids = [...plan.kept, ...plan.rejected].map(({ route }) => route.id).sort();
        assert.deepEqual(ids, input.routes.map((route) => route.id).sort());
      }),
      RUNS,
    );
  });

  it('mergeConstraints never widens: merged keeps a subset of what the tenant and the request keep alone', () => {
    fc.assert(
      fc.property(inputArb, denseConstraintsArb, denseConstraintsArb, (generated, tenant, request) => {
        const input = { ...generated, constraints: tenant };
        const tenantKept = keptIds(input);
        const requestKept = keptIds({ ...input, constraints: request });
        for (const id of keptIds({ ...input, constraints: mergeConstraints(input.constraints, request) })) {
          assert.ok(tenantKept.has(id), `${id} kept under merge but not under the tenant policy`);
          assert.ok(requestKept.has(id), `${id} kept under merge but not under the request alone`);
        }
      }),
      RUNS,
    );
  });

  it('first-ship: inside an open window only the primary serves, unless every primary route lacks a capability', () => {
    fc.assert(
      fc.property(inputArb, fc.constantFrom(...PROVIDERS), fc.integer({ min: 1, max: 60 }), (generated, primary, windowDays) => {
        const agreement = makeAgreement({ id: 'window', first_ship: { primary, window_days: windowDays, rofr: false } });
        const input = { ...generated, model: makeModel({ released: '2026-06-01', owned_by: 'openai' }), agreements: [agreement] };
        const plan = planRoutes(input);
        if (windowOpen(agreement, input) && !primaryLacksCapability(primary, input)) {
          for (const { route } of plan.kept) assert.equal(route.provider, primary);
        } else {
          // After the window (or lifted) the rule leaves no trace.
          assert.ok(plan.rejected.every(({ reasons }) => reasons.every((reason) => reason.code !== 'first_ship_window')));
          assert.deepEqual(keptIds(input), keptIds(withoutFirstShip(input)));
        }
      }),
      RUNS,
    );
  });

  it("right of first refusal: the primary's kept routes come first while it holds, and change nothing after", () => {
    fc.assert(
      fc.property(inputArb, fc.constantFrom(...PROVIDERS), dateArb, (generated, primary, until) => {
        const agreement = makeAgreement({ id: 'rofr', first_ship: { primary, window_days: 0, rofr: true, until } });
        const input = { ...generated, agreements: [agreement] };
        const plan = planRoutes(input);
        const holds = input.now.getTime() < Date.parse(`${until}T00:00:00Z`) + DAY && input.model.owned_by === 'openai';
        if (holds) {
          const providers = plan.kept.map(({ route }) => route.provider);
          const firstOther = providers.findIndex((provider) => provider !== primary);
          if (firstOther !== -1)
            assert.ok(
              providers.slice(firstOther).every((provider) => provider !== primary),
              providers.join(' '),
            );
        } else {
          assert.deepEqual(plan.kept, planRoutes(withoutFirstShip(input)).kept);
        }
      }),
      RUNS,
    );
  });

  it('is stable: the same input gives a deep-equal plan, and shuffled routes the same kept set and reasons', () => {
    fc.assert(
      fc.property(
        inputArb.chain((input) =>
          fc.tuple(fc.constant(input), fc.shuffledSubarray(input.routes, { minLength: input.routes.length, maxLength: input.routes.length })),
        ),
        ([input, shuffled]) => {
          const plan = planRoutes(input);
          assert.deepEqual(planRoutes(input), plan);
          const reshuffled = planRoutes({ ...input, routes: shuffled });
          assert.deepEqual(new Set(reshuffled.kept.map(({ route }) => route.id)), new Set(plan.kept.map(({ route }) => route.id)));
          const reasons = (p: typeof plan) => Object.fromEntries(p.rejected.map(({ route, reasons: list }) => [route.id, list]));
          assert.deepEqual(reasons(reshuffled), reasons(plan));
        },
      ),
      RUNS,
    );
  });
});
