// Answers as values: JSON bodies, and OpenAI's error JSON, built here and nowhere else (`{"error": {"message", "type", "param", "code"}}`).
import { type CrosswayError, NoRouteAvailableError, RateLimitError, toCrosswayError, UpstreamError } from '../wire/index.ts';
import type { BodyResult } from './gateway-types.ts';

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
  return headers;
}

/** `thrown` as an OpenAI error answer. */
export function errorResult(thrown: unknown): BodyResult {
  const error = toCrosswayError(thrown);
  return { status: error.status, headers: { ...retryHeaders(error), ...attemptHeaders(error) }, body: JSON.stringify(buildErrorBody(error)) };
}

/** `value` as a JSON answer. */
export function jsonResult(status: number, value: unknown, headers: Record<string, string> = {}): BodyResult {
  return { status, headers, body: JSON.stringify(value) };
}

/** An SSE error event for a stream that already started: OpenAI's clients raise it as an APIError. */
export function encodeStreamError(thrown: unknown): string {
  return `data: ${JSON.stringify(buildErrorBody(toCrosswayError(thrown)))}\n\n`;
}
