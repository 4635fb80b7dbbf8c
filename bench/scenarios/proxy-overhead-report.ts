// Turns the proxy-overhead measurements into BENCHMARKS.md tables, two SVG charts, the issue's targets and headline
// ratios. Every comparison is between numbers measured in the same run.
import type { BenchSettings, ScenarioResult, TargetCheck } from '../bench-types.ts';
import { THREAD_GROUPS, type ThreadCpu } from '../read-thread-cpu.ts';
import { failureShare, type LoadResult } from '../load/load-request.ts';
import type { Target } from '../targets/start-targets.ts';
import { renderBarChartSvg } from '../report/render-bar-chart-svg.ts';
import { formatAddedMs, formatMb, formatMs, formatRate, formatRatio, safeRatio } from '../report/format-measure.ts';
import { renderLiteLlmQuotedFigures } from '../report/litellm-quoted-figures.ts';
import { renderMarkdownTable } from '../report/render-markdown-table.ts';
import { median, summarizeOpenRuns, type OpenRun, type OpenView } from './proxy-overhead-open-loop.ts';

export type { OpenRun } from './proxy-overhead-open-loop.ts';

export const MODES = ['json', 'stream'] as const;
/** A non-streaming (JSON) or a streamed (SSE) chat completion. */
export type Mode = (typeof MODES)[number];

/** Closed-loop runs of one target, one mode and one connection count, merged over the rounds. */
export interface ClosedSeries {
  total: LoadResult;
  roundsRps: number[];
}

/** Everything measured about one target. */
export interface TargetRecord {
  target: Target;
  /** Modes the target failed its probe in (not measured), with the reason. */
  broken: Partial<Record<Mode, string>>;
  idleRssMb: number | null;
  /** Highest RSS sampled during the highest-connection runs. */
  loadRssMb: number | null;
  /** VmHWM at the end of the run. */
  peakRssMb: number | null;
  idleAfterRssMb: number | null;
  /** CPU seconds per thread group over the non-streaming runs at the highest connection count, and their requests. */
  threadCpu: ThreadCpu;
  threadCpuRequests: number;
  /** Keyed `${mode}@${connections}`. */
  closed: Map<string, ClosedSeries>;
  /** Open-loop runs, one per round. */
  open: Map<Mode, OpenRun[]>;
}

export interface ProxyOverheadData {
  settings: BenchSettings;
  records: TargetRecord[];
  /** The floor's open-loop runs, keyed `${mode}@${group}`, one per round. */
  floorOpen: Map<string, OpenRun[]>;
  notes: string[];
  maxConnections: number;
  nginxFound: boolean;
}

const LIMITS = { throughputShare: 0.85, virtualKeyThroughputShare: 0.5, addedP50Ms: 0.3, addedP99Ms: 2, addedTtfbMs: 1, idleRssMb: 80, loadRssMb: 200 };

