// The request log as a middleware: one row per request that called a model (its handler filled `exchange.log`),
// written when its answer is complete (a stream's, once the stream ended), never on the request's hot path.
import { type CrosswayError, NoRouteAvailableError, toCrosswayError, UpstreamError } from '../wire/index.ts';
import type { Exchange, GatewayContext, HttpResult, Middleware, StreamWriter } from './gateway-types.ts';

/** Records the row after the answer: for a stream, after its last byte, with its time to first byte and how it ended. */
export const logRequest: Middleware = async (gateway, exchange, next) => {
  let result: HttpResult;
  try {
    result = await next();
  } catch (error) {
    const failure = toCrosswayError(error);
    record(gateway, exchange, failure.status, failure.code, null, failure);
    throw error;
  }
  if ('body' in result) {
    record(gateway, exchange, result.status, null, null, null);
    return result;
  }
  const stream = result.stream;
  return {
    ...result,
    async stream(writer: StreamWriter) {
      let firstByteAt: number | null = null;
      const timed: StreamWriter = {
        head: (headers) => writer.head(headers),
        write(bytes) {
          firstByteAt ??= performance.now();
          return writer.write(bytes);
        },
      };
      try {
        await stream(timed);
      } catch (error) {
        const failure = toCrosswayError(error);
        record(gateway, exchange, failure.status, failure.code, firstByteAt, failure);
        throw error;
      }
      record(gateway, exchange, 200, null, firstByteAt, null);
    },
  };
};

/**
 * Queues the row. Who made the request comes from the principal (tenant, and key unless the master key); the decision
 * and attempts from the handler (a call that reached a route) or else the error (a call that failed after planning).
 */
function record(
  gateway: GatewayContext,
  exchange: Exchange,
  status: number,
  errorCode: string | null,
  firstByteAt: number | null,
  failure: Pick<CrosswayError, 'decisionId' | 'attemptCount'> | null,
): void {
  const log = exchange.log;
  if (log === null) return;
  // A call that failed upstream: the route its last attempt asked (the dashboard lists a route's failures by it).
  const failedRoute = log.route === undefined ? lastRouteTried(failure) : null;
  const now = performance.now();
  const principal = exchange.principal;
  gateway.requestLog.record({
    id: exchange.requestId,
    created_at: new Date().toISOString(),
    endpoint: log.endpoint ?? 'unknown',
    model: log.model ?? '',
    route: log.route ?? failedRoute,
    attempts: log.attempts ?? failure?.attemptCount ?? 0,
    status: log.status ?? status,
    error_code: log.error_code ?? errorCode,
    stream: log.stream ?? false,
    prompt_tokens: log.prompt_tokens ?? null,
    completion_tokens: log.completion_tokens ?? null,
    cached_tokens: log.cached_tokens ?? null,
    duration_ms: Math.round(now - exchange.startedAt),
    ttfb_ms: log.ttfb_ms ?? (firstByteAt === null ? null : Math.round(firstByteAt - exchange.startedAt)),
    mcp_calls: log.mcp_calls ?? null,
    tenant_id: principal?.tenant.id ?? null,
    key_id: principal?.key?.id ?? null,
    decision_id: log.decision_id ?? failure?.decisionId ?? null,
    provider: log.provider ?? (failedRoute === null ? null : (gateway.catalog.findRoute(failedRoute)?.provider ?? null)),
    upstream_ms: exchange.upstreamMs === undefined ? null : Math.round(exchange.upstreamMs),
  });
}

/** The route of a failed call's last upstream attempt; null when it made none. */
function lastRouteTried(failure: unknown): string | null {
  if (failure instanceof UpstreamError) return failure.route;
  if (failure instanceof NoRouteAvailableError) return failure.attempts.at(-1)?.route ?? null;
  return null;
}
