// Tests of mapping Vertex AI error replies: Google API errors bare and array-wrapped, OpenAI-shaped errors from the
// OpenAI-compatible endpoint, non-JSON bodies, and error events inside a stream.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OpenAIErrorType } from '../../wire/index.ts';
import { readOpenAIErrorValue } from '../openai/index.ts';
import type { UpstreamHeaders } from '../provider-adapter.ts';
import { readFixture } from '../replay-fixture.ts';
import { makeTestRoute } from '../test-route.ts';
import { mapGoogleStatus, mapVertexError, mapVertexStreamError } from './map-vertex-error.ts';

const route = makeTestRoute({ id: 'vertex-global-gpt-oss', provider: 'vertex', project: 'p', auth: { type: 'google' } });
const encoder = new TextEncoder();
const fixture = (name: string) => readFixture(new URL(`./__fixtures__/${name}`, import.meta.url));
const googleError = (code: number, status: string, message: string) => encoder.encode(JSON.stringify({ error: { code, status, message } }));

interface Case {
  name: string;
  status: number;
  headers?: UpstreamHeaders;
  body: Uint8Array;
  message: string;
  code: string;
  type: OpenAIErrorType;
  retryable: boolean;
  retryAfterMs?: number | null;
  googleStatus?: string;
}

const cases: Case[] = [
  {
    name: '429 RESOURCE_EXHAUSTED wrapped in a JSON array: retryable, retry-after honoured',
    status: 429,
    headers: { 'retry-after': '3' },
    body: fixture('vertex-error-429-array.json'),
    message: 'Resource exhausted. Please try again later.',
    code: 'RESOURCE_EXHAUSTED',
    type: 'rate_limit_error',
    retryable: true,
    retryAfterMs: 3000,
    googleStatus: 'RESOURCE_EXHAUSTED',
  },
  {
    name: '429 RESOURCE_EXHAUSTED unwrapped',
    status: 429,
    body: googleError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded for aiplatform.googleapis.com/generate_content_requests_per_minute.'),
    message: 'Quota exceeded for aiplatform.googleapis.com',
    code: 'RESOURCE_EXHAUSTED',
    type: 'rate_limit_error',
    retryable: true,
    googleStatus: 'RESOURCE_EXHAUSTED',
  },
  {
    name: '503 UNAVAILABLE: retry delay read from google.rpc.RetryInfo',
    status: 503,
    body: fixture('vertex-error-503-retry-info.json'),
    message: 'The service is currently unavailable.',
    code: 'UNAVAILABLE',
    type: 'server_error',
    retryable: true,
    retryAfterMs: 2500,
    googleStatus: 'UNAVAILABLE',
  },
  {
    name: '500 INTERNAL: retryable',
    status: 500,
    body: googleError(500, 'INTERNAL', 'Internal error encountered.'),
    message: 'Internal error encountered.',
    code: 'INTERNAL',
    type: 'server_error',
    retryable: true,
    googleStatus: 'INTERNAL',
  },
  {
    name: '504 DEADLINE_EXCEEDED: retryable',
    status: 504,
    body: googleError(504, 'DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.'),
    message: 'Deadline expired',
    code: 'DEADLINE_EXCEEDED',
    type: 'server_error',
    retryable: true,
    googleStatus: 'DEADLINE_EXCEEDED',
  },
  {
    name: '400 INVALID_ARGUMENT: the request is wrong, not retryable',
    status: 400,
    body: fixture('vertex-error-400-invalid-argument.json'),
    message: 'Request contains an invalid argument.',
    code: 'INVALID_ARGUMENT',
    type: 'invalid_request_error',
    retryable: false,
    googleStatus: 'INVALID_ARGUMENT',
  },
  {
    name: "400 FAILED_PRECONDITION: the project's state, retryable for failover",
    status: 400,
    body: googleError(400, 'FAILED_PRECONDITION', 'Billing account for project is not found or disabled.'),
    message: 'Billing account',
    code: 'FAILED_PRECONDITION',
    type: 'invalid_request_error',
    retryable: true,
    googleStatus: 'FAILED_PRECONDITION',
  },
  {
    name: '401 UNAUTHENTICATED (expired token): route misconfiguration, retryable for failover',
    status: 401,
    body: fixture('vertex-error-401-expired.json'),
    message: 'Request had invalid authentication credentials.',
    code: 'UNAUTHENTICATED',
    type: 'authentication_error',
    retryable: true,
    googleStatus: 'UNAUTHENTICATED',
  },
  {
    name: '403 PERMISSION_DENIED: route misconfiguration, retryable for failover',
    status: 403,
    body: fixture('vertex-error-403-permission.json'),
    message: "Permission 'aiplatform.endpoints.predict' denied on resource",
    code: 'PERMISSION_DENIED',
    type: 'permission_error',
    retryable: true,
    googleStatus: 'PERMISSION_DENIED',
  },
  {
    name: '404 NOT_FOUND (unknown model): route misconfiguration, retryable for failover',
    status: 404,
    body: fixture('vertex-error-404-model.json'),
    message: 'Publisher Model `projects/crossway-demo/locations/global/publishers/openai/models/gpt-oss` was not found',
    code: 'NOT_FOUND',
    type: 'invalid_request_error',
    retryable: true,
    googleStatus: 'NOT_FOUND',
  },
  {
    name: 'OpenAI-shaped 400 relayed from the model server: OpenAI rules',
    status: 400,
    body: encoder.encode('{"error":{"message":"max_tokens must be at least 1, got 0.","type":"BadRequestError","param":null,"code":400}}'),
    message: 'max_tokens must be at least 1, got 0.',
    code: '400',
    type: 'invalid_request_error',
    retryable: false,
  },
  {
    name: 'OpenAI-shaped error wrapped in an array',
    status: 429,
    body: encoder.encode('[{"error":{"message":"Too many requests","type":"rate_limit_error","code":"rate_limit_exceeded"}}]'),
    message: 'Too many requests',
    code: 'rate_limit_exceeded',
    type: 'rate_limit_error',
    retryable: true,
  },
  {
    name: "502 HTML from Google's front end",
    status: 502,
    body: encoder.encode('<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Error 502 (Server Error)!!1</title><p>That’s an error.</p></html>'),
    message: 'Error 502 (Server Error)!!1',
    code: 'upstream_error',
    type: 'server_error',
    retryable: true,
  },
  {
    name: 'empty body',
    status: 500,
    body: new Uint8Array(),
    message: 'HTTP 500',
    code: 'upstream_error',
    type: 'server_error',
    retryable: true,
  },
];

