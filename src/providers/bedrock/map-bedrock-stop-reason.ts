// Maps Bedrock's `stopReason` to OpenAI's `finish_reason`.
// Source: botocore `bedrock-runtime/2023-09-30/service-2.json`, shape StopReason (end_turn, tool_use, max_tokens,
// stop_sequence, guardrail_intervened, content_filtered, malformed_model_output, malformed_tool_use,
// model_context_window_exceeded).
import type { FinishReason } from '../../wire/index.ts';

/**
 * OpenAI's finish reason for a Bedrock stop reason. `model_context_window_exceeded` is `length` (the answer was cut
 * because no room was left); the `malformed_*` reasons and any reason added later are `stop` (the model ended, and
 * OpenAI has no closer value).
 */
export function mapBedrockStopReason(stopReason: string): FinishReason {
  switch (stopReason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'tool_use':
      return 'tool_calls';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      return 'stop';
  }
}
