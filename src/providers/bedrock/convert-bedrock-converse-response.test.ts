// Tests of reading Converse replies: recorded replies and a table of stop reasons and usage shapes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UpstreamError, type ChatCompletion, type FinishReason } from '../../wire/index.ts';
import { readFixture } from '../replay-fixture.ts';
import { makeTestRoute } from '../test-route.ts';
import { convertBedrockConverseResponse, convertBedrockUsage } from './convert-bedrock-converse-response.ts';

const route = makeTestRoute({ id: 'bedrock-test', provider: 'bedrock', endpoint: 'https://bedrock-runtime.us-west-2.amazonaws.com' });
const stamp = { id: 'chatcmpl-fixed', created: 1_754_577_600, model: 'openai.gpt-oss-120b-1:0' };
const fixture = (name: string) => readFixture(new URL(`./__fixtures__/${name}`, import.meta.url));
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const BEDROCK_STOP_REASONS = JSON.parse(new TextDecoder().decode(fixture('bedrock-stop-reasons.json'))) as [string, FinishReason][];
const read = (body: Uint8Array): ChatCompletion => convertBedrockConverseResponse(body, route, stamp).completion;

describe('convertBedrockConverseResponse', () => {
  test('text reply', () => {
    assert.deepEqual(read(fixture('bedrock-converse.json')), {
      id: 'chatcmpl-fixed',
      object: 'chat.completion',
      created: 1_754_577_600,
      model: 'openai.gpt-oss-120b-1:0',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello! The capital of France is Paris.' }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21, prompt_tokens_details: { cached_tokens: 0 } },
    });
  });

  test('tool use: text kept, each toolUse a tool call, cache reads and writes counted in prompt_tokens', () => {
    const completion = read(fixture('bedrock-converse-tool-use.json'));
    assert.deepEqual(completion.choices[0], {
      index: 0,
      message: {
        role: 'assistant',
        content: "I'll look up the weather in both cities.",
        tool_calls: [
          { id: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' } },
          { id: 'tooluse_9bYx2QGkTj2xv3K1mXk0wA', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo","unit":"celsius"}' } },
        ],
      },
      finish_reason: 'tool_calls',
      logprobs: null,
    });
    assert.deepEqual(completion.usage, {
      prompt_tokens: 2211,
      completion_tokens: 96,
      total_tokens: 2307,
      prompt_tokens_details: { cached_tokens: 1600, cache_write_tokens: 200 },
    });
  });

  test('tool use without text: content is null', () => {
    const completion = read(
      encode({
        output: { message: { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'f', input: {} } }] } },
        stopReason: 'tool_use',
        usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
      }),
    );
    assert.equal(completion.choices[0]?.message.content, null);
    assert.equal(completion.choices[0]?.message.tool_calls?.[0]?.function.arguments, '{}');
  });

  test('reasoning text is exposed as reasoning_content', () => {
    const message = read(fixture('bedrock-converse-reasoning.json')).choices[0]?.message;
    assert.equal(message?.content, '4');
    assert.equal(message?.reasoning_content, 'The user wants 2+2. That is 4.');
  });

  test('the forced JSON answer tool becomes the content, finish_reason stop, no tool_calls', () => {
    const choice = read(fixture('bedrock-converse-json-answer.json')).choices[0];
    assert.equal(choice?.finish_reason, 'stop');
    assert.equal(choice?.message.tool_calls, undefined);
    assert.deepEqual(JSON.parse(choice?.message.content ?? ''), { name: 'Ada Lovelace', age: 36, tags: ['mathematician'] });
  });

  test('the JSON answer beside a client tool call: the tool call wins the finish reason', () => {
    const choice = read(
      encode({
        output: {
          message: {
            role: 'assistant',
            content: [
              { toolUse: { toolUseId: 't1', name: 'get_weather', input: { city: 'Rome' } } },
              { toolUse: { toolUseId: 't2', name: 'crossway_json_response', input: { a: 1 } } },
            ],
          },
        },
        stopReason: 'tool_use',
        usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
      }),
    ).choices[0];
    assert.equal(choice?.finish_reason, 'tool_calls');
    assert.equal(choice?.message.tool_calls?.length, 1);
  });

  for (const [stopReason, finishReason] of BEDROCK_STOP_REASONS) {
    test(`stopReason ${stopReason} -> finish_reason ${finishReason}`, () => {
      const body = encode({
        output: { message: { role: 'assistant', content: [{ text: 'x' }] } },
        stopReason,
        usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
        metrics: { latencyMs: 1 },
      });
      assert.equal(read(body).choices[0]?.finish_reason, finishReason);
    });
  }

  const unreadable: { name: string; body: Uint8Array }[] = [
    { name: 'not JSON', body: new TextEncoder().encode('<html>oops</html>') },
    { name: 'no usage', body: encode({ output: { message: { role: 'assistant', content: [] } }, stopReason: 'end_turn' }) },
    { name: 'an OpenAI reply', body: fixture('bedrock-openai-chat.json') },
  ];
  for (const item of unreadable) {
    test(`an unreadable reply (${item.name}) is a retryable 502 naming the route`, () => {
      assert.throws(
        () => read(item.body),
        (error: unknown) => error instanceof UpstreamError && error.status === 502 && error.retryable && error.route === 'bedrock-test',
      );
    });
  }
});

describe('convertBedrockUsage', () => {
  const cases: { name: string; usage: Parameters<typeof convertBedrockUsage>[0]; expected: ReturnType<typeof convertBedrockUsage> }[] = [
    {
      name: 'no cache',
      usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
      expected: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 0 } },
    },
    {
      name: 'cache read only',
      usage: { inputTokens: 10, outputTokens: 5, totalTokens: 115, cacheReadInputTokens: 100 },
      expected: { prompt_tokens: 110, completion_tokens: 5, total_tokens: 115, prompt_tokens_details: { cached_tokens: 100 } },
    },
    {
      name: 'cache write only: counted as prompt, kept apart',
      usage: { inputTokens: 10, outputTokens: 5, totalTokens: 65, cacheReadInputTokens: 0, cacheWriteInputTokens: 50 },
      expected: { prompt_tokens: 60, completion_tokens: 5, total_tokens: 65, prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 50 } },
    },
  ];
  for (const item of cases) {
    test(item.name, () => assert.deepEqual(convertBedrockUsage(item.usage), item.expected));
  }
});