describe('mapVertexError', () => {
  for (const item of cases) {
    test(item.name, () => {
      const error = mapVertexError(item.status, item.headers ?? {}, item.body, route);
      assert.ok(error.message.includes(item.message), error.message);
      assert.ok(error.message.endsWith('(route vertex-global-gpt-oss)'), error.message);
      assert.equal(error.status, item.status);
      assert.equal(error.code, item.code);
      assert.equal(error.type, item.type);
      assert.equal(error.retryable, item.retryable);
      assert.equal(error.retryAfterMs, item.retryAfterMs ?? null);
      assert.equal(error.details?.status, item.googleStatus);
    });
  }

  test('Google details are kept for the client', () => {
    const error = mapVertexError(401, {}, fixture('vertex-error-401-expired.json'), route);
    const details = error.details?.details as { reason: string }[];
    assert.equal(details[0]?.reason, 'ACCESS_TOKEN_EXPIRED');
  });
});

describe('mapGoogleStatus', () => {
  const table: [string, number, boolean][] = [
    ['RESOURCE_EXHAUSTED', 429, true],
    ['UNAVAILABLE', 503, true],
    ['INTERNAL', 500, true],
    ['DEADLINE_EXCEEDED', 504, true],
    ['INVALID_ARGUMENT', 400, false],
    ['FAILED_PRECONDITION', 400, true],
    ['PERMISSION_DENIED', 403, true],
    ['UNAUTHENTICATED', 401, true],
    ['NOT_FOUND', 404, true],
    ['UNIMPLEMENTED', 501, true],
  ];
  for (const [status, http, retryable] of table) {
    test(status, () => assert.deepEqual(mapGoogleStatus(status), { status: http, retryable }));
  }
  test('an unknown name', () => assert.equal(mapGoogleStatus('NOPE'), null));
});

describe('mapVertexStreamError', () => {
  test('a Google error event: status from its name, Google retry rule', () => {
    const data = '{"error":{"code":429,"message":"Resource exhausted. Please try again later.","status":"RESOURCE_EXHAUSTED"}}';
    // As parsed by the stream reader, and as raw text (the reader's fallback for shapes it cannot read).
    const parsed = readOpenAIErrorValue(JSON.parse(data));
    assert.ok(parsed !== null);
    for (const fields of [parsed, { message: data, code: null, type: null, param: null, status: null, error: null }]) {
      const error = mapVertexStreamError(fields, route);
      assert.equal(error.status, 429);
      assert.equal(error.code, 'RESOURCE_EXHAUSTED');
      assert.equal(error.retryable, true);
      assert.match(error.message, /^Resource exhausted\. Please try again later\. \(route vertex-global-gpt-oss\)$/);
    }
  });

  test('an OpenAI error event follows the OpenAI rules', () => {
    const fields = readOpenAIErrorValue({ error: { message: 'context too long', type: 'invalid_request_error', code: null } });
    assert.ok(fields !== null);
    const error = mapVertexStreamError(fields, route);
    assert.equal(error.status, 400);
    assert.equal(error.retryable, false);
  });
});
