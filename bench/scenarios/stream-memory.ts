// Streaming memory check: one very long stream (100k chunks by default) through Crossway, with the gateway's heap
// measured after a forced full collection every 50 ms and its RSS sampled (bench/crossway-memory-probe.ts). Per-chunk
// allocations that are never freed would make the retained heap grow with the chunk count; a flat retained heap from
// the early to the late part of the stream shows that they do not.
import { request as undiciRequest } from 'undici';
import type { BenchContext, Scenario, ScenarioResult, TargetCheck } from '../bench-types.ts';
import { readProcessMemory } from '../read-process-memory.ts';
import { formatMb, formatRate } from '../report/format-measure.ts';
import { renderMarkdownTable } from '../report/render-markdown-table.ts';
import { startCrossway, startUpstream, type Target } from '../targets/start-targets.ts';

/** Largest growth of the retained heap between the early and the late part of the stream that still counts as flat. */
const FLAT_HEAP_GROWTH_MB = 2;
const WARM_UP_CHUNKS = 1_000;

type Phase = 'idle' | 'warm-up' | 'stream' | 'after';

interface MemorySample {
  t: number;
  /** Used heap right after a forced full collection. */
  heapAfterGc: number;
  /** Highest used heap since the previous sample. */
  heapMax: number;
  rss: number;
  phase: Phase;
  /** Share of the long stream received by the client when the sample arrived. */
  progress: number;
}

export const streamMemoryScenario: Scenario = {
  name: 'stream-memory',
  description: 'Crossway heap and RSS over one 100k-chunk stream (flat = no per-chunk retention)',
  enabledByDefault: true,
  run: runStreamMemory,
};

async function runStreamMemory(context: BenchContext): Promise<ScenarioResult> {
  const chunks = context.settings.memoryChunks;
  const samples: MemorySample[] = [];
  const state = { phase: 'idle' as Phase, progress: 0 };
  let pending = '';
  const upstream = await startUpstream(context, 50);
  const crossway = await startCrossway(context, upstream, {
    name: 'crossway-memory',
    entry: (configPath) => ['--expose-gc', `${context.repoRoot}/bench/crossway-memory-probe.ts`, '--config', configPath],
    onOutput: (text) => {
      pending += text;
      for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n')) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 1);
        if (!line.startsWith('memory ')) continue;
        const sample = JSON.parse(line.slice('memory '.length)) as Omit<MemorySample, 'phase' | 'progress'>;
        samples.push({ ...sample, phase: state.phase, progress: state.progress });
      }
    },
  });
  await pause(600);
  const idleRss = readProcessMemory(crossway.process.pid).rssMb;

  state.phase = 'warm-up';
  const warm = await readStream(crossway, WARM_UP_CHUNKS, () => undefined);
  const bytesPerChunk = warm.bytes / WARM_UP_CHUNKS;
  await pause(500);
  const warmRss = readProcessMemory(crossway.process.pid).rssMb;

  state.phase = 'stream';
  context.log(`stream-memory: ${chunks} chunks through Crossway`);
  const expected = bytesPerChunk * chunks;
  const long = await readStream(crossway, chunks, (bytes) => (state.progress = Math.min(1, bytes / expected)));
  state.phase = 'after';
  await pause(1_000);
  const after = readProcessMemory(crossway.process.pid);
  await context.processes.stop(crossway.process);
  await context.processes.stop(upstream.process);

  const deciles = summarizeDeciles(samples.filter((sample) => sample.phase === 'stream'));
  const filled = deciles.filter((decile) => decile.count > 0 && decile.index > 0);
  const early = filled[0];
  const late = filled.at(-1);
  const growthMb = early !== undefined && late !== undefined && late !== early ? (late.retained - early.retained) / 1e6 : null;
  const chunksBetween = early !== undefined && late !== undefined ? ((late.index - early.index) / 10) * chunks : 0;
  const perChunk = growthMb !== null && chunksBetween > 0 ? (growthMb * 1e6) / chunksBetween : null;
  const rssGrowthMb = early !== undefined && late !== undefined && late !== early ? (late.rss - early.rss) / 1e6 : null;
  const complete = long.completed ? 'yes' : `no (${long.error})`;

  const markdown = [
    `One streamed chat completion of ${chunks.toLocaleString('en-US')} content chunks from the upstream through Crossway (the same \`startGateway\` ` +
      `as \`crossway serve\`, run by \`bench/crossway-memory-probe.ts\` under \`--expose-gc\`: every 50 ms it forces a full collection and reports the ` +
      `used heap right after it, which is what the process retains), read by the client as fast as it can, after a ${WARM_UP_CHUNKS}-chunk warm-up ` +
      'stream. The forced collections slow the stream a little; this check is about memory, not speed.',
    renderMarkdownTable(
      ['Measure', 'Value'],
      [
        ['stream completed (ended with `data: [DONE]`)', complete],
        ['bytes received', `${(long.bytes / 1e6).toFixed(1)} MB`],
        ['duration', `${(long.durationMs / 1000).toFixed(2)} s (${formatRate((chunks * 1000) / long.durationMs)} chunks/s)`],
        [
          'RSS idle / after warm-up / after the stream / peak (VmHWM)',
          `${formatMb(idleRss)} / ${formatMb(warmRss)} / ${formatMb(after.rssMb)} / ${formatMb(after.peakRssMb)}`,
        ],
        [
          'retained heap growth, early to late part of the stream',
          growthMb === null ? 'n/a (too few samples)' : `${growthMb.toFixed(2)} MB (${perChunk?.toFixed(2)} bytes per chunk)`,
        ],
        ['RSS growth, early to late part of the stream', rssGrowthMb === null ? 'n/a' : `${rssGrowthMb.toFixed(1)} MB`],
      ],
    ),
    renderMarkdownTable(
      ['Part of the stream', 'samples', 'retained heap (mean after GC)', 'heap peak', 'RSS (max)'],
      deciles.map((decile) => [
        `${decile.index * 10}–${decile.index * 10 + 10}%`,
        String(decile.count),
        decile.count === 0 ? 'n/a' : formatMb(decile.retained / 1e6),
        decile.count === 0 ? 'n/a' : formatMb(decile.heapPeak / 1e6),
        decile.count === 0 ? 'n/a' : formatMb(decile.rss / 1e6),
      ]),
      [false, true, true, true, true],
    ),
  ].join('\n\n');

  const met = growthMb === null || !long.completed ? null : growthMb <= FLAT_HEAP_GROWTH_MB;
  const target: TargetCheck = {
    goal: `Streaming memory flat over a ${chunks.toLocaleString('en-US')}-chunk run (retained heap growth <= ${FLAT_HEAP_GROWTH_MB} MB)`,
    measured:
      growthMb === null
        ? 'n/a'
        : `${growthMb.toFixed(2)} MB retained heap, ${rssGrowthMb?.toFixed(1)} MB RSS, ${complete === 'yes' ? 'stream complete' : 'stream incomplete'}`,
    met,
  };
  return {
    title: `Streaming memory: ${chunks.toLocaleString('en-US')} chunks through Crossway`,
    markdown,
    headline: [
      `Crossway retained heap over a ${chunks.toLocaleString('en-US')}-chunk stream: ` +
        `**${growthMb === null ? 'n/a' : `${growthMb >= 0 ? '+' : ''}${growthMb.toFixed(2)} MB`}** from the early to the late part ` +
        `(${met === null ? 'not decided' : met ? 'flat' : 'growing'}).`,
    ],
    targets: [target],
    artifacts: [],
  };
}

