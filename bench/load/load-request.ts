// What a load run sends and what it measured; shared by the autocannon and the undici drivers.
import { LatencyRecorder } from '../latency-recorder.ts';

/** One HTTP request, repeated by a load run. */
export interface LoadRequest {
  /** Absolute URL on 127.0.0.1. */
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The outcome of one load run. */
export interface LoadResult {
  durationMs: number;
  /** Responses with a 2xx status, read to the end. */
  completed: number;
  non2xx: number;
  /** Transport errors and timeouts. */
  errors: number;
  /** Open loop only: arrivals not sent because too many requests were outstanding (the target fell behind). */
  dropped: number;
  /** Completed responses per second. */
  rps: number;
  /** From sending the request to the last byte of the response. */
  latency: LatencyRecorder;
  /** From sending the request to the first byte of the response body (undici driver only). */
  ttfb: LatencyRecorder;
}

/** An empty result to merge rounds into. */
export function emptyLoadResult(): LoadResult {
  return { durationMs: 0, completed: 0, non2xx: 0, errors: 0, dropped: 0, rps: 0, latency: new LatencyRecorder(), ttfb: new LatencyRecorder() };
}

/** Adds `next` to `total` (counts and histograms; rps becomes the overall rate). */
export function mergeLoadResult(total: LoadResult, next: LoadResult): void {
  total.durationMs += next.durationMs;
  total.completed += next.completed;
  total.non2xx += next.non2xx;
  total.errors += next.errors;
  total.dropped += next.dropped;
  total.rps = total.durationMs > 0 ? (total.completed * 1000) / total.durationMs : 0;
  total.latency.add(next.latency);
  total.ttfb.add(next.ttfb);
}

/** Share of requests that failed (non-2xx, errors, dropped). */
export function failureShare(result: LoadResult): number {
  const failed = result.non2xx + result.errors + result.dropped;
  const total = failed + result.completed;
  return total === 0 ? 1 : failed / total;
}
