// Test support: small catalogs for planner tests, built through the catalog's own schemas so that they get the same
// defaults a loaded crossway.yaml gives. Used only by tests.
import { agreementSchema, modelSchema, routeSchema, type Agreement, type ModelEntry, type Route } from '../catalog/index.ts';
import type { HealthView, PlanInput, RequestNeeds } from './plan-types.ts';

/** A chat route of `test-model` on OpenAI; `input` overrides any field. */
export function makeRoute(input: Record<string, unknown> = {}): Route {
  return routeSchema.parse({
    id: 'test-route',
    model: 'test-model',
    provider: 'openai',
    endpoint: 'https://api.openai.com/v1',
    capabilities: ['tools', 'vision', 'json_schema', 'streaming'],
    ...input,
  });
}

/** The chat model `test-model`, owned by `openai`, released 2026-11-01. */
export function makeModel(input: Record<string, unknown> = {}): ModelEntry {
  return modelSchema.parse({ id: 'test-model', owned_by: 'openai', released: '2026-11-01', ...input });
}

export function makeAgreement(input: Record<string, unknown> = {}): Agreement {
  return agreementSchema.parse({ id: 'test-agreement', licensor: 'openai', ...input });
}

/** Needs of a plain small request. */
export function makeNeeds(input: Partial<RequestNeeds> = {}): RequestNeeds {
  return { capabilities: [], inputTokens: 100, maxOutputTokens: null, parameters: [], ...input };
}

/** A health view with the given circuit states and latencies (closed and unknown otherwise). */
export function makeHealth(states: Record<string, 'closed' | 'open' | 'half_open'> = {}, latencies: Record<string, number> = {}, epoch = 0): HealthView {
  return { epoch, state: (id) => states[id] ?? 'closed', latencyMs: (id) => latencies[id] ?? null };
}

/** A plan input for `test-model` on 2026-12-15 with no constraints, no agreements and healthy routes. */
export function makePlanInput(input: Partial<PlanInput> = {}): PlanInput {
  return {
    model: makeModel(),
    routes: [makeRoute()],
    needs: makeNeeds(),
    constraints: {},
    agreements: [],
    health: makeHealth(),
    now: new Date('2026-12-15T12:00:00Z'),
    ...input,
  };
}

/** A typical multi-cloud set: Azure us and eu, Bedrock us, OpenAI global, Vertex us. */
export function makeCloudRoutes(): Route[] {
  return [
    makeRoute({
      id: 'azure-us',
      provider: 'azure',
      region: 'eastus2',
      data_zone: 'us',
      compliance: ['soc2', 'hipaa'],
      price: { input: 5, cached_input: 0.5, output: 30 },
      limits: { context: 400000, max_output: 128000 },
    }),
    makeRoute({
      id: 'azure-eu',
      provider: 'azure',
      region: 'swedencentral',
      data_zone: 'eu',
      compliance: ['soc2', 'eu-data-boundary'],
      price: { input: 5, cached_input: 0.5, output: 30 },
      limits: { context: 400000, max_output: 128000 },
    }),
    makeRoute({
      id: 'bedrock-us',
      provider: 'bedrock',
      api: 'openai',
      region: 'us-east-2',
      data_zone: 'us',
      compliance: ['soc2', 'hipaa', 'fedramp-high'],
      price: { input: 5.5, cached_input: 0.55, output: 33 },
      limits: { context: 400000, max_output: 128000 },
    }),
    makeRoute({
      id: 'openai-global',
      provider: 'openai',
      region: 'global',
      data_zone: 'global',
      compliance: ['soc2', 'zdr'],
      price: { input: 5, cached_input: 0.5, output: 30 },
      limits: { context: 400000, max_output: 128000 },
    }),
    makeRoute({
      id: 'vertex-us',
      provider: 'vertex',
      region: 'us-central1',
      data_zone: 'us',
      compliance: ['soc2'],
      capabilities: ['tools', 'streaming'],
      price: { input: 0.15, output: 0.6 },
      limits: { context: 131072, max_output: 32768 },
    }),
  ];
}
