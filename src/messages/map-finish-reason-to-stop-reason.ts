// Maps a chat completion's finish reason to the Messages API's stop reason.
import type { FinishReason, MessagesStopReason } from '../wire/index.ts';

/**
 * `stop` -> `end_turn` (chat does not say whether a stop sequence ended the text), `length` -> `max_tokens`,
 * `tool_calls` / `function_call` -> `tool_use`, `content_filter` -> `refusal`; no reason (a stream cut short) -> `end_turn`.
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
