// What the gateway tells about each answer once it is written: the Server-Timing header (gateway, upstream and total
// times) and the Prometheus metrics of the request. Called by the HTTP server for every answer; labels come from the
// route table and the catalog, never from what the client sent (an unknown model is `other`).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatServerTiming } from '../observe/index.ts';
import type { Exchange, GatewayContext, HttpResult, StreamWriter } from './gateway-types.ts';
import type { WriteOutcome } from './write-result.ts';

/**
 * Sets Server-Timing on the answer: a whole answer's as it is about to be written; a stream's when its head goes out
 * (after the first upstream chunk: `upstream` is the wait for it, `ttfb` the time to first byte). What follows the head
 * of a stream cannot be told in a header (browsers do not read trailers); the metrics have it.
 */
export function timeAnswer(res: ServerResponse, result: HttpResult, startedAt: number, exchange: Exchange | null): HttpResult {
  res.setHeader('server-timing', formatServerTiming({ totalMs: performance.now() - startedAt, upstreamMs: exchange?.upstreamMs ?? 0 }));
  if ('body' in result) return result;
  const stream = result.stream;
  return {
    ...result,
    stream(writer: StreamWriter) {
      let headSent = false;
      const timed: StreamWriter = {
        head(headers) {
          if (headSent) return;
          headSent = true;
          const times = { totalMs: performance.now() - startedAt, upstreamMs: exchange?.upstreamMs ?? 0, streamHead: true };
          writer.head({ ...headers, 'server-timing': formatServerTiming(times) });
        },
        write(bytes) {
          if (!headSent) timed.head({});
          return writer.write(bytes);
        },
      };
      return stream(timed);
    },
  };
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/** Records the answer's metrics: every answer by route pattern, and a model call's by endpoint, model, route and provider. */
export function observeAnswer(gateway: GatewayContext, req: IncomingMessage, exchange: Exchange | null, outcome: WriteOutcome, startedAt: number): void {
  const metrics = gateway.metrics;
  if (metrics === undefined) return;
  const method = req.method !== undefined && METHODS.has(req.method) ? req.method : 'other';
  metrics.observeHttp(method, exchange?.route.path ?? 'unmatched', outcome.status);
  const log = exchange?.log;
  if (exchange === null || log === null || log === undefined) return;
  const catalog = gateway.catalog;
  const model = log.model === undefined || log.model === '' ? '' : (catalog.findModel(log.model)?.model.id ?? 'other');
  const route = log.route === null || log.route === undefined ? undefined : catalog.findRoute(log.route);
  metrics.observeModelRequest({
    endpoint: log.endpoint ?? 'unknown',
    model,
    route: route?.id ?? (log.route === null || log.route === undefined ? '' : 'other'),
    provider: route?.provider ?? '',
    status: log.status ?? outcome.status,
    stream: log.stream === true,
    durationMs: performance.now() - startedAt,
    upstreamMs: exchange.upstreamMs ?? 0,
    firstByteMs: outcome.firstByteAt === null ? null : outcome.firstByteAt - startedAt,
  });
}
