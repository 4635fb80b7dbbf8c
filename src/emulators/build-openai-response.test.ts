// Tests of rendering a ChatReply as a Response object and as its stream of semantic events.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ResponseStreamEvent } from '../wire/index.ts';
import { buildOpenAIResponse, buildOpenAIResponseEvents, formatResponseSseEvent, type OpenAIResponseMeta } from './build-openai-response.ts';
import type { ChatReply } from './generate-chat-reply.ts';

function meta(request: Record<string, unknown> = {}): OpenAIResponseMeta {
  let next = 0;
  return {
    id: 'resp_1',
    createdAt: 1_767_225_600,
    model: 'gpt-5.5',
    request: { model: 'gpt-5.5', input: [], ...request } as OpenAIResponseMeta['request'],
    createItemId: (prefix) => `${prefix}_${++next}`,
  };
}

const textReply: ChatReply = {
  choices: [{ index: 0, content: 'One two three four five', toolCalls: [], finishReason: 'stop', completionTokens: 5 }],
  promptTokens: 9,
  completionTokens: 5,
};
const toolReply: ChatReply = {
  choices: [
    {
      index: 0,
      content: null,
      toolCalls: [
        { id: 'call_a', name: 'a', arguments: '{"city":"Oslo"}' },
        { id: 'call_b', name: 'b', arguments: '{}' },
      ],
      finishReason: 'tool_calls',
      completionTokens: 7,
    },
  ],
  promptTokens: 9,
  completionTokens: 7,
};

const types = (events: ResponseStreamEvent[]) => events.map((event) => event.type);

describe('buildOpenAIResponse', () => {
  test('a text answer: one completed message, usage, settings echoed', () => {
    const response = buildOpenAIResponse(textReply, meta({ instructions: 'Be brief.', store: false, temperature: 0.5 }));
    assert.equal(response.status, 'completed');
    assert.deepEqual(response.output, [
      {
        type: 'message',
        id: 'msg_1',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'One two three four five', annotations: [], logprobs: [] }],
      },
    ]);
    assert.deepEqual(response.usage, {
      input_tokens: 9,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 14,
    });
    assert.deepEqual([response.instructions, response.store, response.temperature, response.tool_choice], ['Be brief.', false, 0.5, 'auto']);
  });

  test('an answer cut by the token limit is incomplete, and so is its message', () => {
    const cut: ChatReply = { ...textReply, choices: [{ ...textReply.choices[0]!, finishReason: 'length' }] };
    const response = buildOpenAIResponse(cut, meta({ max_output_tokens: 16 }));
    assert.deepEqual([response.status, response.incomplete_details, response.completed_at], ['incomplete', { reason: 'max_output_tokens' }, null]);
    assert.equal(response.output[0]?.status, 'incomplete');
    assert.equal(buildOpenAIResponseEvents(response, meta()).at(-1)?.type, 'response.incomplete');
  });
});

describe('buildOpenAIResponseEvents', () => {
  test('text: lifecycle, item, part, deltas, done events, numbered from 0', () => {
    const m = meta();
    const response = buildOpenAIResponse(textReply, m);
    const events = buildOpenAIResponseEvents(response, m);
    assert.deepEqual(types(events), [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    assert.deepEqual(
      events.map((event) => event.sequence_number),
      events.map((_, index) => index),
    );
    const deltas = events.flatMap((event) => (event.type === 'response.output_text.delta' ? [event.delta] : []));
    assert.equal(deltas.join(''), 'One two three four five');
    assert.deepEqual(events.at(-1), { type: 'response.completed', response, sequence_number: 10 });
  });

  test('tool calls: one output item each, arguments in deltas that add up', () => {
    const m = meta();
    const response = buildOpenAIResponse(toolReply, m);
    const events = buildOpenAIResponseEvents(response, m);
    const added = events.flatMap((event) => (event.type === 'response.output_item.added' ? [[event.output_index, event.item.type, event.item.status]] : []));
    assert.deepEqual(added, [
      [0, 'function_call', 'in_progress'],
      [1, 'function_call', 'in_progress'],
    ]);
    const argumentsOf = (index: number) =>
      events.flatMap((event) => (event.type === 'response.function_call_arguments.delta' && event.output_index === index ? [event.delta] : [])).join('');
    assert.equal(argumentsOf(0), '{"city":"Oslo"}');
    assert.equal(argumentsOf(1), '{}');
    assert.equal(events.filter((event) => event.type === 'response.function_call_arguments.done').length, 2);
  });

  test('each event is framed with its type as the SSE event name', () => {
    const event = buildOpenAIResponseEvents(buildOpenAIResponse(textReply, meta()), meta())[0]!;
    assert.equal(formatResponseSseEvent(event), `event: response.created\ndata: ${JSON.stringify(event)}\n\n`);
  });
});
