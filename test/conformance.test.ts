// Runs the translation conformance suite against every chat route of the demo catalog (all four clouds' emulators).
import { after } from 'node:test';
import { runConformance, type OptionalFeature } from './conformance.case.test.ts';
import { startDemoStack } from './support/start-demo-stack.ts';

// What a route cannot carry. Bedrock's Converse API returns a single candidate; gpt-oss-120b reads no images, so
// the planner refuses image input on its routes (capability `vision` not declared).
const REFUSALS: Record<string, Partial<Record<OptionalFeature, RegExp>>> = {
  'bedrock-us-west-2-gpt-oss-120b': { n: /^n /, image: /vision/, remote_image_url: /vision/ },
  'vertex-us-central1-gpt-oss-120b': { image: /vision/, remote_image_url: /vision/ },
};

const stack = await startDemoStack();
after(() => stack.close());

for (const route of stack.chatRoutes) {
  runConformance({ client: stack.client, model: `route:${route.id}`, routeId: route.id, refuses: REFUSALS[route.id] ?? {} });
}
