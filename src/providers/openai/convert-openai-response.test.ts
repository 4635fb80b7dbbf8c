// Tests of reading OpenAI-wire replies: recorded replies pass through byte for byte with their usage read.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UpstreamError } from '../../wire/index.ts';
import { readFixture } from '../replay-fixture.ts';
import { makeTestRoute } from '../test-route.ts';
import { convertOpenAIChatResponse, convertOpenAIEmbeddingResponse } from './convert-openai-response.ts';

const route = makeTestRoute();
const encoder = new TextEncoder();

describe('convertOpenAIChatResponse', () => {
  test('recorded reply: bytes passed through, usage read, every field kept', () => {
    const body = readFixture(new URL('./__fixtures__/openai-chat.json', import.meta.url));
    const result = convertOpenAIChatResponse(body, route);
    assert.equal(result.passthroughBody, body);
    assert.equal(result.completion.id, 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT');
    assert.equal(result.completion.service_tier, 'default');
    assert.deepEqual(result.completion.usage, {
      prompt_tokens: 19,
      completion_tokens: 10,
      total_tokens: 29,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    });
  });

  const cases: { name: string; body: string; usage: unknown }[] = [
    {
      name: 'usage without total_tokens (a compatible server) is completed',
      body: '{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}',
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
    },
    {
      name: 'no usage at all is allowed',
      body: '{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[]}',
      usage: undefined,
    },
  ];
  for (const item of cases) {
    test(item.name, () => {
      assert.deepEqual(convertOpenAIChatResponse(encoder.encode(item.body), route).completion.usage, item.usage);
    });
  }

  const broken: { name: string; body: string }[] = [
    { name: 'HTML', body: '<html>oops</html>' },
    { name: 'JSON without choices', body: '{"object":"chat.completion"}' },
    { name: 'usage with a negative count', body: '{"choices":[],"usage":{"prompt_tokens":-1,"completion_tokens":1}}' },
  ];
  for (const item of broken) {
    test(`unreadable 2xx reply (${item.name}) is a retryable 502 naming the route`, () => {
      assert.throws(
        () => convertOpenAIChatResponse(encoder.encode(item.body), route),
        (error: unknown) =>
          error instanceof UpstreamError &&
          error.status === 502 &&
          error.retryable &&
          error.code === 'invalid_upstream_response' &&
          error.message.includes('test-route'),
      );
    });
  }
});

describe('convertOpenAIEmbeddingResponse', () => {
  test('recorded reply: bytes passed through, usage read', () => {
    const body = readFixture(new URL('./__fixtures__/openai-embeddings.json', import.meta.url));
    const result = convertOpenAIEmbeddingResponse(body, route);
    assert.equal(result.passthroughBody, body);
    assert.deepEqual(result.response.usage, { prompt_tokens: 8, total_tokens: 8 });
    assert.equal(result.response.data.length, 1);
  });

  test('not an embeddings list is a retryable 502', () => {
    assert.throws(
      () => convertOpenAIEmbeddingResponse(encoder.encode('{"object":"list"}'), route),
      (error: unknown) => error instanceof UpstreamError && error.status === 502 && error.retryable,
    );
  });
});