/** The scenario's section, charts, targets and headline. */
export function renderProxyOverheadReport(data: ProxyOverheadData): ScenarioResult {
  const { settings, records, maxConnections } = data;
  const byKey = (key: string) => records.find((record) => record.target.key === key);
  const floor = byKey('upstream');
  const ceiling = byKey('minimal-proxy');
  const crossway = byKey('crossway');
  const virtualKey = byKey('crossway-vk');
  const portkey = byKey('portkey');
  const rps = (record: TargetRecord | undefined, mode: Mode, connections: number) => medianRps(record?.closed.get(`${mode}@${connections}`));
  const sections: string[] = [];

  sections.push(
    [
      'Each target is its own process on 127.0.0.1, in front of the same upstream process that answers at once (JSON, or an SSE stream of ' +
        `${settings.streamChunks} content chunks, one event-loop turn apart). `,
      'The load generator runs in the bench process: autocannon for closed-loop JSON, ' +
        'an undici client for streams (it sees the first byte) and for the open-loop runs. ',
      `Same warm-up (${settings.warmupMs / 1000} s per target), ${settings.measureMs / 1000} s per closed-loop run, ${settings.rateMs / 1000} s per ` +
        `open-loop run, ${settings.rounds} interleaved round${settings.rounds === 1 ? '' : 's'} with the order rotated each round. Closed loop: ` +
        `latency percentiles are over all rounds' requests, req/s is the median of the rounds (the per-round values follow it). `,
      "Crossway runs `crossway serve` with a one-route catalog (`provider: openai`, endpoint = the upstream's `/v1`), master-key auth on and a " +
        'SQLite store (request log) in a temporary directory. ',
      "It runs a second time as in production: the route priced (per 1M tokens: $1.25 input, $10 output), and the client calls with a tenant's " +
        'virtual key, created through the admin API, whose tenant (+25 % margin) and key both have RPM and TPM limits and a monthly budget, ' +
        'set far above what the load can use; ' +
        'every call is then rate-limited and reserved against both budgets, then priced and settled with its transfers in the ledger. ',
      'Portkey runs from node_modules on the same Node, with `x-portkey-provider: openai` and `x-portkey-custom-host: <upstream>/v1`.',
    ].join(''),
  );

  for (const mode of MODES) {
    for (const connections of settings.connections) {
      const floorSeries = floor?.closed.get(`${mode}@${connections}`);
      const rows = records.map((record) => closedRow(record, mode, connections, floorSeries));
      const header =
        mode === 'json'
          ? ['Target', 'req/s', 'per round', 'p50 ms', 'p90 ms', 'p99 ms', 'added p50', 'added p99', 'failed']
          : ['Target', 'streams/s', 'per round', 'TTFB p50', 'TTFB p99', 'total p50', 'total p99', 'added TTFB p50', 'added total p50', 'failed'];
      const title = mode === 'json' ? 'Non-streaming' : `Streaming (${settings.streamChunks} chunks)`;
      sections.push(
        `### ${title}, closed loop, ${connections} connections\n\n${renderMarkdownTable(
          header,
          rows,
          header.map((_, index) => index > 0),
        )}`,
      );
    }
  }

  for (const mode of MODES) {
    const rows = records.flatMap((record) => openRows(record, mode, data));
    const header =
      mode === 'json'
        ? ['Target', 'offered req/s', 'achieved', 'p50 ms', 'p90 ms', 'p99 ms', 'added p50', 'added p99', 'added p50 per round', 'failed']
        : [
            'Target',
            'offered streams/s',
            'achieved',
            'TTFB p50',
            'TTFB p99',
            'total p50',
            'total p99',
            'added TTFB p50',
            'added TTFB p99',
            'added TTFB p50 per round',
            'failed',
          ];
    const what = mode === 'json' ? 'Non-streaming' : 'Streaming';
    sections.push(
      `### ${what}, open loop at ${Math.round(settings.rateFraction * 100)}% of saturation\n\n` +
        `The offered rate is ${Math.round(settings.rateFraction * 100)}% of Crossway's ${maxConnections}-connection throughput in the same round; a ` +
        `target that saturates below that runs at ${Math.round(settings.rateFraction * 100)}% of its own, and the floor is measured again at that ` +
        `rate, so "added" always compares equal loads. Requests are spread evenly over 1 ms ticks on ${maxConnections} connections. Each figure is ` +
        `the median over the rounds of that round's value; "added" is the target's percentile minus the floor's in the same round.\n\n` +
        renderMarkdownTable(
          header,
          rows,
          header.map((_, index) => index > 0),
        ),
    );
  }

  sections.push(
    '### Memory (resident set of each target process)\n\n' +
      renderMarkdownTable(
        ['Target', 'RSS idle (after start)', `RSS under ${maxConnections}-connection load (max sampled)`, 'peak RSS (VmHWM)', 'RSS idle after the run'],
        records.map((record) => [
          record.target.label,
          formatMb(record.idleRssMb),
          formatMb(record.loadRssMb),
          formatMb(record.peakRssMb),
          formatMb(record.idleAfterRssMb),
        ]),
        [false, true, true, true, true],
      ),
  );

  sections.push(renderThreadCpu(records, maxConnections, crossway, ceiling));

  const ratioRows: string[][] = [];
  const perRound = (mode: Mode, connections: number, other: TargetRecord | undefined, mineRecord: TargetRecord | undefined = crossway) => {
    const mine = mineRecord?.closed.get(`${mode}@${connections}`)?.roundsRps ?? [];
    const theirs = other?.closed.get(`${mode}@${connections}`)?.roundsRps ?? [];
    return mine.map((value, round) => formatRatio(value, theirs[round])).join(' / ');
  };
  const virtualKeyRows: string[][] = [];
  for (const mode of MODES) {
    for (const connections of settings.connections) {
      const mine = rps(crossway, mode, connections);
      const load = `${mode === 'json' ? 'non-streaming' : 'streaming'}, ${connections} connections`;
      ratioRows.push([
        load,
        formatRatio(mine, rps(ceiling, mode, connections)),
        perRound(mode, connections, ceiling),
        formatRatio(mine, rps(portkey, mode, connections)),
        perRound(mode, connections, portkey),
        formatRatio(mine, rps(floor, mode, connections)),
      ]);
      const withKey = rps(virtualKey, mode, connections);
      virtualKeyRows.push([
        load,
        formatRatio(withKey, rps(ceiling, mode, connections)),
        perRound(mode, connections, ceiling, virtualKey),
        formatRatio(withKey, mine),
        perRound(mode, connections, crossway, virtualKey),
        formatRatio(withKey, rps(portkey, mode, connections)),
      ]);
    }
  }
  sections.push(
    '### Throughput ratios (same run)\n\n' +
      'Ratios of the medians; "per round" divides the two targets\' throughputs measured in the same round, minutes apart at most. "Crossway" is the ' +
      'master-key target on an unpriced route.\n\n' +
      renderMarkdownTable(['Load', 'Crossway / minimal proxy', 'per round', 'Crossway / Portkey', 'per round', 'Crossway / upstream direct'], ratioRows, [
        false,
        true,
        true,
        true,
        true,
        true,
      ]),
  );
  if (virtualKey !== undefined) {
    sections.push(
      '### Throughput ratios with a virtual key and a priced route (same run)\n\n' +
        "Crossway as it runs in production: a tenant's virtual key with limits and a budget, a priced route. Against the minimal proxy, and against " +
        'the master-key Crossway measured in the same rounds (what the key, limits, budget reservation, pricing and settlement cost).\n\n' +
        renderMarkdownTable(
          ['Load', 'virtual key / minimal proxy', 'per round', 'virtual key / master key', 'per round', 'virtual key / Portkey'],
          virtualKeyRows,
          [false, true, true, true, true, true],
        ),
    );
  }

  const brokenNotes = records.flatMap((record) =>
    MODES.filter((mode) => record.broken[mode] !== undefined).map(
      (mode) => `${record.target.label}: ${mode === 'json' ? 'non-streaming' : 'streaming'} requests fail, so it is not measured (${record.broken[mode]}).`,
    ),
  );
  const unreliable = records.flatMap((record) =>
    [...record.closed.entries()]
      .filter(([, series]) => failureShare(series.total) > 0.01)
      .map(
        ([key, series]) =>
          `${record.target.label} ${key}: ${(failureShare(series.total) * 100).toFixed(1)}% of requests failed; its numbers are not comparable.`,
      ),
  );
  const notes = [...brokenNotes, ...data.notes, ...unreliable];
  if (notes.length > 0) sections.push(`### Notes\n\n${notes.map((note) => `- ${note}`).join('\n')}`);
  sections.push(renderLiteLlmQuotedFigures());

  const chartTargets = records;
  const throughputSvg = renderBarChartSvg({
    title: `Throughput against an instant upstream (higher is better), ${settings.rounds} rounds`,
    unit: 'completed requests (or streams) per second',
    categories: chartTargets.map((record) => record.target.label),
    series: settings.connections.flatMap((connections, index) => [
      {
        name: `JSON, ${connections} conn.`,
        color: index === 0 ? '#9ecae1' : '#3182bd',
        values: chartTargets.map((record) => rps(record, 'json', connections)),
      },
      {
        name: `stream, ${connections} conn.`,
        color: index === 0 ? '#fdae6b' : '#e6550d',
        values: chartTargets.map((record) => rps(record, 'stream', connections)),
      },
    ]),
  });
  const latencySvg = renderBarChartSvg({
    title: `Latency at ${Math.round(settings.rateFraction * 100)}% of saturation (lower is better)`,
    unit: 'milliseconds',
    logScale: true,
    digits: 2,
    categories: chartTargets.map((record) => record.target.label),
    series: [
      { name: 'JSON p50', color: '#74c476', values: chartTargets.map((record) => openView(record, 'json', data)?.p50 ?? null) },
      { name: 'JSON p99', color: '#238b45', values: chartTargets.map((record) => openView(record, 'json', data)?.p99 ?? null) },
      { name: 'stream TTFB p50', color: '#9e9ac8', values: chartTargets.map((record) => openView(record, 'stream', data)?.ttfbP50 ?? null) },
    ],
  });
  sections.push('### Charts\n\n![Throughput per target](bench/charts/proxy-throughput.svg)\n\n![Latency at 50% of saturation](bench/charts/proxy-latency.svg)');

  const targets = checkTargets(data, crossway, ceiling, virtualKey);
  const addedJson = crossway === undefined ? null : openView(crossway, 'json', data);
  const addedStream = crossway === undefined ? null : openView(crossway, 'stream', data);
  const headline = [
    `Crossway / minimal Node proxy, non-streaming req/s at ${maxConnections} connections: ` +
      `**${formatRatio(rps(crossway, 'json', maxConnections), rps(ceiling, 'json', maxConnections))}**; streaming: ` +
      `**${formatRatio(rps(crossway, 'stream', maxConnections), rps(ceiling, 'stream', maxConnections))}**.`,
    `Crossway / Portkey, non-streaming req/s at ${maxConnections} connections: ` +
      `**${formatRatio(rps(crossway, 'json', maxConnections), rps(portkey, 'json', maxConnections))}**; streaming: ` +
      `**${formatRatio(rps(crossway, 'stream', maxConnections), rps(portkey, 'stream', maxConnections))}**` +
      `${portkey?.broken.stream !== undefined ? ' (Portkey streaming fails here)' : ''}.`,
    `Crossway added latency at ${Math.round(settings.rateFraction * 100)}% of saturation: ` +
      `p50 **${formatAddedMs(addedJson?.addedP50)} ms**, p99 **${formatAddedMs(addedJson?.addedP99)} ms**; ` +
      `streaming added TTFB p50 **${formatAddedMs(addedStream?.addedTtfbP50)} ms** (medians over the rounds).`,
    `Crossway RSS: idle **${formatMb(crossway?.idleRssMb)}**, under ${maxConnections}-connection load **${formatMb(crossway?.loadRssMb)}**.`,
    ...(crossway !== undefined && ceiling !== undefined && cpuPerRequestUs(crossway) !== null
      ? [
          `CPU per non-streaming request, all threads: Crossway **${formatUs(cpuPerRequestUs(crossway))} µs** (${describeThreadCpu(crossway)}), ` +
            `minimal proxy **${formatUs(cpuPerRequestUs(ceiling))} µs**: **${formatRatio(cpuPerRequestUs(crossway), cpuPerRequestUs(ceiling))}×**.`,
        ]
      : []),
    ...(virtualKey === undefined
      ? []
      : [
          `Crossway with a virtual key and a priced route / minimal Node proxy, non-streaming req/s at ${maxConnections} connections: ` +
            `**${formatRatio(rps(virtualKey, 'json', maxConnections), rps(ceiling, 'json', maxConnections))}** ` +
            `(**${formatRatio(rps(virtualKey, 'json', maxConnections), rps(crossway, 'json', maxConnections))}** of the master-key Crossway); ` +
            `streaming: **${formatRatio(rps(virtualKey, 'stream', maxConnections), rps(ceiling, 'stream', maxConnections))}** ` +
            `(**${formatRatio(rps(virtualKey, 'stream', maxConnections), rps(crossway, 'stream', maxConnections))}**).`,
          ...(ceiling !== undefined && cpuPerRequestUs(virtualKey) !== null
            ? [
                `CPU per non-streaming request with a virtual key and a priced route, all threads: **${formatUs(cpuPerRequestUs(virtualKey))} µs** ` +
                  `(${describeThreadCpu(virtualKey)}): **${formatRatio(cpuPerRequestUs(virtualKey), cpuPerRequestUs(ceiling))}×** the minimal proxy's.`,
              ]
            : []),
        ]),
  ];
  return {
    title: 'Proxy overhead: upstream direct, minimal Node proxy, Crossway (master key; virtual key), Portkey, nginx',
    markdown: sections.join('\n\n'),
    headline,
    targets,
    artifacts: [
      { path: 'bench/charts/proxy-throughput.svg', content: throughputSvg },
      { path: 'bench/charts/proxy-latency.svg', content: latencySvg },
    ],
  };
}

