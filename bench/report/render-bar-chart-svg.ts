// A grouped horizontal bar chart as plain SVG text (no native dependencies): one group per category, one bar per series,
// value labels at the bar ends, linear or log10 axis.

export interface BarChartSeries {
  name: string;
  color: string;
  /** One value per category; null draws "n/a". */
  values: Array<number | null>;
}

export interface BarChartOptions {
  title: string;
  /** Axis caption, e.g. "requests/s". */
  unit: string;
  categories: string[];
  series: BarChartSeries[];
  /** Log10 axis, for values spanning orders of magnitude. */
  logScale?: boolean;
  /** Digits after the point in value labels. */
  digits?: number;
}

const WIDTH = 820;
const LABEL_WIDTH = 250;
const PLOT_WIDTH = 440;
const BAR_HEIGHT = 16;
const BAR_GAP = 3;
const GROUP_GAP = 14;
const LEGEND_PER_ROW = 4;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';

/** Renders the chart as a standalone SVG document. */
export function renderBarChartSvg(options: BarChartOptions): string {
  const { categories, series } = options;
  const digits = options.digits ?? 0;
  const values = series.flatMap((entry) => entry.values).filter((value): value is number => value !== null && value > 0);
  const scale = options.logScale === true ? logScale(values) : linearScale(values);
  const groupHeight = series.length * (BAR_HEIGHT + BAR_GAP) + GROUP_GAP;
  const plotHeight = categories.length * groupHeight;
  const legendRows = Math.max(1, Math.ceil(series.length / LEGEND_PER_ROW));
  const TOP = 46 + legendRows * 18;
  const height = TOP + plotHeight + 44;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT} font-size="12">`);
  parts.push(`<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="12" y="22" font-size="15" font-weight="600" fill="#111">${escapeXml(options.title)}</text>`);
  series.forEach((entry, index) => {
    // Four legend entries per row, under the title.
    const x = 12 + (index % LEGEND_PER_ROW) * 190;
    const y = 34 + Math.floor(index / LEGEND_PER_ROW) * 18;
    parts.push(`<rect x="${x}" y="${y}" width="12" height="12" fill="${entry.color}"/>`);
    parts.push(`<text x="${x + 18}" y="${y + 10}" fill="#333">${escapeXml(entry.name)}</text>`);
  });
  for (const tick of scale.ticks) {
    const x = LABEL_WIDTH + scale.position(tick) * PLOT_WIDTH;
    parts.push(`<line x1="${x.toFixed(1)}" y1="${TOP - 4}" x2="${x.toFixed(1)}" y2="${TOP + plotHeight}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${x.toFixed(1)}" y="${TOP + plotHeight + 16}" text-anchor="middle" fill="#666">${formatTick(tick)}</text>`);
  }
  parts.push(
    `<text x="${LABEL_WIDTH + PLOT_WIDTH / 2}" y="${TOP + plotHeight + 34}" text-anchor="middle" ` +
      `fill="#444">${escapeXml(options.unit)}${options.logScale === true ? ' (log scale)' : ''}</text>`,
  );
  categories.forEach((category, row) => {
    const groupTop = TOP + row * groupHeight;
    const middle = groupTop + (series.length * (BAR_HEIGHT + BAR_GAP)) / 2;
    parts.push(`<text x="${LABEL_WIDTH - 10}" y="${middle + 4}" text-anchor="end" fill="#111">${escapeXml(category)}</text>`);
    series.forEach((entry, index) => {
      const y = groupTop + index * (BAR_HEIGHT + BAR_GAP);
      const value = entry.values[row] ?? null;
      if (value === null) {
        parts.push(`<text x="${LABEL_WIDTH + 4}" y="${y + BAR_HEIGHT - 4}" fill="#999">n/a</text>`);
        return;
      }
      const width = Math.max(1, scale.position(value) * PLOT_WIDTH);
      parts.push(`<rect x="${LABEL_WIDTH}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${entry.color}"/>`);
      parts.push(`<text x="${(LABEL_WIDTH + width + 5).toFixed(1)}" y="${y + BAR_HEIGHT - 4}" fill="#222">${value.toFixed(digits)}</text>`);
    });
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

interface Scale {
  /** 0..1 along the plot. */
  position(value: number): number;
  ticks: number[];
}

function linearScale(values: number[]): Scale {
  const max = Math.max(1e-9, ...values);
  const step = niceStep(max / 5);
  const top = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let tick = 0; tick <= top + step / 2 && ticks.length < 20; tick += step) ticks.push(tick);
  return { position: (value) => Math.min(1, Math.max(0, value / top)), ticks };
}

function logScale(values: number[]): Scale {
  const low = 10 ** Math.floor(Math.log10(Math.min(...values, 1)));
  const high = 10 ** Math.ceil(Math.log10(Math.max(...values, low * 10)));
  const span = Math.log10(high / low);
  const ticks: number[] = [];
  for (let tick = low; tick <= high * 1.001 && ticks.length < 20; tick *= 10) ticks.push(tick);
  return { position: (value) => Math.min(1, Math.max(0, Math.log10(Math.max(value, low) / low) / span)), ticks };
}

function niceStep(raw: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const scaled = raw / magnitude;
  const nice = scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10;
  return nice * magnitude;
}

function formatTick(value: number): string {
  if (value >= 1000) return `${value / 1000}k`;
  return Number(value.toPrecision(3)).toString();
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}
