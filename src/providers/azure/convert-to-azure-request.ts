// Azure OpenAI URLs and body model for both API forms; the bodies themselves are OpenAI's (see openai/).
// Sources: Microsoft Learn "Azure OpenAI API version lifecycle" / v1 API
// (https://learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle): `POST {endpoint}/openai/v1/chat/completions`
// with the deployment name as `model`, no api-version needed; Azure OpenAI REST reference (data plane inference,
// api-version 2024-10-21): `POST {endpoint}/openai/deployments/{deployment-id}/chat/completions?api-version=...` and
// `.../embeddings?api-version=...`, where the URL names the deployment. Microsoft Learn "Azure OpenAI Responses API"
// (learn.microsoft.com/azure/ai-foundry/openai/how-to/responses): `POST {endpoint}/openai/v1/responses` with the
// deployment as `model`; the Responses API is not a deployments-form operation (its pre-v1 form was
// `/openai/responses?api-version=<preview version>`, outside any deployment path, and needs a preview api-version
// that the route's chat api-version is not), so deployments-form routes stay on chat completions.
import type { Route } from '../../catalog/index.ts';
import { buildEndpointUrl, encodePathSegment, endpointPath } from '../build-endpoint-url.ts';
import { resolveUpstreamModel, type OpenAIOperation } from '../openai/index.ts';
import { routeConfigurationError } from '../route-configuration-error.ts';

/** The two Azure OpenAI API forms: `v1` (OpenAI-style, the default) and `deployments` (dated api-version). */
export type AzureApi = 'v1' | 'deployments';

/** The api-version sent with the deployments form when the route sets none (the GA version of the REST reference). */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

/** The route's API form; throws a route configuration error for anything but `v1` or `deployments`. */
export function resolveAzureApi(route: Route): AzureApi {
  switch (route.api) {
    case undefined:
    case 'v1':
      return 'v1';
    case 'deployments':
      return 'deployments';
    default:
      throw routeConfigurationError(route, `Azure route has unknown api '${route.api}' (use 'v1' or 'deployments')`);
  }
}

/**
 * The URL of an operation:
 * - `v1`: `<resource>/openai/v1/<operation>`, plus `?api-version=` only when the route sets one (e.g. `preview`);
 * - `deployments`: `<resource>/openai/deployments/<deployment>/<operation>?api-version=<route.api_version ?? 2024-10-21>`.
 * `<resource>` is the endpoint without a trailing `/openai` or `/openai/v1`, so all three spellings of the endpoint work.
 */
export function buildAzureUrl(route: Route, operation: OpenAIOperation): string {
  const resource = resourceEndpoint(route.endpoint);
  if (resolveAzureApi(route) === 'v1') {
    return buildEndpointUrl(resource, `/openai/v1/${operation}`, { 'api-version': route.api_version });
  }
  if (operation === 'responses') {
    throw routeConfigurationError(route, "Azure's Responses API is served on the v1 form only (route api 'deployments')");
  }
  const deployment = encodePathSegment(resolveUpstreamModel(route));
  if (deployment === null) {
    throw routeConfigurationError(route, `Azure deployment name '${resolveUpstreamModel(route)}' cannot be used in a URL`);
  }
  return buildEndpointUrl(resource, `/openai/deployments/${deployment}/${operation}`, {
    'api-version': route.api_version ?? AZURE_DEFAULT_API_VERSION,
  });
}

/** Whether the route takes native Responses calls: the `v1` form does, the `deployments` form does not. */
export function supportsAzureResponses(route: Route): boolean {
  return resolveAzureApi(route) === 'v1';
}

/** The body's `model`: the deployment name for `v1`; none for `deployments`, whose URL names the deployment. */
export function resolveAzureBodyModel(route: Route): string | undefined {
  return resolveAzureApi(route) === 'v1' ? resolveUpstreamModel(route) : undefined;
}

function resourceEndpoint(endpoint: string): string {
  const path = endpointPath(endpoint);
  const trimmed = path.replace(/\/openai(\/v1)?$/i, '');
  if (trimmed === path) return endpoint;
  const url = new URL(endpoint);
  url.pathname = trimmed;
  return url.toString();
}