function checkTargets(data: ProxyOverheadData, crossway?: TargetRecord, ceiling?: TargetRecord, virtualKey?: TargetRecord): TargetCheck[] {
  const c = data.maxConnections;
  const share = safeRatio(medianRps(crossway?.closed.get(`json@${c}`)), medianRps(ceiling?.closed.get(`json@${c}`)));
  const virtualKeyShare = safeRatio(medianRps(virtualKey?.closed.get(`json@${c}`)), medianRps(ceiling?.closed.get(`json@${c}`)));
  const addedJson = crossway === undefined ? null : openView(crossway, 'json', data);
  const addedStream = crossway === undefined ? null : openView(crossway, 'stream', data);
  const fraction = `${Math.round(data.settings.rateFraction * 100)}%`;
  const check = (goal: string, value: number | null | undefined, limit: number, measured: string, evidence: string, atLeast = false): TargetCheck => ({
    goal,
    measured,
    met: value === null || value === undefined ? null : atLeast ? value >= limit : value <= limit,
    evidence,
  });
  const ceilingJson = ceiling === undefined ? null : openView(ceiling, 'json', data);
  const ceilingStream = ceiling === undefined ? null : openView(ceiling, 'stream', data);
  return [
    check(
      `Non-streaming throughput >= ${LIMITS.throughputShare * 100}% of the minimal proxy's at ${c} connections`,
      share,
      LIMITS.throughputShare,
      share === null ? 'n/a' : `${(share * 100).toFixed(1)}%`,
      "CPU: on two cores shared with the load generator and the upstream, throughput follows the CPU each request costs, and Crossway's costs " +
        'several times the proxy\'s ("CPU per request by thread"): its event loop does the work the proxy does not (auth, one parse and validation, ' +
        'planning, reading usage, admission and metering; category by category in "Where the gap is"), and its SQLite writer thread commits a durable ' +
        'usage event with its transfers, a request-log row and a decision for every call.',
      true,
    ),
    check(
      `Added p50 <= ${LIMITS.addedP50Ms} ms at ${fraction} of saturation`,
      addedJson?.addedP50,
      LIMITS.addedP50Ms,
      `${formatAddedMs(addedJson?.addedP50)} ms`,
      'A decision, not an oversight: the usage event is durable (fsync) before the answer leaves, and one synced commit alone costs more than ' +
        `${LIMITS.addedP50Ms} ms here ("Metering": one durable commit's added p50). The minimal proxy, which records nothing, adds ` +
        `${formatAddedMs(ceilingJson?.addedP50)} ms at the same load.`,
    ),
    check(
      `Added p99 <= ${LIMITS.addedP99Ms} ms at ${fraction} of saturation`,
      addedJson?.addedP99,
      LIMITS.addedP99Ms,
      `${formatAddedMs(addedJson?.addedP99)} ms`,
      'The tail of the synced commits: a WAL checkpoint runs inside a commit now and then ("Request log group commit": max; "Metering": p99), and ' +
        `every call of that batch waits for it. The minimal proxy adds ${formatAddedMs(ceilingJson?.addedP99)} ms at p99 at the same load.`,
    ),
    check(
      `Streaming added TTFB (p50) <= ${LIMITS.addedTtfbMs} ms at ${fraction} of saturation`,
      addedStream?.addedTtfbP50,
      LIMITS.addedTtfbMs,
      `${formatAddedMs(addedStream?.addedTtfbP50)} ms (p99 ${formatAddedMs(addedStream?.addedTtfbP99)} ms)`,
      `Most of it is any Node proxy's: the minimal proxy adds ${formatAddedMs(ceilingStream?.addedTtfbP50)} ms to the first byte at the same load; ` +
        'Crossway adds authentication, parsing, planning and admission before it calls the upstream (nothing is written before the first byte).',
    ),
    check(
      `RSS of an idle Crossway process <= ${LIMITS.idleRssMb} MB`,
      crossway?.idleRssMb,
      LIMITS.idleRssMb,
      formatMb(crossway?.idleRssMb),
      'Node itself, the module graph and the SQLite writer thread (a second V8 isolate), stage by stage in "Idle memory". The minimal proxy idles at ' +
        `${formatMb(ceiling?.idleRssMb)}.`,
    ),
    check(
      `RSS under the ${c}-connection load <= ${LIMITS.loadRssMb} MB`,
      crossway?.loadRssMb,
      LIMITS.loadRssMb,
      `${formatMb(crossway?.loadRssMb)} (peak ${formatMb(crossway?.peakRssMb)})`,
      'Mostly heap V8 reserves under allocation pressure (a larger young generation, old space collected lazily), not retained data: the heap ' +
        `retained over a long stream stays flat ("Streaming memory"). The minimal proxy reaches ${formatMb(ceiling?.loadRssMb)} under the same load.`,
    ),
    ...(virtualKey === undefined
      ? []
      : [
          check(
            'Non-streaming throughput with a virtual key and a priced route ' +
              `>= ${LIMITS.virtualKeyThroughputShare * 100}% of the minimal proxy's at ${c} connections (issue 14)`,
            virtualKeyShare,
            LIMITS.virtualKeyThroughputShare,
            virtualKeyShare === null ? 'n/a' : `${(virtualKeyShare * 100).toFixed(1)}%`,
            "CPU, as for the master key, plus what a virtual key adds on every call: the key's lookup, " +
              "its and its tenant's rate limits and budget reservations, and pricing and settling the call with its transfers " +
              '("CPU per request by thread": the virtual-key row against the master-key row).',
            true,
          ),
        ]),
  ];
}

