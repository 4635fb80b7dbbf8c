// Tests of mapping Bedrock error replies: a table of recorded and hand-written replies in both error shapes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OpenAIErrorType } from '../../wire/index.ts';
import type { UpstreamHeaders } from '../provider-adapter.ts';
import { readFixture } from '../replay-fixture.ts';
import { makeTestRoute } from '../test-route.ts';
import { mapBedrockError, readBedrockErrorType } from './map-bedrock-error.ts';

const route = makeTestRoute({ id: 'bedrock-us-east-1-claude', provider: 'bedrock', endpoint: 'https://bedrock-runtime.us-east-1.amazonaws.com' });
const encoder = new TextEncoder();
const fixture = (name: string) => readFixture(new URL(`./__fixtures__/${name}`, import.meta.url));
const errorType = (name: string) => ({ 'x-amzn-errortype': `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/`, 'x-amzn-requestid': 'req-1' });

interface Case {
  name: string;
  status: number;
  headers?: UpstreamHeaders;
  body: Uint8Array;
  message: string;
  reportedStatus?: number;
  code: string;
  type: OpenAIErrorType;
  param?: string | null;
  retryable: boolean;
  retryAfterMs?: number | null;
  details?: Record<string, unknown>;
}

const cases: Case[] = [
  {
    name: 'ThrottlingException 429: retryable, retry-after honoured',
    status: 429,
    headers: { ...errorType('ThrottlingException'), 'retry-after': '3' },
    body: fixture('bedrock-error-429-throttling.json'),
    message: 'Too many requests, please wait before trying again.',
    code: 'ThrottlingException',
    type: 'rate_limit_error',
    retryable: true,
    retryAfterMs: 3000,
  },
  {
    name: 'ServiceQuotaExceededException arrives as 400 but is this route running out of capacity: 429, retryable',
    status: 400,
    headers: errorType('ServiceQuotaExceededException'),
    body: encoder.encode('{"message":"Your request exceeds the service quota for your account."}'),
    message: 'Your request exceeds the service quota for your account.',
    reportedStatus: 429,
    code: 'ServiceQuotaExceededException',
    type: 'rate_limit_error',
    retryable: true,
    details: { upstream_status: 400 },
  },
  {
    name: 'ModelNotReadyException 429: retryable',
    status: 429,
    headers: errorType('ModelNotReadyException'),
    body: encoder.encode('{"message":"Model is not ready for inference."}'),
    message: 'Model is not ready for inference.',
    code: 'ModelNotReadyException',
    type: 'rate_limit_error',
    retryable: true,
  },
  {
    name: 'ServiceUnavailableException 503',
    status: 503,
    headers: errorType('ServiceUnavailableException'),
    body: encoder.encode('{"message":"Service unavailable. Try again later."}'),
    message: 'Service unavailable.',
    code: 'ServiceUnavailableException',
    type: 'server_error',
    retryable: true,
  },
  {
    name: 'InternalServerException 500',
    status: 500,
    headers: errorType('InternalServerException'),
    body: encoder.encode('{"message":"Internal server error"}'),
    message: 'Internal server error',
    code: 'InternalServerException',
    type: 'server_error',
    retryable: true,
  },
  {
    name: 'ModelTimeoutException 408',
    status: 408,
    headers: errorType('ModelTimeoutException'),
    body: encoder.encode('{"message":"Model has timed out in processing the request."}'),
    message: 'Model has timed out',
    code: 'ModelTimeoutException',
    type: 'server_error',
    retryable: true,
  },
  {
    name: 'ModelErrorException 424: the model failed, retryable',
    status: 424,
    headers: errorType('ModelErrorException'),
    body: encoder.encode('{"message":"Received server error (500) from model.","originalStatusCode":500,"resourceName":"x"}'),
    message: 'Received server error (500) from model.',
    code: 'ModelErrorException',
    type: 'server_error',
    retryable: true,
  },
  {
    name: 'AccessDeniedException 403: the route has no model access, retryable for failover',
    status: 403,
    headers: errorType('AccessDeniedException'),
    body: fixture('bedrock-error-403-access-denied.json'),
    message: "You don't have access to the model with the specified model ID.",
    code: 'AccessDeniedException',
    type: 'permission_error',
    retryable: true,
  },
  {
    name: 'ResourceNotFoundException 404: the route names a model that does not exist, retryable for failover',
    status: 404,
    headers: errorType('ResourceNotFoundException'),
    body: fixture('bedrock-error-404-resource-not-found.json'),
    message: 'Model not found.',
    code: 'ResourceNotFoundException',
    type: 'invalid_request_error',
    retryable: true,
  },
  {
    name: 'UnrecognizedClientException 403 with `Message`: wrong credentials, retryable for failover',
    status: 403,
    headers: errorType('UnrecognizedClientException'),
    body: fixture('bedrock-error-403-unrecognized-client.json'),
    message: 'The security token included in the request is invalid.',
    code: 'UnrecognizedClientException',
    type: 'permission_error',
    retryable: true,
  },
  {
    name: 'InvalidSignatureException named only by __type',
    status: 403,
    body: encoder.encode(
      '{"__type":"com.amazon.coral.service#InvalidSignatureException","message":"The request signature we calculated does not match the signature ' +
        'you provided."}',
    ),
    message: 'The request signature we calculated does not match',
    code: 'InvalidSignatureException',
    type: 'permission_error',
    retryable: true,
  },
  {
    name: 'ValidationException 400: the request is wrong, not retryable, message kept',
    status: 400,
    headers: errorType('ValidationException'),
    body: fixture('bedrock-error-400-validation.json'),
    message: 'The model returned the following errors: Input is too long for requested model.',
    code: 'ValidationException',
    type: 'invalid_request_error',
    retryable: false,
  },
  {
    name: 'an OpenAI-shaped error from the OpenAI-compatible endpoint',
    status: 400,
    body: encoder.encode('{"error":{"message":"Invalid \'temperature\'.","type":"invalid_request_error","param":"temperature","code":"invalid_value"}}'),
    message: "Invalid 'temperature'.",
    code: 'invalid_value',
    type: 'invalid_request_error',
    param: 'temperature',
    retryable: false,
  },
  {
    name: 'an OpenAI-shaped 429 from Mantle',
    status: 429,
    headers: { 'retry-after': '1' },
    body: encoder.encode('{"error":{"message":"Rate limit exceeded","type":"rate_limit_error","code":"rate_limit_exceeded"}}'),
    message: 'Rate limit exceeded',
    code: 'rate_limit_exceeded',
    type: 'rate_limit_error',
    retryable: true,
    retryAfterMs: 1000,
  },
  {
    name: 'an unknown AWS error type falls back to the status rules',
    status: 409,
    headers: errorType('ConflictException'),
    body: encoder.encode('{"message":"Conflict."}'),
    message: 'Conflict.',
    code: 'ConflictException',
    type: 'invalid_request_error',
    retryable: true,
  },
  {
    name: 'an HTML page from a load balancer',
    status: 502,
    body: encoder.encode('<html><head><title>502 Bad Gateway</title></head><body></body></html>'),
    message: '502 Bad Gateway',
    code: 'upstream_error',
    type: 'server_error',
    retryable: true,
  },
];

