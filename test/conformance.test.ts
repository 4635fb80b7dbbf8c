// Runs the translation conformance suite against every chat route of the demo catalog (all four clouds' emulators).
import { after } from 'node:test';
import { runConformance, type OptionalFeature } from './conformance.case.test.ts';
import { startDemoStack } from './support/start-demo-stack.ts';

// What each wire form cannot carry: Bedrock's Converse API returns a single candidate and takes images only as bytes.
const REFUSALS: Record<string, Partial<Record<OptionalFeature, RegExp>>> = {
  'bedrock-us-west-2-gpt-oss-120b': { n: /^n$/, remote_image_url: /image_url/ },
};

const stack = await startDemoStack();
after(() => stack.close());

for (const route of stack.chatRoutes) {
  runConformance({ client: stack.client, model: `route:${route.id}`, routeId: route.id, refuses: REFUSALS[route.id] ?? {} });
}
