// Tests of mapping OpenAI-wire error replies: a table of recorded and typical replies.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OpenAIErrorType } from '../../wire/index.ts';
import type { UpstreamHeaders } from '../provider-adapter.ts';
import { readFixture } from '../replay-fixture.ts';
import { makeTestRoute } from '../test-route.ts';
import { isRetryableOpenAIStatus, mapOpenAIError } from './map-openai-error.ts';

const route = makeTestRoute({ id: 'openai-us-gpt-4o' });
const encoder = new TextEncoder();
const fixture = (name: string) => readFixture(new URL(`./__fixtures__/${name}`, import.meta.url));

interface Case {
  name: string;
  status: number;
  headers?: UpstreamHeaders;
  body: Uint8Array;
  message: string;
  code: string;
  type: OpenAIErrorType;
  param?: string | null;
  retryable: boolean;
  retryAfterMs?: number | null;
}

const cases: Case[] = [
  {
    name: '400 context_length_exceeded: the request is wrong everywhere',
    status: 400,
    body: fixture('openai-error-400-context-length.json'),
    message: "This model's maximum context length is 128000 tokens.",
    code: 'context_length_exceeded',
    type: 'invalid_request_error',
    param: 'messages',
    retryable: false,
  },
  {
    name: "401 invalid_api_key: the route's key is wrong, another route can serve",
    status: 401,
    body: fixture('openai-error-401-invalid-api-key.json'),
    message: 'Incorrect API key provided',
    code: 'invalid_api_key',
    type: 'invalid_request_error',
    retryable: true,
  },
  {
    name: "404 model_not_found: the route's model name is wrong",
    status: 404,
    body: fixture('openai-error-404-model-not-found.json'),
    message: 'The model `gpt-9` does not exist or you do not have access to it.',
    code: 'model_not_found',
    type: 'invalid_request_error',
    retryable: true,
  },
  {
    name: '429 insufficient_quota: retryable (failover), type kept for clients',
    status: 429,
    body: fixture('openai-error-429-insufficient-quota.json'),
    message: 'You exceeded your current quota',
    code: 'insufficient_quota',
    type: 'insufficient_quota',
    retryable: true,
    retryAfterMs: null,
  },
  {
    name: '429 rate_limit_exceeded with retry-after-ms',
    status: 429,
    headers: { 'retry-after-ms': '210', 'retry-after': '1' },
    body: fixture('openai-error-429-rate-limit.json'),
    message: 'Rate limit reached for gpt-4o-mini',
    code: 'rate_limit_exceeded',
    type: 'rate_limit_error',
    retryable: true,
    retryAfterMs: 210,
  },
  {
    name: '500 server_error with null code',
    status: 500,
    body: fixture('openai-error-500.json'),
    message: 'The server had an error while processing your request. Sorry about that!',
    code: 'upstream_error',
    type: 'server_error',
    retryable: true,
  },
  {
    name: '503 HTML page from a proxy: its title becomes the message',
    status: 503,
    headers: { 'content-type': 'text/html', 'retry-after': '30' },
    body: fixture('openai-error-503-proxy.html'),
    message: '503 Service Temporarily Unavailable',
    code: 'upstream_error',
    type: 'server_error',
    retryable: true,
    retryAfterMs: 30_000,
  },
  {
    name: '502 with an empty body',
    status: 502,
    body: new Uint8Array(0),
    message: 'HTTP 502',
    code: 'upstream_error',
    type: 'server_error',
    retryable: true,
  },
  {
    name: '408 request timeout',
    status: 408,
    body: encoder.encode('request timeout'),
    message: 'request timeout',
    code: 'upstream_error',
    type: 'invalid_request_error',
    retryable: true,
  },
  {
    name: '409 conflict: transient lock, retryable',
    status: 409,
    body: encoder.encode('{"error":{"message":"Conflict","type":"invalid_request_error","code":"conflict"}}'),
    message: 'Conflict',
    code: 'conflict',
    type: 'invalid_request_error',
    retryable: true,
  },
  {
    name: '422 from a compatible server (FastAPI detail)',
    status: 422,
    body: encoder.encode('{"detail":"Unprocessable Entity"}'),
    message: 'Unprocessable Entity',
    code: 'upstream_error',
    type: 'invalid_request_error',
    retryable: false,
  },
  {
    name: '400 from older vLLM: fields at the top level, numeric code',
    status: 400,
    body: encoder.encode(
      '{"object":"error","message":"This model\'s maximum context length is 4096 tokens.","type":"BadRequestError","param":null,"code":400}',
    ),
    message: "This model's maximum context length is 4096 tokens.",
    code: '400',
    type: 'invalid_request_error',
    retryable: false,
  },
  {
    name: '404 from Ollama: model not pulled',
    status: 404,
    body: encoder.encode('{"error":{"message":"model \\"llama9\\" not found, try pulling it first","type":"api_error","param":null,"code":null}}'),
    message: 'model "llama9" not found, try pulling it first',
    code: 'upstream_error',
    type: 'api_error',
    retryable: true,
  },
  {
    name: 'error as a plain string',
    status: 400,
    body: encoder.encode('{"error":"bad input"}'),
    message: 'bad input',
    code: 'upstream_error',
    type: 'invalid_request_error',
    retryable: false,
  },
];

describe('mapOpenAIError', () => {
  for (const item of cases) {
    test(item.name, () => {
      const error = mapOpenAIError(item.status, item.headers ?? {}, item.body, route);
      assert.ok(error.message.includes(item.message), error.message);
      assert.ok(error.message.endsWith('(route openai-us-gpt-4o)'), error.message);
      assert.equal(error.status, item.status);
      assert.equal(error.upstreamStatus, item.status);
      assert.equal(error.code, item.code);
      assert.equal(error.type, item.type);
      assert.equal(error.param, item.param ?? null);
      assert.equal(error.retryable, item.retryable);
      assert.equal(error.retryAfterMs, item.retryAfterMs ?? null);
      assert.equal(error.route, 'openai-us-gpt-4o');
    });
  }

  test('a long HTML body is cut to a short message', () => {
    const body = encoder.encode(`<html><body><p>${'x'.repeat(5000)}</p></body></html>`);
    const error = mapOpenAIError(502, {}, body, route);
    assert.ok(error.message.length < 400, `${error.message.length}`);
  });
});

describe('isRetryableOpenAIStatus', () => {
  const table: [number, boolean][] = [
    [400, false],
    [401, true],
    [403, true],
    [404, true],
    [408, true],
    [409, true],
    [413, false],
    [415, false],
    [422, false],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [504, true],
  ];
  for (const [status, retryable] of table) {
    test(`${status} -> ${retryable}`, () => assert.equal(isRetryableOpenAIStatus(status), retryable));
  }
});
