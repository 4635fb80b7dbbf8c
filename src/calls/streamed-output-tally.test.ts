import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { countTextTokens } from '../metering/index.ts';
import { StreamedOutputTally } from './streamed-output-tally.ts';

const encoder = new TextEncoder();
function chunk(delta: Record<string, unknown>): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta }] })}\n\n`);
}

describe('StreamedOutputTally', () => {
  it('counts the content deltas with the real tokenizer, escapes decoded', () => {
    const tally = new StreamedOutputTally();
    const parts = ['Hello', ', "quoted" world', '\nnew line and ünïcödé'];
    for (const part of parts) tally.push(chunk({ content: part }));
    tally.push(encoder.encode('data: [DONE]\n\n'));
    assert.equal(tally.outputTokens(), countTextTokens(parts.join('')));
  });

  it('counts tool-call arguments and refusals, and nothing for role-only or empty chunks', () => {
    const tally = new StreamedOutputTally();
    tally.push(chunk({ role: 'assistant' }));
    tally.push(chunk({ tool_calls: [{ index: 0, function: { name: 'get_weather', arguments: '{"city":' } }] }));
    tally.push(chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }));
    tally.push(chunk({ refusal: 'No.' }));
    assert.equal(tally.outputTokens(), countTextTokens('{"city":"Paris"}No.'));
    assert.equal(new StreamedOutputTally().outputTokens(), 0);
  });

  it('stops keeping chunks past its bound and counts the rest as bytes: never fewer tokens than were sent', () => {
    const tally = new StreamedOutputTally();
    const words = 'lorem ipsum dolor sit amet '.repeat(100);
    for (let index = 0; index < 200; index++) tally.push(chunk({ content: words }));
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
    for (let index = 0; index < text.length; index += 3000) tally.push(chunk({ content: text.slice(index, index + 3000) }));
    const exact = encode(text, { disallowedSpecial: new Set() }).length;
    assert.ok(tally.outputTokens() >= exact, `${tally.outputTokens()} counted, ${exact} sent`);
  });

  it("counts a Responses stream's text and argument deltas, not the repeated full text of its done events", () => {
    const tally = new StreamedOutputTally();
    const event = (value: Record<string, unknown>) => encoder.encode(`event: ${String(value.type)}\ndata: ${JSON.stringify(value)}\n\n`);
    tally.push(event({ type: 'response.output_text.delta', sequence_number: 3, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hello ' }));
    tally.push(event({ type: 'response.output_text.delta', sequence_number: 4, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'there' }));
    tally.push(event({ type: 'response.output_text.done', sequence_number: 5, item_id: 'msg_1', output_index: 0, content_index: 0, text: 'Hello there' }));
    tally.push(event({ type: 'response.function_call_arguments.delta', sequence_number: 6, item_id: 'fc_1', output_index: 1, delta: '{"a":1}' }));
    assert.equal(tally.outputTokens(), countTextTokens('Hello there{"a":1}'));
  });
});
