// Maps OpenAI's usage to Anthropic's, whose input count leaves out the tokens read from or written to the prompt cache.
import type { MessagesUsage, Usage } from '../wire/index.ts';

/**
 * `prompt_tokens` includes cached tokens (OpenAI) and, from Bedrock-style caches, `cache_write_tokens`; Anthropic counts
 * them apart: `cache_read_input_tokens` = cached, `cache_creation_input_tokens` = written, `input_tokens` = the rest.
 * No usage (a cloud that reported none) is all zeros.
 */
export function convertChatUsageToMessagesUsage(usage: Usage | null | undefined): MessagesUsage {
  if (usage === null || usage === undefined) return { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const details = usage.prompt_tokens_details;
  const read = clampCount(details?.cached_tokens, usage.prompt_tokens);
  const written = clampCount(details?.cache_write_tokens, usage.prompt_tokens - read);
  return {
    input_tokens: usage.prompt_tokens - read - written,
    output_tokens: usage.completion_tokens,
    cache_creation_input_tokens: written,
    cache_read_input_tokens: read,
  };
}

/** A count between 0 and `most` (a cloud that reports more cached than input tokens must not yield a negative input). */
function clampCount(value: unknown, most: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.min(Math.floor(value), Math.max(most, 0)) : 0;
}