/** The median of the rounds' throughputs (robust to one disturbed round; the mean of two). */
function medianRps(series: ClosedSeries | undefined): number | null {
  return series === undefined ? null : median(series.roundsRps);
}

function closedRow(record: TargetRecord, mode: Mode, connections: number, floorSeries: ClosedSeries | undefined): string[] {
  const series = record.closed.get(`${mode}@${connections}`);
  if (series === undefined) return [record.target.label, record.broken[mode] !== undefined ? 'fails' : 'n/a', ...Array(mode === 'json' ? 7 : 8).fill('')];
  const latency = series.total.latency.summary();
  const floorLatency = floorSeries?.total.latency.summary();
  const perRound = series.roundsRps.map((value) => formatRate(value)).join(' / ');
  const failed = formatFailed(series.total);
  if (mode === 'json') {
    return [
      record.target.label,
      formatRate(medianRps(series)),
      perRound,
      formatMs(latency.p50),
      formatMs(latency.p90),
      formatMs(latency.p99),
      formatAddedMs(difference(latency.p50, floorLatency?.p50)),
      formatAddedMs(difference(latency.p99, floorLatency?.p99)),
      failed,
    ];
  }
  const ttfb = series.total.ttfb.summary();
  const floorTtfb = floorSeries?.total.ttfb.summary();
  return [
    record.target.label,
    formatRate(medianRps(series)),
    perRound,
    formatMs(ttfb.p50),
    formatMs(ttfb.p99),
    formatMs(latency.p50),
    formatMs(latency.p99),
    formatAddedMs(difference(ttfb.p50, floorTtfb?.p50)),
    formatAddedMs(difference(latency.p50, floorLatency?.p50)),
    failed,
  ];
}

