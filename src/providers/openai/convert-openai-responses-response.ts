// Reads successful native Responses API replies: checks that the body is a Response object, reads its usage in the
// chat `Usage` shape (what metering and logs read), turns a 200 carrying `status: "failed"` into an error, and keeps
// the original bytes for the caller.
// Sources: OpenAI API reference "The response object" (`usage`: input_tokens, input_tokens_details.cached_tokens,
// output_tokens, output_tokens_details.reasoning_tokens, total_tokens; `error`: {code, message}) and openai/openai-openapi
// `ResponseErrorCode` (server_error, rate_limit_exceeded, invalid_prompt, vector_store_timeout, the image codes).
import type { z } from 'zod';
import type { Route } from '../../catalog/index.ts';
import type { Usage } from '../../wire/index.ts';
import type { ResponsesResult } from '../provider-adapter.ts';
import { decodeBody, summarizeErrorBody } from '../summarize-error-body.ts';
import { invalidUpstreamResponse } from './convert-openai-response.ts';
import { readOpenAIErrorValue, type UpstreamErrorFields } from './map-openai-error.ts';
import type { StreamErrorMapper } from './openai-stream-decoder.ts';
import { openaiResponseSchema, type openaiResponseUsageSchema } from './openai-api.ts';

/**
 * Reads a 2xx Responses reply. Throws a retryable UpstreamError (502) when it is not a Response object, and the
 * mapped error of `response.error` when the cloud answered 200 with a failed response.
 */
export function convertOpenAIResponsesResponse(body: Uint8Array, route: Route, mapStreamError: StreamErrorMapper): ResponsesResult {
  let json: unknown;
  try {
    json = JSON.parse(decodeBody(body));
  } catch {
    throw invalidUpstreamResponse(route, 'not JSON');
  }
  const checked = openaiResponseSchema.safeParse(json);
  if (!checked.success) throw invalidUpstreamResponse(route, `not a response object: ${checked.error.issues[0]?.message}`);
  if (checked.data.status === 'failed') throw mapStreamError(readResponseFailure(checked.data.error), route);
  const usage = checked.data.usage;
  return {
    // The parsed JSON itself (not zod's copy), so every field the cloud sent is kept.
    response: json as Record<string, unknown>,
    usage: usage === null || usage === undefined ? null : convertOpenAIResponsesUsage(usage),
    passthroughBody: body,
  };
}

/**
 * Responses usage in the chat `Usage` shape: prompt_tokens = input_tokens, completion_tokens = output_tokens,
 * `prompt_tokens_details.cached_tokens` (and `cache_write_tokens` when the cloud reports cache writes, as Bedrock's
 * Converse reader does) and `completion_tokens_details.reasoning_tokens`. `total_tokens` is filled in when missing.
 */
export function convertOpenAIResponsesUsage(usage: z.infer<typeof openaiResponseUsageSchema>): Usage {
  const converted: Usage = {
    prompt_tokens: usage.input_tokens,
    completion_tokens: usage.output_tokens,
    total_tokens: usage.total_tokens ?? usage.input_tokens + usage.output_tokens,
  };
  const input = usage.input_tokens_details;
  if (input !== null && input !== undefined) {
    converted.prompt_tokens_details = { cached_tokens: input.cached_tokens ?? 0 };
    if ((input.cache_write_tokens ?? 0) > 0) converted.prompt_tokens_details.cache_write_tokens = input.cache_write_tokens;
  }
  const output = usage.output_tokens_details;
  if (output !== null && output !== undefined) converted.completion_tokens_details = { reasoning_tokens: output.reasoning_tokens ?? 0 };
  return converted;
}

/** `ResponseErrorCode`s that say the request itself is wrong (a bad prompt or image): every route would refuse it. */
const REQUEST_ERROR_CODES: ReadonlySet<string> = new Set([
  'invalid_prompt',
  'invalid_image',
  'invalid_image_format',
  'invalid_base64_image',
  'invalid_image_url',
  'image_too_large',
  'image_too_small',
  'image_parse_error',
  'image_content_policy_violation',
  'invalid_image_mode',
  'image_file_too_large',
  'unsupported_image_media_type',
  'empty_image_file',
  'failed_to_download_image',
  'image_file_not_found',
]);

/** The HTTP status a Responses error code stands for: 400 for request errors, else left to the stream error rules. */
export function statusOfResponsesErrorCode(code: string | null): number | null {
  return code !== null && REQUEST_ERROR_CODES.has(code) ? 400 : null;
}

/** The fields of a failed response's `error` ({code, message}); a failure without one is a server error. */
export function readResponseFailure(error: { code?: string | null; message?: string | null } | null | undefined): UpstreamErrorFields {
  const code = error?.code ?? null;
  return {
    message: typeof error?.message === 'string' && error.message !== '' ? error.message : 'The upstream response failed',
    code,
    type: null,
    param: null,
    status: statusOfResponsesErrorCode(code),
    error: error === null || error === undefined ? null : { ...error },
  };
}

/**
 * The fields of a stream `error` event: OpenAI's `{type: "error", code, message, param}`, or the `{error: {...}}`
 * envelope some OpenAI-compatible servers send. The event's `type` ("error") is not an error type and is dropped.
 */
export function readResponsesErrorEvent(value: unknown, data: string): UpstreamErrorFields {
  const fields = readOpenAIErrorValue(value);
  if (fields === null) {
    return { message: summarizeErrorBody(data, 500), code: null, type: null, param: null, status: null, error: null };
  }
  const type = fields.type === 'error' ? null : fields.type;
  return { ...fields, type, status: fields.status ?? statusOfResponsesErrorCode(fields.code) };
}
