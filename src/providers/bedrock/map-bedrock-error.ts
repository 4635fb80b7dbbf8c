// Maps Bedrock error replies and ConverseStream exception events to UpstreamError, keeping Bedrock's message.
// Sources: botocore `bedrock-runtime/2023-09-30/service-2.json` (error shapes and their httpStatusCode:
// AccessDeniedException 403, ResourceNotFoundException 404, ThrottlingException 429, ModelNotReadyException 429,
// ServiceQuotaExceededException 400, ValidationException 400, ModelTimeoutException 408, ModelErrorException 424,
// ModelStreamErrorException 424, InternalServerException 500, ServiceUnavailableException 503); AWS "Troubleshooting
// Amazon Bedrock API error codes" (docs.aws.amazon.com/bedrock/latest/userguide/troubleshooting-api-error-codes.html);
// the REST-JSON error protocol (AWS Smithy "AWS restJson1 protocol", error type from the `X-Amzn-Errortype` header,
// whose value may carry `:<namespace>` after the name, else from `__type`). The OpenAI-compatible endpoints may also
// answer OpenAI's `{"error": {...}}`, which is read with the OpenAI rules.
import type { Route } from '../../catalog/index.ts';
import { typeForStatus, UpstreamError, type OpenAIErrorType } from '../../wire/index.ts';
import { isRetryableOpenAIStatus, readOpenAIErrorValue } from '../openai/index.ts';
import { parseRetryAfterMs, readHeader } from '../parse-retry-after.ts';
import type { UpstreamHeaders } from '../provider-adapter.ts';
import { decodeBody, summarizeErrorBody } from '../summarize-error-body.ts';
import { bedrockErrorBodySchema } from './bedrock-api.ts';

/** How Crossway treats one Bedrock error type. */
export interface BedrockErrorClass {
  /** The status the service model declares; used for stream exceptions, which arrive inside a 200. */
  status: number;
  /** Report `status` even when the HTTP reply said otherwise (ServiceQuotaExceededException's 400). */
  replacesHttpStatus: boolean;
  type: OpenAIErrorType;
  retryable: boolean;
}

/**
 * Bedrock error types (REST names, or the camel-case member names of ConverseStream exceptions) -> declared status,
 * OpenAI type and retry decision; null for types not listed (then the HTTP status decides, as for OpenAI). HTTP
 * replies keep their own status, except ServiceQuotaExceededException.
 *
 * | type | status | retryable | why |
 * |---|---|---|---|
 * | ThrottlingException, ModelNotReadyException | 429 | yes | transient capacity of this route |
 * | ServiceQuotaExceededException | 429 (sent as 400) | yes | the account's quota on this route, not a bad request: another route can serve it |
 * | ServiceUnavailableException / InternalServerException | 503 / 500 | yes | server faults |
 * | ModelTimeoutException | 408 | yes | the model took too long |
 * | ModelErrorException, ModelStreamErrorException | 424 | yes | the model failed while answering; AWS says to retry |
 * | access errors (1) | 403 / 404 | yes | the route's credentials, model access or model id are wrong: fail over (like Azure's DeploymentNotFound) |
 * | ValidationException | 400 | no | the request itself is wrong |
 *
 * (1) AccessDeniedException, ResourceNotFoundException, UnrecognizedClientException, InvalidSignatureException, ExpiredTokenException, ...
 */
export function classifyBedrockError(errorType: string): BedrockErrorClass | null {
  switch (errorType.charAt(0).toUpperCase() + errorType.slice(1)) {
    case 'ThrottlingException':
    case 'ModelNotReadyException':
      return { status: 429, replacesHttpStatus: false, type: 'rate_limit_error', retryable: true };
    case 'ServiceQuotaExceededException':
      return { status: 429, replacesHttpStatus: true, type: 'rate_limit_error', retryable: true };
    case 'ServiceUnavailableException':
      return { status: 503, replacesHttpStatus: false, type: 'server_error', retryable: true };
    case 'InternalServerException':
    case 'InternalFailure':
      return { status: 500, replacesHttpStatus: false, type: 'server_error', retryable: true };
    case 'ModelTimeoutException':
      return { status: 408, replacesHttpStatus: false, type: 'server_error', retryable: true };
    case 'ModelErrorException':
    case 'ModelStreamErrorException':
      return { status: 424, replacesHttpStatus: false, type: 'server_error', retryable: true };
    case 'AccessDeniedException':
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'IncompleteSignatureException':
    case 'MissingAuthenticationTokenException':
    case 'ExpiredTokenException':
      return { status: 403, replacesHttpStatus: false, type: 'permission_error', retryable: true };
    case 'ResourceNotFoundException':
      return { status: 404, replacesHttpStatus: false, type: 'invalid_request_error', retryable: true };
    case 'ValidationException':
      return { status: 400, replacesHttpStatus: false, type: 'invalid_request_error', retryable: false };
    default:
      return null;
  }
}

