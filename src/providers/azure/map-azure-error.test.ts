// Tests of mapping Azure OpenAI error replies: a table of recorded replies.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OpenAIErrorType } from '../../wire/index.ts';
import type { UpstreamHeaders } from '../provider-adapter.ts';
import { readFixture } from '../replay-fixture.ts';
import { makeTestRoute } from '../test-route.ts';
import { mapAzureError } from './map-azure-error.ts';

const route = makeTestRoute({ id: 'azure-eastus-gpt-4o', provider: 'azure', endpoint: 'https://myres.openai.azure.com' });
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
  details?: Record<string, unknown>;
}

const contentFilterBody = fixture('azure-error-400-content-filter.json');

const cases: Case[] = [
  {
    name: "401 wrong key: the route's credentials, retryable for failover",
    status: 401,
    body: fixture('azure-error-401.json'),
    message: 'Access denied due to invalid subscription key or wrong API endpoint.',
    code: '401',
    type: 'authentication_error',
    retryable: true,
  },
  {
    name: '401 from the API Management layer (top-level statusCode)',
    status: 401,
    body: encoder.encode(
      '{"statusCode":401,"message":"Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or ' +
        'have expired."}',
    ),
    message: 'Unauthorized. Access token is missing',
    code: 'upstream_error',
    type: 'authentication_error',
    retryable: true,
  },
  {
    name: 'DeploymentNotFound 404: route configuration, retryable so the executor fails over',
    status: 404,
    body: fixture('azure-error-404-deployment-not-found.json'),
    message: 'The API deployment for this resource does not exist.',
    code: 'DeploymentNotFound',
    type: 'invalid_request_error',
    retryable: true,
  },
  {
    name: '429 with retry-after-ms preferred over retry-after',
    status: 429,
    headers: { 'retry-after-ms': '5820', 'retry-after': '6' },
    body: fixture('azure-error-429.json'),
    message: 'have exceeded token rate limit of your current OpenAI S0 pricing tier',
    code: '429',
    type: 'rate_limit_error',
    retryable: true,
    retryAfterMs: 5820,
  },
  {
    name: '429 with retry-after only',
    status: 429,
    headers: { 'retry-after': '6' },
    body: fixture('azure-error-429.json'),
    message: 'Please retry after 6 seconds.',
    code: '429',
    type: 'rate_limit_error',
    retryable: true,
    retryAfterMs: 6000,
  },
  {
    name: '400 content_filter: not retryable, param and innererror kept',
    status: 400,
    body: contentFilterBody,
    message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
    code: 'content_filter',
    type: 'invalid_request_error',
    param: 'prompt',
    retryable: false,
    details: { innererror: JSON.parse(new TextDecoder().decode(contentFilterBody)).error.innererror },
  },
  {
    name: '400 OperationNotSupported: the deployment cannot do this, retryable for failover',
    status: 400,
    body: encoder.encode(
      '{"error":{"code":"OperationNotSupported","message":"The embeddings operation does not work with the specified model, gpt-4o. Please choose ' +
        'different model and try again."}}',
    ),
    message: 'The embeddings operation does not work with the specified model',
    code: 'OperationNotSupported',
    type: 'invalid_request_error',
    retryable: true,
  },
  {
    name: '400 other request error: not retryable',
    status: 400,
    body: encoder.encode(
      '{"error":{"message":"Invalid value for \'temperature\'.","type":"invalid_request_error","param":"temperature","code":"invalid_value"}}',
    ),
    message: "Invalid value for 'temperature'.",
    code: 'invalid_value',
    type: 'invalid_request_error',
    param: 'temperature',
    retryable: false,
  },
  {
    name: '503 HTML from a gateway',
    status: 503,
    body: encoder.encode('<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body>The service is unavailable.</body></html>'),
    message: 'Service Unavailable',
    code: 'upstream_error',
    type: 'server_error',
    retryable: true,
  },
];

describe('mapAzureError', () => {
  for (const item of cases) {
    test(item.name, () => {
      const error = mapAzureError(item.status, item.headers ?? {}, item.body, route);
      assert.ok(error.message.includes(item.message), error.message);
      assert.ok(error.message.endsWith('(route azure-eastus-gpt-4o)'), error.message);
      assert.equal(error.status, item.status);
      assert.equal(error.code, item.code);
      assert.equal(error.type, item.type);
      assert.equal(error.param, item.param ?? null);
      assert.equal(error.retryable, item.retryable);
      assert.equal(error.retryAfterMs, item.retryAfterMs ?? null);
      assert.deepEqual(error.details, item.details);
    });
  }
});
