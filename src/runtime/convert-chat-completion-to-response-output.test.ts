// Tests of turning a chat completion into a Response's output items, usage and status.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { ResponseFunctionToolCall, ResponseReasoningItem } from 'openai/resources/responses/responses';
import type { ChatCompletion, ChatCompletionChoice } from '../wire/index.ts';
import { convertChatCompletionToResponseOutput, type ResponseOutputTranslation } from './convert-chat-completion-to-response-output.ts';

function counterIds(): (prefix: string) => string {
  let count = 0;
  return (prefix) => `${prefix}_${++count}`;
}

function completion(message: Partial<ChatCompletionChoice['message']>, finishReason: ChatCompletionChoice['finish_reason'] = 'stop'): ChatCompletion {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', content: null, ...message }, finish_reason: finishReason }],
    usage: { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 },
  };
}

const USAGE = {
  input_tokens: 10,
  input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
  output_tokens: 4,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 14,
};
const CALL = { id: 'call_1', type: 'function' as const, function: { name: 'weather', arguments: '{"city":"Paris"}' } };

describe('convertChatCompletionToResponseOutput', () => {
  const REASONING = { type: 'reasoning_text' as const, text: 'The user greets; greet back.' };
  const cases: Array<[string, ChatCompletion, ResponseOutputTranslation]> = [
    [
      'reasoning_content (a Converse route) comes first as a reasoning item with the text as reasoning_text content',
      completion({ reasoning_content: REASONING.text, content: 'Hello!' }),
      {
        output: [
          { type: 'reasoning', id: 'rs_1', summary: [], content: [REASONING], status: 'completed' },
          {
            type: 'message',
            id: 'msg_2',
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text: 'Hello!', annotations: [], logprobs: [] }],
          },
        ],
        usage: USAGE,
        status: 'completed',
        incomplete_details: null,
      },
    ],
    [
      '`reasoning` (an OpenAI-compatible route) before a tool call, its reasoning tokens in the usage; incomplete with the answer',
      {
        ...completion({ reasoning: REASONING.text, tool_calls: [CALL] }, 'length'),
        usage: { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14, completion_tokens_details: { reasoning_tokens: 3 } },
      },
      {
        output: [
          { type: 'reasoning', id: 'rs_1', summary: [], content: [REASONING], status: 'incomplete' },
          { type: 'function_call', id: 'fc_2', status: 'incomplete', call_id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' },
        ],
        usage: { ...USAGE, output_tokens_details: { reasoning_tokens: 3 } },
        status: 'incomplete',
        incomplete_details: { reason: 'max_output_tokens' },
      },
    ],
    [
      'empty or non-string reasoning is no item',
      completion({ reasoning_content: '', reasoning: 7, content: 'Hi' }),
      {
        output: [
          {
            type: 'message',
            id: 'msg_1',
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text: 'Hi', annotations: [], logprobs: [] }],
          },
        ],
        usage: USAGE,
        status: 'completed',
        incomplete_details: null,
      },
    ],
    [
      'a text answer is one message with one output_text part',
      completion({ content: 'Hello!' }),
      {
        output: [
          {
            type: 'message',
            id: 'msg_1',
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text: 'Hello!', annotations: [], logprobs: [] }],
          },
        ],
        usage: USAGE,
        status: 'completed',
        incomplete_details: null,
      },
    ],
    [
      'tool calls become function_call items with the call id as call_id; empty content is no message',
      completion({ content: '', tool_calls: [CALL, { ...CALL, id: 'call_2', function: { name: 'time', arguments: '{}' } }] }, 'tool_calls'),
      {
        output: [
          { type: 'function_call', id: 'fc_1', status: 'completed', call_id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' },
          { type: 'function_call', id: 'fc_2', status: 'completed', call_id: 'call_2', name: 'time', arguments: '{}' },
        ],
        usage: USAGE,
        status: 'completed',
        incomplete_details: null,
      },
    ],
    [
      'text and a call: the message comes first',
      completion({ content: 'Checking.', tool_calls: [CALL] }, 'tool_calls'),
      {
        output: [
          {
            type: 'message',
            id: 'msg_1',
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text: 'Checking.', annotations: [], logprobs: [] }],
          },
          { type: 'function_call', id: 'fc_2', status: 'completed', call_id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' },
        ],
        usage: USAGE,
        status: 'completed',
        incomplete_details: null,
      },
    ],
    [
      'a refusal is a refusal part',
      completion({ content: null, refusal: 'I cannot help with that.' }),
      {
        output: [{ type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'refusal', refusal: 'I cannot help with that.' }] }],
        usage: USAGE,
        status: 'completed',
        incomplete_details: null,
      },
    ],
    [
      'length: incomplete with max_output_tokens, the item incomplete too',
      completion({ content: 'Once upon' }, 'length'),
      {
        output: [
          {
            type: 'message',
            id: 'msg_1',
            status: 'incomplete',
            role: 'assistant',
            content: [{ type: 'output_text', text: 'Once upon', annotations: [], logprobs: [] }],
          },
        ],
        usage: USAGE,
        status: 'incomplete',
        incomplete_details: { reason: 'max_output_tokens' },
      },
    ],
    [
      'content_filter: incomplete with content_filter',
      completion({ content: '' }, 'content_filter'),
      {
        output: [
          {
            type: 'message',
            id: 'msg_1',
            status: 'incomplete',
            role: 'assistant',
            content: [{ type: 'output_text', text: '', annotations: [], logprobs: [] }],
          },
        ],
        usage: USAGE,
        status: 'incomplete',
        incomplete_details: { reason: 'content_filter' },
      },
    ],
    [
      'no usage reported: usage null',
      { ...completion({ content: 'x' }), usage: undefined },
      {
        output: [
          {
            type: 'message',
            id: 'msg_1',
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text: 'x', annotations: [], logprobs: [] }],
          },
        ],
        usage: null,
        status: 'completed',
        incomplete_details: null,
      },
    ],
  ];
  for (const [name, chat, expected] of cases) {
    test(name, () => assert.deepEqual(convertChatCompletionToResponseOutput(chat, counterIds()), expected));
  }

  test("a recorded chat answer (the OpenAI adapter's fixture) translates, with default random ids", () => {
    const chat = JSON.parse(readFileSync(new URL('../providers/openai/__fixtures__/openai-chat.json', import.meta.url), 'utf8')) as ChatCompletion;
    const translated = convertChatCompletionToResponseOutput(chat);
    const message = translated.output[0];
    assert.ok(message?.type === 'message');
    assert.match(message.id, /^msg_[0-9a-f]{48}$/);
    assert.equal(message.content[0]?.type === 'output_text' ? message.content[0].text : null, chat.choices[0]?.message.content);
    assert.equal(translated.usage?.total_tokens, chat.usage?.total_tokens);
  });

  test("reasoning items have the official client's shape", () => {
    const [item] = convertChatCompletionToResponseOutput(completion({ reasoning_content: 'why', content: 'Hi' })).output;
    assert.ok(item?.type === 'reasoning');
    const shaped: ResponseReasoningItem = { ...item, summary: item.summary ?? [] };
    assert.deepEqual(shaped.content, [{ type: 'reasoning_text', text: 'why' }]);
    assert.match(shaped.id, /^rs_[0-9a-f]{48}$/);
  });

  test("function_call items have the official client's shape", () => {
    for (const item of convertChatCompletionToResponseOutput(completion({ tool_calls: [CALL] }, 'tool_calls')).output) {
      if (item.type !== 'function_call') continue;
      const shaped: ResponseFunctionToolCall = item;
      assert.equal(shaped.call_id, 'call_1');
    }
  });
});
