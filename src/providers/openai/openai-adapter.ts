// The OpenAI-wire adapter, assembled from its parts, and the factory other OpenAI-wire clouds (Azure, later Vertex's
// OpenAI-compatible endpoint) compose with their own URL, body-model and error functions (as the Vercel AI SDK's
// Azure provider reuses its OpenAI model).
import type { Route } from '../../catalog/index.ts';
import type { UpstreamError } from '../../wire/index.ts';
import type { ProviderAdapter, UpstreamHeaders } from '../provider-adapter.ts';
import { convertOpenAIChatResponse, convertOpenAIEmbeddingResponse } from './convert-openai-response.ts';
import { convertOpenAIResponsesResponse } from './convert-openai-responses-response.ts';
import { buildOpenAIResponsesBody } from './convert-to-openai-responses-request.ts';
import {
  buildJsonPost,
  buildOpenAIChatBody,
  buildOpenAIEmbeddingBody,
  buildOpenAIHeaders,
  buildOpenAIUrl,
  resolveUpstreamModel,
  type OpenAIOperation,
} from './convert-to-openai-request.ts';
import { mapOpenAIError, mapOpenAIStreamError } from './map-openai-error.ts';
import { decodeOpenAIResponsesStream } from './openai-responses-stream-decoder.ts';
import { decodeOpenAIStream, type StreamErrorMapper } from './openai-stream-decoder.ts';

/** What differs between clouds that speak the OpenAI wire. */
export interface OpenAIWireOptions {
  name: string;
  /** The absolute URL of an operation, from the route alone. */
  buildUrl(route: Route, operation: OpenAIOperation): string;
  /** The `model` written into the body; undefined leaves it out (the URL names the deployment instead). */
  resolveBodyModel(route: Route): string | undefined;
  mapError(status: number, headers: UpstreamHeaders, body: Uint8Array, route: Route): UpstreamError;
  mapStreamError: StreamErrorMapper;
  /**
   * Whether a route of this cloud serves the native Responses API (`<base>/responses`); when left out, the adapter
   * has no `responses` wire and every Responses request goes through chat completions.
   */
  supportsResponses?(route: Route): boolean;
}

/** Builds a ProviderAdapter for an OpenAI-wire cloud from its URL, model and error rules. */
export function createOpenAIWireAdapter(options: OpenAIWireOptions): ProviderAdapter {
  const chatAdapter: ProviderAdapter = {
    name: options.name,
    prepareChat(request, route) {
      const body = buildOpenAIChatBody(request, options.resolveBodyModel(route));
      return buildJsonPost(options.buildUrl(route, 'chat/completions'), buildOpenAIHeaders(route, request.stream === true), body);
    },
    readChat: convertOpenAIChatResponse,
    streamChat(body, route, streamOptions) {
      return decodeOpenAIStream(body, route, streamOptions, options.mapStreamError);
    },
    prepareEmbeddings(request, route) {
      const body = buildOpenAIEmbeddingBody(request, options.resolveBodyModel(route));
      return buildJsonPost(options.buildUrl(route, 'embeddings'), buildOpenAIHeaders(route, false), body);
    },
    readEmbeddings: convertOpenAIEmbeddingResponse,
    readError: options.mapError,
  };
  const supportsResponses = options.supportsResponses;
  if (supportsResponses === undefined) return chatAdapter;
  return {
    ...chatAdapter,
    responses: {
      supports: supportsResponses,
      prepare(body, route) {
        const stream = body.stream === true;
        const upstream = buildOpenAIResponsesBody(body, options.resolveBodyModel(route), stream);
        return buildJsonPost(options.buildUrl(route, 'responses'), buildOpenAIHeaders(route, stream), upstream);
      },
      read(body, route) {
        return convertOpenAIResponsesResponse(body, route, options.mapStreamError);
      },
      stream(body, route) {
        return decodeOpenAIResponsesStream(body, route, options.mapStreamError);
      },
    },
  };
}

/**
 * api.openai.com and OpenAI-compatible servers (vLLM, Ollama, llama.cpp): `route.endpoint` is the base incl. `/v1`.
 * Every route may take native Responses calls; the catalog's `responses` capability decides whether it gets them
 * (declare it only for servers that implement `/v1/responses`).
 */
export const openaiAdapter: ProviderAdapter = createOpenAIWireAdapter({
  name: 'openai',
  buildUrl: buildOpenAIUrl,
  resolveBodyModel: resolveUpstreamModel,
  mapError: mapOpenAIError,
  mapStreamError: mapOpenAIStreamError,
  supportsResponses: () => true,
});
