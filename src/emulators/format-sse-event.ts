// Server-sent events framing of OpenAI-wire streams: one `data: <json>` block per chunk, `data: [DONE]` at the end.
// Source: OpenAI API reference, "Streaming" (https://platform.openai.com/docs/api-reference/streaming).

/** Headers of an OpenAI-wire SSE response. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
};

/** The end marker OpenAI-wire streams finish with. */
export const SSE_DONE = 'data: [DONE]\n\n';

/** One SSE event carrying `data` as JSON. */
export function formatSseEvent(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}
