// What OpenTelemetry costs per request in process, away from the HTTP server's noise (issue 18): the gateway's own
// tracing hooks driven as a chat call drives them (a SERVER span continuing nothing, the inference span with its plan,
// one upstream attempt whose traceparent is injected, usage, and a ledger batch span per 64 calls linked to them),
// with tracing off, on but sampling nothing (the hooks and the GenAI metrics alone), and exporting every span over
// OTLP/HTTP to a sink in a child process (whose CPU is not counted). CPU is this process's (every thread) per request,
// each round opening its own tracing and shutting it down, so that a round pays for exporting its own spans.
import type { BenchContext, Scenario, ScenarioResult } from '../bench-types.ts';
import { renderMarkdownTable } from '../report/render-markdown-table.ts';

const TITLE = 'OpenTelemetry per request in process: the hooks, the metrics and the OTLP export';
/** Calls in flight together, as under the load of the end-to-end scenario; one ledger batch span per group. */
const CONCURRENCY = 64;

export const tracingHooksScenario: Scenario = {
  name: 'tracing-hooks',
  description: 'CPU per request of the tracing hooks in process: off, on sampling nothing, on exporting every span over OTLP/HTTP',
  enabledByDefault: false,
  run: runTracingHooks,
};

type Observe = typeof import('../../src/observe/index.ts');
type Tracing = NonNullable<Awaited<ReturnType<Observe['openGatewayTracing']>>>;
type SpanContext = NonNullable<ReturnType<Observe['activeSpanContext']>>;

/** A node:http OTLP sink that reads and drops what it receives, in a child process of its own. */
const SINK_SCRIPT = `require('node:http').createServer((req, res) => { req.resume(); req.on('end', () => res.end('{}')); })
  .listen(0, '127.0.0.1', function () { console.log('sink listening ' + this.address().port); });`;

async function runTracingHooks(context: BenchContext): Promise<ScenarioResult> {
  const observe: Observe = await import('../../src/observe/index.ts');
  const sink = await context.processes.start('otlp-sink', process.execPath, ['-e', SINK_SCRIPT], { readyLine: /sink listening (\d+)/, readyTimeoutMs: 10_000 });
  const port = sink.ready?.[1];
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_METRIC_EXPORT_INTERVAL: '60000' };
  const modes: Array<{ label: string; env: Record<string, string> | null }> = [
    { label: 'tracing off', env: null },
    { label: 'on, sampling nothing (hooks and GenAI metrics)', env: { ...endpoint, OTEL_TRACES_SAMPLER: 'always_off' } },
    { label: 'on, exporting every span (OTLP/HTTP JSON)', env: endpoint },
  ];
  const requests = Math.max(CONCURRENCY, Math.round(context.settings.measureMs * 5) - (Math.round(context.settings.measureMs * 5) % CONCURRENCY));
  const rounds = Math.max(3, context.settings.rounds);
  const perRound = modes.map(() => [] as number[]);
  try {
    for (const mode of modes) await measure(observe, mode.env, requests);
    for (let round = 0; round < rounds; round += 1) {
      const order = round % 2 === 0 ? modes.keys() : [...modes.keys()].reverse();
      for (const index of order) {
        context.log(`tracing-hooks: round ${round + 1}/${rounds}, ${modes[index]!.label}`);
        perRound[index]!.push(await measure(observe, modes[index]!.env, requests));
      }
    }
  } finally {
    await context.processes.stop(sink);
  }
  const medians = perRound.map(median);
  const off = medians[0]!;
  const rows = modes.map((mode, index) => [
    mode.label,
    medians[index]!.toFixed(1),
    index === 0 ? '' : `+${(medians[index]! - off).toFixed(1)}`,
    perRound[index]!.map((value) => value.toFixed(1)).join(', '),
  ]);
  const exported = medians[2]! - off;
  const hooks = medians[1]! - off;
  return {
    title: TITLE,
    markdown: [
      `${requests} calls per round, ${CONCURRENCY} in flight, ${rounds} interleaved rounds; median of the rounds. The hooks are ` +
        "src/observe's as the call path drives them; no HTTP server, no upstream: what is left is OpenTelemetry's own cost and ours.",
      renderMarkdownTable(['Tracing', 'CPU µs/request', 'added', 'per round'], rows, [false, true, true, false]),
    ].join('\n\n'),
    headline: [
      `OpenTelemetry in process: ${exported.toFixed(0)} µs CPU per request exporting every span, of which ${hooks.toFixed(0)} µs for the hooks ` +
        'and GenAI metrics without any span exported.',
    ],
    targets: [],
    artifacts: [],
  };
}

/** CPU µs per request of `requests` traced calls, with a tracing opened from `env` (none when null) and shut down. */
async function measure(observe: Observe, env: Record<string, string> | null, requests: number): Promise<number> {
  const before = process.cpuUsage();
  const tracing = env === null ? null : await observe.openGatewayTracing(observe.readTracingSettings(env, undefined), undefined);
  for (let done = 0; done < requests; done += CONCURRENCY) {
    const links = await Promise.all(Array.from({ length: CONCURRENCY }, (_, index) => callOnce(observe, tracing, done + index)));
    const batch = tracing?.startLedgerCommit(
      CONCURRENCY,
      links.filter((link): link is SpanContext => link !== null),
    );
    batch?.setAttribute('crossway.ledger.outcome', 'committed');
    batch?.end();
    // A turn of the event loop between groups, as between a server's reads: the exporter's I/O gets its turn.
    await new Promise((resolve) => setImmediate(resolve));
  }
  await tracing?.shutdown();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / requests;
}

const PLAN = { kept: [{ route: 'azure-eastus' }], rejected: [] as unknown[] };
const HEADERS = { host: '127.0.0.1', 'content-type': 'application/json', authorization: 'Bearer bench' };

/** One chat call's hooks, in the order the gateway calls them; the call's span context, for the ledger batch. */
async function callOnce(observe: Observe, tracing: Tracing | null, index: number): Promise<SpanContext | null> {
  let link: SpanContext | null = null;
  const answer = async (): Promise<void> => {
    observe.nameServerSpan('POST', '/v1/chat/completions');
    const call = tracing?.startModelCall('chat', 'gpt-bench') ?? null;
    const work = async (): Promise<void> => {
      call?.decided(`dec_${index}`);
      call?.plan('gpt-bench', () => PLAN);
      const attempt = observe.startUpstreamAttempt({ route: 'azure-eastus', provider: 'azure', region: 'eastus', number: 1 });
      const send = async (): Promise<void> => {
        observe.withTraceHeaders('http://127.0.0.1:9/openai/deployments/bench/chat/completions', { 'api-key': 'bench', 'content-type': 'application/json' });
        await Promise.resolve();
      };
      await (attempt === null ? send() : attempt.run(send));
      attempt?.end(200, null);
      call?.routed({ provider: 'azure', route: 'azure-eastus', region: 'eastus', responseModel: 'gpt-bench', streamed: false });
      call?.answered({ completion: { id: `chatcmpl-${index}`, choices: [{ finish_reason: 'stop', message: { role: 'assistant', content: 'hi' } }] } });
      call?.usage({ input: 12, output: 34, cached: 0, reasoning: 0 });
      link = observe.activeSpanContext(tracing);
    };
    await (call === null ? work() : call.run(work));
  };
  if (tracing === null) await answer();
  else await tracing.traceRequest('POST', '/v1/chat/completions', HEADERS, answer, () => 200);
  return link;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
