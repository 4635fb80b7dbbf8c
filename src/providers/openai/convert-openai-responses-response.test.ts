// Tests of reading native Responses replies: usage mapping to the chat shape and the error codes of failures.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Usage } from '../../wire/index.ts';
import { convertOpenAIResponsesUsage, readResponseFailure, readResponsesErrorEvent, statusOfResponsesErrorCode } from './convert-openai-responses-response.ts';

describe('convertOpenAIResponsesUsage', () => {
  const cases: [string, Parameters<typeof convertOpenAIResponsesUsage>[0], Usage][] = [
    [
      'OpenAI usage with details',
      { input_tokens: 100, input_tokens_details: { cached_tokens: 40 }, output_tokens: 20, output_tokens_details: { reasoning_tokens: 8 }, total_tokens: 120 },
      {
        prompt_tokens: 100,
        completion_tokens: 20,
        total_tokens: 120,
        prompt_tokens_details: { cached_tokens: 40 },
        completion_tokens_details: { reasoning_tokens: 8 },
      },
    ],
    [
      'cache writes kept next to cached reads',
      { input_tokens: 10, input_tokens_details: { cached_tokens: 0, cache_write_tokens: 6 }, output_tokens: 1, total_tokens: 11 },
      { prompt_tokens: 10, completion_tokens: 1, total_tokens: 11, prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 6 } },
    ],
    ['a compatible server without details or total', { input_tokens: 7, output_tokens: 5 }, { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 }],
  ];
  for (const [name, usage, expected] of cases) test(name, () => assert.deepEqual(convertOpenAIResponsesUsage(usage), expected));
});

describe('Responses error codes', () => {
  const cases: [string | null, number | null][] = [
    ['invalid_prompt', 400],
    ['image_too_large', 400],
    ['server_error', null],
    ['rate_limit_exceeded', null],
    [null, null],
  ];
  for (const [code, status] of cases) test(`${code} -> ${status}`, () => assert.equal(statusOfResponsesErrorCode(code), status));

  test('a failure without an error object is a plain server failure', () => {
    assert.deepEqual(readResponseFailure(null), { message: 'The upstream response failed', code: null, type: null, param: null, status: null, error: null });
  });

  test("an error event's `type: error` is not taken for an error type", () => {
    const fields = readResponsesErrorEvent({ type: 'error', code: 'invalid_prompt', message: 'bad', param: 'input', sequence_number: 3 }, '');
    assert.equal(fields.type, null);
    assert.equal(fields.code, 'invalid_prompt');
    assert.equal(fields.param, 'input');
    assert.equal(fields.status, 400);
  });
});
