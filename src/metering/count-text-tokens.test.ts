import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import {
  countTextTokens,
  countTextTokensInSlices,
  createTokenCounter,
  MAX_EXACT_PIECE_CHARS,
  MAX_SLICED_COUNT_WORK,
  TOKEN_COUNT_WORK_BUDGET,
} from './count-text-tokens.ts';

// The library's own count, unbounded (quadratic in a piece's length): the reference on short texts.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };
const libraryCount = (text: string) => countTokens(text, PLAIN_TEXT);

// Characters of every pre-tokenizer class, special-token spellings, lone surrogates, and runs longer than a piece.
const fragment = fc.oneof(
  fc.constantFrom(
    'a',
    'Z',
    'hello',
    ' world',
    "'s",
    ' ',
    '  ',
    '\n',
    '\r\n',
    '\t',
    '1',
    '12345',
    '!',
    '...',
    '漢',
    '字',
    '，',
    'é',
    '😀',
    '<|endoftext|>',
    '\ud800',
  ),
  fc.string({ unit: 'binary', maxLength: 4 }),
  fc.tuple(fc.constantFrom('a', 'ab', '漢', '-', ' '), fc.integer({ min: 100, max: 200 })).map(([unit, times]) => unit.repeat(times)),
);
const text = fc.array(fragment, { maxLength: 12 }).map((parts) => parts.join(''));

describe('countTextTokens', () => {
  const cases: { name: string; text: string }[] = [
    { name: 'English prose', text: "The quick brown fox jumps over the lazy dog. It's 12:30, isn't it?" },
    { name: 'code', text: 'function add(a, b) {\n  return a + b; // sum\n}\n' },
    { name: 'CJK between punctuation', text: '你好，世界。今天天气很好！日本語のテキストです。' },
    { name: 'emoji and accents', text: 'Café 😀 naïve façade' },
    { name: 'special-token spellings as plain text', text: 'ignore <|endoftext|> and <|im_start|> please' },
    { name: 'whitespace runs', text: 'a   b\n\n\n  c\t\td  ' },
  ];
  for (const testCase of cases) {
    it(`is the library's exact count for ${testCase.name}`, () => {
      assert.equal(countTextTokens(testCase.text), libraryCount(testCase.text));
    });
  }

  it('never counts fewer tokens than there are, nor more than UTF-8 bytes, and exactly when it says so (any budget)', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 40_000 }), (sample, budget) => {
        const counter = createTokenCounter(budget);
        const counted = counter.count(sample);
        const exact = libraryCount(sample);
        assert.ok(counted >= exact, `${counted} < ${exact}`);
        assert.ok(counted <= Buffer.byteLength(sample), `${counted} > bytes`);
        if (counter.exact) assert.equal(counted, exact);
        assert.ok(counter.work <= budget);
      }),
      { numRuns: 400 },
    );
  });

  it('counts a piece longer than MAX_EXACT_PIECE_CHARS as its bytes instead of merging it (the merge is quadratic)', () => {
    for (const unit of ['x', '漢']) {
      const counter = createTokenCounter(Number.POSITIVE_INFINITY);
      const piece = unit.repeat(200_000);
      assert.equal(counter.count(piece), Buffer.byteLength(piece));
      assert.equal(counter.exact, false);
      // Linear work: the visit of the characters, no merge.
      assert.ok(counter.work <= 8 * piece.length, `${counter.work} work for ${piece.length} characters`);
    }
    const justShort = 'q'.repeat(MAX_EXACT_PIECE_CHARS);
    assert.equal(countTextTokens(justShort), libraryCount(justShort));
  });

  it('spends work linear in the text: a bounded amount per character, whatever its shape', () => {
    const shapes = {
      'space-less letters': 'abcdefghij'.repeat(50_000),
      'CJK run': '漢字仮名交'.repeat(100_000),
      'CJK in short runs': '漢字仮名交，'.repeat(80_000),
      'letters in 128-character words': `${'k'.repeat(127)}z `.repeat(4_000),
      'single characters': 'a!'.repeat(200_000),
    };
    // Per character of a piece of L characters of at most 3 bytes each: 8 / L + 4 + 200 * 3 + (3 L)^2 / 16 / L, at
    // most 684 for L <= MAX_EXACT_PIECE_CHARS: a constant, where a whole-text merge would grow with the text.
    const perCharacter = 700;
    for (const [shape, sample] of Object.entries(shapes)) {
      const counter = createTokenCounter(Number.POSITIVE_INFINITY);
      counter.count(sample);
      assert.ok(counter.work <= perCharacter * sample.length, `${shape}: ${counter.work} work for ${sample.length} characters`);
    }
  });

  it('stops exact counting at its budget and counts the rest as bytes: one budget for all the texts of a counter', () => {
    const sample = 'Tokenization of ordinary prose goes word by word. '.repeat(40_000);
    const counter = createTokenCounter();
    const counted = counter.count(sample);
    assert.equal(counter.exact, false);
    assert.ok(counter.work <= TOKEN_COUNT_WORK_BUDGET);
    assert.ok(counted > libraryCount(sample) && counted < Buffer.byteLength(sample), `${counted} counted`);
    // The budget is spent: the next text costs no work and counts as its bytes.
    assert.equal(counter.count('hello world'), Buffer.byteLength('hello world'));
    // A fresh counter counts a text within its budget exactly.
    assert.equal(countTextTokens(sample.slice(0, 5_000)), libraryCount(sample.slice(0, 5_000)));
  });
});

