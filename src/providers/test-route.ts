// Test support: builds a Route through the catalog's own schema, so tests get the same defaults and Secret values
// that a loaded crossway.yaml gives. Used only by tests.
import { routeSchema, type Route } from '../catalog/index.ts';

/** A valid route; `input` overrides the defaults (an OpenAI route with a bearer key). */
export function makeTestRoute(input: Record<string, unknown> = {}): Route {
  return routeSchema.parse({
    id: 'test-route',
    model: 'crossway-model',
    provider: 'openai',
    endpoint: 'https://api.openai.com/v1',
    auth: { type: 'bearer', key: 'sk-test-secret' },
    ...input,
  });
}
