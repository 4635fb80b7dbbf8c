// Open-loop results of one target: each round's percentiles, paired with the floor's run at the same rate in the same
// round, summarised by medians over the rounds, so that one round disturbed by the machine cannot move the result.
import type { LoadResult } from '../load/load-request.ts';

/** One open-loop run; `group` names whose saturation set the rate (`reference` = Crossway's). */
export interface OpenRun {
  round: number;
  rate: number;
  group: string;
  result: LoadResult;
}

/** Medians over the rounds, in milliseconds; "added" values are medians of the per-round differences to the floor. */
export interface OpenView {
  rate: number;
  achieved: number;
  failed: number;
  /** JSON: the whole response; streams: the whole stream. */
  p50: number | null;
  p90: number | null;
  p99: number | null;
  ttfbP50: number | null;
  ttfbP99: number | null;
  addedP50: number | null;
  addedP99: number | null;
  addedTtfbP50: number | null;
  addedTtfbP99: number | null;
  /** Per round, in round order. */
  roundsAddedP50: Array<number | null>;
  roundsAddedTtfbP50: Array<number | null>;
}

/** Summarises a target's runs; `floorOf` finds the floor's run for a run's group and round. */
export function summarizeOpenRuns(runs: OpenRun[], floorOf: (run: OpenRun) => OpenRun | undefined): OpenView | null {
  if (runs.length === 0) return null;
  const rounds = runs.map((run) => {
    const latency = run.result.latency.summary();
    const ttfb = run.result.ttfb.summary();
    const floor = floorOf(run);
    const floorLatency = floor?.result.latency.summary();
    const floorTtfb = floor?.result.ttfb.summary();
    return {
      rate: run.rate,
      achieved: run.result.rps,
      failed: run.result.non2xx + run.result.errors + run.result.dropped,
      p50: latency.p50,
      p90: latency.p90,
      p99: latency.p99,
      ttfbP50: ttfb.p50,
      ttfbP99: ttfb.p99,
      addedP50: difference(latency.p50, floorLatency?.p50),
      addedP99: difference(latency.p99, floorLatency?.p99),
      addedTtfbP50: difference(ttfb.p50, floorTtfb?.p50),
      addedTtfbP99: difference(ttfb.p99, floorTtfb?.p99),
    };
  });
  const of = (pick: (round: (typeof rounds)[number]) => number | null) => median(rounds.map(pick));
  return {
    rate: of((round) => round.rate) ?? 0,
    achieved: of((round) => round.achieved) ?? 0,
    failed: rounds.reduce((sum, round) => sum + round.failed, 0),
    p50: of((round) => round.p50),
    p90: of((round) => round.p90),
    p99: of((round) => round.p99),
    ttfbP50: of((round) => round.ttfbP50),
    ttfbP99: of((round) => round.ttfbP99),
    addedP50: of((round) => round.addedP50),
    addedP99: of((round) => round.addedP99),
    addedTtfbP50: of((round) => round.addedTtfbP50),
    addedTtfbP99: of((round) => round.addedTtfbP99),
    roundsAddedP50: rounds.map((round) => round.addedP50),
    roundsAddedTtfbP50: rounds.map((round) => round.addedTtfbP50),
  };
}

/** The median of the known values (the mean of the middle two for an even count); null when none is known. */
export function median(values: Array<number | null | undefined>): number | null {
  const known = values.filter((value): value is number => value !== null && value !== undefined && Number.isFinite(value)).sort((a, b) => a - b);
  if (known.length === 0) return null;
  const middle = known.length / 2;
  return Number.isInteger(middle) ? (known[middle - 1]! + known[middle]!) / 2 : known[Math.floor(middle)]!;
}

function difference(value: number | null | undefined, base: number | null | undefined): number | null {
  return value === null || value === undefined || base === null || base === undefined ? null : value - base;
}
