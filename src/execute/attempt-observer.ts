// What the executor tells observers about its attempts: how each ended (for metrics), and, per request, the time spent
// waiting on upstreams. Plain data and tiny functions: the metrics themselves live in observe/.
import type { Route } from '../catalog/index.ts';
import { ClientClosedError, UpstreamConnectionError, UpstreamTimeoutError, type UpstreamError } from '../wire/index.ts';

/** How an attempt ended, as a bounded label. */
export type AttemptEndOutcome = 'ok' | 'timeout' | 'connection_error' | 'rate_limited' | 'server_error' | 'client_error' | 'client_closed';

/** Told of every attempt that reached (or tried to reach) an upstream, once its outcome is known (a stream's at its end). */
export interface AttemptObserver {
  /** `failover`: the failure is one the executor fails over from (shouldFailOver or a carry limit), before a stream started. */
  attemptEnded(route: Route, outcome: AttemptEndOutcome, failover: boolean): void;
}

/**
 * Where one request adds up the time its attempts spent waiting on upstreams, in milliseconds: the HTTP exchange (its
 * `upstreamMs`, undefined until an attempt was made). A stream's attempt counts until the stream ended.
 */
export interface UpstreamTimeSink {
  upstreamMs?: number | undefined;
}

/** The outcome label of an attempt's end: null for success. */
export function describeAttemptEnd(failure: UpstreamError | ClientClosedError | null): AttemptEndOutcome {
  if (failure === null) return 'ok';
  if (failure instanceof ClientClosedError) return 'client_closed';
  if (failure instanceof UpstreamTimeoutError) return 'timeout';
  if (failure instanceof UpstreamConnectionError) return 'connection_error';
  if (failure.upstreamStatus === 429) return 'rate_limited';
  return failure.upstreamStatus >= 500 ? 'server_error' : 'client_error';
}
