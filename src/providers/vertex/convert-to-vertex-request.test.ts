// Tests of Vertex AI's URL rules: regional, global, multi-region and custom endpoints, API versions, and the route
// settings that make a route unusable.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UpstreamError } from '../../wire/index.ts';
import { makeTestRoute } from '../test-route.ts';
import { defaultVertexEndpoint } from './convert-to-vertex-request.ts';
import { vertexAdapter } from './vertex-adapter.ts';

const messages = [{ role: 'user' as const, content: 'Hi' }];

function vertexRoute(input: Record<string, unknown> = {}) {
  return makeTestRoute({
    id: 'vertex-us-central1-gpt-oss',
    provider: 'vertex',
    endpoint: 'https://us-central1-aiplatform.googleapis.com',
    region: 'us-central1',
    project: 'crossway-demo',
    deployment: 'openai/gpt-oss-120b-maas',
    auth: { type: 'google' },
    ...input,
  });
}

const base = '/projects/crossway-demo/locations';

const cases: { name: string; route: Record<string, unknown>; url: string }[] = [
  {
    name: 'regional endpoint',
    route: {},
    url: `https://us-central1-aiplatform.googleapis.com/v1${base}/us-central1/endpoints/openapi/chat/completions`,
  },
  {
    name: 'global endpoint',
    route: { endpoint: 'https://aiplatform.googleapis.com', region: 'global' },
    url: `https://aiplatform.googleapis.com/v1${base}/global/endpoints/openapi/chat/completions`,
  },
  {
    name: 'the global host serves a regional location too',
    route: { endpoint: 'https://aiplatform.googleapis.com', region: 'europe-west4' },
    url: `https://aiplatform.googleapis.com/v1${base}/europe-west4/endpoints/openapi/chat/completions`,
  },
  {
    name: 'multi-region endpoint',
    route: { endpoint: 'https://aiplatform.eu.rep.googleapis.com', region: 'eu' },
    url: `https://aiplatform.eu.rep.googleapis.com/v1${base}/eu/endpoints/openapi/chat/completions`,
  },
  {
    name: 'v1beta1',
    route: { api_version: 'v1beta1' },
    url: `https://us-central1-aiplatform.googleapis.com/v1beta1${base}/us-central1/endpoints/openapi/chat/completions`,
  },
  {
    name: 'a custom endpoint (an emulator) is the host; the same path is built',
    route: { endpoint: 'http://127.0.0.1:4013', region: 'global' },
    url: `http://127.0.0.1:4013/v1${base}/global/endpoints/openapi/chat/completions`,
  },
  {
    name: "a proxy's path prefix and trailing slash are kept and trimmed",
    route: { endpoint: 'https://proxy.example/vertex/', region: 'us-east5' },
    url: `https://proxy.example/vertex/v1${base}/us-east5/endpoints/openapi/chat/completions`,
  },
  {
    name: 'a project id is encoded as one path segment',
    route: { project: 'example.com:my-project' },
    url: `https://us-central1-aiplatform.googleapis.com/v1/projects/example.com%3Amy-project/locations/us-central1/endpoints/openapi/chat/completions`,
  },
];

describe('vertexAdapter URLs', () => {
  for (const item of cases) {
    test(item.name, () => {
      const route = vertexRoute(item.route);
      const chat = vertexAdapter.prepareChat({ model: 'crossway-model', messages }, route);
      assert.equal(chat.url, item.url);
      assert.deepEqual(JSON.parse(chat.body ?? ''), { model: route.deployment, messages });
      const embeddings = vertexAdapter.prepareEmbeddings({ model: 'crossway-model', input: 'x' }, route);
      assert.equal(embeddings.url, item.url.replace(/chat\/completions$/, 'embeddings'));
    });
  }

  test('request fields never change the URL; the body model is always the route deployment', () => {
    const route = vertexRoute();
    const expected = vertexAdapter.prepareChat({ model: 'm', messages }, route).url;
    const hostile = {
      model: '../../projects/other/locations/x',
      messages,
      project: 'other',
      location: 'europe-west4',
      region: 'europe-west4',
      api_version: 'v1beta1',
      endpoint: 'https://evil.example',
    };
    const prepared = vertexAdapter.prepareChat(hostile, route);
    assert.equal(prepared.url, expected);
    assert.equal(JSON.parse(prepared.body ?? '').model, 'openai/gpt-oss-120b-maas');
  });

  test('streaming forces include_usage and asks for SSE', () => {
    const prepared = vertexAdapter.prepareChat({ model: 'm', messages, stream: true }, vertexRoute());
    assert.deepEqual(JSON.parse(prepared.body ?? '').stream_options, { include_usage: true });
    assert.equal(prepared.headers.accept, 'text/event-stream');
  });

  const misconfigured: { name: string; route: Record<string, unknown>; message: RegExp }[] = [
    { name: 'no project', route: { project: undefined }, message: /needs a project/ },
    { name: 'a project that is a dot segment', route: { project: '..' }, message: /cannot be used in a URL/ },
    { name: 'unknown api_version', route: { api_version: 'v2' }, message: /unknown api_version 'v2'/ },
    { name: 'unknown api', route: { api: 'generateContent' }, message: /unknown api 'generateContent'/ },
    { name: 'a location that is not a name', route: { region: 'us/central1' }, message: /not a location name/ },
    {
      name: 'a regional host with another location',
      route: { region: 'europe-west4' },
      message: /serves location 'us-central1', not 'europe-west4' \(use https:\/\/europe-west4-aiplatform\.googleapis\.com\)/,
    },
    { name: 'global on a regional host', route: { region: 'global' }, message: /use https:\/\/aiplatform\.googleapis\.com\)/ },
    {
      name: 'an endpoint that already holds the API path',
      route: { endpoint: 'https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/endpoints/openapi' },
      message: /must be the host only/,
    },
  ];
  for (const item of misconfigured) {
    test(`misconfigured route (${item.name}) is a retryable route_misconfigured error naming the route`, () => {
      for (const prepare of [
        () => vertexAdapter.prepareChat({ model: 'm', messages }, vertexRoute(item.route)),
        () => vertexAdapter.prepareEmbeddings({ model: 'm', input: 'x' }, vertexRoute(item.route)),
      ]) {
        assert.throws(prepare, (error: unknown) => {
          assert.ok(error instanceof UpstreamError);
          assert.equal(error.code, 'route_misconfigured');
          assert.equal(error.retryable, true);
          assert.equal(error.route, 'vertex-us-central1-gpt-oss');
          assert.match(error.message, item.message);
          return true;
        });
      }
    });
  }
});

describe('defaultVertexEndpoint', () => {
  const hosts: [string, string][] = [
    ['global', 'https://aiplatform.googleapis.com'],
    ['us-central1', 'https://us-central1-aiplatform.googleapis.com'],
    ['europe-west4', 'https://europe-west4-aiplatform.googleapis.com'],
    ['us', 'https://aiplatform.us.rep.googleapis.com'],
    ['eu', 'https://aiplatform.eu.rep.googleapis.com'],
  ];
  for (const [location, endpoint] of hosts) {
    test(location, () => assert.equal(defaultVertexEndpoint(location), endpoint));
  }
});
