// Maps OpenAI-wire error replies (HTTP errors and `{"error":...}` stream events) to UpstreamError.
// Sources: OpenAI API reference "Error codes" (https://platform.openai.com/docs/guides/error-codes) and
// openai/openai-openapi `ErrorResponse` ({error: {message, type, param, code}}); retry rules follow the official
// openai-node client (`shouldRetry`: 408, 409 "lock timeouts", 429, >= 500) plus the route-failover rule below.
// OpenAI-compatible servers differ in details (vLLM/llama.cpp numeric `code`, `{"error": "text"}`, top-level fields);
// those shapes are read too.
import type { Route } from '../../catalog/index.ts';
import { typeForStatus, UpstreamError, type OpenAIErrorType } from '../../wire/index.ts';
import { parseRetryAfterMs } from '../parse-retry-after.ts';
import type { UpstreamHeaders } from '../provider-adapter.ts';
import { decodeBody, summarizeErrorBody } from '../summarize-error-body.ts';
import { openaiErrorEnvelopeSchema, openaiTopLevelErrorSchema, type OpenAIErrorObject } from './openai-api.ts';

/** What Crossway keeps of an upstream error body. */
export interface UpstreamErrorFields {
  /** The cloud's message, or a summary of a non-JSON body. */
  message: string;
  code: string | null;
  type: string | null;
  param: string | null;
  /** A status the body states itself (Azure `status`, `statusCode`, a numeric `code`); null when it states none. */
  status: number | null;
  /** The error object as sent, for provider-specific fields (Azure's `innererror`); null for non-JSON bodies. */
  error: Record<string, unknown> | null;
}

/**
 * Whether another attempt (a retry or, more usefully, failover to another route) can succeed.
 *
 * | status | retryable | why |
 * |---|---|---|
 * | 408, 429, >= 500 | yes | transient by definition (timeout, rate limit or quota, server fault) |
 * | 409 | yes | chat and embeddings calls hold no upstream state to conflict with, so a 409 can only be a transient lock; the official client retries it too |
 * | 401, 403, 404 | yes | the client's request is fine; the route's credentials, permissions, model or deployment name are wrong: another route can serve it |
 * | other 4xx (400, 413, 422, ...) | no | the request itself is wrong; every route would refuse it |
 *
 * For 401, 403 and 404 the circuit breaker then takes the broken route out.
 *
 * `insufficient_quota` (429) stays retryable: that route is out of money but another route is not.
 */
export function isRetryableOpenAIStatus(status: number): boolean {
  switch (status) {
    case 401:
    case 403:
    case 404:
    case 408:
    case 409:
    case 429:
      return true;
    default:
      return status >= 500;
  }
}

const OPENAI_ERROR_TYPES: ReadonlySet<string> = new Set<OpenAIErrorType>([
  'invalid_request_error',
  'authentication_error',
  'permission_error',
  'not_found_error',
  'rate_limit_error',
  'insufficient_quota',
  'server_error',
  'api_error',
]);

/** The cloud's `type` when it is one OpenAI clients know (e.g. `insufficient_quota`), else the status's type. */
export function mapOpenAIErrorType(type: string | null, status: number): OpenAIErrorType {
  return type !== null && OPENAI_ERROR_TYPES.has(type) ? (type as OpenAIErrorType) : typeForStatus(status);
}

/** Reads an error body of any shape; never throws. */
export function readOpenAIErrorBody(body: Uint8Array, status: number): UpstreamErrorFields {
  const text = decodeBody(body);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { message: summarizeErrorBody(text, status), code: null, type: null, param: null, status: null, error: null };
  }
  return (
    readOpenAIErrorValue(json) ?? {
      message: summarizeErrorBody(text, status),
      code: null,
      type: null,
      param: null,
      status: null,
      error: null,
    }
  );
}

