// Chat Completions usage -> the Responses API's usage object.
// Source: OpenAI API reference, CompletionUsage and ResponseUsage (openai/openai-openapi).
import type { ResponseUsage, Usage } from '../wire/index.ts';

/**
 * prompt -> input, completion -> output; cached and reasoning token details carried (0 when the upstream does not
 * report them; `cache_write_tokens` when it does, as Bedrock-style prompt caches can).
 */
export function convertChatUsageToResponseUsage(usage: Usage): ResponseUsage {
  const cacheWrite = usage.prompt_tokens_details?.cache_write_tokens;
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: {
      cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
      cache_write_tokens: typeof cacheWrite === 'number' ? cacheWrite : 0,
    },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage.total_tokens,
  };
}
