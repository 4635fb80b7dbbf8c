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

function optionsFor(width: number, series: Series[], unit: (value: number) => string): uPlot.Options {
  return {
    width,
    height: HEIGHT,
    legend: { show: true, live: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true } },
    axes: [
      { stroke: '#5b6472', grid: { stroke: '#eef0f3', width: 1 }, ticks: { stroke: '#e3e6eb', width: 1 } },
      { stroke: '#5b6472', grid: { stroke: '#eef0f3', width: 1 }, ticks: { show: false }, size: 64, values: (_plot, values) => values.map(unit) },
    ],
    series: [
      {},
      ...series.map((line) => ({
        label: line.label,
        stroke: line.color,
        width: 2,
        fill: line.bars === true ? `${line.color}33` : undefined,
        paths: line.bars === true ? uPlot.paths.bars?.({ size: [0.7, 24] }) : undefined,
        points: { show: false },
        value: (_plot: uPlot, value: number | null) => (value === null ? '—' : unit(value)),
      })),
    ],
  };
}

/** A chart of `series` over `times` (seconds since the epoch). */
export function Chart(props: { title: string; times: number[]; series: Series[]; unit?: (value: number) => string; summary: string }) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const unit = props.unit ?? ((value: number) => String(value));
  const shape = props.series.map((line) => `${line.label}:${line.bars === true}`).join('|');
  const data = [props.times, ...props.series.map((line) => line.values)] as uPlot.AlignedData;

  useEffect(() => {
    const element = holder.current;
    if (element === null) return undefined;
    plot.current = new uPlot(optionsFor(Math.max(element.clientWidth, 240), props.series, unit), data, element);
    const observer = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(element.clientWidth, 240), height: HEIGHT }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Made again only when the set of series changes; data goes in below.
  }, [shape]);

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
