// Runs the shared adapter contract against the Azure adapter, plus Azure's own reply shapes (content filter fields).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UpstreamError, type Usage } from '../../wire/index.ts';
import { runProviderAdapterCases } from '../provider-adapter.case.test.ts';
import { runResponsesAdapterCases } from '../responses-adapter.case.test.ts';
import { collectChatStream, readFixture, readSseFixture, readSseFixtureLines, replay, splitAt } from '../replay-fixture.ts';
import { makeTestRoute } from '../test-route.ts';
import { azureAdapter } from './azure-adapter.ts';

const fixture = (name: string) => new URL(`./__fixtures__/${name}`, import.meta.url);
const decoder = new TextDecoder();
const route = makeTestRoute({
  id: 'azure-swedencentral-gpt-4o',
  provider: 'azure',
  endpoint: 'https://myres.openai.azure.com',
  deployment: 'gpt-4o-prod',
  auth: { type: 'api-key', key: 'azure-secret' },
});
const streamUsage: Usage = { completion_tokens: 3, prompt_tokens: 12, total_tokens: 15 };

for (const api of ['v1', 'deployments']) {
  runProviderAdapterCases({
    adapter: azureAdapter,
    label: `api ${api}`,
    route: { ...route, api },
    chat: {
      body: readFixture(fixture('azure-chat.json')),
      usage: { completion_tokens: 40, prompt_tokens: 11, total_tokens: 51 },
    },
    stream: { bytes: readSseFixture(fixture('azure-chat-stream.chunks.txt')), usage: streamUsage },
    error: {
      status: 404,
      headers: {},
      body: readFixture(fixture('azure-error-404-deployment-not-found.json')),
      message: 'The API deployment for this resource does not exist.',
    },
  });
}

runResponsesAdapterCases({
  adapter: azureAdapter,
  label: 'api v1',
  route: { ...route, api: 'v1' },
  url: 'https://myres.openai.azure.com/openai/v1/responses',
  model: 'gpt-4o-prod',
});

runResponsesAdapterCases({
  adapter: azureAdapter,
  label: 'api v1 with api-version preview, endpoint given with /openai/v1',
  route: { ...route, api: 'v1', api_version: 'preview', endpoint: 'https://myres.openai.azure.com/openai/v1/' },
  url: 'https://myres.openai.azure.com/openai/v1/responses?api-version=preview',
  model: 'gpt-4o-prod',
});

describe('azureAdapter native Responses on the deployments form', () => {
  const deployments = { ...route, api: 'deployments', api_version: '2024-10-21' };
  test('is not offered, and a call anyway is a route configuration error, not a request error', () => {
    assert.equal(azureAdapter.responses?.supports(deployments), false);
    assert.throws(
      () => azureAdapter.responses?.prepare({ model: 'x', input: 'Hi' }, deployments),
      (error: unknown) => {
        assert.ok(error instanceof UpstreamError);
        assert.equal(error.code, 'route_misconfigured');
        assert.equal(error.retryable, true);
        return true;
      },
    );
  });
});

describe('azureAdapter replies', () => {
  test('chat reply: bytes passed through with prompt_filter_results and content_filter_results', () => {
    const body = readFixture(fixture('azure-chat.json'));
    const result = azureAdapter.readChat(body, route);
    assert.equal(result.passthroughBody, body);
    assert.equal((result.completion.prompt_filter_results as unknown[]).length, 1);
    assert.deepEqual(result.completion.choices[0]?.content_filter_results, JSON.parse(decoder.decode(body)).choices[0].content_filter_results);
  });

  test("embeddings reply: Azure's field order, usage read", () => {
    const body = readFixture(fixture('azure-embeddings.json'));
    const result = azureAdapter.readEmbeddings(body, route);
    assert.equal(result.passthroughBody, body);
    assert.deepEqual(result.response.usage, { prompt_tokens: 4, total_tokens: 4 });
  });

  const streamBytes = readSseFixture(fixture('azure-chat-stream.chunks.txt'));
  const streamLines = readSseFixtureLines(fixture('azure-chat-stream.chunks.txt'));

  test("the first chunk (choices: [] with prompt_filter_results) is forwarded even when usage isn't asked", async () => {
    const { text: output, usages } = await collectChatStream(azureAdapter.streamChat(replay([streamBytes]), route, { includeUsage: false }));
    const kept = streamLines.filter((line) => !line.includes('"usage":{'));
    assert.equal(kept.length, streamLines.length - 1);
    assert.ok(kept[0]?.includes('prompt_filter_results'));
    // Without the `"usage": null` members Crossway's own request for usage put there.
    assert.equal(output, kept.map((line) => `data: ${line.replace(',"usage":null', '')}\n\n`).join(''));
    assert.deepEqual(usages, [streamUsage]);
  });

  test('annotation chunks with content_filter_results pass through, at any chunk boundary', async () => {
    const expected = decoder.decode(streamBytes);
    for (let cut = 0; cut <= streamBytes.length; cut += 3) {
      const { text } = await collectChatStream(azureAdapter.streamChat(replay(splitAt(streamBytes, cut)), route, { includeUsage: true }));
      assert.equal(text, expected, `cut at ${cut}`);
    }
  });

  test('a content filter error event mid-stream: 400 content_filter, not retryable, param kept', async () => {
    const bytes = readSseFixture(fixture('azure-chat-stream-content-filter-error.chunks.txt'));
    const stream = azureAdapter.streamChat(replay([bytes]), route, { includeUsage: false });
    await assert.rejects(collectChatStream(stream), (error: unknown) => {
      assert.ok(error instanceof UpstreamError);
      assert.equal(error.status, 400);
      assert.equal(error.code, 'content_filter');
      assert.equal(error.param, 'prompt');
      assert.equal(error.retryable, false);
      assert.match(error.message, /content management policy.*\(route azure-swedencentral-gpt-4o\)$/);
      return true;
    });
  });
});
