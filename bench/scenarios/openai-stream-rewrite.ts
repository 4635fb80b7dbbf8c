// The cost per chunk of making an OpenAI-wire pass-through stream the client's (issue 19): the `model` value replaced
// by the catalog's, and `"usage": null` dropped when the client did not ask for usage, against the same chunks passed
// through unchanged, measured in the same run. In-process: no network, only the stream decoder.
import type { BenchContext, Scenario, ScenarioResult } from '../bench-types.ts';
import { LatencyRecorder } from '../latency-recorder.ts';
import { formatRatio } from '../report/format-measure.ts';
import { renderMarkdownTable } from '../report/render-markdown-table.ts';

const CHUNKS = 2_000;
const WARM_UP_ITERATIONS = 15;
const TITLE = 'Client-facing edits of pass-through streams, per chunk';

export const openaiStreamRewriteScenario: Scenario = {
  name: 'openai-stream-rewrite',
  description: 'Per-chunk cost of naming the catalog model and dropping "usage": null in an OpenAI-wire pass-through stream',
  enabledByDefault: true,
  run: runOpenAIStreamRewrite,
};

async function runOpenAIStreamRewrite(context: BenchContext): Promise<ScenarioResult> {
  const { decodeOpenAIStream } = await import('../../src/providers/openai/index.ts');
  const { makeTestRoute } = await import('../../src/providers/test-route.ts');
  const route = makeTestRoute({ id: 'bench', provider: 'openai' });
  const cases: { label: string; options: Parameters<typeof decodeOpenAIStream>[2] }[] = [
    { label: 'pass-through, include_usage asked (baseline)', options: { includeUsage: true } },
    { label: 'usage not asked: "usage": null dropped', options: { includeUsage: false } },
    { label: 'catalog model named, include_usage asked', options: { includeUsage: true, answerModel: () => 'gpt-5.5-2026-04-23' } },
    { label: 'both edits', options: { includeUsage: false, answerModel: () => 'gpt-5.5-2026-04-23' } },
  ];
  const chunks = buildSse(CHUNKS);
  const recorders = cases.map(() => new LatencyRecorder());
  const iterations = context.settings.translationIterations;
  context.log(`openai-stream-rewrite: ${iterations} iterations of ${chunks.length} chunks`);
  for (let iteration = 0; iteration < WARM_UP_ITERATIONS + iterations; iteration++) {
    // Interleaved, so that drift (GC, frequency) hits every case alike.
    for (const [index, { options }] of cases.entries()) {
      const started = performance.now();
      let bytes = 0;
      for await (const event of decodeOpenAIStream(replay(chunks), route, options)) bytes += event.type === 'usage' ? 0 : event.bytes.length;
      if (bytes === 0) throw new Error('nothing came out of the stream');
      if (iteration >= WARM_UP_ITERATIONS) recorders[index]!.record((performance.now() - started) / chunks.length);
    }
  }
  const summaries = recorders.map((recorder) => recorder.summary());
  const micro = (ms: number | null) => (ms === null ? 'n/a' : (ms * 1000).toFixed(2));
  const baseline = summaries[0]?.p50 ?? null;
  const both = summaries[3]?.p50 ?? null;
  return {
    title: TITLE,
    markdown: [
      `${chunks.length} OpenAI chat SSE chunks of about ${chunks[1]?.length ?? 0} bytes, each with \`"usage": null\` (what a cloud sends when ` +
        `Crossway asks it for usage) and the cloud's dated model id, drained through \`decodeOpenAIStream\`; ${iterations} measured iterations ` +
        `after ${WARM_UP_ITERATIONS} warm-up ones. Time per chunk, in microseconds.`,
      renderMarkdownTable(
        ['Stream', 'µs/chunk p50', 'µs/chunk p90', 'x pass-through (p50)'],
        cases.map(({ label }, index) => [label, micro(summaries[index]!.p50), micro(summaries[index]!.p90), formatRatio(summaries[index]!.p50, baseline)]),
        [false, true, true, true],
      ),
    ].join('\n\n'),
    headline: [
      `Naming the catalog model and dropping \`"usage": null\` in a pass-through stream: **${micro(both)} µs per chunk** (p50), ` +
        `${formatRatio(both, baseline)}× the unchanged pass-through's ${micro(baseline)} µs.`,
    ],
    targets: [],
    artifacts: [],
  };
}

async function* replay(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

function buildSse(count: number): Uint8Array[] {
  const base = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_767_225_600, model: 'gpt-5.5-2026-04-23-cloud' };
  const content = Array.from({ length: count }, (_, k) =>
    Buffer.from(
      `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: `word ${k} of the answer ` }, finish_reason: null }], usage: null })}\n\n`,
    ),
  );
  const usage = { prompt_tokens: 10, completion_tokens: count, total_tokens: count + 10 };
  return [...content, Buffer.from(`data: ${JSON.stringify({ ...base, choices: [], usage })}\n\ndata: [DONE]\n\n`)];
}
