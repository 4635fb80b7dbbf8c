// Tables of the text-level chunk edits: the model value replaced, a null usage dropped, everything else byte for byte.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dropNullUsage, replaceJsonModel } from './rewrite-openai-chunk.ts';

describe('replaceJsonModel', () => {
  const cases: { name: string; text: string; expected: string }[] = [
    { name: 'compact chunk', text: '{"id":"c","model":"openai.gpt-oss-120b-1:0","choices":[]}', expected: '{"id":"c","model":"gpt-oss-120b","choices":[]}' },
    { name: 'spaces around the colon', text: '{"model" : "x", "a": 1}', expected: '{"model" : "gpt-oss-120b", "a": 1}' },
    { name: 'escaped quote in the old value', text: '{"model":"a\\"b","n":1}', expected: '{"model":"gpt-oss-120b","n":1}' },
    {
      name: 'the word inside content is not a key',
      text: '{"choices":[{"delta":{"content":"say \\"model\\": \\"no\\""}}],"model":"m"}',
      expected: '{"choices":[{"delta":{"content":"say \\"model\\": \\"no\\""}}],"model":"gpt-oss-120b"}',
    },
    { name: 'no model member', text: '{"choices":[]}', expected: '{"choices":[]}' },
    { name: 'a null model is left alone', text: '{"model":null}', expected: '{"model":null}' },
  ];
  for (const { name, text, expected } of cases) {
    it(name, () => {
      assert.equal(replaceJsonModel(text, 'gpt-oss-120b'), expected);
      JSON.parse(replaceJsonModel(text, 'gpt-oss-120b'));
    });
  }

  it('returns the same string when the value already is the model', () => {
    const text = '{"model":"gpt-oss-120b"}';
    assert.equal(replaceJsonModel(text, 'gpt-oss-120b'), text);
  });
  it('writes a model with characters JSON escapes as JSON', () => {
    assert.deepEqual(JSON.parse(replaceJsonModel('{"model":"x"}', 'a"b')), { model: 'a"b' });
  });
});

describe('dropNullUsage', () => {
  const cases: { name: string; text: string; expected: string }[] = [
    { name: 'last member', text: '{"id":"c","choices":[],"usage":null}', expected: '{"id":"c","choices":[]}' },
    { name: 'middle member', text: '{"id":"c","usage":null,"choices":[]}', expected: '{"id":"c","choices":[]}' },
    { name: 'first member', text: '{"usage":null,"choices":[]}', expected: '{"choices":[]}' },
    { name: 'only member', text: '{"usage":null}', expected: '{}' },
    { name: 'with spaces', text: '{"id": "c", "usage" : null, "x": 1}', expected: '{"id": "c", "x": 1}' },
    { name: 'a usage object stays', text: '{"usage":{"prompt_tokens":1}}', expected: '{"usage":{"prompt_tokens":1}}' },
    { name: 'the word inside content stays', text: '{"c":"\\"usage\\":null"}', expected: '{"c":"\\"usage\\":null"}' },
  ];
  for (const { name, text, expected } of cases) {
    it(name, () => {
      assert.equal(dropNullUsage(text), expected);
      JSON.parse(dropNullUsage(text));
    });
  }
});
