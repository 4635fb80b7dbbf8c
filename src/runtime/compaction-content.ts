// Crossway's compaction items: POST /v1/responses/compact condenses a conversation into the user's messages plus one
// `compaction` item whose `encrypted_content` is opaque to clients (OpenAI's is encrypted with its own key). Crossway
// keeps the state, so its token simply carries the summary, versioned, for any route to read back as context.
import { InvalidRequestError } from '../wire/index.ts';

const PREFIX = 'crossway.compaction.v1.';

/** How the summary is introduced to the model when the compaction item is sent back as context. */
export const COMPACTION_PREAMBLE = 'Summary of the earlier part of this conversation (compacted):';

/** The instruction a compaction pass runs under. */
export const COMPACTION_INSTRUCTIONS =
  'Summarize the conversation so far for a model that will continue it without seeing it: keep every fact, decision, ' +
  'open question, tool result and commitment the user or the assistant made, in the order they happened. Write plain ' +
  'prose, no preamble.';

/** The opaque `encrypted_content` of a compaction item carrying `summary`. */
export function encodeCompactionContent(summary: string): string {
  return PREFIX + Buffer.from(JSON.stringify({ summary }), 'utf8').toString('base64url');
}

/** The summary a compaction item carries; 400 when the item was not made by Crossway (say, OpenAI's encrypted one). */
export function decodeCompactionContent(content: string): string {
  if (content.startsWith(PREFIX)) {
    try {
      const parsed = JSON.parse(Buffer.from(content.slice(PREFIX.length), 'base64url').toString('utf8')) as { summary?: unknown };
      if (typeof parsed.summary === 'string') return parsed.summary;
    } catch {
      // Falls through to the refusal below.
    }
  }
  throw new InvalidRequestError(
    'This compaction item was not made by this gateway: its encrypted_content cannot be read. Send the items it replaced instead, or compact again through this gateway.',
    'input',
    'invalid_encrypted_content',
  );
}
