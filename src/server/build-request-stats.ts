// GET /admin/stats's answer from what Store.readRequestStats reads: the window cut into buckets, each with its request
// and error counts, latency, overhead and time-to-first-byte percentiles, tokens, and money per currency.
import { formatMoney } from '../metering/index.ts';
import type { RequestStatsQuery, RequestStatsRecord } from '../store/index.ts';

/** The windows the dashboard may ask for, each with its bucket size (30 to 96 buckets a window). */
export const STATS_WINDOWS = {
  '15m': { seconds: 15 * 60, bucketSeconds: 30 },
  '1h': { seconds: 3_600, bucketSeconds: 60 },
  '6h': { seconds: 6 * 3_600, bucketSeconds: 5 * 60 },
  '24h': { seconds: 24 * 3_600, bucketSeconds: 15 * 60 },
  '7d': { seconds: 7 * 24 * 3_600, bucketSeconds: 2 * 3_600 },
} as const;

export type StatsWindow = keyof typeof STATS_WINDOWS;

/**
 * At most this many requests' timings are read per call (an evenly spaced sample past it, flagged `sampled`): about
 * 2 MB of rows at worst, so that a dashboard polling every few seconds stays cheap at any traffic.
 */
export const STATS_SAMPLE_LIMIT = 20_000;

/** The sums and percentiles of a bucket, or of the whole window (`totals`). */
export interface RequestStatsFigures {
  requests: number;
  errors: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  /** Time spent in Crossway (duration minus waiting on upstreams), of the requests whose upstream time was measured. */
  overhead_p50_ms: number | null;
  overhead_p95_ms: number | null;
  ttfb_p50_ms: number | null;
  input_tokens: number;
  output_tokens: number;
  /** What the clouds are owed, per currency, as decimal strings. */
  cost: Record<string, string>;
  /** What the tenants are charged, per currency, as decimal strings. */
  charge: Record<string, string>;
}

export interface RequestStats {
  window: StatsWindow;
  bucket_seconds: number;
  /** True when the percentiles come from a sample of the window's requests (counts and sums are exact). */
  sampled: boolean;
  buckets: (RequestStatsFigures & { t: string })[];
  totals: RequestStatsFigures;
}

/** The store query of a window ending now: buckets aligned to their size, the last one the current (partial) one. */
export function toRequestStatsQuery(window: StatsWindow, now: Date, tenant: string | undefined): RequestStatsQuery {
  const { seconds, bucketSeconds } = STATS_WINDOWS[window];
  const end = (Math.floor(now.getTime() / 1000 / bucketSeconds) + 1) * bucketSeconds;
  return {
    since: new Date((end - seconds) * 1000).toISOString(),
    until: new Date(end * 1000).toISOString(),
    bucketSeconds,
    sampleLimit: STATS_SAMPLE_LIMIT,
    ...(tenant === undefined ? {} : { tenant_id: tenant }),
  };
}

/** The answer: every bucket of the window (empty ones with zeros and null percentiles), then the totals. */
export function buildRequestStats(window: StatsWindow, query: RequestStatsQuery, record: RequestStatsRecord): RequestStats {
  const count = STATS_WINDOWS[window].seconds / query.bucketSeconds;
  const since = Date.parse(query.since);
  const accumulators = Array.from({ length: count }, () => new Accumulator());
  const total = new Accumulator();
  const at = (bucket: number) => (bucket >= 0 && bucket < count ? accumulators[bucket] : undefined);
  for (const { bucket, requests, errors } of record.buckets) {
    const accumulator = at(bucket);
    if (accumulator === undefined) continue;
    accumulator.requests += requests;
    accumulator.errors += errors;
    total.requests += requests;
    total.errors += errors;
  }
  for (const timing of record.timings) {
    const accumulator = at(timing.bucket);
    if (accumulator === undefined) continue;
    accumulator.addTiming(timing);
    total.addTiming(timing);
  }
  for (const usage of record.usage) {
    const accumulator = at(usage.bucket);
    if (accumulator === undefined) continue;
    accumulator.addUsage(usage);
    total.addUsage(usage);
  }
  return {
    window,
    bucket_seconds: query.bucketSeconds,
    sampled: record.sampled,
    buckets: accumulators.map((accumulator, index) => ({ t: new Date(since + index * query.bucketSeconds * 1000).toISOString(), ...accumulator.figures() })),
    totals: total.figures(),
  };
}

/** The nearest-rank percentile of sorted values (p in 0..1); null when there are none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? null;
}

class Accumulator {
  requests = 0;
  errors = 0;
  readonly #durations: number[] = [];
  readonly #overheads: number[] = [];
  readonly #ttfbs: number[] = [];
  #inputTokens = 0;
  #outputTokens = 0;
  readonly #cost = new Map<string, bigint>();
  readonly #charge = new Map<string, bigint>();

  addTiming(timing: RequestStatsRecord['timings'][number]): void {
    this.#durations.push(timing.duration_ms);
    if (timing.upstream_ms !== null) this.#overheads.push(Math.max(0, timing.duration_ms - timing.upstream_ms));
    if (timing.ttfb_ms !== null) this.#ttfbs.push(timing.ttfb_ms);
  }

  addUsage(usage: RequestStatsRecord['usage'][number]): void {
    this.#inputTokens += usage.input_tokens;
    this.#outputTokens += usage.output_tokens;
    this.#cost.set(usage.currency, (this.#cost.get(usage.currency) ?? 0n) + usage.cost);
    this.#charge.set(usage.currency, (this.#charge.get(usage.currency) ?? 0n) + usage.charged);
  }

  figures(): RequestStatsFigures {
    const byNumber = (a: number, b: number) => a - b;
    const durations = this.#durations.sort(byNumber);
    const overheads = this.#overheads.sort(byNumber);
    const ttfbs = this.#ttfbs.sort(byNumber);
    return {
      requests: this.requests,
      errors: this.errors,
      p50_ms: percentile(durations, 0.5),
      p95_ms: percentile(durations, 0.95),
      p99_ms: percentile(durations, 0.99),
      overhead_p50_ms: percentile(overheads, 0.5),
      overhead_p95_ms: percentile(overheads, 0.95),
      ttfb_p50_ms: percentile(ttfbs, 0.5),
      input_tokens: this.#inputTokens,
      output_tokens: this.#outputTokens,
      cost: toMoneyRecord(this.#cost),
      charge: toMoneyRecord(this.#charge),
    };
  }
}

function toMoneyRecord(amounts: Map<string, bigint>): Record<string, string> {
  return Object.fromEntries([...amounts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([currency, amount]) => [currency, formatMoney(amount)]));
}
