import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countTokens as countExactly } from 'gpt-tokenizer/encoding/o200k_base';
import { countTokens, truncateToTokens } from './count-tokens.ts';

describe('emulator token counting', () => {
  it('counts ordinary text exactly', () => {
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(200);
    assert.equal(countTokens(text), countExactly(text));
  });

  it('counts long runs without white space in slices, close to the exact count and in linear time', () => {
    const run = 'ab'.repeat(2_000);
    const counted = countTokens(run);
    const exact = countExactly(run);
    assert.ok(counted >= exact && counted <= exact + 20, `${counted} against ${exact}`);
    // 200,000 characters without a space: whole, byte-pair merging would take many seconds.
    const started = performance.now();
    assert.ok(countTokens('a'.repeat(200_000)) > 0);
    assert.ok(countTokens('漢字仮名交じり文'.repeat(25_000)) > 0);
    assert.ok(performance.now() - started < 5_000);
  });

  it('truncates to a token count without cutting a surrogate pair', () => {
    const text = `${'😀'.repeat(400)} tail`;
    const cut = truncateToTokens(text, 10);
    assert.ok(cut.length > 0 && cut.length < text.length);
    assert.equal(truncateToTokens('short text', 100), 'short text');
    assert.ok(!/[\uD800-\uDBFF]$/.test(truncateToTokens('😀'.repeat(300), 150)));
  });
});
