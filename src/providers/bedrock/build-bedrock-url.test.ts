// Tests of Bedrock's API variants and URLs: a table of routes and the URL each gives.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UpstreamError } from '../../wire/index.ts';
import { makeTestRoute } from '../test-route.ts';
import { buildBedrockConverseUrl, buildBedrockOpenAIUrl, encodeBedrockModelId, resolveBedrockApi } from './build-bedrock-url.ts';

const route = (input: Record<string, unknown>) =>
  makeTestRoute({ id: 'bedrock-url', provider: 'bedrock', endpoint: 'https://bedrock-runtime.us-west-2.amazonaws.com', ...input });

describe('resolveBedrockApi', () => {
  for (const [api, expected] of [
    [undefined, 'converse'],
    ['converse', 'converse'],
    ['openai', 'openai'],
    ['mantle', 'mantle'],
  ] as const) {
    test(`${api ?? '(unset)'} -> ${expected}`, () => assert.equal(resolveBedrockApi(route({ api })), expected));
  }
  test('anything else is a retryable route_misconfigured error', () => {
    assert.throws(
      () => resolveBedrockApi(route({ api: 'Converse' })),
      (error: unknown) => error instanceof UpstreamError && error.code === 'route_misconfigured' && error.retryable,
    );
  });
});

describe('encodeBedrockModelId (as botocore percent_encode: only A-Za-z0-9-._~ stay)', () => {
  const cases: [string, string][] = [
    ['amazon.nova-pro-v1:0', 'amazon.nova-pro-v1%3A0'],
    ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'us.anthropic.claude-sonnet-4-5-20250929-v1%3A0'],
    [
      'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3',
      'arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fa1b2c3',
    ],
    ["a b(c)*!'~", 'a%20b%28c%29%2A%21%27~'],
  ];
  for (const [modelId, encoded] of cases) {
    test(modelId, () => assert.equal(encodeBedrockModelId(route({ deployment: modelId })), encoded));
  }
  test('without a deployment the Crossway model id is used', () => {
    assert.equal(encodeBedrockModelId(route({ model: 'openai.gpt-oss-20b-1:0' })), 'openai.gpt-oss-20b-1%3A0');
  });
});

describe('Bedrock URLs', () => {
  const cases: { name: string; url: string; expected: string }[] = [
    {
      name: 'converse',
      url: buildBedrockConverseUrl(route({ deployment: 'm:0' }), false),
      expected: 'https://bedrock-runtime.us-west-2.amazonaws.com/model/m%3A0/converse',
    },
    {
      name: 'converse-stream',
      url: buildBedrockConverseUrl(route({ deployment: 'm:0' }), true),
      expected: 'https://bedrock-runtime.us-west-2.amazonaws.com/model/m%3A0/converse-stream',
    },
    {
      name: 'a local emulator with a port and a base path',
      url: buildBedrockConverseUrl(route({ endpoint: 'http://127.0.0.1:4012/bedrock/', deployment: 'm:0' }), false),
      expected: 'http://127.0.0.1:4012/bedrock/model/m%3A0/converse',
    },
    {
      name: 'openai',
      url: buildBedrockOpenAIUrl(route({ api: 'openai' })),
      expected: 'https://bedrock-runtime.us-west-2.amazonaws.com/openai/v1/chat/completions',
    },
    {
      name: 'mantle',
      url: buildBedrockOpenAIUrl(route({ api: 'mantle', endpoint: 'https://bedrock-mantle.us-east-2.api.aws' })),
      expected: 'https://bedrock-mantle.us-east-2.api.aws/v1/chat/completions',
    },
  ];
  for (const item of cases) test(item.name, () => assert.equal(item.url, item.expected));
});
