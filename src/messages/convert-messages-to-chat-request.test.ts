import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError, messagesRequestSchema, parseRequest } from '../wire/index.ts';
import { convertMessagesToChatRequest, readReasoningEffort } from './convert-messages-to-chat-request.ts';

const base = { model: 'gpt-5.5', max_tokens: 100 };
const weather = { name: 'get_weather', description: 'The weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } };

/** Validates a Messages body as the front door does, then translates it. */
function convert(body: Record<string, unknown>) {
  return convertMessagesToChatRequest(parseRequest(messagesRequestSchema, { ...base, ...body }));
}

describe('convertMessagesToChatRequest', () => {
  const cases: { name: string; body: Record<string, unknown>; want: Record<string, unknown> }[] = [
    {
      name: 'a plain turn: max_tokens as max_completion_tokens',
      body: { messages: [{ role: 'user', content: 'Hi' }] },
      want: { model: 'gpt-5.5', messages: [{ role: 'user', content: 'Hi' }], max_completion_tokens: 100 },
    },
    {
      name: 'system blocks joined into one leading system message; cache_control dropped',
      body: {
        system: [
          { type: 'text', text: 'You are terse.' },
          { type: 'text', text: 'Answer in English.', cache_control: { type: 'ephemeral' } },
        ],
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi', cache_control: { type: 'ephemeral' } }] }],
      },
      want: {
        messages: [
          { role: 'system', content: 'You are terse.\n\nAnswer in English.' },
          { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
        ],
      },
    },
    {
      name: 'a system turn inside the conversation stays in place',
      body: {
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'system', content: [{ type: 'text', text: 'Environment: linux' }] },
        ],
      },
      want: {
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'system', content: 'Environment: linux' },
        ],
      },
    },
    {
      name: 'images: base64 as a data URL, url as it is',
      body: {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0K' } },
              { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
              { type: 'text', text: 'What is this?' },
            ],
          },
        ],
      },
      want: {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0K' } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
              { type: 'text', text: 'What is this?' },
            ],
          },
        ],
      },
    },
    {
      name: 'tool round trip: tool_use as tool_calls, tool_result as tool messages before the user text, thinking dropped',
      body: {
        tools: [weather],
        tool_choice: { type: 'auto', disable_parallel_tool_use: true },
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'Use the tool.', signature: 'sig' },
              { type: 'text', text: 'Checking.' },
              { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'sunny' }] },
              { type: 'text', text: 'And tomorrow?' },
            ],
          },
        ],
      },
      want: {
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          {
            role: 'assistant',
            content: 'Checking.',
            tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
          },
          { role: 'tool', tool_call_id: 'toolu_1', content: 'sunny' },
          { role: 'user', content: [{ type: 'text', text: 'And tomorrow?' }] },
        ],
        tools: [{ type: 'function', function: { name: 'get_weather', description: 'The weather', parameters: weather.input_schema } }],
        tool_choice: 'auto',
        parallel_tool_calls: false,
      },
    },
    {
      name: 'an error result is marked; a tool call alone has null content',
      body: {
        tools: [weather],
        messages: [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2', content: 'no such city', is_error: true }] },
        ],
      },
      want: {
        messages: [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'toolu_2', content: 'Error: no such city' },
        ],
      },
    },
    {
      name: 'tool_choice any and tool',
      body: { tools: [weather], tool_choice: { type: 'tool', name: 'get_weather' }, messages: [{ role: 'user', content: 'x' }] },
      want: { tool_choice: { type: 'function', function: { name: 'get_weather' } } },
    },
    {
      name: 'tool_choice without tools is not sent (chat refuses it)',
      body: { tool_choice: { type: 'any' }, messages: [{ role: 'user', content: 'x' }] },
      want: { tool_choice: undefined, tools: undefined },
    },
    {
      name: 'sampling, stop sequences, metadata.user_id, streaming with usage',
      body: {
        temperature: 0.5,
        top_p: 0.9,
        top_k: 5,
        stop_sequences: ['END'],
        metadata: { user_id: 'user-42' },
        stream: true,
        messages: [{ role: 'user', content: 'x' }],
      },
      want: { temperature: 0.5, top_p: 0.9, stop: ['END'], user: 'user-42', stream: true, stream_options: { include_usage: true }, top_k: undefined },
    },
    {
      name: 'thinking and effort as reasoning_effort; context_management and unknown fields ignored',
      body: {
        thinking: { type: 'adaptive', display: 'omitted' },
        output_config: { effort: 'max' },
        context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
        messages: [{ role: 'user', content: 'x' }],
      },
      want: { reasoning_effort: 'high', context_management: undefined, output_config: undefined, thinking: undefined },
    },
    {
      name: 'output_config.format as a JSON schema response format',
      body: { output_config: { format: { type: 'json_schema', schema: { type: 'object' } } }, messages: [{ role: 'user', content: 'x' }] },
      want: { response_format: { type: 'json_schema', json_schema: { name: 'output', schema: { type: 'object' }, strict: true } } },
    },
  ];
  for (const { name, body, want } of cases) {
    it(name, () => {
      const chat = convert(body) as Record<string, unknown>;
      for (const [key, value] of Object.entries(want)) assert.deepEqual(chat[key], value, key);
    });
  }

  const refused: { name: string; body: Record<string, unknown>; param: string }[] = [
    {
      name: 'a typed (Anthropic-run) tool',
      body: { tools: [{ type: 'web_search_20250305', name: 'web_search' }], messages: [{ role: 'user', content: 'x' }] },
      param: 'tools[0].type',
    },
    {
      name: 'a PDF document',
      body: { messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBE' } }] }] },
      param: 'messages[0].content[0].source',
    },
    {
      name: 'an unknown block',
      body: { messages: [{ role: 'user', content: [{ type: 'container_upload', file_id: 'f' }] }] },
      param: 'messages[0].content[0].type',
    },
  ];
  for (const { name, body, param } of refused) {
    it(`refuses ${name}, naming the field`, () => {
      assert.throws(
        () => convert(body),
        (error: unknown) => error instanceof InvalidRequestError && error.param === param,
      );
    });
  }

  it('refuses what the schema bounds, naming the field', () => {
    const tooMany = { stop_sequences: ['a', 'b', 'c', 'd', 'e'], messages: [{ role: 'user', content: 'x' }] };
    assert.throws(
      () => convert(tooMany),
      (error: unknown) => error instanceof InvalidRequestError && error.param === 'stop_sequences',
    );
    assert.throws(
      () => convert({ messages: [{ role: 'user', content: [{ type: 'text' }] }] }),
      (error: unknown) => error instanceof InvalidRequestError && (error.param ?? '').startsWith('messages[0].content'),
    );
    assert.throws(
      () => convert({ temperature: 1.5, messages: [{ role: 'user', content: 'x' }] }),
      (error: unknown) => error instanceof InvalidRequestError && error.param === 'temperature',
    );
  });
});

describe('readReasoningEffort', () => {
  const cases: { name: string; request: Parameters<typeof readReasoningEffort>[0]; want: string | null }[] = [
    { name: 'no thinking', request: {}, want: null },
    { name: 'adaptive without effort: the route decides', request: { thinking: { type: 'adaptive' } }, want: null },
    { name: 'a small budget', request: { thinking: { type: 'enabled', budget_tokens: 1024 } }, want: 'low' },
    { name: 'a medium budget', request: { thinking: { type: 'enabled', budget_tokens: 8000 } }, want: 'medium' },
    { name: 'a large budget', request: { thinking: { type: 'enabled', budget_tokens: 32000 } }, want: 'high' },
    { name: 'effort wins over the budget', request: { thinking: { type: 'enabled', budget_tokens: 32000 }, output_config: { effort: 'low' } }, want: 'low' },
    { name: 'disabled thinking ignores effort', request: { thinking: { type: 'disabled' }, output_config: { effort: 'high' } }, want: null },
    { name: 'xhigh as high', request: { output_config: { effort: 'xhigh' } }, want: 'high' },
  ];
  for (const { name, request, want } of cases) {
    it(name, () => assert.equal(readReasoningEffort(request), want));
  }
});
