// Keeps count of what a chat or Responses stream delivered, for metering a stream that ends without the cloud's usage (the client
// went away, or an OpenAI-compatible server that reports none): the text of content, refusal and tool-argument
// deltas, counted with the real tokenizer only when it is needed.
import { countTextTokens } from '../metering/index.ts';
import { createSseSplitter, type NativeResponsesEventValue } from '../providers/index.ts';
import type { ChatCompletionChunk } from '../wire/index.ts';

/** Bytes kept for an exact count; beyond them only bytes are counted, so that memory stays flat on endless streams. */
const MAX_KEPT_BYTES = 256 * 1024;

/**
 * Collects the generated text of a stream as it passes. Passing costs a reference per piece: the pieces are read only
 * when a count is asked for (a cut stream, or a cloud that sent no usage), which keeps the stream's hot path free of
 * it. Parsed pieces are read as they are; pass-through bytes are split into SSE events and JSON-parsed then.
 */
export class StreamedOutputTally {
  // The pieces as they passed, in two parallel arrays (no object per piece): their bytes, and their chat chunks or
  // native Responses events when the adapter parsed them (null for pass-through bytes, parsed only for a count).
  #keptBytesOf: Uint8Array[] = [];
  #keptParsed: (readonly unknown[] | null)[] = [];
  #keptBytes = 0;
  #overflowBytes = 0;

  /** Notes one piece of chat-completion SSE bytes (whole events), with its chunks when the adapter parsed them. */
  pushChat(bytes: Uint8Array, chunks: readonly ChatCompletionChunk[] | null): void {
    this.#keep(bytes, chunks);
  }

  /** Notes one piece of a native Responses stream: its bytes and its events, parsed. */
  pushResponses(bytes: Uint8Array, events: readonly NativeResponsesEventValue[]): void {
    this.#keep(bytes, events);
  }

  /**
   * Output tokens delivered so far, never fewer than the real count (a model's output is attacker-influenced, and this
   * is what gets billed): the kept text counted by countTextTokens (exact within its work budget, ~10 ms at most),
   * any overflow as the bytes of its text share, since every o200k_base token spans at least one byte.
   */
  outputTokens(): number {
    let text = '';
    const splitter = createSseSplitter();
    for (const [index, bytes] of this.#keptBytesOf.entries()) {
      const parsed = this.#keptParsed[index] ?? null;
      if (parsed !== null) {
        for (const value of parsed) text += readGeneratedText(value);
        continue;
      }
      for (const event of splitter.push(bytes)) {
        if (event.data === null || event.data.trim() === '[DONE]') continue;
        text += readGeneratedText(parseJson(event.data));
      }
    }
    // Past the kept bytes, the text is taken to be the same share of the bytes as in the kept part (the rest is SSE
    // framing and chunk JSON), one token per byte.
    const textShare = this.#keptBytes === 0 ? 0 : Buffer.byteLength(text) / this.#keptBytes;
    return countTextTokens(text) + Math.ceil(this.#overflowBytes * textShare);
  }

  #keep(bytes: Uint8Array, parsed: readonly unknown[] | null): void {
    if (this.#keptBytes >= MAX_KEPT_BYTES) {
      this.#overflowBytes += bytes.byteLength;
      return;
    }
    this.#keptBytesOf.push(bytes);
    this.#keptParsed.push(parsed);
    this.#keptBytes += bytes.byteLength;
  }
}

/**
 * The text the model produced in one chat chunk (every choice's content, refusal and tool-call arguments) or one
 * Responses event (its `delta`: text, refusal, argument and reasoning deltas; the `done` events repeat the whole text
 * and are not counted).
 */
function readGeneratedText(value: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  const record = value as { choices?: unknown; delta?: unknown };
  if (typeof record.delta === 'string') return record.delta;
  if (!Array.isArray(record.choices)) return '';
  let text = '';
  for (const choice of record.choices as { delta?: unknown }[]) {
    const delta = choice?.delta as { content?: unknown; refusal?: unknown; tool_calls?: unknown } | undefined;
    if (typeof delta !== 'object' || delta === null) continue;
    if (typeof delta.content === 'string') text += delta.content;
    if (typeof delta.refusal === 'string') text += delta.refusal;
    if (!Array.isArray(delta.tool_calls)) continue;
    for (const call of delta.tool_calls as { function?: { arguments?: unknown } }[]) {
      const argumentsText = call?.function?.arguments;
      if (typeof argumentsText === 'string') text += argumentsText;
    }
  }
  return text;
}

function parseJson(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    // Not JSON: the client got it as it came, but it holds no text a count could read.
    return undefined;
  }
}
