// Tests of turning chat usage into the Responses usage object, with and without token details.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResponseUsage as OpenAIResponseUsage } from 'openai/resources/responses/responses';
import type { ResponseUsage, Usage } from '../wire/index.ts';
import { convertChatUsageToResponseUsage } from './convert-chat-usage-to-response-usage.ts';

const CASES: Array<[string, Usage, ResponseUsage]> = [
  [
    'no details: zeros',
    { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    {
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 15,
    },
  ],
  [
    'cached, cache-write and reasoning tokens carried',
    {
      prompt_tokens: 100,
      completion_tokens: 50,
      total_tokens: 150,
      prompt_tokens_details: { cached_tokens: 60, cache_write_tokens: 30, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 20 },
    },
    {
      input_tokens: 100,
      input_tokens_details: { cached_tokens: 60, cache_write_tokens: 30 },
      output_tokens: 50,
      output_tokens_details: { reasoning_tokens: 20 },
      total_tokens: 150,
    },
  ],
];

for (const [name, usage, expected] of CASES) {
  test(name, () => {
    const converted: OpenAIResponseUsage = convertChatUsageToResponseUsage(usage);
    assert.deepEqual(converted, expected);
  });
}
