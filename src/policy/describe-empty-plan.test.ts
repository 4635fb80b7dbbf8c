import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NoRouteAvailableError, PolicyUnsatisfiableError } from '../wire/index.ts';
import { describeEmptyPlan, NO_ROUTE_AVAILABLE, NO_ROUTE_MATCHES_POLICY } from './describe-empty-plan.ts';
import { planRoutes } from './plan-routes.ts';
import type { PlanInput } from './plan-types.ts';
import { makeCloudRoutes, makeHealth, makeModel, makePlanInput } from './test-plan-input.ts';

const routes = makeCloudRoutes();
const plan = (input: Partial<PlanInput>) => planRoutes(makePlanInput({ routes, model: makeModel({ id: 'gpt-5.5' }), ...input }));

describe('describeEmptyPlan', () => {
  it('400 no_route_matches_policy naming every route and constraint when constraints exclude everything', () => {
    const error = describeEmptyPlan(plan({ routes: routes.slice(0, 1).concat(routes[3]!), constraints: { regions: ['eu'] } }));
    assert.ok(error instanceof PolicyUnsatisfiableError);
    assert.equal(error.status, 400);
    assert.equal(error.type, 'invalid_request_error');
    assert.equal(error.code, NO_ROUTE_MATCHES_POLICY);
    assert.equal(
      error.message,
      "No route for model 'gpt-5.5' satisfies the request: azure-us: region (eastus2/us not in [eu]); openai-global: region (global/global not in [eu]).",
    );
    assert.deepEqual(error.rejected[0], { route: 'azure-us', reasons: [{ code: 'region', detail: 'eastus2/us not in [eu]' }] });
  });

  it('400 when routes with open circuits would be excluded by the policy anyway', () => {
    const error = describeEmptyPlan(plan({ constraints: { compliance: ['no-such-tag'] }, health: makeHealth({ 'azure-us': 'open' }) }));
    assert.equal(error.code, NO_ROUTE_MATCHES_POLICY);
    assert.match(error.message, /azure-us: compliance \(missing no-such-tag\), circuit_open \(circuit open\)/);
  });

  it('503 no_route_available when the routes the policy allows all have open circuits', () => {
    const error = describeEmptyPlan(plan({ constraints: { regions: ['eu'] }, health: makeHealth({ 'azure-eu': 'open' }) }));
    assert.ok(error instanceof NoRouteAvailableError);
    assert.equal(error.status, 503);
    assert.equal(error.code, NO_ROUTE_AVAILABLE);
    assert.match(error.message, /azure-eu/);
  });

  it('400 for a model without routes', () => {
    const error = describeEmptyPlan(plan({ routes: [] }));
    assert.equal(error.code, NO_ROUTE_MATCHES_POLICY);
    assert.match(error.message, /it has no routes/);
  });
});
