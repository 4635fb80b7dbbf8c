import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatCompletionChunk, ChatCompletionChunkChoice, MessagesStreamEvent } from '../wire/index.ts';
import { createMessagesStreamTranslator, encodeMessagesStreamEvents } from './create-messages-stream-translator.ts';

function chunk(delta: ChatCompletionChunkChoice['delta'], finish: ChatCompletionChunkChoice['finish_reason'] = null): ChatCompletionChunk {
  return { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] };
}

/** Runs a whole stream through a translator and returns its events. */
function translate(pieces: ChatCompletionChunk[][]): MessagesStreamEvent[] {
  const translator = createMessagesStreamTranslator('msg_1', 'gpt-5.5');
  const events = translator.start();
  for (const piece of pieces) events.push(...translator.push(piece));
  events.push(...translator.finish({ prompt_tokens: 12, completion_tokens: 7, total_tokens: 19, prompt_tokens_details: { cached_tokens: 2 } }));
  return events;
}

describe('createMessagesStreamTranslator', () => {
  it('text: message_start and ping, one text block, message_delta with usage, message_stop', () => {
    const events = translate([[chunk({ role: 'assistant', content: '' })], [chunk({ content: 'Hel' }), chunk({ content: 'lo' })], [chunk({}, 'stop')]]);
    assert.deepEqual(
      events.map((event) => event.type),
      ['message_start', 'ping', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop'],
    );
    const start = events[0];
    assert.equal(start?.type === 'message_start' && start.message.id, 'msg_1');
    assert.deepEqual(events[3], { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } });
    assert.deepEqual(events[6], {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { input_tokens: 10, output_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: 2 },
    });
  });

  it('thinking, then text, then two tool calls: blocks in order, the thinking block signed before it stops', () => {
    const events = translate([
      [chunk({ reasoning_content: 'Think' }), chunk({ reasoning: 'ing.' })],
      [chunk({ content: 'Calling.' })],
      [chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] })],
      [chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }), chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] })],
      [chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } }] })],
      [chunk({}, 'tool_calls')],
    ]);
    const summary = events.map((event) => {
      if (event.type === 'content_block_start') return `start ${event.index} ${event.content_block.type}`;
      if (event.type === 'content_block_delta') return `delta ${event.index} ${event.delta.type}`;
      if (event.type === 'content_block_stop') return `stop ${event.index}`;
      return event.type;
    });
    assert.deepEqual(summary, [
      'message_start',
      'ping',
      'start 0 thinking',
      'delta 0 thinking_delta',
      'delta 0 thinking_delta',
      'delta 0 signature_delta',
      'stop 0',
      'start 1 text',
      'delta 1 text_delta',
      'stop 1',
      'start 2 tool_use',
      'delta 2 input_json_delta',
      'delta 2 input_json_delta',
      'stop 2',
      'start 3 tool_use',
      'delta 3 input_json_delta',
      'stop 3',
      'message_delta',
      'message_stop',
    ]);
    const toolStart = events.find((event) => event.type === 'content_block_start' && event.index === 2);
    assert.deepEqual(toolStart?.type === 'content_block_start' && toolStart.content_block, { type: 'tool_use', id: 'call_a', name: 'get_weather', input: {} });
    const delta = events.at(-2);
    assert.equal(delta?.type === 'message_delta' && delta.delta.stop_reason, 'tool_use');
  });

  it('length as max_tokens; no usage reported as zeros', () => {
    const translator = createMessagesStreamTranslator('msg_2', 'gpt-5.5');
    translator.start();
    translator.push([chunk({ content: 'cut' }, 'length')]);
    const [stop, delta, end] = translator.finish(null);
    assert.equal(stop?.type, 'content_block_stop');
    assert.deepEqual(delta, {
      type: 'message_delta',
      delta: { stop_reason: 'max_tokens', stop_sequence: null },
      usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
    assert.equal(end?.type, 'message_stop');
  });

  it('encodes each event as an SSE event named by its type', () => {
    assert.equal(
      encodeMessagesStreamEvents([{ type: 'ping' }, { type: 'message_stop' }]),
      'event: ping\ndata: {"type":"ping"}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n',
    );
  });
});
