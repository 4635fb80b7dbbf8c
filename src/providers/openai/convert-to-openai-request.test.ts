// Tests of OpenAI-wire request building: URL, headers and body for named cases.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ChatCompletionRequest } from '../../wire/index.ts';
import { makeTestRoute } from '../test-route.ts';
import { openaiAdapter } from './openai-adapter.ts';

const messages: ChatCompletionRequest['messages'] = [{ role: 'user', content: 'Hello!' }];

interface Case {
  name: string;
  route: Record<string, unknown>;
  request: ChatCompletionRequest;
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

const json = { 'content-type': 'application/json', accept: 'application/json' };
const sse = { 'content-type': 'application/json', accept: 'text/event-stream' };

const cases: Case[] = [
  {
    name: 'api.openai.com, model replaced by the deployment',
    route: { endpoint: 'https://api.openai.com/v1', deployment: 'gpt-4o-mini-2024-07-18' },
    request: { model: 'crossway-model', messages },
    url: 'https://api.openai.com/v1/chat/completions',
    headers: json,
    body: { model: 'gpt-4o-mini-2024-07-18', messages },
  },
  {
    name: 'no deployment: the Crossway model id is sent',
    route: { endpoint: 'https://api.openai.com/v1' },
    request: { model: 'alias-the-client-used', messages },
    url: 'https://api.openai.com/v1/chat/completions',
    headers: json,
    body: { model: 'crossway-model', messages },
  },
  {
    name: 'trailing slashes of the endpoint are ignored (Ollama)',
    route: { endpoint: 'http://127.0.0.1:11434/v1//', deployment: 'llama3.2', auth: { type: 'none' } },
    request: { model: 'crossway-model', messages },
    url: 'http://127.0.0.1:11434/v1/chat/completions',
    headers: json,
    body: { model: 'llama3.2', messages },
  },
  {
    name: 'query parameters of the endpoint are kept',
    route: { endpoint: 'https://proxy.example/openai/v1?tenant=a' },
    request: { model: 'crossway-model', messages },
    url: 'https://proxy.example/openai/v1/chat/completions?tenant=a',
    headers: json,
    body: { model: 'crossway-model', messages },
  },
  {
    name: 'unknown and known fields pass through unchanged',
    route: { deployment: 'gpt-4o' },
    request: {
      model: 'crossway-model',
      messages,
      temperature: 0.2,
      seed: 7,
      logit_bias: { '50256': -100 },
      metadata: { team: 'search' },
      store: false,
      reasoning_effort: 'low',
      some_future_field: { nested: [1, 2, 3] },
    },
    url: 'https://api.openai.com/v1/chat/completions',
    headers: json,
    body: {
      model: 'gpt-4o',
      messages,
      temperature: 0.2,
      seed: 7,
      logit_bias: { '50256': -100 },
      metadata: { team: 'search' },
      store: false,
      reasoning_effort: 'low',
      some_future_field: { nested: [1, 2, 3] },
    },
  },
  {
    name: 'streaming forces include_usage',
    route: { deployment: 'gpt-4o' },
    request: { model: 'crossway-model', messages, stream: true },
    url: 'https://api.openai.com/v1/chat/completions',
    headers: sse,
    body: { model: 'gpt-4o', messages, stream: true, stream_options: { include_usage: true } },
  },
  {
    name: 'streaming keeps other stream_options and overrides include_usage: false',
    route: { deployment: 'gpt-4o' },
    request: { model: 'crossway-model', messages, stream: true, stream_options: { include_usage: false, include_obfuscation: false } },
    url: 'https://api.openai.com/v1/chat/completions',
    headers: sse,
    body: { model: 'gpt-4o', messages, stream: true, stream_options: { include_usage: true, include_obfuscation: false } },
  },
  {
    name: 'stream: false leaves stream_options as the client sent them',
    route: { deployment: 'gpt-4o' },
    request: { model: 'crossway-model', messages, stream: false, stream_options: null },
    url: 'https://api.openai.com/v1/chat/completions',
    headers: json,
    body: { model: 'gpt-4o', messages, stream: false, stream_options: null },
  },
  {
    name: 'route headers are sent with lower-case names; framing headers stay JSON',
    route: { headers: { 'OpenAI-Organization': 'org-123', 'Content-Type': 'text/plain' } },
    request: { model: 'crossway-model', messages },
    url: 'https://api.openai.com/v1/chat/completions',
    headers: { 'openai-organization': 'org-123', ...json },
    body: { model: 'crossway-model', messages },
  },
];

describe('openaiAdapter.prepareChat', () => {
  for (const item of cases) {
    test(item.name, () => {
      const prepared = openaiAdapter.prepareChat(item.request, makeTestRoute(item.route));
      assert.equal(prepared.method, 'POST');
      assert.equal(prepared.url, item.url);
      assert.deepEqual(prepared.headers, item.headers);
      assert.deepEqual(JSON.parse(prepared.body ?? ''), item.body);
    });
  }

  test('the client request object is not modified', () => {
    const request: ChatCompletionRequest = { model: 'crossway-model', messages, stream: true };
    openaiAdapter.prepareChat(request, makeTestRoute({ deployment: 'gpt-4o' }));
    assert.deepEqual(request, { model: 'crossway-model', messages, stream: true });
  });

  test('no credentials in the prepared request (the Authenticator adds them)', () => {
    const prepared = openaiAdapter.prepareChat({ model: 'crossway-model', messages }, makeTestRoute());
    assert.ok(!JSON.stringify(prepared).includes('sk-test-secret'));
  });
});

describe('openaiAdapter.prepareEmbeddings', () => {
  test('URL, model replaced, other fields kept', () => {
    const prepared = openaiAdapter.prepareEmbeddings(
      { model: 'crossway-model', input: ['a', 'b'], dimensions: 256, encoding_format: 'base64', extra: true },
      makeTestRoute({ endpoint: 'http://127.0.0.1:8000/v1/', deployment: 'BAAI/bge-m3' }),
    );
    assert.equal(prepared.url, 'http://127.0.0.1:8000/v1/embeddings');
    assert.deepEqual(prepared.headers, json);
    assert.deepEqual(JSON.parse(prepared.body ?? ''), {
      model: 'BAAI/bge-m3',
      input: ['a', 'b'],
      dimensions: 256,
      encoding_format: 'base64',
      extra: true,
    });
  });
});
