// The core's view of an authenticated HTTP request: the CallContext every service takes.
import type { CallContext } from '../calls/index.ts';
import { AuthenticationError } from '../wire/index.ts';
import type { Exchange } from './gateway-types.ts';

/** The exchange as a call: its caller, ids, abort signal, constraint headers and the request rate it already took. */
export function callContextOf(exchange: Exchange): CallContext {
  const principal = exchange.principal;
  // Routes that call the core are authenticated (`auth: true`); this guards the route table, not a client.
  if (principal === null) throw new AuthenticationError('This endpoint needs an API key.', 'missing_api_key');
  return {
    principal,
    requestId: exchange.requestId,
    signal: exchange.signal,
    startedAt: exchange.startedAt,
    deadlineAt: readCallerDeadline(exchange),
    routingHeaders: exchange.req.headers,
    requestRate: exchange.requestRate,
    // The exchange adds up its own upstream time: Server-Timing and the request log read `exchange.upstreamMs`.
    upstreamTime: exchange,
  };
}

/** The longest caller timeout honoured (an hour); a longer or malformed one is ignored, leaving the routes' timeouts. */
const MAX_CALLER_TIMEOUT_S = 3_600;

/**
 * When the caller stops waiting: the official OpenAI and Anthropic SDKs send their request timeout, in seconds, as
 * `x-stainless-timeout`; past it nobody reads the answer, so failover stops spending upstream calls on it.
 */
function readCallerDeadline(exchange: Exchange): number | null {
  const header = exchange.req.headers['x-stainless-timeout'];
  if (typeof header !== 'string' || header.length > 16) return null;
  const seconds = Number(header);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_CALLER_TIMEOUT_S) return null;
  return exchange.startedAt + seconds * 1000;
}
