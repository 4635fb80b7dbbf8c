// Keeps count of what a chat or Responses stream delivered, for metering a stream that ends without the cloud's usage (the client
// went away, or an OpenAI-compatible server that reports none): the text of content, refusal and tool-argument
// deltas, counted with the real tokenizer only when it is needed.
import { countTextTokens } from '../metering/index.ts';

/** Bytes kept for an exact count; beyond them only bytes are counted, so that memory stays flat on endless streams. */
const MAX_KEPT_BYTES = 256 * 1024;

// A JSON string value of one of the keys whose text the model produced; escaped quotes stay inside the match. Chat
// chunks carry it in `content`, `refusal` and `arguments`; Responses API events (a native route's stream) in `delta`
// (text and argument deltas; a chat chunk's `delta` is an object and never matches).
const DELTA_TEXT = /"(?:content|refusal|arguments|delta)"\s*:\s*"((?:[^"\\]|\\.)*)"/g;

/**
 * Collects the generated text of OpenAI chat-completion SSE chunks as they pass. Passing costs a reference per chunk:
 * the chunks are decoded and searched only when a count is asked for (a cut stream, or a cloud that sent no usage),
 * which keeps the stream's hot path free of it.
 */
export class StreamedOutputTally {
  #kept: Uint8Array[] = [];
  #keptBytes = 0;
  #overflowBytes = 0;

  /** Notes one chunk of SSE bytes (whole events, as the adapters yield them). */
  push(chunk: Uint8Array): void {
    if (this.#keptBytes >= MAX_KEPT_BYTES) {
      this.#overflowBytes += chunk.byteLength;
      return;
    }
    this.#kept.push(chunk);
    this.#keptBytes += chunk.byteLength;
  }

  /**
   * Output tokens delivered so far, never fewer than the real count (a model's output is attacker-influenced, and this
   * is what gets billed): the kept text counted by countTextTokens (exact within its work budget, ~10 ms at most),
   * any overflow as the bytes of its text share, since every o200k_base token spans at least one byte.
   */
  outputTokens(): number {
    const decoder = new TextDecoder();
    let text = '';
    for (const chunk of this.#kept) {
      for (const match of decoder.decode(chunk, { stream: true }).matchAll(DELTA_TEXT)) text += readJsonString(match[1] ?? '');
    }
    // Past the kept bytes, the text is taken to be the same share of the bytes as in the kept part (the rest is SSE
    // framing and chunk JSON), one token per byte.
    const textShare = this.#keptBytes === 0 ? 0 : Buffer.byteLength(text) / this.#keptBytes;
    return countTextTokens(text) + Math.ceil(this.#overflowBytes * textShare);
  }
}
function readJsonString(escaped: string): string {
  if (!escaped.includes('\\')) return escaped;
  try {
    return JSON.parse(`"${escaped}"`) as string;
  } catch {
    return escaped;
  }
}