/** A target's open-loop summary against the floor at the same rate and round; the floor's own row for the floor. */
function openView(record: TargetRecord, mode: Mode, data: ProxyOverheadData): OpenView | null {
  if (record.target.key === 'upstream') {
    const own = data.floorOpen.get(`${mode}@reference`) ?? [];
    return summarizeOpenRuns(own, (run) => run);
  }
  return summarizeOpenRuns(record.open.get(mode) ?? [], (run) => data.floorOpen.get(`${mode}@${run.group}`)?.find((floor) => floor.round === run.round));
}

function openRows(record: TargetRecord, mode: Mode, data: ProxyOverheadData): string[][] {
  const render = (label: string, view: OpenView): string[] => {
    const common = [label, formatRate(view.rate), formatRate(view.achieved)];
    const failed = view.failed === 0 ? '0' : String(view.failed);
    if (mode === 'json') {
      return [
        ...common,
        formatMs(view.p50),
        formatMs(view.p90),
        formatMs(view.p99),
        formatAddedMs(view.addedP50),
        formatAddedMs(view.addedP99),
        view.roundsAddedP50.map(formatAddedMs).join(' / '),
        failed,
      ];
    }
    return [
      ...common,
      formatMs(view.ttfbP50),
      formatMs(view.ttfbP99),
      formatMs(view.p50),
      formatMs(view.p99),
      formatAddedMs(view.addedTtfbP50),
      formatAddedMs(view.addedTtfbP99),
      view.roundsAddedTtfbP50.map(formatAddedMs).join(' / '),
      failed,
    ];
  };
  if (record.target.key === 'upstream') {
    const rows: string[][] = [];
    for (const [key, runs] of data.floorOpen) {
      const [floorMode, group] = key.split('@') as [Mode, string];
      if (floorMode !== mode) continue;
      const view = summarizeOpenRuns(runs, (run) => run);
      if (view !== null) rows.push(render(group === 'reference' ? record.target.label : `${record.target.label}, at ${group}'s rate`, view));
    }
    return rows;
  }
  const view = openView(record, mode, data);
  if (view === null) return [[record.target.label, record.broken[mode] !== undefined ? 'fails' : 'n/a', ...Array(mode === 'json' ? 8 : 9).fill('')]];
  return [render(record.target.label, view)];
}

