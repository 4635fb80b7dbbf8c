import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatCompletion, ChatCompletionChoice, Usage } from '../wire/index.ts';
import { convertChatCompletionToMessage, parseToolInput } from './convert-chat-completion-to-message.ts';
import { convertChatUsageToMessagesUsage } from './convert-chat-usage-to-messages-usage.ts';
import { mapFinishReasonToStopReason } from './map-finish-reason-to-stop-reason.ts';

const usage: Usage = { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120, prompt_tokens_details: { cached_tokens: 60 } };

function completion(message: ChatCompletionChoice['message'], finish: ChatCompletionChoice['finish_reason']): ChatCompletion {
  return { id: 'chatcmpl-abc', object: 'chat.completion', created: 1, model: 'gpt-5.5-2026', choices: [{ index: 0, message, finish_reason: finish }], usage };
}

describe('convertChatCompletionToMessage', () => {
  it('text: a text block, end_turn, the client model name, usage without the cached tokens in input_tokens', () => {
    const message = convertChatCompletionToMessage(completion({ role: 'assistant', content: 'Hello' }, 'stop'), 'gpt-5.5');
    assert.deepEqual(message, {
      id: 'msg_abc',
      type: 'message',
      role: 'assistant',
      model: 'gpt-5.5',
      content: [{ type: 'text', text: 'Hello' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 40, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 60 },
    });
  });

  it('reasoning first as a signed thinking block, then text and tool_use blocks with their ids', () => {
    const message = convertChatCompletionToMessage(
      completion(
        {
          role: 'assistant',
          content: 'Let me check.',
          reasoning_content: 'The user wants weather.',
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
        },
        'tool_calls',
      ),
      'gpt-oss-120b',
    );
    assert.equal(message.stop_reason, 'tool_use');
    assert.equal(message.content.length, 3);
    const [thinking, text, tool] = message.content;
    assert.equal(thinking?.type, 'thinking');
    assert.equal(thinking?.type === 'thinking' && thinking.thinking, 'The user wants weather.');
    assert.match(thinking?.type === 'thinking' ? thinking.signature : '', /^crossway:/);
    assert.deepEqual(text, { type: 'text', text: 'Let me check.' });
    assert.deepEqual(tool, { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } });
  });

  it('a refusal as text with the refusal stop reason', () => {
    const message = convertChatCompletionToMessage(completion({ role: 'assistant', content: null, refusal: 'I cannot help.' }, 'stop'), 'gpt-5.5');
    assert.deepEqual(message.content, [{ type: 'text', text: 'I cannot help.' }]);
    assert.equal(message.stop_reason, 'refusal');
  });
});

describe('mapFinishReasonToStopReason', () => {
  const cases = [
    ['stop', 'end_turn'],
    ['length', 'max_tokens'],
    ['tool_calls', 'tool_use'],
    ['function_call', 'tool_use'],
    ['content_filter', 'refusal'],
    [null, 'end_turn'],
  ] as const;
  for (const [reason, want] of cases) it(`${String(reason)} -> ${want}`, () => assert.equal(mapFinishReasonToStopReason(reason), want));
});

describe('convertChatUsageToMessagesUsage', () => {
  const cases: { name: string; usage: Usage | null; want: ReturnType<typeof convertChatUsageToMessagesUsage> }[] = [
    { name: 'none reported', usage: null, want: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } },
    {
      name: 'no cache',
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      want: { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    },
    {
      name: 'cache reads and writes (Bedrock-style) apart from the input',
      usage: { prompt_tokens: 100, completion_tokens: 5, total_tokens: 105, prompt_tokens_details: { cached_tokens: 30, cache_write_tokens: 50 } },
      want: { input_tokens: 20, output_tokens: 5, cache_creation_input_tokens: 50, cache_read_input_tokens: 30 },
    },
    {
      name: 'more cached than input is clamped',
      usage: { prompt_tokens: 10, completion_tokens: 1, total_tokens: 11, prompt_tokens_details: { cached_tokens: 99 } },
      want: { input_tokens: 0, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 10 },
    },
  ];
  for (const { name, usage: given, want } of cases) it(name, () => assert.deepEqual(convertChatUsageToMessagesUsage(given), want));
});

describe('parseToolInput', () => {
  const cases: { name: string; text: string; want: unknown }[] = [
    { name: 'a JSON object', text: '{"a":1}', want: { a: 1 } },
    { name: 'empty arguments', text: '', want: {} },
    { name: 'not JSON: kept whole', text: 'ls -la', want: { arguments: 'ls -la' } },
    { name: 'JSON but not an object: kept whole', text: '[1]', want: { arguments: '[1]' } },
  ];
  for (const { name, text, want } of cases) it(name, () => assert.deepEqual(parseToolInput(text), want));
});
