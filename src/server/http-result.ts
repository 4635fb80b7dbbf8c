// Answers as values: JSON bodies, and the front doors' error JSON, built here and nowhere else: OpenAI's
// (`{"error": {"message", "type", "param", "code"}}`) and Anthropic's (`{"type": "error", "error": {"type", "message"}, "request_id"}`).
import { type CrosswayError, type MessagesErrorType, NoRouteAvailableError, RateLimitError, toCrosswayError, UpstreamError } from '../wire/index.ts';
import type { BodyResult, ErrorShape } from './gateway-types.ts';

/** The OpenAI-shaped body for an error; upstream details (e.g. Azure's `innererror`) are kept beside the four fields. */
export function buildErrorBody(error: CrosswayError): { error: Record<string, unknown> } {
  const details = error instanceof UpstreamError ? (error.details ?? {}) : {};
  const body: Record<string, unknown> = {
    ...details,
    message: error.message,
    type: error.type,
    param: error.param,
    code: error.code,
  };
  if (error instanceof NoRouteAvailableError && error.attempts.length > 0) {
    body.attempts = error.attempts.map(({ route, status, code, message }) => ({ route, status, code, message }));
  }
  return { error: body };
}

/** Headers that tell a client how long to wait (OpenAI's clients honour both). */
export function retryHeaders(error: CrosswayError): Record<string, string> {
  const ms = error instanceof UpstreamError || error instanceof NoRouteAvailableError || error instanceof RateLimitError ? error.retryAfterMs : null;
  const limits = error instanceof RateLimitError ? error.headers : {};
  if (ms === null || error.status !== 429) return limits;
  return { ...limits, 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))), 'retry-after-ms': String(Math.ceil(ms)) };
}

/** Which route answered with the error, or how many routes were tried, and the decision that explains the failure. */
function attemptHeaders(error: CrosswayError): Record<string, string> {
  const headers: Record<string, string> = error.decisionId === null ? {} : { 'x-crossway-decision': error.decisionId };
  if (error instanceof UpstreamError) return { ...headers, 'x-crossway-route': error.route, 'x-crossway-attempts': String(error.attemptCount) };
  if (error instanceof NoRouteAvailableError) return { ...headers, 'x-crossway-attempts': String(error.attempts.length) };
  // A request every route refused (a carry limit on each) says how many it asked, as any failed call does.
  if (error.attemptCount !== null) return { ...headers, 'x-crossway-attempts': String(error.attemptCount) };
  return headers;
}

/** `thrown` as an error answer: OpenAI's, or Anthropic's naming `requestId` (with its rate-limit headers as well). */
export function errorResult(thrown: unknown, shape: ErrorShape = 'openai', requestId: string | null = null): BodyResult {
  const error = toCrosswayError(thrown);
  const headers = { ...retryHeaders(error), ...attemptHeaders(error) };
  if (shape === 'anthropic') {
    return {
      status: error.status,
      headers: { ...headers, ...anthropicRateLimitHeaders(headers) },
      body: JSON.stringify(buildAnthropicErrorBody(error, requestId)),
    };
  }
  return { status: error.status, headers, body: JSON.stringify(buildErrorBody(error)) };
}

/** Anthropic's error body: its `type` from the status (see anthropicErrorType), the message, and the request's id. */
export function buildAnthropicErrorBody(
  error: CrosswayError,
  requestId: string | null,
): { type: 'error'; error: { type: MessagesErrorType; message: string }; request_id: string | null } {
  return { type: 'error', error: { type: anthropicErrorType(error.status), message: error.message }, request_id: requestId };
}

/**
 * Anthropic's error type for an HTTP status, as its "Errors" page maps them (429 covers spend limits too, as
 * Anthropic's own spend-limit errors do); 503 (no route available now) is its overloaded error.
 */
export function anthropicErrorType(status: number): MessagesErrorType {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    case 504:
      return 'timeout_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

/**
 * Anthropic's `anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}` from OpenAI's `x-ratelimit-*` headers in
 * `headers`; the reset becomes an RFC 3339 time (OpenAI's is a duration such as `1m30s`).
 */
export function anthropicRateLimitHeaders(headers: Record<string, string>, now: number = Date.now()): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const match = /^x-ratelimit-(limit|remaining|reset)-(requests|tokens)$/.exec(name);
    if (match === null) continue;
    const [, field, kind] = match;
    if (field !== 'reset') out[`anthropic-ratelimit-${kind}-${field}`] = value;
    else {
      const ms = parseDurationMs(value);
      if (ms !== null) out[`anthropic-ratelimit-${kind}-reset`] = new Date(now + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
  }
  return out;
}

/** Milliseconds of a Go-style duration (`1h2m3.5s`, `20ms`), or null when it is not one. */
function parseDurationMs(text: string): number | null {
  if (text.length > 64 || !/^(\d+(\.\d+)?(h|ms|m|s|us|µs|ns))+$/.test(text)) return null;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000_001 };
  let ms = 0;
  for (const [, amount, , unit] of text.matchAll(/(\d+(\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) ms += Number(amount) * (units[unit ?? 's'] ?? 0);
  return Math.ceil(ms);
}

/** `value` as a JSON answer. */
export function jsonResult(status: number, value: unknown, headers: Record<string, string> = {}): BodyResult {
  return { status, headers, body: JSON.stringify(value) };
}

/** An SSE error event for a stream that already started: OpenAI's clients raise it as an APIError, Anthropic's its `error` event. */
export function encodeStreamError(thrown: unknown, shape: ErrorShape = 'openai'): string {
  const error = toCrosswayError(thrown);
  if (shape === 'anthropic') {
    const { type, error: body } = buildAnthropicErrorBody(error, null);
    return `event: error\ndata: ${JSON.stringify({ type, error: body })}\n\n`;
  }
  return `data: ${JSON.stringify(buildErrorBody(error))}\n\n`;
}