/** The error type named by `X-Amzn-Errortype` (`Name:namespace` -> `Name`) or by the body's `__type` (`ns#Name`). */
export function readBedrockErrorType(headers: UpstreamHeaders, bodyType: string | undefined): string | null {
  const header = readHeader(headers, 'x-amzn-errortype')?.split(':')[0]?.trim();
  if (header !== undefined && header !== '') return header;
  const fromBody = bodyType?.split('#').at(-1)?.split(':')[0]?.trim();
  return fromBody === undefined || fromBody === '' ? null : fromBody;
}

/**
 * ValidationException messages that say the route's wire cannot carry the request as translated, not that the request
 * is wrong for the model. Converse's own conversation rules ("Call a tool with the Converse API", "Carry out a
 * conversation with the Converse API operations", docs.aws.amazon.com/bedrock/latest/userguide/), the service model's
 * range and length constraints on the members Crossway fills from OpenAI parameters whose OpenAI range is wider
 * (`inferenceConfig.*`, `toolConfig.*`, tool call ids as `toolUseId`, in AWS's "Value '…' at '<member>' failed to satisfy constraint" form), and a
 * feature Bedrock does not serve for this model on this API ("This model doesn't support …", e.g. tool use or
 * `toolChoice.any`).
 */
const BEDROCK_CARRY_LIMITS: readonly RegExp[] = [
  /A conversation must (?:start with a user message|alternate between user and assistant roles)/,
  /The toolConfig field must be defined when using toolUse and toolResult content blocks/,
  /at '(?:inferenceConfig|toolConfig)\.[^']*' failed to satisfy constraint/,
  // Tool call ids: OpenAI's are any string, Converse's toolUseId is at most 64 of [a-zA-Z0-9_.:-].
  /at '[^']*\.toolUseId' failed to satisfy constraint/,
  /\bThis model doesn't support\b/i,
];

/**
 * Whether a Bedrock error is a carry limit (see BEDROCK_CARRY_LIMITS): a 400 ValidationException with one of those
 * messages. Any other 400 (an input too long for the model, malformed content, an unknown model id) is the request's
 * or the route's own fault and is answered at once.
 */
export function isBedrockCarryLimit(status: number, errorType: string | null, message: string): boolean {
  return status === 400 && errorType === 'ValidationException' && BEDROCK_CARRY_LIMITS.some((pattern) => pattern.test(message));
}

/** Maps a non-2xx Bedrock reply (Converse or an OpenAI-compatible endpoint) to an UpstreamError. */
export function mapBedrockError(status: number, headers: UpstreamHeaders, body: Uint8Array, route: Route): UpstreamError {
  const text = decodeBody(body);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const aws = bedrockErrorBodySchema.safeParse(json);
  const errorType = readBedrockErrorType(headers, aws.success ? aws.data.__type : undefined);
  const openai = errorType === null ? readOpenAIErrorValue(json) : null;
  const message = (aws.success ? (aws.data.message ?? aws.data.Message) : undefined) ?? openai?.message ?? summarizeErrorBody(text, status);
  const known = errorType === null ? null : classifyBedrockError(errorType);
  const reportedStatus = known?.replacesHttpStatus === true ? known.status : status;
  return new UpstreamError(message, {
    route: route.id,
    status: reportedStatus,
    code: errorType ?? openai?.code ?? null,
    type: known?.type ?? typeForStatus(reportedStatus),
    param: openai?.param ?? null,
    retryable: known?.retryable ?? isRetryableOpenAIStatus(status),
    retryAfterMs: parseRetryAfterMs(headers),
    details: reportedStatus === status ? undefined : { upstream_status: status },
    carryLimit: isBedrockCarryLimit(status, errorType, message),
  });
}

/**
 * Maps a ConverseStream `exception` message (`:exception-type` such as `throttlingException`, payload
 * `{"message": ...}`) or a generic event stream `error` message (`:error-code`, `:error-message`) to an UpstreamError.
 * Unknown exception types are server faults (500, retryable).
 */
export function mapBedrockStreamException(exceptionType: string, payload: Uint8Array, route: Route, errorMessage = ''): UpstreamError {
  const text = decodeBody(payload);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const body = bedrockErrorBodySchema.safeParse(json);
  const fields = body.success ? body.data : {};
  const message = fields.message ?? fields.Message ?? (errorMessage !== '' ? errorMessage : text.trim() !== '' ? summarizeErrorBody(text, 500) : exceptionType);
  const name = exceptionType.charAt(0).toUpperCase() + exceptionType.slice(1);
  const known = classifyBedrockError(name) ?? { status: 500, type: 'server_error' as const, retryable: true };
  const details: Record<string, unknown> = {};
  if (fields.originalStatusCode !== undefined) details.original_status_code = fields.originalStatusCode;
  if (fields.originalMessage !== undefined) details.original_message = fields.originalMessage;
  return new UpstreamError(message, {
    route: route.id,
    status: known.status,
    code: name === '' ? null : name,
    type: known.type,
    retryable: known.retryable,
    details: Object.keys(details).length === 0 ? undefined : details,
  });
}