/** Reads a parsed error value (a reply body or a stream event); null when it is not an error shape at all. */
export function readOpenAIErrorValue(value: unknown): UpstreamErrorFields | null {
  const envelope = openaiErrorEnvelopeSchema.safeParse(value);
  if (envelope.success) {
    const error = envelope.data.error;
    if (typeof error === 'string') {
      return { message: error, code: null, type: null, param: null, status: null, error: { message: error } };
    }
    return fieldsOf(error, null);
  }
  const topLevel = openaiTopLevelErrorSchema.safeParse(value);
  if (!topLevel.success) return null;
  if (typeof topLevel.data.message === 'string') return fieldsOf(topLevel.data, topLevel.data.statusCode ?? null);
  // FastAPI-based servers (vLLM's router, for one) answer unknown paths with `{"detail": "Not Found"}`.
  if (typeof topLevel.data.detail === 'string') return fieldsOf({ message: topLevel.data.detail }, null);
  return null;
}

function fieldsOf(error: OpenAIErrorObject, statusCode: number | null): UpstreamErrorFields {
  const numericCode = typeof error.code === 'number' ? error.code : /^\d{3}$/.test(error.code ?? '') ? Number(error.code) : null;
  return {
    message: typeof error.message === 'string' && error.message !== '' ? error.message : 'Upstream reported an error',
    code: error.code === null || error.code === undefined ? null : String(error.code),
    type: error.type ?? null,
    param: error.param ?? null,
    status:
      (typeof error.status === 'number' ? error.status : null) ??
      statusCode ??
      (numericCode !== null && numericCode >= 400 && numericCode < 600 ? numericCode : null),
    error: error as Record<string, unknown>,
  };
}

/** Maps a non-2xx OpenAI-wire reply to an UpstreamError with the upstream status and the cloud's message. */
export function mapOpenAIError(status: number, headers: UpstreamHeaders, body: Uint8Array, route: Route): UpstreamError {
  return toOpenAIUpstreamError(readOpenAIErrorBody(body, status), status, route, { retryAfterMs: parseRetryAfterMs(headers) });
}

/** What an OpenAI-wire cloud adds to the OpenAI rules when it builds its UpstreamError. */
export interface OpenAIUpstreamErrorOptions {
  retryAfterMs?: number | null;
  /** The cloud's own retry decision; OpenAI's rule for the status otherwise. */
  retryable?: boolean;
  details?: Record<string, unknown>;
}

/** The UpstreamError for an OpenAI-shaped error's fields (shared by every OpenAI-wire cloud, replies and stream events). */
export function toOpenAIUpstreamError(fields: UpstreamErrorFields, status: number, route: Route, options: OpenAIUpstreamErrorOptions = {}): UpstreamError {
  return new UpstreamError(fields.message, {
    route: route.id,
    status,
    code: fields.code,
    type: mapOpenAIErrorType(fields.type, status),
    param: fields.param,
    retryable: options.retryable ?? isRetryableOpenAIStatus(status),
    retryAfterMs: options.retryAfterMs ?? null,
    details: options.details,
  });
}

/**
 * The HTTP status an error event inside a 200 stream stands for: the one the event states, else one derived from its
 * type or code, else 500 (the server failed mid-answer).
 */
export function statusOfStreamError(fields: UpstreamErrorFields): number {
  if (fields.status !== null) return fields.status;
  switch (fields.type ?? fields.code) {
    case 'invalid_request_error':
    case 'content_filter':
      return 400;
    case 'authentication_error':
      return 401;
    case 'permission_error':
      return 403;
    case 'not_found_error':
      return 404;
    case 'rate_limit_error':
    case 'rate_limit_exceeded':
    case 'insufficient_quota':
    case 'tokens':
    case 'requests':
      return 429;
    default:
      return 500;
  }
}

/** Maps the error object of a stream event (already read with readOpenAIErrorValue) to an UpstreamError. */
export function mapOpenAIStreamError(fields: UpstreamErrorFields, route: Route): UpstreamError {
  return toOpenAIUpstreamError(fields, statusOfStreamError(fields), route);
}
