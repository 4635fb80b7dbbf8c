// What OpenTelemetry costs: Crossway with tracing and GenAI metrics exporting over OTLP/HTTP to a local sink, against
// the same gateway with both off, in one run, measured in interleaved rounds (issue 18). Throughput at the highest
// connection count and the gateway's CPU per request (user + system from /proc, all its threads), as ratios. The sink
// is a node:http server in the bench process that reads and drops what it receives, counting the spans.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BenchContext, Scenario, ScenarioResult } from '../bench-types.ts';
import { runAutocannonLoad } from '../load/run-autocannon-load.ts';
import { readProcessCpuSeconds } from '../read-backend-cpu.ts';
import { formatRate, formatRatio } from '../report/format-measure.ts';
import { renderMarkdownTable } from '../report/render-markdown-table.ts';
import { startCrossway, startUpstream, type Target } from '../targets/start-targets.ts';

const TITLE = 'OpenTelemetry: tracing and GenAI metrics exporting, against both off';

export const tracingScenario: Scenario = {
  name: 'tracing',
  description: 'Throughput and CPU per request of Crossway exporting OTLP traces and metrics to a local sink, against tracing off (non-streaming)',
  enabledByDefault: false,
  run: runTracing,
};

interface Tally {
  completed: number;
  seconds: number;
  cpuSeconds: number;
  /** Each round's requests/s and CPU µs per request, to show the spread on a shared machine. */
  rounds: string[];
}

/** A local OTLP/HTTP receiver that accepts everything, counting span ids and bytes. */
async function startOtlpSink() {
  const received = { spans: 0, bytes: 0, exports: 0 };
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', () => {
      received.exports += 1;
      received.bytes += Buffer.byteLength(text);
      if (req.url === '/v1/traces') received.spans += text.split('"spanId"').length - 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function runTracing(context: BenchContext): Promise<ScenarioResult> {
  const connections = Math.max(...context.settings.connections);
  const sink = await startOtlpSink();
  const upstream = await startUpstream(context, context.settings.streamChunks);
  const off = await startCrossway(context, upstream, { name: 'crossway-tracing-off' });
  // Exported as an operator would: the standard variable, the SDK's default batch delay; metrics every 10 s.
  const on = await startCrossway(context, upstream, {
    name: 'crossway-tracing-on',
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_METRIC_EXPORT_INTERVAL: '10000' },
  });
  const targets: Array<{ label: string; target: Target; tally: Tally }> = [
    { label: 'tracing off', target: off, tally: { completed: 0, seconds: 0, cpuSeconds: 0, rounds: [] } },
    { label: 'tracing and metrics exporting (OTLP/HTTP JSON)', target: on, tally: { completed: 0, seconds: 0, cpuSeconds: 0, rounds: [] } },
  ];
  try {
    for (const { target } of targets) {
      context.log(`tracing: warming ${target.process.name}`);
      await runAutocannonLoad(target.request(false), { connections, durationMs: context.settings.warmupMs });
    }
    const rounds = Math.max(2, context.settings.rounds);
    for (let round = 0; round < rounds; round += 1) {
      // The order rotates each round: neither side always runs right after the other's load.
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const { label, target, tally } of order) {
        context.log(`tracing: round ${round + 1}/${rounds}, ${label}`);
        const cpuBefore = readProcessCpuSeconds(target.process.pid);
        const result = await runAutocannonLoad(target.request(false), { connections, durationMs: context.settings.measureMs });
        const cpuSeconds = readProcessCpuSeconds(target.process.pid) - cpuBefore;
        tally.cpuSeconds += cpuSeconds;
        tally.rounds.push(`${formatRate(result.rps)} / ${((cpuSeconds * 1e6) / Math.max(1, result.completed)).toFixed(0)}`);
        tally.completed += result.completed;
        tally.seconds += result.durationMs / 1000;
      }
    }
  } finally {
    await context.processes.stop(on.process, 10_000);
    await context.processes.stop(off.process, 10_000);
    await context.processes.stop(upstream.process);
    await sink.close();
  }
  const [base, traced] = targets.map(({ tally }) => ({
    rps: tally.completed / Math.max(tally.seconds, 0.001),
    cpuUsPerRequest: (tally.cpuSeconds * 1e6) / Math.max(1, tally.completed),
  })) as [{ rps: number; cpuUsPerRequest: number }, { rps: number; cpuUsPerRequest: number }];
  const tracedRequests = targets[1]!.tally.completed;
  const markdown = [
    `${connections} connections, non-streaming chat completions on one route (the bench's upstream), ${Math.max(2, context.settings.rounds)} ` +
      "interleaved rounds per side. CPU is the gateway process's user + system time (/proc, every thread) per request answered. The traced side " +
      "exports a SERVER, an inference, a planning and a CLIENT span per request (and a ledger batch span per commit) with the BatchSpanProcessor's " +
      `default 5 s delay (or every 512 spans), and the GenAI metrics every 10 s. The sink received ${sink.received.spans} spans in ` +
      `${sink.received.exports} exports (${(sink.received.bytes / 1024 ** 2).toFixed(1)} MiB), ` +
      `for ${tracedRequests} traced requests measured plus the warm-up.`,
    renderMarkdownTable(
      ['Gateway', 'requests/s', 'CPU µs/request', 'per round (requests/s / CPU µs)'],
      [
        ['tracing off', formatRate(base.rps), base.cpuUsPerRequest.toFixed(0), targets[0]!.tally.rounds.join(', ')],
        ['tracing + metrics exporting', formatRate(traced.rps), traced.cpuUsPerRequest.toFixed(0), targets[1]!.tally.rounds.join(', ')],
        ['ratio (exporting / off)', formatRatio(traced.rps, base.rps), formatRatio(traced.cpuUsPerRequest, base.cpuUsPerRequest), ''],
      ],
      [false, true, true, false],
    ),
  ].join('\n\n');
  return {
    title: TITLE,
    markdown,
    headline: [
      `OpenTelemetry exporting: ${formatRatio(traced.rps, base.rps)}× the throughput and ${formatRatio(traced.cpuUsPerRequest, base.cpuUsPerRequest)}× ` +
        'the CPU per request of the same gateway with tracing off.',
    ],
    targets: [],
    artifacts: [],
  };
}
