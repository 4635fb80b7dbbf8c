// Maps a chat completion's finish_reason to the status a Response ends with.
// Source: OpenAI API reference, the Response object (`status`, `incomplete_details.reason`).
import type { FinishReason, ResponseIncompleteDetails } from '../wire/index.ts';

/** How a response ended, from the chat answer's finish_reason. */
export interface ResponseEnding {
  status: 'completed' | 'incomplete';
  incomplete_details: ResponseIncompleteDetails | null;
}

/**
 * `length` -> incomplete (`max_output_tokens`), `content_filter` -> incomplete (`content_filter`), anything else
 * (stop, tool_calls, a missing reason) -> completed.
 */
export function mapFinishReasonToResponseStatus(finishReason: FinishReason | null | undefined): ResponseEnding {
  switch (finishReason) {
    case 'length':
      return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
    case 'content_filter':
      return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
    default:
      return { status: 'completed', incomplete_details: null };
  }
}
