// Builds OpenAI-wire upstream calls: the client's parsed body with only `model` replaced (and usage reporting forced
// on streams), sent to a URL made from the route alone.
// Sources: OpenAI API reference "Create chat completion" (POST /v1/chat/completions; `stream_options.include_usage`),
// "Create embeddings" (POST /v1/embeddings) and "Create a model response" (POST /v1/responses), https://platform.openai.com/docs/api-reference; the same paths
// are served by vLLM, Ollama (/v1) and llama.cpp's server.
import type { Route } from '../../catalog/index.ts';
import type { ChatCompletionRequest, EmbeddingRequest } from '../../wire/index.ts';
import { buildEndpointUrl } from '../build-endpoint-url.ts';
import type { UpstreamRequest } from '../provider-adapter.ts';

/** The OpenAI-wire operations Crossway calls, as paths relative to the API base. */
export type OpenAIOperation = 'chat/completions' | 'embeddings' | 'responses';

/** `<endpoint>/<operation>` (e.g. `.../v1/chat/completions`); the endpoint is the API base including `/v1`. */
export function buildOpenAIUrl(route: Route, operation: OpenAIOperation): string {
  return buildEndpointUrl(route.endpoint, `/${operation}`);
}

/** The model name the upstream knows: the route's deployment, else the Crossway model id. */
export function resolveUpstreamModel(route: Route): string {
  return route.deployment ?? route.model;
}

/**
 * The upstream chat body: every field of the client's request unchanged, `model` replaced by `model` (or removed when
 * undefined), and on streams `stream_options.include_usage: true`, so that the gateway can always meter. Whether the
 * client asked for usage is read from the request by the caller and honoured when the stream is read.
 */
export function buildOpenAIChatBody(request: ChatCompletionRequest, model: string | undefined): Record<string, unknown> {
  const body: Record<string, unknown> = withModel(request, model);
  if (request.stream === true) body.stream_options = { ...request.stream_options, include_usage: true };
  return body;
}

/** The upstream embeddings body: the client's request with `model` replaced (or removed when undefined). */
export function buildOpenAIEmbeddingBody(request: EmbeddingRequest, model: string | undefined): Record<string, unknown> {
  return withModel(request, model);
}

/**
 * Request headers: the route's configured extra headers (names lower-cased) and the JSON/SSE framing headers, which
 * always match the body Crossway sends. Credentials are added later by the route's Authenticator.
 */
export function buildOpenAIHeaders(route: Route, stream: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(route.headers)) headers[name.toLowerCase()] = value;
  headers['content-type'] = 'application/json';
  headers.accept = stream ? 'text/event-stream' : 'application/json';
  return headers;
}

/** A JSON POST to `url`. */
export function buildJsonPost(url: string, headers: Record<string, string>, body: unknown): UpstreamRequest {
  return { method: 'POST', url, headers, body: JSON.stringify(body) };
}

function withModel(request: Record<string, unknown>, model: string | undefined): Record<string, unknown> {
  if (model !== undefined) return { ...request, model };
  const { model: _clientModel, ...rest } = request;
  return rest;
}