function difference(value: number | null | undefined, base: number | null | undefined): number | null {
  return value === null || value === undefined || base === null || base === undefined ? null : value - base;
}

function formatFailed(result: LoadResult): string {
  const failed = result.non2xx + result.errors + result.dropped;
  return failed === 0 ? '0' : `${failed} (${(failureShare(result) * 100).toFixed(1)}%)`;
}

/** CPU µs per request over all threads, or of one group; null when nothing was measured. */
function cpuPerRequestUs(record: TargetRecord, group?: string): number | null {
  if (record.threadCpuRequests === 0 || record.threadCpu.size === 0) return null;
  const seconds = group === undefined ? [...record.threadCpu.values()].reduce((sum, value) => sum + value, 0) : (record.threadCpu.get(group) ?? 0);
  return (seconds * 1e6) / record.threadCpuRequests;
}

function formatUs(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(0);
}

function describeThreadCpu(record: TargetRecord): string {
  return THREAD_GROUPS.filter((group) => (cpuPerRequestUs(record, group) ?? 0) >= 0.5)
    .map((group) => `${group} ${formatUs(cpuPerRequestUs(record, group))}`)
    .join(', ');
}

/**
 * CPU per request by thread over the non-streaming runs at the highest connection count: what each target costs the
 * machine per request, whoever waited for a core meanwhile.
 */
