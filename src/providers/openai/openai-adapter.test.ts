// Runs the shared adapter contracts (chat, native Responses) against the OpenAI adapter with its recorded replies.
import { readFixture, readSseFixture } from '../replay-fixture.ts';
import { runProviderAdapterCases } from '../provider-adapter.case.test.ts';
import { runResponsesAdapterCases } from '../responses-adapter.case.test.ts';
import { makeTestRoute } from '../test-route.ts';
import { openaiAdapter } from './openai-adapter.ts';

const fixture = (name: string) => new URL(`./__fixtures__/${name}`, import.meta.url);

runProviderAdapterCases({
  adapter: openaiAdapter,
  route: makeTestRoute({ id: 'openai-global-gpt-4o', deployment: 'gpt-4o-mini' }),
  chat: {
    body: readFixture(fixture('openai-chat.json')),
    usage: {
      prompt_tokens: 19,
      completion_tokens: 10,
      total_tokens: 29,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
  },
  stream: {
    bytes: readSseFixture(fixture('openai-chat-stream.chunks.txt')),
    usage: {
      prompt_tokens: 9,
      completion_tokens: 12,
      total_tokens: 21,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    },
  },
  error: {
    status: 429,
    headers: { 'retry-after-ms': '210' },
    body: readFixture(fixture('openai-error-429-rate-limit.json')),
    message: 'Rate limit reached for gpt-4o-mini',
  },
});

runResponsesAdapterCases({
  adapter: openaiAdapter,
  route: makeTestRoute({ id: 'openai-global-gpt-4o', deployment: 'gpt-4o-mini', capabilities: ['responses'] }),
  url: 'https://api.openai.com/v1/responses',
  model: 'gpt-4o-mini',
});

runResponsesAdapterCases({
  adapter: openaiAdapter,
  label: 'OpenAI-compatible server without a deployment',
  route: makeTestRoute({ id: 'vllm-local', endpoint: 'http://127.0.0.1:8000/v1/', capabilities: ['responses'] }),
  url: 'http://127.0.0.1:8000/v1/responses',
  model: 'crossway-model',
});