interface Decile {
  index: number;
  count: number;
  /** Mean used heap after the forced collections in this part. */
  retained: number;
  heapPeak: number;
  rss: number;
}

function summarizeDeciles(samples: MemorySample[]): Decile[] {
  const deciles: Decile[] = Array.from({ length: 10 }, (_, index) => ({ index, count: 0, retained: 0, heapPeak: 0, rss: 0 }));
  for (const sample of samples) {
    const decile = deciles[Math.min(9, Math.floor(sample.progress * 10))]!;
    decile.count += 1;
    decile.retained += (sample.heapAfterGc - decile.retained) / decile.count;
    decile.heapPeak = Math.max(decile.heapPeak, sample.heapMax);
    decile.rss = Math.max(decile.rss, sample.rss);
  }
  return deciles;
}

interface StreamRead {
  bytes: number;
  durationMs: number;
  completed: boolean;
  error: string | null;
}

/** Streams `chunks` content chunks through the target as fast as the client can read; bounded by a 120 s deadline. */
async function readStream(target: Target, chunks: number, onBytes: (bytes: number) => void): Promise<StreamRead> {
  const call = target.request(true);
  const body = JSON.stringify({ ...(JSON.parse(call.body) as object), bench_chunks: chunks });
  const started = performance.now();
  let bytes = 0;
  let tail = '';
  try {
    const response = await undiciRequest(call.url, {
      method: 'POST',
      headers: call.headers,
      body,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
      signal: AbortSignal.timeout(120_000),
    });
    for await (const piece of response.body as AsyncIterable<Buffer>) {
      bytes += piece.length;
      tail = (tail + piece.toString('latin1')).slice(-64);
      onBytes(bytes);
    }
    const completed = response.statusCode === 200 && tail.trimEnd().endsWith('data: [DONE]');
    return {
      bytes,
      durationMs: performance.now() - started,
      completed,
      error: completed ? null : `HTTP ${response.statusCode}, ended with ${JSON.stringify(tail.slice(-30))}`,
    };
  } catch (error) {
    return { bytes, durationMs: performance.now() - started, completed: false, error: (error as Error).message };
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
