// The standard Server-Timing header (https://www.w3.org/TR/server-timing/): how long an answer spent in Crossway and
// waiting on upstreams, shown by browsers' developer tools and readable by any HTTP client.

/** Times of one answer, in milliseconds. */
export interface AnswerTimes {
  /** From the request's arrival until now (the head of the answer). */
  totalMs: number;
  /** Of that, time spent waiting on upstream attempts (0 when none was made). */
  upstreamMs: number;
  /** A stream's head: its total is its time to first byte, and it is named `ttfb` rather than `total`. */
  streamHead?: boolean;
}

/** `gateway;dur=1.2, upstream;dur=250.4, total;dur=251.6` (`ttfb` instead of `total` for a stream's head). */
export function formatServerTiming(times: AnswerTimes): string {
  const upstream = Math.max(0, Math.min(times.upstreamMs, times.totalMs));
  const gateway = times.totalMs - upstream;
  return `gateway;dur=${round(gateway)}, upstream;dur=${round(upstream)}, ${times.streamHead === true ? 'ttfb' : 'total'};dur=${round(times.totalMs)}`;
}

function round(ms: number): string {
  return (Math.round(ms * 10) / 10).toString();
}
