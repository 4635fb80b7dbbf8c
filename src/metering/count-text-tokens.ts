// Counts tokens of text with the real o200k_base tokenizer (the encoding of GPT-4o and later OpenAI models), in bounded
// time: exactly while the work stays within a budget, and as UTF-8 bytes (never fewer than the tokens) beyond it;
// or, for large texts, exactly in slices that yield to the event loop. Loaded on first use: its tables cost ~55 MB,
// and most calls come with usage.
import { createRequire } from 'node:module';

/**
 * Pre-tokenizer pieces longer than this many UTF-16 code units are not byte-pair encoded but counted as their UTF-8
 * bytes. gpt-tokenizer's merge is quadratic in the bytes of one piece (40,000 letters without a space took 0.8 s,
 * 40,000 CJK characters 5.6 s); real text has pieces of a few characters (a word, a run of CJK between punctuation),
 * and 2 MB of English and JavaScript had fewer than 0.002% of pieces this long.
 */
export const MAX_EXACT_PIECE_CHARS = 128;

/**
 * Work units of exact counting one counter (or one slice) may spend (see pieceWork): 2^19. About 64,000 characters
 * of English Markdown are counted exactly; every input shape measured (space-less letters, CJK runs, random CJK and
 * emoji in short runs, digits and punctuation) spends it in 3 to 13 ms (median) on one core of a busy 2-core machine.
 * Past it, the rest is counted as UTF-8 bytes.
 */
export const TOKEN_COUNT_WORK_BUDGET = 1 << 19;

// One unit of work is ~20 ns on one core of the machine these were measured on (bench/scenarios/token-count.ts).
/** Work of visiting one piece (a vocabulary lookup), and of each of its characters (the pre-tokenizer's match). */
const PIECE_VISIT_WORK = 8;
const CHAR_WORK = 4;
/** Work per byte of a piece that is not one token: each merge step looks pairs up, ~4 us per byte in all. */
const MERGE_BYTE_WORK = 200;

interface BytePairCore {
  getBpeRankFromString(piece: string): number | undefined;
  /** The library's LRU of merged pieces (a public field): a piece found there costs a lookup, not a merge. */
  mergeCache?: Map<string, number[]>;
  bytePairEncode(piece: string): number[];
}
interface Tokenizer {
  core: BytePairCore;
  split: RegExp;
}
let tokenizer: Tokenizer | undefined;

function loadTokenizer(): Tokenizer {
  const require = createRequire(import.meta.url);
  const encoding = require('gpt-tokenizer/encoding/o200k_base') as {
    default: { bytePairEncodingCoreProcessor: BytePairCore };
    setMergeCacheSize(entries: number): void;
  };
  // The merge cache keys are pieces (each at most MAX_EXACT_PIECE_CHARS here): at most 4,096 of them, ~1 MB (a
  // larger cache is also slower once full: evicting the oldest entry of a big Map skips its deleted slots).
  encoding.setMergeCacheSize(4096);
  const { O200K_TOKEN_SPLIT_REGEX } = require('gpt-tokenizer/encodingParams/constants') as { O200K_TOKEN_SPLIT_REGEX: RegExp };
  return { core: encoding.default.bytePairEncodingCoreProcessor, split: O200K_TOKEN_SPLIT_REGEX };
}

/** A token counter with one work budget shared by every text it counts (one request's texts, say). */
export interface TokenCounter {
  /**
   * The o200k_base tokens of `text` (special-token spellings such as `<|endoftext|>` count as the plain text they
   * are), or more, never fewer: pieces longer than MAX_EXACT_PIECE_CHARS, and everything once the budget is spent,
   * count one token per UTF-8 byte, since every o200k_base token spans at least one byte.
   */
  count(text: string): number;
  /** Work spent so far: never more than the budget. */
  readonly work: number;
  /** Whether every count so far was exact. */
  readonly exact: boolean;
}

/** A counter that spends at most `workBudget` units of exact counting, in all its counts together. */
export function createTokenCounter(workBudget: number = TOKEN_COUNT_WORK_BUDGET): TokenCounter {
  let work = 0;
  let exact = true;
  return {
    get work() {
      return work;
    },
    get exact() {
      return exact;
    },
    count(text: string): number {
      if (text === '') return 0;
      const slice = countSlice(text, 0, workBudget - work);
      work += slice.work;
      if (!slice.exact) exact = false;
      if (slice.next === text.length) return slice.tokens;
      exact = false;
      work = workBudget;
      return slice.tokens + Buffer.byteLength(slice.next === 0 ? text : text.slice(slice.next), 'utf8');
    },
  };
}

/** The work of one sliced count: at most 2^25 units (64 slices; ~0.5 s of CPU, ~2 MB of prose exact), then bytes. */
export const MAX_SLICED_COUNT_WORK = 1 << 25;

