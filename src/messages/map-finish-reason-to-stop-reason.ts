// Maps a chat completion's finish reason to the Messages API's stop reason.
import type { FinishReason, MessagesStopReason } from '../wire/index.ts';

/**
 * `stop` -> `end_turn` (chat does not say whether a stop sequence ended the text), `length` -> `max_tokens`,
 * `tool_calls` / `function_call` -> `tool_use`, `content_filter` -> `refusal`; no reason (a stream cut short) -> `end_turn`.
 *
 * Why never `stop_sequence` (and `stop_sequence: null` in the message): chat's `stop` means both "the model ended" and
 * "a stop sequence matched", and the matched sequence is cut from the text, so it cannot be read back from the answer.
 * No route of an OpenAI model reports it either: OpenAI, Azure and the OpenAI-compatible APIs have no such field, and
 * Bedrock Converse tells only that one matched (`stopReason: stop_sequence`); which one comes back through
 * `additionalModelResponseFieldPaths: ["/stop_sequence"]` only for models whose native answer has that field
 * (Anthropic's), not for gpt-oss, whose native answer is a chat completion.
 */
export function mapFinishReasonToStopReason(reason: FinishReason | string | null | undefined): MessagesStopReason {
  switch (reason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}
