// Latency distributions with sub-millisecond resolution: an HDR histogram (node:perf_hooks) fed in milliseconds,
// recorded in nanoseconds, mergeable across rounds.
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

/** Percentiles of a distribution, in milliseconds; null when nothing was recorded. */
export interface LatencySummary {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  mean: number | null;
  max: number | null;
}

/** Records durations; three significant digits (0.1% error) at any magnitude. */
export class LatencyRecorder {
  readonly histogram: RecordableHistogram = createHistogram({ figures: 3 });

  /** Records a duration given in milliseconds. */
  record(ms: number): void {
    this.histogram.record(Math.max(1, Math.round(ms * 1e6)));
  }

  /** Adds every value of `other`. */
  add(other: LatencyRecorder): void {
    this.histogram.add(other.histogram);
  }

  summary(): LatencySummary {
    const h = this.histogram;
    const count = h.count;
    if (count === 0) return { count, p50: null, p90: null, p99: null, mean: null, max: null };
    return {
      count,
      p50: h.percentile(50) / 1e6,
      p90: h.percentile(90) / 1e6,
      p99: h.percentile(99) / 1e6,
      mean: h.mean / 1e6,
      max: h.max / 1e6,
    };
  }
}