/**
 * The token counts of `texts`, exact up to MAX_SLICED_COUNT_WORK in all (several MB of prose), never fewer than
 * the real tokens past it (see TokenCounter), yielding to the event loop after each TOKEN_COUNT_WORK_BUDGET of work,
 * so that a large request is counted exactly without holding other requests for more than one slice. Stops early
 * (null) when `signal` aborts.
 */
export async function countTextTokensInSlices(texts: readonly string[], signal?: AbortSignal): Promise<number[] | null> {
  const counts: number[] = [];
  let left = MAX_SLICED_COUNT_WORK;
  let sliceWork = 0;
  for (const text of texts) {
    let tokens = 0;
    let from = 0;
    while (from < text.length) {
      if (sliceWork >= TOKEN_COUNT_WORK_BUDGET) {
        await new Promise((resolve) => setImmediate(resolve));
        if (signal?.aborted === true) return null;
        sliceWork = 0;
      }
      const fresh = sliceWork === 0;
      const slice = countSlice(text, from, Math.min(left, TOKEN_COUNT_WORK_BUDGET - sliceWork));
      tokens += slice.tokens;
      left -= slice.work;
      if (slice.next === from) {
        // No piece fitted: in a fresh slice the next one is longer than a slice can visit (a piece of 100,000+
        // characters); with too little work left overall it is the end of the exact count. The rest counts as bytes.
        if (fresh || left < TOKEN_COUNT_WORK_BUDGET) {
          tokens += Buffer.byteLength(from === 0 ? text : text.slice(from), 'utf8');
          break;
        }
        sliceWork = TOKEN_COUNT_WORK_BUDGET;
        continue;
      }
      sliceWork += slice.work;
      from = slice.next;
    }
    counts.push(tokens);
  }
  return counts;
}

interface CountedSlice {
  /** Tokens of text[from, next). */
  tokens: number;
  /** Where the uncounted rest starts (a piece boundary); text.length when all was counted. */
  next: number;
  work: number;
  /** Whether the tokens are exact (no piece longer than MAX_EXACT_PIECE_CHARS was counted as bytes). */
  exact: boolean;
}

/** Counts the pieces of `text` from `from` (a piece boundary) while `budget` work pays for them. */
function countSlice(text: string, from: number, budget: number): CountedSlice {
  if (budget < PIECE_VISIT_WORK + CHAR_WORK) return { tokens: 0, next: from, work: 0, exact: true };
  tokenizer ??= loadTokenizer();
  const { core, split } = tokenizer;
  // The pre-tokenizer only sees as many characters as the budget could pay for: its pattern is linear but costly
  // (~85 ns per CJK character), and it would otherwise read all of an 8 MiB text before yielding one piece. Matching
  // from a piece boundary finds the same pieces as matching the whole text (the pattern looks neither behind nor at
  // the start of the input).
  const headLength = Math.floor(budget / CHAR_WORK);
  const cut = from + headLength < text.length;
  const head = from === 0 && !cut ? text : text.slice(from, from + headLength);
  let tokens = 0;
  let counted = 0;
  let work = 0;
  let exact = true;
  // The pieces are contiguous (the pattern matches any character), so `counted` is where the uncounted rest starts.
  for (const match of head.matchAll(split)) {
    const piece = match[0];
    // A piece that reaches the cut may continue past it (or match otherwise there): it is left to the rest.
    if (cut && match.index + piece.length === head.length) break;
    const short = piece.length <= MAX_EXACT_PIECE_CHARS;
    const known = short && core.getBpeRankFromString(piece) !== undefined;
    const cost = pieceWork(piece, known || (short && core.mergeCache?.has(piece) === true));
    if (work + cost > budget) break;
    work += cost;
    counted = match.index + piece.length;
    if (piece.length > MAX_EXACT_PIECE_CHARS) {
      // Counted, not encoded: the byte-pair merge is quadratic in the piece.
      exact = false;
      tokens += Buffer.byteLength(piece, 'utf8');
    } else tokens += known ? 1 : core.bytePairEncode(piece).length;
  }
  return { tokens, next: from + counted, work, exact };
}

/**
 * Work of counting one piece: a whole-piece vocabulary hit (or a piece merged before, `cheap`) costs the visit;
 * otherwise the byte-pair merge costs a lookup per pair per step, plus its bytes squared for the scans (at most
 * 200 x 384 + 384^2 / 16 for one piece of 128 characters).
 */
function pieceWork(piece: string, cheap: boolean): number {
  const visit = PIECE_VISIT_WORK + CHAR_WORK * piece.length;
  if (cheap || piece.length > MAX_EXACT_PIECE_CHARS) return visit;
  const bytes = Buffer.byteLength(piece, 'utf8');
  return visit + MERGE_BYTE_WORK * bytes + Math.ceil((bytes * bytes) / 16);
}

/** The o200k_base token count of `text`, exact within one counter's work budget, an upper bound beyond (see TokenCounter). */
export function countTextTokens(text: string): number {
  return createTokenCounter().count(text);
}
