// Encodes Server-Sent Events that Crossway writes itself (translated chunks, the end marker, error events).
// Format: WHATWG HTML Living Standard, "Server-sent events" §9.2.5; the `[DONE]` marker is OpenAI's
// (API reference, "Create chat completion", `stream`).

const encoder = new TextEncoder();

/**
 * `data: <JSON>\n\n` as bytes. JSON.stringify escapes every line break inside strings, so the value always fits on
 * one `data` line.
 */
export function encodeSseData(value: unknown): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(value)}\n\n`);
}

/** `data: [DONE]\n\n`, the end marker of an OpenAI chat-completion stream (a fresh copy each call). */
export function encodeSseDone(): Uint8Array {
  return encoder.encode('data: [DONE]\n\n');
}