describe('mapBedrockError', () => {
  for (const item of cases) {
    test(item.name, () => {
      const error = mapBedrockError(item.status, item.headers ?? {}, item.body, route);
      assert.ok(error.message.includes(item.message), error.message);
      assert.ok(error.message.endsWith('(route bedrock-us-east-1-claude)'), error.message);
      assert.equal(error.route, 'bedrock-us-east-1-claude');
      assert.equal(error.status, item.reportedStatus ?? item.status);
      assert.equal(error.code, item.code);
      assert.equal(error.type, item.type);
      assert.equal(error.param, item.param ?? null);
      assert.equal(error.retryable, item.retryable);
      assert.equal(error.retryAfterMs, item.retryAfterMs ?? null);
      assert.deepEqual(error.details, item.details);
    });
  }
});

describe('readBedrockErrorType', () => {
  const cases: [string, UpstreamHeaders, string | undefined, string | null][] = [
    [
      'header with namespace',
      { 'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/' },
      undefined,
      'ThrottlingException',
    ],
    ['plain header', { 'x-amzn-errortype': 'ValidationException' }, undefined, 'ValidationException'],
    ['header wins over __type', { 'x-amzn-errortype': 'A' }, 'ns#B', 'A'],
    ['__type with namespace', {}, 'com.amazon.coral.service#ExpiredTokenException', 'ExpiredTokenException'],
    ['nothing', {}, undefined, null],
  ];
  for (const [name, headers, bodyType, expected] of cases) {
    test(name, () => assert.equal(readBedrockErrorType(headers, bodyType), expected));
  }
});

describe('carry limits: a ValidationException that says the wire cannot carry the request fails over; others do not', () => {
  const limits: Array<{ name: string; message: string; carryLimit: boolean; type?: string; status?: number }> = [
    {
      name: 'temperature outside Converse range',
      message:
        "1 validation error detected: Value '1.5' at 'inferenceConfig.temperature' failed to satisfy constraint: " +
        'Member must have value less than or equal to 1',
      carryLimit: true,
    },
    {
      name: 'conversation opening with the assistant',
      message: 'A conversation must start with a user message. Try again with a conversation that starts with a user message.',
      carryLimit: true,
    },
    {
      name: 'tool history without toolConfig',
      message: 'The toolConfig field must be defined when using toolUse and toolResult content blocks.',
      carryLimit: true,
    },
    {
      name: 'a feature this model lacks on Bedrock',
      message: "This model doesn't support the toolConfig.toolChoice.any field. Remove toolConfig.toolChoice.any and try again.",
      carryLimit: true,
    },
    { name: 'input too long for the model: the request itself', message: 'Input is too long for requested model.', carryLimit: false },
    { name: 'blank text: the request itself', message: 'The text field in the ContentBlock object at messages.0.content.0 is blank.', carryLimit: false },
    {
      name: 'a constraint on the messages, not on a translated parameter',
      message: "1 validation error detected: Value 'x' at 'messages.1.member.role' failed to satisfy constraint: Member must satisfy enum value set",
      carryLimit: false,
    },
    {
      name: 'the same words from another error type',
      message: 'A conversation must start with a user message.',
      type: 'ThrottlingException',
      status: 429,
      carryLimit: false,
    },
  ];
  for (const item of limits) {
    test(item.name, () => {
      const body = encoder.encode(JSON.stringify({ message: item.message }));
      const error = mapBedrockError(item.status ?? 400, errorType(item.type ?? 'ValidationException'), body, route);
      assert.equal(error.carryLimit, item.carryLimit);
    });
  }
});
