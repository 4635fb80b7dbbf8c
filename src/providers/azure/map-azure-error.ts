// Maps Azure OpenAI error replies and stream error events to UpstreamError: OpenAI's rules plus Azure's codes.
// Sources: Azure OpenAI REST reference, error response `{"error": {"code", "message", "param", "type", "innererror"}}`;
// Microsoft Learn "Content filtering" (learn.microsoft.com/azure/ai-foundry/openai/concepts/content-filter): a filtered
// prompt is HTTP 400 with code `content_filter`, `param: "prompt"` and `innererror` {code
// `ResponsibleAIPolicyViolation`, content_filter_result}; "Quotas and limits": 429 with `retry-after-ms` and
// `retry-after`; DeploymentNotFound is a 404 whose message asks to wait after creating a deployment.
import type { Route } from '../../catalog/index.ts';
import type { UpstreamError } from '../../wire/index.ts';
import { isRetryableOpenAIStatus, readOpenAIErrorBody, statusOfStreamError, toOpenAIUpstreamError, type UpstreamErrorFields } from '../openai/index.ts';
import { parseRetryAfterMs } from '../parse-retry-after.ts';
import type { UpstreamHeaders } from '../provider-adapter.ts';

/**
 * Azure's codes that decide retryability regardless of status:
 * - `content_filter`: the prompt or output broke the deployment's content policy; the same request fails the same
 *   way, and the client must see Azure's verdict (`innererror`), so never retried.
 * - `DeploymentNotFound`: the route names a deployment this resource does not have (or one created minutes ago): a
 *   configuration problem of this route, not of the request, so retryable for the executor to fail over to another
 *   route (and the circuit breaker to take this one out).
 * - `OperationNotSupported`: the deployment's model cannot do this operation (e.g. embeddings on a chat model):
 *   again the route's configuration, so retryable.
 * Everything else follows the OpenAI table (isRetryableOpenAIStatus).
 */
export function isRetryableAzureError(status: number, code: string | null): boolean {
  switch (code) {
    case 'content_filter':
      return false;
    case 'DeploymentNotFound':
    case 'OperationNotSupported':
      return true;
    default:
      return isRetryableOpenAIStatus(status);
  }
}

/** Maps a non-2xx Azure OpenAI reply to an UpstreamError (upstream status, Azure's message, code and innererror). */
export function mapAzureError(status: number, headers: UpstreamHeaders, body: Uint8Array, route: Route): UpstreamError {
  return toAzureError(readOpenAIErrorBody(body, status), status, route, parseRetryAfterMs(headers));
}

/** Maps an error event inside an Azure stream (e.g. a content filter verdict that arrives mid-stream). */
export function mapAzureStreamError(fields: UpstreamErrorFields, route: Route): UpstreamError {
  return toAzureError(fields, statusOfStreamError(fields), route, null);
}

function toAzureError(fields: UpstreamErrorFields, status: number, route: Route, retryAfterMs: number | null): UpstreamError {
  return toOpenAIUpstreamError(fields, status, route, {
    retryAfterMs,
    retryable: isRetryableAzureError(status, fields.code),
    details: readAzureDetails(fields.error),
  });
}

/** Azure's extra error fields worth showing to the client: `innererror` (the REST spec spells it `inner_error`). */
function readAzureDetails(error: Record<string, unknown> | null): Record<string, unknown> | undefined {
  if (error === null) return undefined;
  const details: Record<string, unknown> = {};
  for (const key of ['innererror', 'inner_error']) {
    if (error[key] !== undefined && error[key] !== null) details[key] = error[key];
  }
  return Object.keys(details).length === 0 ? undefined : details;
}
