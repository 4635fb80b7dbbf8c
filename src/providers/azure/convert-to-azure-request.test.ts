// Tests of Azure OpenAI request building for both API forms: URL, headers and body for named cases.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UpstreamError, type ChatCompletionRequest } from '../../wire/index.ts';
import { makeTestRoute } from '../test-route.ts';
import { azureAdapter } from './azure-adapter.ts';

const messages: ChatCompletionRequest['messages'] = [{ role: 'user', content: 'Hello!' }];

function azureRoute(input: Record<string, unknown>) {
  return makeTestRoute({
    id: 'azure-swedencentral-gpt-4o',
    provider: 'azure',
    endpoint: 'https://myres.openai.azure.com',
    deployment: 'gpt-4o-prod',
    auth: { type: 'api-key', key: 'azure-secret' },
    ...input,
  });
}

interface Case {
  name: string;
  route: Record<string, unknown>;
  request?: ChatCompletionRequest;
  chatUrl: string;
  embeddingsUrl: string;
  body: Record<string, unknown>;
}

const cases: Case[] = [
  {
    name: 'v1 by default: deployment name as model, no api-version',
    route: {},
    chatUrl: 'https://myres.openai.azure.com/openai/v1/chat/completions',
    embeddingsUrl: 'https://myres.openai.azure.com/openai/v1/embeddings',
    body: { model: 'gpt-4o-prod', messages },
  },
  {
    name: 'v1 with an endpoint already ending in /openai/v1/',
    route: { api: 'v1', endpoint: 'https://myres.openai.azure.com/openai/v1/' },
    chatUrl: 'https://myres.openai.azure.com/openai/v1/chat/completions',
    embeddingsUrl: 'https://myres.openai.azure.com/openai/v1/embeddings',
    body: { model: 'gpt-4o-prod', messages },
  },
  {
    name: 'v1 with an endpoint ending in /openai (Foundry resource)',
    route: { endpoint: 'https://myres.services.ai.azure.com/openai' },
    chatUrl: 'https://myres.services.ai.azure.com/openai/v1/chat/completions',
    embeddingsUrl: 'https://myres.services.ai.azure.com/openai/v1/embeddings',
    body: { model: 'gpt-4o-prod', messages },
  },
  {
    name: 'v1 with api_version set: sent as api-version',
    route: { api_version: 'preview' },
    chatUrl: 'https://myres.openai.azure.com/openai/v1/chat/completions?api-version=preview',
    embeddingsUrl: 'https://myres.openai.azure.com/openai/v1/embeddings?api-version=preview',
    body: { model: 'gpt-4o-prod', messages },
  },
  {
    name: 'v1 without deployment: the Crossway model id is the deployment name',
    route: { deployment: undefined },
    chatUrl: 'https://myres.openai.azure.com/openai/v1/chat/completions',
    embeddingsUrl: 'https://myres.openai.azure.com/openai/v1/embeddings',
    body: { model: 'crossway-model', messages },
  },
  {
    name: 'deployments form: deployment in the path, default api-version, no model in the body',
    route: { api: 'deployments' },
    chatUrl: 'https://myres.openai.azure.com/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21',
    embeddingsUrl: 'https://myres.openai.azure.com/openai/deployments/gpt-4o-prod/embeddings?api-version=2024-10-21',
    body: { messages },
  },
  {
    name: 'deployments form with api_version and an endpoint ending in /openai/',
    route: { api: 'deployments', api_version: '2025-04-01-preview', endpoint: 'https://myres.openai.azure.com/openai/' },
    chatUrl: 'https://myres.openai.azure.com/openai/deployments/gpt-4o-prod/chat/completions?api-version=2025-04-01-preview',
    embeddingsUrl: 'https://myres.openai.azure.com/openai/deployments/gpt-4o-prod/embeddings?api-version=2025-04-01-preview',
    body: { messages },
  },
  {
    name: 'deployments form encodes the deployment name as one path segment',
    route: { api: 'deployments', deployment: 'my deploy/v2?x' },
    chatUrl: 'https://myres.openai.azure.com/openai/deployments/my%20deploy%2Fv2%3Fx/chat/completions?api-version=2024-10-21',
    embeddingsUrl: 'https://myres.openai.azure.com/openai/deployments/my%20deploy%2Fv2%3Fx/embeddings?api-version=2024-10-21',
    body: { messages },
  },
  {
    name: 'unknown fields pass through; model from the client is replaced',
    route: {},
    request: { model: 'client-alias', messages, data_sources: [{ type: 'azure_search' }], user_security_context: { application_name: 'x' } },
    chatUrl: 'https://myres.openai.azure.com/openai/v1/chat/completions',
    embeddingsUrl: 'https://myres.openai.azure.com/openai/v1/embeddings',
    body: { model: 'gpt-4o-prod', messages, data_sources: [{ type: 'azure_search' }], user_security_context: { application_name: 'x' } },
  },
];

describe('azureAdapter.prepareChat and prepareEmbeddings', () => {
  for (const item of cases) {
    test(item.name, () => {
      const route = azureRoute(item.route);
      const chat = azureAdapter.prepareChat(item.request ?? { model: 'crossway-model', messages }, route);
      assert.equal(chat.url, item.chatUrl);
      assert.deepEqual(chat.headers, { 'content-type': 'application/json', accept: 'application/json' });
      assert.deepEqual(JSON.parse(chat.body ?? ''), item.body);
      const embeddings = azureAdapter.prepareEmbeddings({ model: 'crossway-model', input: 'x' }, route);
      assert.equal(embeddings.url, item.embeddingsUrl);
      const model = item.body.model;
      assert.deepEqual(JSON.parse(embeddings.body ?? ''), model === undefined ? { input: 'x' } : { model, input: 'x' });
    });
  }

  test('streaming forces include_usage in both forms', () => {
    for (const api of ['v1', 'deployments']) {
      const prepared = azureAdapter.prepareChat({ model: 'm', messages, stream: true }, azureRoute({ api }));
      assert.deepEqual(JSON.parse(prepared.body ?? '').stream_options, { include_usage: true }, api);
      assert.equal(prepared.headers.accept, 'text/event-stream');
    }
  });

  const misconfigured: { name: string; route: Record<string, unknown> }[] = [
    { name: 'unknown api', route: { api: 'v2' } },
    { name: 'deployment name that is a dot segment', route: { api: 'deployments', deployment: '..' } },
    { name: 'deployment name that is an encoded dot segment', route: { api: 'deployments', deployment: '%2e%2E' } },
  ];
  for (const item of misconfigured) {
    test(`misconfigured route (${item.name}) is a retryable route_misconfigured error`, () => {
      assert.throws(
        () => azureAdapter.prepareChat({ model: 'm', messages }, azureRoute(item.route)),
        (error: unknown) =>
          error instanceof UpstreamError && error.code === 'route_misconfigured' && error.retryable && error.route === 'azure-swedencentral-gpt-4o',
      );
    });
  }
});
