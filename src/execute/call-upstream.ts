// Sends one prepared upstream request through the shared undici dispatcher and classifies transport failures.
import { request, errors as undiciErrors, type Dispatcher } from 'undici';
import type { UpstreamRequest } from '../providers/index.ts';
import { UpstreamConnectionError, UpstreamError, UpstreamTimeoutError } from '../wire/index.ts';

export interface CallOptions {
  dispatcher: Dispatcher;
  signal: AbortSignal;
  /** Deadline for the response headers. */
  headersTimeoutMs: number;
  /** Longest silence allowed between body chunks. */
  bodyTimeoutMs: number;
}

/** Performs the HTTP call; the caller owns reading or discarding the body. */
export async function callUpstream(upstream: UpstreamRequest, options: CallOptions): Promise<Dispatcher.ResponseData> {
  return request(upstream.url, {
    method: upstream.method,
    headers: upstream.headers,
    body: upstream.body ?? null,
    dispatcher: options.dispatcher,
    signal: options.signal,
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs,
  });
}

/** Turns a transport error (refused, reset, timeout) into an UpstreamError naming the route. */
export function classifyTransportError(error: unknown, routeId: string, timeoutMs: number, timedOut: boolean): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (
    timedOut ||
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    error instanceof undiciErrors.ConnectTimeoutError
  ) {
    return new UpstreamTimeoutError(routeId, timeoutMs, error);
  }
  const code = (error as { code?: string } | null)?.code;
  const reason = code !== undefined ? `${code}${describe(error)}` : describe(error).trim() || 'unknown error';
  return new UpstreamConnectionError(routeId, reason, error);
}

function describe(error: unknown): string {
  return error instanceof Error && error.message !== '' ? ` ${error.message}` : '';
}
