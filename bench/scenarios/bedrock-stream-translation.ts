// The cost per chunk of translating a Bedrock ConverseStream (binary AWS event-stream frames) into OpenAI chat SSE,
// through the real adapter (`getProviderAdapter('bedrock').streamChat`, route `api: converse`), against the OpenAI-wire
// pass-through of the same answer measured in the same run. In-process: no network, only translation.
// Frames: Bedrock API reference, ConverseStream response events (messageStart, contentBlockDelta, contentBlockStop,
// messageStop, metadata; https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html),
// each an event-stream message with `:message-type`, `:event-type` and `:content-type` headers, encoded with
// @smithy/eventstream-codec as the AWS SDKs do; real Bedrock pads payloads with a `p` field, so these do too.
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { BenchContext, Scenario, ScenarioResult } from '../bench-types.ts';
import { skippedResult } from '../bench-types.ts';
import { LatencyRecorder } from '../latency-recorder.ts';
import { formatRate, formatRatio } from '../report/format-measure.ts';
import { renderMarkdownTable } from '../report/render-markdown-table.ts';

const DELTAS = 1_000;
const WARM_UP_ITERATIONS = 15;
const TITLE = 'Bedrock ConverseStream → OpenAI SSE translation, per chunk';

export const bedrockStreamTranslationScenario: Scenario = {
  name: 'bedrock-stream-translation',
  description: 'Per-chunk cost of the Bedrock adapter turning ConverseStream event-stream frames into OpenAI SSE',
  enabledByDefault: true,
  run: runBedrockStreamTranslation,
};

type Providers = typeof import('../../src/providers/index.ts');
type Catalog = typeof import('../../src/catalog/index.ts');
type Adapter = ReturnType<Providers['getProviderAdapter']>;
type Route = ReturnType<Catalog['routeSchema']['parse']>;

async function runBedrockStreamTranslation(context: BenchContext): Promise<ScenarioResult> {
  // Loaded here, not at the top: the Bedrock adapter is young, and a broken or missing one must skip this scenario, not stop the bench.
  let providers: Providers;
  let catalog: Catalog;
  try {
    providers = await import('../../src/providers/index.ts');
    catalog = await import('../../src/catalog/index.ts');
  } catch (error) {
    return skippedResult(TITLE, `the providers module does not load (${firstLine(error)}).`);
  }
  let bedrock: Adapter;
  let openai: Adapter;
  try {
    bedrock = providers.getProviderAdapter('bedrock');
    openai = providers.getProviderAdapter('openai');
  } catch (error) {
    return skippedResult(TITLE, `no Bedrock adapter is registered yet (${firstLine(error)}).`);
  }
  const bedrockRoute = catalog.routeSchema.parse({
    id: 'bench-bedrock-converse',
    model: 'bench-model',
    provider: 'bedrock',
    endpoint: 'https://bedrock-runtime.us-east-1.amazonaws.com',
    region: 'us-east-1',
    deployment: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    api: 'converse',
    auth: { type: 'sigv4', access_key_id: 'AKIDBENCHEXAMPLE', secret_access_key: 'bench-example-secret' },
  });
  const openaiRoute = catalog.routeSchema.parse({
    id: 'bench-openai',
    model: 'bench-model',
    provider: 'openai',
    endpoint: 'http://127.0.0.1:9/v1',
    auth: { type: 'none' },
  });
  const frames = buildConverseFrames(DELTAS);
  const sse = buildOpenAISse(DELTAS);

  const check = await translate(bedrock, bedrockRoute, frames).catch((error: unknown) => error as Error);
  if (check instanceof Error) return skippedResult(TITLE, `the Bedrock adapter failed on a ConverseStream (${firstLine(check)}).`);
  const contentEvents = countOccurrences(check.text, '"content":"word "');
  const problems: string[] = [];
  if (contentEvents !== DELTAS) problems.push(`the translated stream carried ${contentEvents} content deltas, expected ${DELTAS}`);
  if (!check.text.trimEnd().endsWith('data: [DONE]')) problems.push('the translated stream did not end with `data: [DONE]`');

  const perChunk = { bedrock: new LatencyRecorder(), openai: new LatencyRecorder() };
  const iterations = context.settings.translationIterations;
  context.log(`bedrock-stream-translation: ${iterations} iterations of ${frames.length} frames`);
  let outputBytes = { bedrock: 0, openai: 0 };
  for (let iteration = 0; iteration < WARM_UP_ITERATIONS + iterations; iteration++) {
    // Alternate the two so that drift (GC, frequency) hits both alike.
    const b = await translate(bedrock, bedrockRoute, frames);
    const o = await translate(openai, openaiRoute, sse);
    if (iteration < WARM_UP_ITERATIONS) continue;
    perChunk.bedrock.record(b.ms / frames.length);
    perChunk.openai.record(o.ms / sse.length);
    outputBytes = { bedrock: b.text.length, openai: o.text.length };
  }
  const bedrockSummary = perChunk.bedrock.summary();
  const openaiSummary = perChunk.openai.summary();
  const micro = (ms: number | null) => (ms === null ? 'n/a' : (ms * 1000).toFixed(2));
  const inputBytes = frames.reduce((sum, frame) => sum + frame.length, 0);
  const markdown = [
    `One answer of ${DELTAS} text deltas, fed to \`streamChat\` one network chunk per frame (as Bedrock sends them) and drained; ${iterations} ` +
      `measured iterations after ${WARM_UP_ITERATIONS} warm-up ones, alternating with the OpenAI-wire pass-through of the same answer as SSE (the ` +
      'baseline). Time per input chunk, in microseconds.',
    renderMarkdownTable(
      ['Path', 'input chunks', 'input bytes', 'output bytes', 'µs/chunk p50', 'µs/chunk p90', 'chunks/s (one core)'],
      [
        [
          'Bedrock ConverseStream → OpenAI SSE',
          String(frames.length),
          String(inputBytes),
          String(outputBytes.bedrock),
          micro(bedrockSummary.p50),
          micro(bedrockSummary.p90),
          formatRate(bedrockSummary.p50 === null ? null : 1000 / bedrockSummary.p50),
        ],
        [
          'OpenAI SSE pass-through (baseline)',
          String(sse.length),
          String(sse.reduce((sum, chunk) => sum + chunk.length, 0)),
          String(outputBytes.openai),
          micro(openaiSummary.p50),
          micro(openaiSummary.p90),
          formatRate(openaiSummary.p50 === null ? null : 1000 / openaiSummary.p50),
        ],
      ],
      [false, true, true, true, true, true, true],
    ),
    `Bedrock / pass-through cost per chunk (p50): **${formatRatio(bedrockSummary.p50, openaiSummary.p50)}**.`,
    ...(problems.length > 0 ? [`Check: ${problems.join('; ')}.`] : []),
  ].join('\n\n');
  return {
    title: TITLE,
    markdown,
    headline: [
      `Bedrock ConverseStream translation: **${micro(bedrockSummary.p50)} µs per chunk** (p50), ` +
        `${formatRatio(bedrockSummary.p50, openaiSummary.p50)}× the OpenAI pass-through's ${micro(openaiSummary.p50)} µs.`,
    ],
    targets: [],
    artifacts: [],
  };
}