function renderThreadCpu(
  records: readonly TargetRecord[],
  maxConnections: number,
  crossway: TargetRecord | undefined,
  ceiling: TargetRecord | undefined,
): string {
  const measured = records.filter((record) => cpuPerRequestUs(record) !== null);
  const rows = measured.map((record) => [
    record.target.label,
    formatUs(cpuPerRequestUs(record)),
    ...THREAD_GROUPS.map((group) => formatUs(cpuPerRequestUs(record, group))),
    formatRatio(cpuPerRequestUs(record), ceiling === undefined ? null : cpuPerRequestUs(ceiling)),
  ]);
  const writer = crossway === undefined ? null : cpuPerRequestUs(crossway, 'SQLite writer thread');
  return [
    `### CPU per request by thread (non-streaming, ${maxConnections} connections)`,
    '',
    `CPU time (user + system) each target process used during the non-streaming runs at ${maxConnections} connections, from ` +
      `\`/proc/<pid>/task/*/stat\`, divided by the requests it answered. Unlike a profiler's wall-clock samples this counts only time a thread ran: ` +
      'the load generator, the upstream and the target share two cores, so what one target spends per request is what the others cannot use.' +
      (writer === null
        ? ''
        : " Crossway's SQLite writer thread commits every call's usage event and transfers (fsynced), its request-log row and its decision: " +
          `${formatUs(writer)} µs per request.`),
    '',
    renderMarkdownTable(['Target', 'all threads (µs/req)', ...THREAD_GROUPS, '× minimal proxy'], rows, [false, true, ...THREAD_GROUPS.map(() => true), true]),
  ].join('\n');
}
