// Token counting's event-loop time per call, in-process: gpt-tokenizer's own countTokens (the baseline, quadratic in
// one pre-tokenizer piece) against Crossway's bounded counter (countTextTokens) and its sliced count, on space-less letters, a CJK run,
// random CJK in short runs and English prose, at growing sizes; and how close the bounded count stays to the exact one.
import { createRequire } from 'node:module';
import type { BenchContext, Scenario, ScenarioResult } from '../bench-types.ts';
import { skippedResult } from '../bench-types.ts';
import { formatRatio } from '../report/format-measure.ts';
import { renderMarkdownTable } from '../report/render-markdown-table.ts';

const TITLE = 'Token counting, per call';
/** The baseline is quadratic: it is run up to this many characters only (40,000 CJK characters take seconds). */
const BASELINE_MAX_CHARS = 40_000;
const SIZES = [10_000, 20_000, 40_000, 200_000, 8 * 1024 * 1024];

export const tokenCountScenario: Scenario = {
  name: 'token-count',
  description: "Event-loop time of one token count: gpt-tokenizer's countTokens against the bounded countTextTokens",
  enabledByDefault: false,
  run: runTokenCount,
};

type Metering = typeof import('../../src/metering/index.ts');
type CountTokens = (text: string, options: { disallowedSpecial: Set<string> }) => number;
interface Tokenizer {
  countTokens: CountTokens;
  /** Both counts share the library's merge cache: each timing starts with it empty. */
  clearMergeCache(): void;
}

async function runTokenCount(context: BenchContext): Promise<ScenarioResult> {
  let metering: Metering;
  let tokenizer: Tokenizer;
  try {
    metering = await import('../../src/metering/index.ts');
    tokenizer = createRequire(import.meta.url)('gpt-tokenizer/encoding/o200k_base') as Tokenizer;
  } catch (error) {
    return skippedResult(TITLE, `the tokenizer does not load (${error instanceof Error ? error.message : String(error)}).`);
  }
  const plain = { disallowedSpecial: new Set<string>() };
  metering.countTextTokens('warm up');
  tokenizer.countTokens('warm up', plain);
  const random = seededRandom(42);
  const shapes: Record<string, (length: number) => string> = {
    'letters without a space': (length) => Array.from({ length }, () => String.fromCharCode(97 + Math.floor(random() * 26))).join(''),
    'CJK run': (length) => Array.from({ length }, () => String.fromCharCode(0x4e00 + Math.floor(random() * 20_000))).join(''),
    'random CJK, 8-character runs': (length) =>
      Array.from({ length }, (_, index) => (index % 9 === 8 ? '，' : String.fromCharCode(0x4e00 + Math.floor(random() * 20_000)))).join(''),
    'English prose': (length) => prose(length),
  };
  const rows: string[][] = [];
  const headline: string[] = [];
  for (const [shape, make] of Object.entries(shapes)) {
    let previous: number | null = null;
    for (const size of SIZES) {
      context.log(`token-count: ${shape}, ${size} characters`);
      const text = make(size);
      tokenizer.clearMergeCache();
      const baseline = size <= BASELINE_MAX_CHARS ? time(() => tokenizer.countTokens(text, plain)) : null;
      tokenizer.clearMergeCache();
      const bounded = time(() => metering.countTextTokens(text));
      tokenizer.clearMergeCache();
      const sliced = await timeSliced(() => metering.countTextTokensInSlices([text]));
      const exact = baseline === null ? null : baseline.value;
      rows.push([
        shape,
        size.toLocaleString('en'),
        baseline === null ? 'not run' : baseline.ms.toFixed(1),
        bounded.ms.toFixed(2),
        baseline === null ? '' : formatRatio(baseline.ms, bounded.ms),
        previous === null ? '' : formatRatio(bounded.ms, previous),
        exact === null ? '' : (bounded.value / exact).toFixed(2),
        sliced.ms.toFixed(1),
        sliced.longestBlockMs.toFixed(1),
        exact === null ? '' : ((sliced.value?.[0] ?? 0) / exact).toFixed(2),
      ]);
      if (size === BASELINE_MAX_CHARS && baseline !== null)
        headline.push(`${shape}, 40,000 characters: ${baseline.ms.toFixed(0)} ms -> ${bounded.ms.toFixed(1)} ms (${formatRatio(baseline.ms, bounded.ms)}x)`);
      previous = bounded.ms;
    }
  }
  const markdown = [
    `In-process, one core, one call each, each starting with the library's merge cache empty. Milliseconds of event-loop time per call. "x baseline" ` +
      `is the baseline's time over the bounded one; "x previous size" the bounded time's growth from the size before (linear: about the size ratio, ` +
      'then flat once the work budget is spent); "count / exact" the bounded count over the exact one (1.00 when exact, above 1 when the budget or a ' +
      'piece longer than 128 characters was counted as UTF-8 bytes).',
    '"sliced" is countTextTokensInSlices (what the gateway uses ahead of planning a large request): its total time, the longest time the event loop ' +
      'waited between two of its slices, and its count over the exact one.',
    renderMarkdownTable(
      [
        'Text',
        'Characters',
        'gpt-tokenizer ms',
        'bounded ms',
        'x baseline',
        'x previous size',
        'count / exact',
        'sliced ms',
        'longest block ms',
        'sliced / exact',
      ],
      rows,
      [false, true, true, true, true, true, true, true, true, true],
    ),
  ].join('\n\n');
  return { title: TITLE, markdown, headline: [`Token counting: ${headline.join('; ')}.`], targets: [], artifacts: [] };
}

/** Times an async count while a setImmediate loop measures the longest wait of the event loop. */
async function timeSliced<T>(run: () => Promise<T>): Promise<{ ms: number; longestBlockMs: number; value: T }> {
  let longestBlockMs = 0;
  let last = performance.now();
  let running = true;
  const tick = () => {
    const now = performance.now();
    longestBlockMs = Math.max(longestBlockMs, now - last);
    last = now;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  const started = performance.now();
  const value = await run();
  const ms = performance.now() - started;
  running = false;
  // A count that never yielded blocked the loop for all of it.
  longestBlockMs = Math.max(longestBlockMs, performance.now() - last);
  return { ms, longestBlockMs, value };
}

function time<T>(run: () => T): { ms: number; value: T } {
  const started = performance.now();
  const value = run();
  return { ms: performance.now() - started, value };
}

function prose(length: number): string {
  const words = ['the', 'booking', 'reference', 'for', 'my', 'flight', 'to', 'Lisbon', 'was', 'changed', 'yesterday', 'and', 'nobody', 'told', 'me', 'why.'];
  let text = '';
  for (let index = 0; text.length < length; index++) text += `${words[(index * 7) % words.length]} `;
  return text.slice(0, length);
}

/** A small deterministic generator (mulberry32), so that every run counts the same texts. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}
