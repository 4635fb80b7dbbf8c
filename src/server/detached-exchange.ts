// An Exchange for work that outlives its HTTP request (background responses): routing, metering and decisions need
// an exchange, but nothing may be written to a client that has already had its answer.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from './authenticate.ts';
import type { Exchange } from './gateway-types.ts';

/** Headers a background run may set are kept here instead of on a response that was already sent. */
class DetachedResponse {
  readonly headers = new Map<string, string | number | readonly string[]>();
  statusCode = 200;
  headersSent = true;
  writableFinished = true;
  setHeader(name: string, value: string | number | readonly string[]): this {
    this.headers.set(name.toLowerCase(), value);
    return this;
  }
}

/**
 * An exchange whose request carries `headers` (the original request's, for routing preferences) and whose response
 * accepts headers but sends nothing. `signal` aborts the work (a cancelled background response).
 */
export function createDetachedExchange(options: { principal: Principal; requestId: string; headers: IncomingHttpHeaders; signal: AbortSignal }): Exchange {
  return {
    req: { headers: options.headers, method: 'POST', url: '/v1/responses' } as IncomingMessage,
    res: new DetachedResponse() as unknown as ServerResponse,
    requestId: options.requestId,
    startedAt: performance.now(),
    signal: options.signal,
    principal: options.principal,
    rawBody: null,
    requestRate: null,
    meter: null,
    log: null,
  };
}