/** Runs one stream through an adapter; the time and the translated text. */
async function translate(adapter: Adapter, route: Route, chunks: Uint8Array[]): Promise<{ ms: number; text: string }> {
  const out: Uint8Array[] = [];
  const started = performance.now();
  for await (const event of adapter.streamChat(replay(chunks), route, { includeUsage: true })) if (event.bytes !== null) out.push(event.bytes);
  const ms = performance.now() - started;
  return { ms, text: Buffer.concat(out).toString('utf8') };
}

async function* replay(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

function buildConverseFrames(deltas: number): Uint8Array[] {
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  const frame = (event: string, payload: object): Uint8Array =>
    codec.encode({
      headers: {
        ':message-type': { type: 'string', value: 'event' },
        ':event-type': { type: 'string', value: event },
        ':content-type': { type: 'string', value: 'application/json' },
      },
      body: fromUtf8(JSON.stringify(payload)),
    });
  const pad = 'abcdefghijklmnopqrstuvwxyz';
  return [
    frame('messageStart', { role: 'assistant', p: pad }),
    ...Array.from({ length: deltas }, (_, k) => frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'word ' }, p: pad.slice(0, 4 + (k % 20)) })),
    frame('contentBlockStop', { contentBlockIndex: 0, p: pad }),
    frame('messageStop', { stopReason: 'end_turn', p: pad }),
    frame('metadata', { usage: { inputTokens: 12, outputTokens: deltas, totalTokens: 12 + deltas }, metrics: { latencyMs: 250 }, p: pad }),
  ];
}

function buildOpenAISse(deltas: number): Uint8Array[] {
  const base = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_767_225_600, model: 'bench-model' };
  const event = (payload: object) => Buffer.from(`data: ${JSON.stringify(payload)}\n\n`);
  const choice = (delta: object, finish: string | null) => ({ ...base, choices: [{ index: 0, delta, finish_reason: finish }], usage: null });
  return [
    event(choice({ role: 'assistant', content: '' }, null)),
    ...Array.from({ length: deltas }, () => event(choice({ content: 'word ' }, null))),
    event(choice({}, 'stop')),
    event({ ...base, choices: [], usage: { prompt_tokens: 12, completion_tokens: deltas, total_tokens: 12 + deltas } }),
    Buffer.from('data: [DONE]\n\n'),
  ];
}

function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count += 1;
  return count;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
