// The cost per chunk of scrubbing route credentials out of an upstream's stream (src/execute/scrub-secrets.ts), against
// the same chunks passed through unscrubbed, measured in the same run: a route with no secret (the scrubber is then the
// identity), an API key, and a 2 KB Entra-sized bearer token. In-process: no network, only the scrubber.
import type { BenchContext, Scenario, ScenarioResult } from '../bench-types.ts';
import { LatencyRecorder } from '../latency-recorder.ts';
import { formatRatio } from '../report/format-measure.ts';
import { renderMarkdownTable } from '../report/render-markdown-table.ts';

const CHUNKS = 2_000;
const WARM_UP_ITERATIONS = 15;
const TITLE = 'Secret scrubbing of upstream streams, per chunk';

export const scrubSecretsStreamScenario: Scenario = {
  name: 'scrub-secrets-stream',
  description: 'Per-chunk cost of scrubbing route credentials out of an upstream SSE stream, against the pass-through',
  enabledByDefault: true,
  run: runScrubSecretsStream,
};

async function runScrubSecretsStream(context: BenchContext): Promise<ScenarioResult> {
  const { createSecretScrubber } = await import('../../src/execute/index.ts');
  const apiKey = 'sk-bench-route-key-0123456789abcdef';
  const entraToken = `eyJ${'a'.repeat(1_500)}.${'b'.repeat(300)}.${'c'.repeat(300)}`;
  const cases: { label: string; scrub: (body: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array> }[] = [
    { label: 'pass-through (baseline)', scrub: (body) => body },
    { label: 'no secret (auth none)', scrub: createSecretScrubber([]).stream },
    { label: 'API key (bearer value + key)', scrub: createSecretScrubber([apiKey, `Bearer ${apiKey}`]).stream },
    { label: '2 KB Entra token (bearer value + token)', scrub: createSecretScrubber([entraToken, `Bearer ${entraToken}`]).stream },
  ];
  const chunks = buildSse(CHUNKS);
  const recorders = cases.map(() => new LatencyRecorder());
  const iterations = context.settings.translationIterations;
  context.log(`scrub-secrets-stream: ${iterations} iterations of ${chunks.length} chunks`);
  for (let iteration = 0; iteration < WARM_UP_ITERATIONS + iterations; iteration++) {
    // Interleaved, so that drift (GC, frequency) hits every case alike.
    for (const [index, { scrub }] of cases.entries()) {
      const ms = await drain(scrub(replay(chunks)));
      if (iteration >= WARM_UP_ITERATIONS) recorders[index]!.record(ms / chunks.length);
    }
  }
  const summaries = recorders.map((recorder) => recorder.summary());
  const micro = (ms: number | null) => (ms === null ? 'n/a' : (ms * 1000).toFixed(2));
  const baseline = summaries[0]?.p50 ?? null;
  const markdown = [
    `${chunks.length} OpenAI chat SSE chunks of about ${chunks[1]?.length ?? 0} bytes, none holding a secret (the usual case), drained through the ` +
      `scrubber; ${iterations} measured iterations after ${WARM_UP_ITERATIONS} warm-up ones. Time per chunk, in microseconds.`,
    renderMarkdownTable(
      ['Route', 'µs/chunk p50', 'µs/chunk p90', 'x pass-through (p50)'],
      cases.map(({ label }, index) => [label, micro(summaries[index]!.p50), micro(summaries[index]!.p90), formatRatio(summaries[index]!.p50, baseline)]),
      [false, true, true, true],
    ),
  ].join('\n\n');
  const keyCase = summaries[2]?.p50 ?? null;
  return {
    title: TITLE,
    markdown,
    headline: [
      `Scrubbing a stream of an API-key route: **${micro(keyCase)} µs per chunk** (p50), ` +
        `${formatRatio(keyCase, baseline)}× the bare pass-through's ${micro(baseline)} µs.`,
    ],
    targets: [],
    artifacts: [],
  };
}

async function drain(body: AsyncIterable<Uint8Array>): Promise<number> {
  const started = performance.now();
  let bytes = 0;
  for await (const chunk of body) bytes += chunk.length;
  if (bytes === 0) throw new Error('nothing came out of the stream');
  return performance.now() - started;
}

async function* replay(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

function buildSse(count: number): Uint8Array[] {
  const base = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_767_225_600, model: 'bench-model' };
  return Array.from({ length: count }, (_, k) =>
    Buffer.from(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: `word ${k} of the answer ` }, finish_reason: null }] })}\n\n`),
  );
}
