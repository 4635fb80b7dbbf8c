// Counts tokens of text with the real o200k_base tokenizer (the encoding of GPT-4o and later OpenAI models), in bounded
// time: exactly while the work stays within a budget, and as UTF-8 bytes (never fewer than the tokens) beyond it.
// Loaded on first use: its tables cost ~55 MB, and most calls come with usage.
import { createRequire } from 'node:module';

/**
 * Pre-tokenizer pieces longer than this many UTF-16 code units are not byte-pair encoded but counted as their UTF-8
 * bytes. gpt-tokenizer's merge is quadratic in the bytes of one piece (40,000 letters without a space took 0.8 s,
 * 40,000 CJK characters 5.6 s); real text has pieces of a few characters (a word, a run of CJK between punctuation),
 * and 2 MB of English and JavaScript had fewer than 0.002% of pieces this long.
 */
export const MAX_EXACT_PIECE_CHARS = 128;

/**
 * Work units of exact counting one counter may spend (see pieceWork): at most 2^18. About 60,000 characters of
 * ordinary English are counted exactly; the slowest input measured (random CJK in 64-character runs) spends the budget
 * in ~10 ms on one core. Past it, the rest is counted as UTF-8 bytes.
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
      if (work + PIECE_VISIT_WORK + CHAR_WORK > workBudget) return restAsBytes(text, 0);
      tokenizer ??= loadTokenizer();
      const { core, split } = tokenizer;
      // The pre-tokenizer only sees as many characters as the budget could pay for: its pattern is linear but costly
      // (~85 ns per CJK character), and it would otherwise read all of an 8 MiB text before yielding one piece.
      const headLength = Math.floor((workBudget - work) / CHAR_WORK);
      const cut = headLength < text.length;
      const head = cut ? text.slice(0, headLength) : text;
      let tokens = 0;
      let counted = 0;
      // The pieces are contiguous (the pattern matches any character), so `counted` is where the uncounted rest starts.
      for (const match of head.matchAll(split)) {
        const piece = match[0];
        // A piece that reaches the cut may continue past it (or match otherwise there): it is left to the rest.
        if (cut && match.index + piece.length === headLength) break;
        const known = piece.length <= MAX_EXACT_PIECE_CHARS && core.getBpeRankFromString(piece) !== undefined;
        const cost = pieceWork(piece, known);
        if (work + cost > workBudget) break;
        work += cost;
        counted = match.index + piece.length;
        if (piece.length > MAX_EXACT_PIECE_CHARS) {
          // Counted, not encoded: the byte-pair merge is quadratic in the piece.
          exact = false;
          tokens += Buffer.byteLength(piece, 'utf8');
        } else tokens += known ? 1 : core.bytePairEncode(piece).length;
      }
      return counted === text.length ? tokens : tokens + restAsBytes(text, counted);
    },
  };

  function restAsBytes(text: string, from: number): number {
    exact = false;
    work = workBudget;
    return Buffer.byteLength(from === 0 ? text : text.slice(from), 'utf8');
  }
}

/**
 * Work of counting one piece: a whole-piece vocabulary hit costs the visit; otherwise the byte-pair merge, which scans
 * the remaining pairs once per merge, costs its bytes squared on top (at most (3 x 128)^2 for one piece).
 */
function pieceWork(piece: string, known: boolean): number {
  const visit = PIECE_VISIT_WORK + CHAR_WORK * piece.length;
  if (known || piece.length > MAX_EXACT_PIECE_CHARS) return visit;
  const bytes = Buffer.byteLength(piece, 'utf8');
  return visit + MERGE_BYTE_WORK * bytes + Math.ceil((bytes * bytes) / 16);
}

/** The o200k_base token count of `text`, exact within one counter's work budget, an upper bound beyond (see TokenCounter). */
export function countTextTokens(text: string): number {
  return createTokenCounter().count(text);
}
