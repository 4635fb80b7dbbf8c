// A time-series chart on uPlot (a canvas, a few tens of kilobytes, fast with thousands of points): made once per set
// of series, fed new data on every refresh, sized to its container. The figure carries a text summary for screen
// readers, since a canvas says nothing, and says on data attributes how many buckets it draws and how many hold data
// (what the browser test reads). Away from the cursor the legend shows each series' latest value, never a row of dashes.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One line of a chart. */
export interface Series {
  label: string;
  color: string;
  values: (number | null)[];
  /** Drawn as bars (counts per bucket) instead of a line. */
  bars?: boolean;
  /** A dashed line (segment and gap lengths in pixels), to tell apart lines that often coincide (p95 and p99). */
  dash?: number[];
}

const HEIGHT = 220;
/** Narrower than this (a phone), the y axis gets less room and the x axis fewer, shorter labels. */
const NARROW = 480;

/**
 * How the chart is drawn: `step` is the bucket width in seconds; `counts` puts the y axis on whole numbers from 0;
 * `unit` formats values in the legend, `tick` the y axis's labels.
 */
interface Shape {
  step: number;
  counts: boolean;
  unit: (value: number) => string;
  tick: (value: number) => string;
}

/** The last value of `values` that is not null (the latest bucket with data); null when there is none. */
function latest(values: ArrayLike<number | null | undefined> | undefined): number | null {
  for (let index = (values?.length ?? 0) - 1; index >= 0; index--) {
    const value = values?.[index];
    if (value !== null && value !== undefined) return value;
  }
  return null;
}

const clock = new Intl.DateTimeFormat('en', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const day = new Intl.DateTimeFormat('en', { month: 'short', day: 'numeric' });

/** An x-axis label: the time of day (24-hour, as the rest of the dashboard), the date at midnight on windows of days. */
function formatTick(seconds: number, spanSeconds: number): string {
  const date = new Date(seconds * 1000);
  if (spanSeconds > 2 * 86_400 && date.getHours() === 0 && date.getMinutes() === 0) return day.format(date);
  return clock.format(date);
}

/** Whole-number ticks for counts (never "0.5 requests"). */
const COUNT_INCREMENTS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 1_000_000, 10_000_000];

function optionsFor(width: number, series: Series[], shape: Shape): uPlot.Options {
  const { step, counts, unit, tick } = shape;
  const narrow = width < NARROW;
  return {
    width,
    height: HEIGHT,
    legend: { show: true, live: true },
    cursor: { drag: { x: false, y: false } },
    scales: {
      // Half a bucket either side, so that the first and last bars are whole.
      x: { time: true, range: (_plot, min, max) => [min - step / 2, max + step / 2] },
      y: { range: (_plot, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    axes: [
      {
        stroke: '#5b6472',
        grid: { stroke: '#eef0f3', width: 1 },
        ticks: { stroke: '#e3e6eb', width: 1 },
        // Room for a label every ~70 px (~55 on a phone): 5 to 15 labels, never touching.
        space: narrow ? 55 : 70,
        values: (plot, splits) => {
          const scale = plot.scales.x;
          const span = (scale?.max ?? 0) - (scale?.min ?? 0);
          return splits.map((split) => formatTick(split, span));
        },
      },
      {
        stroke: '#5b6472',
        grid: { stroke: '#eef0f3', width: 1 },
        ticks: { show: false },
        size: narrow ? 56 : 70,
        ...(counts ? { incrs: COUNT_INCREMENTS } : {}),
        values: (_plot, values) => values.map(tick),
      },
    ],
    series: [
      {
        label: 'Time',
        value: (_plot, value) => (value === null ? 'Latest' : new Date(value * 1000).toLocaleTimeString('en', { hour12: false })),
      },
      ...series.map((line) => ({
        label: line.label,
        stroke: line.color,
        width: line.bars === true ? 1 : line.dash === undefined ? 2 : 1.5,
        ...(line.dash === undefined ? {} : { dash: line.dash }),
        fill: line.bars === true ? `${line.color}40` : undefined,
        paths: line.bars === true ? uPlot.paths.bars?.({ size: [0.8, 28], gap: 1 }) : undefined,
        // Buckets without requests have no percentile: the line spans them instead of breaking into lone dots.
        spanGaps: line.bars !== true,
        points: line.bars === true ? { show: false } : { show: true, size: 4, fill: line.color },
        // Away from the cursor (idx null): a line's latest value, a bar's current bucket. A bar drawn as nothing is a 0
        // (see barValues); a line's bucket without a value (no requests, no percentile) is a dash.
        value: (plot: uPlot, value: number | null, seriesIndex: number, index: number | null) => {
          const values = plot.data[seriesIndex];
          if (line.bars === true) return unit((index === null ? values?.[values.length - 1] : value) ?? 0);
          const shown = index === null ? latest(values) : value;
          return shown === null ? '—' : unit(shown);
        },
      })),
    ],
  };
}

/** A bar series as drawn: an empty bucket is no bar at all, not a flat outline along the axis. */
function barValues(values: readonly (number | null)[]): (number | null)[] {
  return values.map((value) => (value === 0 ? null : value));
}

/** A chart of `series` over `times` (seconds since the epoch). */
export function Chart(props: {
  title: string;
  times: number[];
  step: number;
  series: Series[];
  unit?: (value: number) => string;
  /** The y axis's labels, when they read better than `unit`'s (fewer decimals); `unit` by default. */
  tick?: (value: number) => string;
  counts?: boolean;
  summary: string;
}) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const unit = props.unit ?? ((value: number) => String(value));
  const lines = `${props.step}|${props.series.map((line) => `${line.label}:${line.bars === true}`).join('|')}`;
  const data = [props.times, ...props.series.map((line) => (line.bars === true ? barValues(line.values) : line.values))] as uPlot.AlignedData;

  useEffect(() => {
    const element = holder.current;
    if (element === null) return undefined;
    const shape = { step: props.step, counts: props.counts === true, unit, tick: props.tick ?? unit };
    plot.current = new uPlot(optionsFor(Math.max(element.clientWidth, 240), props.series, shape), data, element);
    const observer = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(element.clientWidth, 240), height: HEIGHT }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Made again only when the set of series changes; data goes in below.
  }, [lines]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  const filled = props.times.filter((_time, index) => props.series.some((line) => (line.values[index] ?? 0) !== 0)).length;

  return (
    <figure class="chart" data-buckets={props.times.length} data-filled={filled} data-step={props.step}>
      <figcaption>{props.title}</figcaption>
      <div ref={holder} class="chart-canvas" role="img" aria-label={`${props.title}: ${props.summary}`} />
    </figure>
  );
}
