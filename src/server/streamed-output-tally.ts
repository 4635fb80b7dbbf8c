// Keeps count of what a chat stream delivered, for metering a stream that ends without the cloud's usage (the client
// went away, or an OpenAI-compatible server that reports none): the text of content, refusal and tool-argument
// deltas, counted with the real tokenizer only when it is needed.
import { countTextTokens } from '../metering/index.ts';

/** Text kept for an exact count; beyond it only bytes are counted, so that memory stays flat on endless streams. */
const MAX_KEPT_CHARS = 64 * 1024;
/** Average UTF-8 bytes per o200k_base token, for the part of a very long stream whose text was not kept. */
const BYTES_PER_TOKEN_ESTIMATE = 4;

// A JSON string value of one of the keys whose text the model produced; escaped quotes stay inside the match.
const DELTA_TEXT = /"(?:content|refusal|arguments)"\s*:\s*"((?:[^"\\]|\\.)*)"/g;

/** Collects the generated text of OpenAI chat-completion SSE chunks as they pass. */
export class StreamedOutputTally {
  readonly #decoder = new TextDecoder();
  #kept: string[] = [];
  #keptChars = 0;
  #overflowBytes = 0;

  /** Reads one chunk of SSE bytes (whole events, as the adapters yield them). */
  push(chunk: Uint8Array): void {
    if (this.#keptChars >= MAX_KEPT_CHARS) {
      this.#overflowBytes += chunk.byteLength;
      return;
    }
    const text = this.#decoder.decode(chunk);
    for (const match of text.matchAll(DELTA_TEXT)) {
      const value = readJsonString(match[1] ?? '');
      this.#kept.push(value);
      this.#keptChars += value.length;
    }
  }

  /** Output tokens delivered so far: exact for the kept text, estimated for any overflow. */
  outputTokens(): number {
    const text = this.#kept.join('');
    this.#kept = text === '' ? [] : [text];
    return countTextTokens(text) + Math.ceil(this.#overflowBytes / BYTES_PER_TOKEN_ESTIMATE);
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
