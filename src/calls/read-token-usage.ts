// Turns a cloud's OpenAI-shaped usage into the ledger's token counts, or counts the tokens itself when the cloud sent none.
import { countTextTokens, type TokenUsage } from '../metering/index.ts';
import type { RequestNeeds } from '../policy/index.ts';
import type { ChatCompletion, Usage } from '../wire/index.ts';

/** The ledger's counts from OpenAI's usage (cached within input, reasoning within output, as OpenAI defines them). */
export function readTokenUsage(usage: Usage): TokenUsage {
  const input = usage.prompt_tokens;
  const output = usage.completion_tokens;
  return {
    input_tokens: input,
    // Clamped: a cloud that reports more cached than input tokens must not make the event unpriceable.
    cached_tokens: Math.min(usage.prompt_tokens_details?.cached_tokens ?? 0, input),
    output_tokens: output,
    reasoning_tokens: Math.min(usage.completion_tokens_details?.reasoning_tokens ?? 0, output),
  };
}

/** Counts usage with the real tokenizer: the request's input as the planner sized it, and `outputTokens` produced. */
export function estimateTokenUsage(needs: RequestNeeds, outputTokens: number): TokenUsage {
  const input = needs.exactInputTokens?.() ?? needs.inputTokens;
  return { input_tokens: input, cached_tokens: 0, output_tokens: outputTokens, reasoning_tokens: 0 };
}

/** The generated text of a completion (content, refusals, tool-call arguments) as one string, for counting. */
export function completionText(completion: ChatCompletion): string {
  let text = '';
  for (const choice of completion.choices) {
    const message = choice.message as { content?: unknown; refusal?: unknown; tool_calls?: { function?: { arguments?: unknown } }[] };
    if (typeof message.content === 'string') text += message.content;
    if (typeof message.refusal === 'string') text += message.refusal;
    for (const call of message.tool_calls ?? []) if (typeof call.function?.arguments === 'string') text += call.function.arguments;
  }
  return text;
}

/** Usage of a non-streaming completion: the cloud's, else counted (flagged estimated). */
export function readCompletionUsage(completion: ChatCompletion, needs: RequestNeeds): { usage: TokenUsage; estimated: boolean } {
  if (completion.usage !== undefined) return { usage: readTokenUsage(completion.usage), estimated: false };
  return { usage: estimateTokenUsage(needs, countTextTokens(completionText(completion))), estimated: true };
}

/** Usage of a stream: the cloud's when it reported it, else counted from what the stream delivered (flagged estimated). */
export function readStreamUsage(usage: Usage | null, needs: RequestNeeds, delivered: { outputTokens(): number }): { usage: TokenUsage; estimated: boolean } {
  if (usage !== null) return { usage: readTokenUsage(usage), estimated: false };
  return { usage: estimateTokenUsage(needs, delivered.outputTokens()), estimated: true };
}
