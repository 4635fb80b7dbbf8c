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
    routingHeaders: exchange.req.headers,
    requestRate: exchange.requestRate,
  };
}
