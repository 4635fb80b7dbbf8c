// The AWS Bedrock adapter: Converse / ConverseStream translation, or the OpenAI wire for Bedrock's OpenAI-compatible
// endpoints (bedrock-runtime `/openai/v1`, bedrock-mantle `/v1`), chosen per call from `route.api`. Both
// OpenAI-compatible endpoints also serve the native Responses API (AWS "Responses API",
// docs.aws.amazon.com/bedrock/latest/userguide/inference-responses-api.html); Converse routes do not.
import { randomUUID } from 'node:crypto';
import type { Route } from '../../catalog/index.ts';
import { InvalidRequestError } from '../../wire/index.ts';
import { createOpenAIWireAdapter, mapOpenAIStreamError, resolveUpstreamModel } from '../openai/index.ts';
import type { NativeResponsesWire, ProviderAdapter } from '../provider-adapter.ts';
import { routeConfigurationError } from '../route-configuration-error.ts';
import { buildBedrockOpenAIUrl, resolveBedrockApi } from './build-bedrock-url.ts';
import { convertBedrockConverseResponse, type CompletionStamp } from './convert-bedrock-converse-response.ts';
import { convertBedrockConverseStream } from './convert-bedrock-converse-stream.ts';
import { prepareBedrockConverseChat } from './convert-to-bedrock-converse-request.ts';
import { mapBedrockError } from './map-bedrock-error.ts';

/** Where translated replies get their id and time; tests pass fixed ones. */
export interface BedrockAdapterOptions {
  /** Milliseconds since the epoch, for `created`; `Date.now` by default. */
  now?: () => number;
  /** A fresh id for a translated completion; `chatcmpl-` + a random UUID by default. */
  createId?: () => string;
}

/** The OpenAI wire against Bedrock's OpenAI-compatible endpoints (`api: openai` and `api: mantle`). */
const bedrockOpenAIWireAdapter: ProviderAdapter = createOpenAIWireAdapter({
  name: 'bedrock',
  buildUrl: (route, operation) => {
    // Chat completions and responses are documented on these endpoints; embeddings are refused before a URL is built.
    if (operation === 'embeddings') throw embeddingsUnsupported(route);
    return buildBedrockOpenAIUrl(route, operation);
  },
  resolveBodyModel: resolveUpstreamModel,
  mapError: mapBedrockError,
  mapStreamError: mapOpenAIStreamError,
  supportsResponses: (route) => resolveBedrockApi(route) !== 'converse',
});

/**
 * A Bedrock adapter. Converse replies carry no id or timestamp, so translated completions are stamped here: `id`
 * from `options.createId`, `created` from `options.now`, and `model` = the route's Bedrock model id.
 */
export function createBedrockAdapter(options: BedrockAdapterOptions = {}): ProviderAdapter {
  const now = options.now ?? Date.now;
  const createId = options.createId ?? (() => `chatcmpl-${randomUUID().replaceAll('-', '')}`);
  const stamp = (route: Route): CompletionStamp => ({
    id: createId(),
    created: Math.floor(now() / 1000),
    model: resolveUpstreamModel(route),
  });

  return {
    name: 'bedrock',
    prepareChat(request, route) {
      return resolveBedrockApi(route) === 'converse' ? prepareBedrockConverseChat(request, route) : bedrockOpenAIWireAdapter.prepareChat(request, route);
    },
    readChat(body, route) {
      return resolveBedrockApi(route) === 'converse'
        ? convertBedrockConverseResponse(body, route, stamp(route))
        : bedrockOpenAIWireAdapter.readChat(body, route);
    },
    streamChat(body, route, streamOptions) {
      return resolveBedrockApi(route) === 'converse'
        ? convertBedrockConverseStream(body, route, streamOptions, {
            ...stamp(route),
            model: streamOptions.answerModel?.(route) ?? resolveUpstreamModel(route),
          })
        : bedrockOpenAIWireAdapter.streamChat(body, route, streamOptions);
    },
    prepareEmbeddings(_request, route) {
      // Bedrock embeddings models (Titan, Cohere) are served by InvokeModel with model-specific bodies, which this
      // adapter does not speak (out of scope); Converse and the OpenAI-compatible endpoints have no embeddings.
      resolveBedrockApi(route);
      throw embeddingsUnsupported(route);
    },
    readEmbeddings(_body, route) {
      throw embeddingsUnsupported(route);
    },
    readError: mapBedrockError,
    // Converse routes say no here, so the executor never sends them native calls.
    responses: {
      supports: (route) => resolveBedrockApi(route) !== 'converse',
      prepare: (body, route) => nativeResponses(route).prepare(body, route),
      read: (body, route) => nativeResponses(route).read(body, route),
      stream: (body, route) => nativeResponses(route).stream(body, route),
    },
  };
}

/** The Bedrock adapter with the real clock and random ids. */
export const bedrockAdapter: ProviderAdapter = createBedrockAdapter();

/** The OpenAI-wire adapter's native Responses wire; a Converse route is a configuration error here. */
function nativeResponses(route: Route): NativeResponsesWire {
  const wire = bedrockOpenAIWireAdapter.responses;
  if (resolveBedrockApi(route) === 'converse' || wire === undefined) {
    throw routeConfigurationError(route, "Bedrock's Responses API is served on the OpenAI-compatible endpoints only (route api 'openai' or 'mantle')");
  }
  return wire;
}

function embeddingsUnsupported(route: Route): InvalidRequestError {
  return new InvalidRequestError(
    `Embeddings are not available on this Bedrock route (api ${route.api ?? 'converse'}): Bedrock serves embeddings only through InvokeModel, which ` +
      `Crossway does not call (route ${route.id})`,
    'model',
    'unsupported_operation',
  );
}
