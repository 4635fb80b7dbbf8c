// Frames a Responses API streaming event as OpenAI sends it over server-sent events.
import type { ResponseStreamEvent } from '../wire/index.ts';

/**
 * `event: <type>\ndata: <json>\n\n`: OpenAI names every event (unlike Chat Completions' unnamed `data:` lines) and
 * sends no `[DONE]` terminator; the stream ends after response.completed, .incomplete or .failed.
 */
export function encodeResponseStreamEvent(event: ResponseStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}
