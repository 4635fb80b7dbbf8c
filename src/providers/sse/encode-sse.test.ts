// Tests of the SSE encoder used for events Crossway writes itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeSseData, encodeSseDone } from './encode-sse.ts';

const decoder = new TextDecoder();

test('encodeSseData writes one data line with line breaks escaped', () => {
  assert.equal(decoder.decode(encodeSseData({ text: 'a\nb\r\nc' })), 'data: {"text":"a\\nb\\r\\nc"}\n\n');
});

test('encodeSseDone writes the end marker', () => {
  assert.equal(decoder.decode(encodeSseDone()), 'data: [DONE]\n\n');
});
