// Tests of counting what a stream delivered, from parsed chunks and events or from raw pass-through bytes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { countTextTokens } from '../metering/index.ts';
import type { NativeResponsesEventValue } from '../providers/index.ts';
import type { ChatCompletionChunk } from '../wire/index.ts';
import { StreamedOutputTally } from './streamed-output-tally.ts';

const encoder = new TextEncoder();
function chunk(delta: Record<string, unknown>): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(chunkValue(delta))}\n\n`);
}
function chunkValue(delta: Record<string, unknown>): ChatCompletionChunk {
  return { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: null }] };
}
/** Pass-through bytes, as the OpenAI-wire adapters yield them: parsed only when a count is asked for. */
function pushRaw(tally: StreamedOutputTally, bytes: Uint8Array): void {
  tally.pushChat(bytes, null);
}

describe('StreamedOutputTally', () => {
  it('counts the content deltas with the real tokenizer, escapes decoded', () => {
    const tally = new StreamedOutputTally();
    const parts = ['Hello', ', "quoted" world', '\nnew line and ünïcödé'];
    for (const part of parts) pushRaw(tally, chunk({ content: part }));
    pushRaw(tally, encoder.encode('data: [DONE]\n\n'));
    assert.equal(tally.outputTokens(), countTextTokens(parts.join('')));
  });

  it('counts tool-call arguments and refusals, and nothing for role-only or empty chunks', () => {
    const tally = new StreamedOutputTally();
    pushRaw(tally, chunk({ role: 'assistant' }));
    pushRaw(tally, chunk({ tool_calls: [{ index: 0, function: { name: 'get_weather', arguments: '{"city":' } }] }));
    pushRaw(tally, chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }));
    pushRaw(tally, chunk({ refusal: 'No.' }));
    assert.equal(tally.outputTokens(), countTextTokens('{"city":"Paris"}No.'));
    assert.equal(new StreamedOutputTally().outputTokens(), 0);
  });

  it('stops keeping chunks past its bound and counts the rest as bytes: never fewer tokens than were sent', () => {
    const tally = new StreamedOutputTally();
    const words = 'lorem ipsum dolor sit amet '.repeat(100);
    for (let index = 0; index < 200; index++) pushRaw(tally, chunk({ content: words }));
    const tokens = tally.outputTokens();
    const exact = encode(words.repeat(200), { disallowedSpecial: new Set() }).length;
    const bytes = Buffer.byteLength(words) * 200;
    assert.ok(tokens >= exact && tokens <= bytes + 1, `${tokens} tokens estimated for ${exact} sent (${bytes} bytes)`);
  });

  it('counts a long output of rare characters (a model can be made to write them) as no fewer tokens than it has', () => {
    // Rare CJK characters are byte-level tokens, ~1 per UTF-8 byte: four bytes per token would count a quarter of them.
    const tally = new StreamedOutputTally();
    const pieces = Array.from({ length: 50 }, (_, piece) => Array.from({ length: 8 }, (_, index) => String.fromCodePoint(0x3400 + piece * 8 + index)).join(''));
    const text = Array.from({ length: 20_000 }, (_, index) => pieces[index % pieces.length]).join('，');
    for (let index = 0; index < text.length; index += 3000) pushRaw(tally, chunk({ content: text.slice(index, index + 3000) }));
    const exact = encode(text, { disallowedSpecial: new Set() }).length;
    assert.ok(tally.outputTokens() >= exact, `${tally.outputTokens()} counted, ${exact} sent`);
  });

  it("counts a Responses stream's text and argument deltas, not the repeated full text of its done events", () => {
    const tally = new StreamedOutputTally();
    const event = (value: NativeResponsesEventValue) =>
      tally.pushResponses(encoder.encode(`event: ${value.type}\ndata: ${JSON.stringify(value)}\n\n`), [value]);
    event({ type: 'response.output_text.delta', sequence_number: 3, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hello ' });
    event({ type: 'response.output_text.delta', sequence_number: 4, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'there' });
    event({ type: 'response.output_text.done', sequence_number: 5, item_id: 'msg_1', output_index: 0, content_index: 0, text: 'Hello there' });
    event({ type: 'response.function_call_arguments.delta', sequence_number: 6, item_id: 'fc_1', output_index: 1, delta: '{"a":1}' });
    assert.equal(tally.outputTokens(), countTextTokens('Hello there{"a":1}'));
  });

  it('counts parsed chunks without reading their bytes, and the same as from the raw bytes', () => {
    const deltas = [
      { role: 'assistant', content: '' },
      { content: 'Hi "there"' },
      { tool_calls: [{ index: 0, function: { arguments: '{"x":2}' } }] },
      { refusal: '!' },
    ];
    const parsed = new StreamedOutputTally();
    // Bytes that say nothing: only the parsed chunks are read.
    for (const delta of deltas) parsed.pushChat(encoder.encode('data: {}\n\n'), [chunkValue(delta)]);
    const raw = new StreamedOutputTally();
    for (const delta of deltas) pushRaw(raw, chunk(delta));
    assert.equal(parsed.outputTokens(), countTextTokens('Hi "there"{"x":2}!'));
    assert.equal(raw.outputTokens(), parsed.outputTokens());
  });

  it('reads raw pieces of several events, with comments and CRLF framing, and every choice', () => {
    const tally = new StreamedOutputTally();
    const two = {
      id: 'c',
      choices: [
        { index: 0, delta: { content: 'one ' } },
        { index: 1, delta: { content: 'two' } },
      ],
    };
    pushRaw(
      tally,
      encoder.encode(`: keep-alive\r\n\r\ndata: ${JSON.stringify(two)}\r\n\r\ndata: not json\n\ndata: ${JSON.stringify(chunkValue({ content: '!' }))}\n\n`),
    );
    assert.equal(tally.outputTokens(), countTextTokens('one two!'));
  });

  it('a text that only looks like a key inside content is not counted twice', () => {
    const tally = new StreamedOutputTally();
    pushRaw(tally, chunk({ content: 'say "content": "x"' }));
    assert.equal(tally.outputTokens(), countTextTokens('say "content": "x"'));
  });
});
