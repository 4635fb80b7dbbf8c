// The one place where OpenAI's error JSON is built: `{"error": {"message", "type", "param", "code"}}`.
import type { ServerResponse } from 'node:http';
import { NoRouteAvailableError, RateLimitError, UpstreamError, toCrosswayError, type CrosswayError } from '../wire/index.ts';

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

/** Which route answered with the error, or how many routes were tried. */
function attemptHeaders(error: CrosswayError): Record<string, string> {
  if (error instanceof UpstreamError) return { 'x-crossway-route': error.route, 'x-crossway-attempts': String(error.attemptCount) };
  if (error instanceof NoRouteAvailableError) return { 'x-crossway-attempts': String(error.attempts.length) };
  return {};
}

/** Sends `thrown` as an OpenAI error response (unless headers already went out). Returns the error sent. */
export function sendError(res: ServerResponse, thrown: unknown, headers: Record<string, string> = {}): CrosswayError {
  const error = toCrosswayError(thrown);
  if (res.headersSent) {
    res.destroy();
    return error;
  }
  const payload = JSON.stringify(buildErrorBody(error));
  res.writeHead(error.status, {
    ...headers,
    ...retryHeaders(error),
    ...attemptHeaders(error),
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
  return error;
}

/** An SSE error event for a stream that already started: OpenAI's clients raise it as an APIError. */
export function encodeStreamError(thrown: unknown): string {
  return `data: ${JSON.stringify(buildErrorBody(toCrosswayError(thrown)))}\n\n`;
}
