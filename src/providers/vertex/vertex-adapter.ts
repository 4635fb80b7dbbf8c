// The Vertex AI adapter: OpenAI's wire translation composed with Vertex's OpenAI-compatible URLs and Google's error
// shapes (as the Azure adapter composes it with Azure's). Bodies and streams pass through as OpenAI-wire bytes.
import { createOpenAIWireAdapter, resolveUpstreamModel } from '../openai/index.ts';
import type { ProviderAdapter } from '../provider-adapter.ts';
import { buildVertexUrl } from './convert-to-vertex-request.ts';
import { mapVertexError, mapVertexStreamError } from './map-vertex-error.ts';

/**
 * Vertex AI's `endpoints/openapi` chat completions and embeddings: `route.endpoint` is the host, `route.project` the
 * Google Cloud project, `route.region` the location, `route.deployment` the model id Vertex expects in the body
 * (publisher/model, e.g. `openai/gpt-oss-120b-maas`).
 */
export const vertexAdapter: ProviderAdapter = createOpenAIWireAdapter({
  name: 'vertex',
  buildUrl: buildVertexUrl,
  resolveBodyModel: resolveUpstreamModel,
  mapError: mapVertexError,
  mapStreamError: mapVertexStreamError,
});
