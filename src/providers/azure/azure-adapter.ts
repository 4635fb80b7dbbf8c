// The Azure OpenAI adapter: OpenAI's wire translation composed with Azure's URLs, body model and error rules.
// Content filter fields (`prompt_filter_results`, `content_filter_results`) pass through untouched with the bytes.
import type { ProviderAdapter } from '../provider-adapter.ts';
import { createOpenAIWireAdapter } from '../openai/index.ts';
import { buildAzureUrl, resolveAzureBodyModel, supportsAzureResponses } from './convert-to-azure-request.ts';
import { mapAzureError, mapAzureStreamError } from './map-azure-error.ts';

/**
 * Azure OpenAI, `route.api` `v1` (default) or `deployments`; `route.endpoint` is the resource endpoint. Native
 * Responses calls go to `v1` routes only (`/openai/v1/responses`).
 */
export const azureAdapter: ProviderAdapter = createOpenAIWireAdapter({
  name: 'azure',
  buildUrl: buildAzureUrl,
  resolveBodyModel: resolveAzureBodyModel,
  mapError: mapAzureError,
  mapStreamError: mapAzureStreamError,
  supportsResponses: supportsAzureResponses,
});
