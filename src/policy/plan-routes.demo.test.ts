// The demo catalog on the dates the issue names: Bedrock's gpt-5.5 launch and gpt-5.6's first-ship window.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { loadCatalogFile, type Capability, type Route } from '../catalog/index.ts';
import { planRoutes } from './plan-routes.ts';
import type { Plan } from './plan-types.ts';
import { makeHealth, makeNeeds } from './test-plan-input.ts';

const catalog = loadCatalogFile(fileURLToPath(new URL('../../examples/crossway.demo.yaml', import.meta.url)), { env: { CROSSWAY_MASTER_KEY: 'x' } });

function planOn(model: string, date: string, capabilities: Capability[] = [], editRoutes: (routes: Route[]) => Route[] = (routes) => routes): Plan {
  const found = catalog.findModel(model);
  assert.ok(found, model);
  return planRoutes({
    model: found.model,
    routes: editRoutes(found.routes),
    needs: makeNeeds({ capabilities }),
    constraints: catalog.config.policy,
    agreements: catalog.agreements,
    health: makeHealth(),
    now: new Date(`${date}T12:00:00Z`),
  });
}

const keptIds = (plan: Plan) => plan.kept.map(({ route }) => route.id);
const reasonsOf = (plan: Plan, id: string) => plan.rejected.find(({ route }) => route.id === id)?.reasons ?? [];

describe('demo catalog: gpt-5.5 on Bedrock from 2026-06-01', () => {
  it('2026-05-15: Bedrock is not yet available (and gpt-5.5, released 2026-04-23, is still in its first-ship window)', () => {
    const plan = planOn('gpt-5.5', '2026-05-15');
    assert.deepEqual(reasonsOf(plan, 'bedrock-us-east-2-gpt-5.5'), [
      { code: 'not_yet_available', detail: 'available from 2026-06-01' },
      { code: 'first_ship_window', detail: 'azure ships gpt-5.5 first until 2026-05-23 (agreement microsoft-openai-2026)' },
    ]);
    assert.deepEqual(keptIds(plan), ['azure-eastus2-gpt-5.5', 'azure-swedencentral-gpt-5.5']);
  });

  it('2026-05-31: the window is over, Bedrock still not available', () => {
    const plan = planOn('gpt-5.5', '2026-05-31');
    assert.deepEqual(reasonsOf(plan, 'bedrock-us-east-2-gpt-5.5'), [{ code: 'not_yet_available', detail: 'available from 2026-06-01' }]);
    assert.deepEqual(keptIds(plan), ['azure-eastus2-gpt-5.5', 'azure-swedencentral-gpt-5.5', 'openai-global-gpt-5.5']);
  });

  it('2026-06-02: Bedrock is kept', () => {
    const plan = planOn('gpt-5.5', '2026-06-02');
    assert.deepEqual(plan.rejected, []);
    assert.ok(keptIds(plan).includes('bedrock-us-east-2-gpt-5.5'));
    assert.equal(plan.kept[0]?.basis, 'right of first refusal (azure), catalog order');
  });
});

describe('demo catalog: gpt-5.6 first-ship window (released 2026-11-01, 30 days)', () => {
  it('2026-11-15: only Azure; the others name azure and 2026-12-01', () => {
    const plan = planOn('gpt-5.6', '2026-11-15');
    assert.deepEqual(keptIds(plan), ['azure-eastus2-gpt-5.6']);
    assert.deepEqual(
      plan.rejected.map(({ route }) => route.id),
      ['openai-global-gpt-5.6', 'bedrock-us-east-2-gpt-5.6'],
    );
    for (const { reasons } of plan.rejected) {
      assert.equal(reasons.length, 1);
      assert.equal(reasons[0]?.code, 'first_ship_window');
      assert.match(reasons[0]?.detail ?? '', /azure.*2026-12-01/);
    }
  });

  it('2026-12-15: all three, Azure first by right of first refusal', () => {
    const plan = planOn('gpt-5.6', '2026-12-15');
    assert.deepEqual(keptIds(plan), ['azure-eastus2-gpt-5.6', 'openai-global-gpt-5.6', 'bedrock-us-east-2-gpt-5.6']);
    assert.match(plan.kept[0]?.basis ?? '', /^right of first refusal \(azure\)/);
    assert.deepEqual(plan.rejected, []);
  });

  it('2026-11-15 with tools, when Azure lacked tools: the window lifts', () => {
    const withoutTools = (routes: Route[]) =>
      routes.map((route) =>
        route.provider === 'azure' ? { ...route, capabilities: route.capabilities.filter((capability) => capability !== 'tools') } : route,
      );
    const plan = planOn('gpt-5.6', '2026-11-15', ['tools'], withoutTools);
    assert.deepEqual(keptIds(plan), ['openai-global-gpt-5.6', 'bedrock-us-east-2-gpt-5.6']);
    assert.deepEqual(reasonsOf(plan, 'azure-eastus2-gpt-5.6'), [{ code: 'capability', detail: 'lacks tools' }]);
    assert.match(plan.kept[0]?.basis ?? '', /first-ship window lifted \(azure lacks tools\)/);
  });

  it('2026-11-15 with tools, Azure having them: the window holds', () => {
    const plan = planOn('gpt-5.6', '2026-11-15', ['tools']);
    assert.deepEqual(keptIds(plan), ['azure-eastus2-gpt-5.6']);
  });
});
