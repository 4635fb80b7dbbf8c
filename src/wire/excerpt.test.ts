import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXCERPT_CHARACTERS, excerpt, modelNameSchema } from './excerpt.ts';

describe('excerpt', () => {
  it('keeps a short value as it is', () => {
    assert.equal(excerpt('gpt-5.5'), 'gpt-5.5');
  });

  it('cuts a long value to a bounded excerpt that names its length', () => {
    const shown = excerpt('x'.repeat(1024 * 1024));
    assert.ok(shown.length < EXCERPT_CHARACTERS + 40, shown);
    assert.match(shown, /\(1048576 characters\)$/);
  });

  it('replaces control characters', () => {
    assert.equal(excerpt('a\nb\u0000c'), 'a?b?c');
  });
});

describe('modelNameSchema', () => {
  it('accepts ordinary names and refuses empty or oversized ones', () => {
    assert.equal(modelNameSchema.safeParse('gpt-5.5').success, true);
    assert.equal(modelNameSchema.safeParse('').success, false);
    assert.equal(modelNameSchema.safeParse('m'.repeat(257)).success, false);
  });
});
