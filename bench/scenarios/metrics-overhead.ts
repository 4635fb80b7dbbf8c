// What Prometheus metrics cost Crossway, measured in one run: the same `crossway serve` (priced route, virtual key: every
// call metered, so that every metric moves) with `metrics.enabled: false` and with metrics on and GET /metrics scraped
// every second during the load, in interleaved rounds at the highest connection count: throughput and CPU per request
// (all threads of the gateway process, from /proc), as ratios of on to off.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { request as undiciRequest } from 'undici';
import type { BenchContext, Scenario, ScenarioResult } from '../bench-types.ts';
import { type LoadResult, emptyLoadResult, failureShare, mergeLoadResult } from '../load/load-request.ts';
import { runAutocannonLoad } from '../load/run-autocannon-load.ts';
import { readThreadCpu } from '../read-thread-cpu.ts';
import { formatMs, formatRate, formatRatio } from '../report/format-measure.ts';
import { renderMarkdownTable } from '../report/render-markdown-table.ts';
import { CROSSWAY_BENCH_MASTER_KEY, startCrossway, startUpstream, type Target } from '../targets/start-targets.ts';

const TITLE = 'Prometheus metrics: Crossway with metrics on (scraped every second) vs off';
/** How often the metrics target is scraped during its measured runs (Prometheus' usual interval is 15 s: this is harsher). */
const SCRAPE_INTERVAL_MS = 1_000;

export const metricsOverheadScenario: Scenario = {
  name: 'metrics',
  description: 'Crossway (virtual key, priced route) with Prometheus metrics on and scraped every second vs metrics off: req/s and CPU per request',
  enabledByDefault: false,
  run: runMetricsOverhead,
};

interface MetricsTarget {
  key: 'off' | 'on';
  label: string;
  target: Target;
  total: LoadResult;
  cpuSeconds: number;
  scrapes: number;
  scrapeBytes: number;
}

async function runMetricsOverhead(context: BenchContext): Promise<ScenarioResult> {
  const { settings } = context;
  const connections = Math.max(...settings.connections);
  try {
    const upstream = await startUpstream(context, settings.streamChunks);
    const off = await startCrossway(context, upstream, { virtualKey: true, name: 'metrics-off', entry: serveWith(context, 'metrics: { enabled: false }') });
    const on = await startCrossway(context, upstream, { virtualKey: true, name: 'metrics-on', entry: serveWith(context, 'metrics: { enabled: true }') });
    const targets: MetricsTarget[] = [
      { key: 'off', label: 'metrics off (baseline)', target: off, total: emptyLoadResult(), cpuSeconds: 0, scrapes: 0, scrapeBytes: 0 },
      { key: 'on', label: 'metrics on, scraped every 1 s', target: on, total: emptyLoadResult(), cpuSeconds: 0, scrapes: 0, scrapeBytes: 0 },
    ];
    for (const { key, target } of targets) {
      context.log(`metrics: warm-up ${key}`);
      await runAutocannonLoad(target.request(false), { connections, durationMs: settings.warmupMs });
    }
    for (let round = 0; round < settings.rounds; round += 1) {
      // Interleaved and rotated, so that drift (frequency, other tenants of the machine) hits both alike.
      for (const measured of round % 2 === 0 ? targets : [...targets].reverse()) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        const scraper = measured.key === 'on' ? startScraper(measured) : null;
        const before = processCpu(measured.target);
        const result = await runAutocannonLoad(measured.target.request(false), { connections, durationMs: settings.measureMs });
        measured.cpuSeconds += processCpu(measured.target) - before;
        await scraper?.stop();
        mergeLoadResult(measured.total, result);
        context.log(`metrics: round ${round + 1} ${measured.key}: ${Math.round(result.rps)}/s`);
      }
    }
    return report(targets, connections, context);
  } finally {
    await context.processes.stopAll();
  }
}

/** `crossway serve` on the written config with `line` appended (a `metrics:` section; the config has none). */
function serveWith(context: BenchContext, line: string): (configPath: string) => string[] {
  return (configPath) => {
    appendFileSync(configPath, `${line}\n`);
    return [join(context.repoRoot, 'bin/crossway.js'), 'serve', '--config', configPath];
  };
}

/** CPU seconds of the gateway process so far, every thread. */
function processCpu(target: Target): number {
  let seconds = 0;
  for (const value of readThreadCpu(target.process.pid).values()) seconds += value;
  return seconds;
}

/** Scrapes GET /metrics with the master key every SCRAPE_INTERVAL_MS until stopped (one scrape at a time). */
function startScraper(measured: MetricsTarget): { stop(): Promise<void> } {
  const url = `${new URL(measured.target.request(false).url).origin}/metrics`;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const scrape = async () => {
    const response = await undiciRequest(url, { headers: { authorization: `Bearer ${CROSSWAY_BENCH_MASTER_KEY}` }, headersTimeout: 5_000, bodyTimeout: 5_000 });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`GET /metrics answered ${response.statusCode}: ${text.slice(0, 200)}`);
    measured.scrapes += 1;
    measured.scrapeBytes += text.length;
  };
  const timer = setInterval(() => {
    if (!stopped) running = running.then(scrape);
  }, SCRAPE_INTERVAL_MS);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

function report(targets: MetricsTarget[], connections: number, context: BenchContext): ScenarioResult {
  const [off, on] = targets as [MetricsTarget, MetricsTarget];
  const cpuPerRequestMs = (target: MetricsTarget) => (target.total.completed === 0 ? null : (target.cpuSeconds * 1000) / target.total.completed);
  const rows = targets.map((target) => [
    target.label,
    formatRate(target.total.rps),
    formatMs(target.total.latency.summary().p99),
    cpuPerRequestMs(target) === null ? 'n/a' : `${(cpuPerRequestMs(target)! * 1000).toFixed(1)}`,
    `${(failureShare(target.total) * 100).toFixed(2)} %`,
    formatRatio(target.total.rps, off.total.rps),
    formatRatio(cpuPerRequestMs(target), cpuPerRequestMs(off)),
  ]);
  const scrapeKb = on.scrapes === 0 ? 0 : on.scrapeBytes / on.scrapes / 1024;
  const markdown = [
    `One \`crossway serve\` per configuration (SQLite, a priced route, called with a virtual key that has limits and a budget, as ` +
      `\`crossway-virtual-key\` does), non-streaming chat completions, ${connections} connections, ${context.settings.rounds} interleaved ` +
      `rounds of ${context.settings.measureMs / 1000} s after a ${context.settings.warmupMs / 1000} s warm-up each. CPU is every thread of the ` +
      `gateway process (/proc), per answered request. The metrics target was scraped ${on.scrapes} times (every ` +
      `${SCRAPE_INTERVAL_MS / 1000} s, about ${scrapeKb.toFixed(1)} KiB each) while measured.`,
    renderMarkdownTable(['Configuration', 'req/s', 'p99 ms', 'CPU µs/request', 'failed', 'x req/s of off', 'x CPU/request of off'], rows, [
      false,
      true,
      true,
      true,
      true,
      true,
      true,
    ]),
  ].join('\n\n');
  return {
    title: TITLE,
    markdown,
    headline: [
      `Prometheus metrics on and scraped every second: **${formatRatio(on.total.rps, off.total.rps)}× the throughput** and ` +
        `**${formatRatio(cpuPerRequestMs(on), cpuPerRequestMs(off))}× the CPU per request** of metrics off, in the same run.`,
    ],
    targets: [],
    artifacts: [],
  };
}
