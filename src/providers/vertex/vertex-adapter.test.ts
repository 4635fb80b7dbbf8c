// Runs the shared adapter contract against the Vertex AI adapter, plus Vertex's own replies: embeddings, a Google
// error event inside a stream, and the array-wrapped error body.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UpstreamError } from '../../wire/index.ts';
import { runProviderAdapterCases } from '../provider-adapter.case.test.ts';
import { collectChatStream, readFixture, readSseFixture, replay } from '../replay-fixture.ts';
import { makeTestRoute } from '../test-route.ts';
import { vertexAdapter } from './vertex-adapter.ts';

const fixture = (name: string) => new URL(`./__fixtures__/${name}`, import.meta.url);
const encoder = new TextEncoder();

const route = makeTestRoute({
  id: 'vertex-global-gpt-oss',
  provider: 'vertex',
  endpoint: 'https://aiplatform.googleapis.com',
  region: 'global',
  project: 'crossway-demo',
  deployment: 'openai/gpt-oss-120b-maas',
  auth: { type: 'google' },
});

for (const api_version of ['v1', 'v1beta1']) {
  runProviderAdapterCases({
    adapter: vertexAdapter,
    label: api_version,
    route: { ...route, api_version },
    chat: {
      body: readFixture(fixture('vertex-chat.json')),
      usage: { prompt_tokens: 14, completion_tokens: 27, total_tokens: 41 },
    },
    stream: {
      bytes: readSseFixture(fixture('vertex-chat-stream.chunks.txt')),
      usage: { prompt_tokens: 14, completion_tokens: 4, total_tokens: 18 },
    },
    error: {
      status: 429,
      headers: {},
      body: readFixture(fixture('vertex-error-429-array.json')),
      message: 'Resource exhausted. Please try again later.',
    },
  });
}

describe('vertexAdapter replies', () => {
  test('chat reply: bytes passed through', () => {
    const body = readFixture(fixture('vertex-chat.json'));
    const result = vertexAdapter.readChat(body, route);
    assert.equal(result.passthroughBody, body);
    assert.equal(result.completion.model, 'openai/gpt-oss-120b-maas');
  });

  test('embeddings reply: usage read, bytes passed through', () => {
    const body = readFixture(fixture('vertex-embeddings.json'));
    const result = vertexAdapter.readEmbeddings(body, route);
    assert.equal(result.passthroughBody, body);
    assert.deepEqual(result.response.usage, { prompt_tokens: 5, total_tokens: 5 });
  });

  test('the usage-only chunk is withheld when the client did not ask for usage, and still reported', async () => {
    const { text: output, usages } = await collectChatStream(
      vertexAdapter.streamChat(replay([readSseFixture(fixture('vertex-chat-stream.chunks.txt'))]), route, { includeUsage: false }),
    );
    assert.ok(!output.includes('"usage":{'));
    assert.match(output, /data: \[DONE\]\n\n$/);
    assert.deepEqual(usages, [{ prompt_tokens: 14, completion_tokens: 4, total_tokens: 18 }]);
  });

  test('a Google error event mid-stream ends the stream with its status and Google message', async () => {
    const first = '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"}}]}';
    const error = '{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}';
    const bytes = encoder.encode(`data: ${first}\n\ndata: ${error}\n\n`);
    const stream = vertexAdapter.streamChat(replay([bytes]), route, { includeUsage: false });
    await assert.rejects(collectChatStream(stream), (thrown: unknown) => {
      assert.ok(thrown instanceof UpstreamError);
      assert.equal(thrown.status, 503);
      assert.equal(thrown.code, 'UNAVAILABLE');
      assert.equal(thrown.retryable, true);
      assert.match(thrown.message, /^The model is overloaded\. Please try again later\. \(route vertex-global-gpt-oss\)$/);
      return true;
    });
  });

  test('readError unwraps the array form', () => {
    const error = vertexAdapter.readError(429, { 'retry-after': '1' }, readFixture(fixture('vertex-error-429-array.json')), route);
    assert.equal(error.code, 'RESOURCE_EXHAUSTED');
    assert.equal(error.retryable, true);
    assert.equal(error.retryAfterMs, 1000);
  });
});

describe('vertexAdapter and the Responses API', () => {
  test('has no native Responses wire: Vertex serves chat completions only', () => {
    assert.equal(vertexAdapter.responses, undefined);
  });
});