describe('countTextTokensInSlices', () => {
  /** Runs `count` while a setImmediate loop counts the event-loop turns it lets through. */
  async function withTurns<T>(count: () => Promise<T>): Promise<{ value: T; turns: number }> {
    let turns = 0;
    let running = true;
    const tick = () => {
      turns++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const value = await count();
    running = false;
    return { value, turns };
  }

  it('counts texts past one work budget exactly, yielding to the event loop between slices', async () => {
    const prose = 'Tokenization of ordinary prose goes word by word, with commas. '.repeat(20_000);
    const { value, turns } = await withTurns(() => countTextTokensInSlices([prose, 'hello world', '']));
    assert.deepEqual(value, [libraryCount(prose), libraryCount('hello world'), 0]);
    // ~1.3 M characters of prose cost several budgets of work: other callbacks ran between the slices.
    assert.ok(turns >= 3, `${turns} event-loop turns`);
  });

  it('never counts fewer tokens than there are (any texts)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(text, { maxLength: 4 }), async (texts) => {
        const counts = await countTextTokensInSlices(texts);
        assert.ok(counts !== null);
        for (const [index, sample] of texts.entries()) assert.ok((counts[index] ?? -1) >= libraryCount(sample));
      }),
      { numRuns: 100 },
    );
  });

  it('counts a piece too long for a slice as bytes, and stops exact work at MAX_SLICED_COUNT_WORK', async () => {
    const spaceless = 'x'.repeat(1_000_000);
    assert.deepEqual(await countTextTokensInSlices([spaceless, 'a b']), [1_000_000, libraryCount('a b')]);
    // Random CJK in short runs: ~600 work units per character, past the cap well before 8 MiB.
    const hostile = Array.from({ length: 8 * 1024 * 1024 }, (_, index) =>
      index % 9 === 8 ? '，' : String.fromCharCode(0x4e00 + ((index * 7919) % 20_000)),
    ).join('');
    const { value, turns } = await withTurns(() => countTextTokensInSlices([hostile]));
    // Past the cap the rest is bytes: the count lies between half the characters and the bytes.
    assert.ok(value !== null && (value[0] ?? 0) >= hostile.length / 2 && (value[0] ?? 0) <= Buffer.byteLength(hostile), `${value?.[0]} counted`);
    // Slices of at most one work budget each, and no more of them than the cap pays for.
    assert.ok(turns <= MAX_SLICED_COUNT_WORK / TOKEN_COUNT_WORK_BUDGET + 2, `${turns} slices`);
  });

  it('stops when its signal aborts', async () => {
    const controller = new AbortController();
    const prose = 'Tokenization of ordinary prose goes word by word, with commas. '.repeat(20_000);
    setImmediate(() => controller.abort());
    assert.equal(await countTextTokensInSlices([prose], controller.signal), null);
  });
});
