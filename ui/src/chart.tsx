// A time-series chart on uPlot (a canvas, a few tens of kilobytes, fast with thousands of points): made once per set
// of series, fed new data on every refresh, sized to its container. The figure carries a text summary for screen
// readers, since a canvas says nothing.
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
}

const HEIGHT = 220;

/** How the chart is drawn: `step` is the bucket width in seconds; `counts` puts the y axis on whole numbers from 0. */
interface Shape {
  step: number;
  counts: boolean;
  unit: (value: number) => string;
}

/** Whole-number ticks for counts (never "0.5 requests"). */
const COUNT_INCREMENTS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 1_000_000, 10_000_000];

function optionsFor(width: number, series: Series[], shape: Shape): uPlot.Options {
  const { step, counts, unit } = shape;
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
      { stroke: '#5b6472', grid: { stroke: '#eef0f3', width: 1 }, ticks: { stroke: '#e3e6eb', width: 1 } },
      {
        stroke: '#5b6472',
        grid: { stroke: '#eef0f3', width: 1 },
        ticks: { show: false },
        size: 70,
        ...(counts ? { incrs: COUNT_INCREMENTS } : {}),
        values: (_plot, values) => values.map(unit),
      },
    ],
    series: [
      { value: (_plot, value) => (value === null ? '—' : new Date(value * 1000).toLocaleTimeString('en', { hour12: false })) },
      ...series.map((line) => ({
        label: line.label,
        stroke: line.color,
        width: line.bars === true ? 1 : 2,
        fill: line.bars === true ? `${line.color}40` : undefined,
        paths: line.bars === true ? uPlot.paths.bars?.({ size: [0.8, 28], gap: 1 }) : undefined,
        // Buckets without requests have no percentile: the line spans them instead of breaking into lone dots.
        spanGaps: line.bars !== true,
        points: line.bars === true ? { show: false } : { show: true, size: 4, fill: line.color },
        value: (_plot: uPlot, value: number | null) => (value === null ? '—' : unit(value)),
      })),
    ],
  };
}

/** A chart of `series` over `times` (seconds since the epoch). */
export function Chart(props: {
  title: string;
  times: number[];
  step: number;
  series: Series[];
  unit?: (value: number) => string;
  counts?: boolean;
  summary: string;
}) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const unit = props.unit ?? ((value: number) => String(value));
  const lines = `${props.step}|${props.series.map((line) => `${line.label}:${line.bars === true}`).join('|')}`;
  const data = [props.times, ...props.series.map((line) => line.values)] as uPlot.AlignedData;

  useEffect(() => {
    const element = holder.current;
    if (element === null) return undefined;
    const shape = { step: props.step, counts: props.counts === true, unit };
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

  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={holder} class="chart-canvas" role="img" aria-label={`${props.title}: ${props.summary}`} />
    </figure>
  );
}
