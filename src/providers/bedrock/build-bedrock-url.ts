// Bedrock's API variants and their URLs, built from the route alone (nothing a client sends reaches the URL).
// Sources: botocore `bedrock-runtime/2023-09-30/service-2.json` (Converse `POST /model/{modelId}/converse`,
// ConverseStream `POST /model/{modelId}/converse-stream`; `modelId` is a plain URI label, which botocore's
// rest serializer percent-encodes with only `-._~` left as is, so `openai.gpt-oss-120b-1:0` travels as
// `openai.gpt-oss-120b-1%3A0`); AWS "Invoke a model with the OpenAI Chat Completions API"
// (docs.aws.amazon.com/bedrock/latest/userguide/inference-chat-completions.html: base URL
// `https://bedrock-runtime.{region}.amazonaws.com/openai/v1`); AWS "Generate responses using OpenAI APIs"
// (docs.aws.amazon.com/bedrock/latest/userguide/bedrock-mantle.html: base URL `https://bedrock-mantle.{region}.api.aws/v1`);
// AWS "Responses API" (docs.aws.amazon.com/bedrock/latest/userguide/inference-responses-api.html): the Responses API
// is served on both OpenAI-compatible bases, `{base}/responses`.
import type { Route } from '../../catalog/index.ts';
import { buildEndpointUrl, encodePathSegment, endpointPath } from '../build-endpoint-url.ts';
import { resolveUpstreamModel, type OpenAIOperation } from '../openai/index.ts';
import { routeConfigurationError } from '../route-configuration-error.ts';

/** Bedrock's API variants: `converse` (the default), `openai` (bedrock-runtime's `/openai/v1`), `mantle` (`/v1`). */
export type BedrockApi = 'converse' | 'openai' | 'mantle';

/** The route's API variant; anything else is a (retryable) route configuration error. */
export function resolveBedrockApi(route: Route): BedrockApi {
  switch (route.api) {
    case undefined:
    case 'converse':
      return 'converse';
    case 'openai':
      return 'openai';
    case 'mantle':
      return 'mantle';
    default:
      throw routeConfigurationError(route, `Bedrock route has unknown api '${route.api}' (use 'converse', 'openai' or 'mantle')`);
  }
}

/**
 * The Bedrock model id as one URL path segment, percent-encoded as the AWS SDKs do (RFC 3986: everything but
 * `A-Za-z0-9-._~` is escaped, so `:` becomes `%3A` and an ARN's `/` becomes `%2F`). SigV4 then encodes this segment
 * once more for the canonical request (see bedrock-auth.ts).
 */
export function encodeBedrockModelId(route: Route): string {
  const modelId = resolveUpstreamModel(route);
  const segment = encodePathSegment(modelId);
  if (segment === null) throw routeConfigurationError(route, `Bedrock model id '${modelId}' cannot be used in a URL`);
  // encodeURIComponent leaves !'()* alone; botocore's percent_encode does not.
  return segment.replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `{endpoint}/model/{modelId}/converse` or `.../converse-stream`. */
export function buildBedrockConverseUrl(route: Route, stream: boolean): string {
  return buildEndpointUrl(route.endpoint, `/model/${encodeBedrockModelId(route)}/${stream ? 'converse-stream' : 'converse'}`);
}

/**
 * The URL of an operation (chat completions by default) on the OpenAI-compatible variants:
 * `{endpoint}/openai/v1/<operation>` (bedrock-runtime) or `{endpoint}/v1/<operation>` (bedrock-mantle). An endpoint
 * already ending in that base path is accepted too.
 */
export function buildBedrockOpenAIUrl(route: Route, operation: OpenAIOperation = 'chat/completions'): string {
  const base = resolveBedrockApi(route) === 'mantle' ? '/v1' : '/openai/v1';
  const path = endpointPath(route.endpoint);
  const prefix = path.toLowerCase().endsWith(base) ? '' : base;
  return buildEndpointUrl(route.endpoint, `${prefix}/${operation}`);
}
