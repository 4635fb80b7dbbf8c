// Streams a chat completion's SSE events to the client with backpressure; a failure after the first byte becomes an
// error event.
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { joinAdjacent, type ChatStreamEvent } from '../providers/index.ts';
import { ClientClosedError, toCrosswayError, type ChatCompletionChunk, type CrosswayError, type Usage } from '../wire/index.ts';
import { encodeStreamError } from './send-error.ts';

export interface StreamOutcome {
  /** The error that ended the stream early, if any. */
  error: CrosswayError | null;
  /** performance.now() when the first byte was handed to the socket. */
  firstByteAt: number | null;
}

/** Hooks around the events of a stream (metering); a hook that returns a promise holds the stream until it settles. */
export interface StreamHooks {
  /** Before a piece of chunks is written: its bytes, and its chunks when the adapter parsed them. */
  onChunks?(bytes: Uint8Array, chunks: readonly ChatCompletionChunk[] | null): void;
  /** On the usage event, before its bytes and the end marker are written. */
  onUsage?(usage: Usage): void | Promise<void>;
  /** After the last event was written, before the response ends. */
  beforeEnd?(): void | Promise<void>;
}

/**
 * Writes the bytes of every event; never throws. Stops (and so aborts the upstream) when the client goes away. Hooks
 * run inline rather than as another async iterator around the events: a layer of generators costs a promise per
 * chunk. The usage chunk's bytes are written with the `done` bytes that follow it, in one write (one view when they
 * are adjacent upstream bytes), so that the end of a stream costs no more writes than it did before it had events.
 */
export async function writeStream(
  res: ServerResponse,
  headers: Record<string, string>,
  events: AsyncIterable<ChatStreamEvent>,
  signal: AbortSignal,
  hooks: StreamHooks = {},
): Promise<StreamOutcome> {
  res.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
  });
  let firstByteAt: number | null = null;
  // The usage chunk, held until the next event's bytes go out with it.
  let held: Uint8Array | null = null;
  try {
    for await (const event of events) {
      if (signal.aborted) throw new ClientClosedError();
      if (event.type === 'usage') {
        const metered = hooks.onUsage?.(event.usage);
        if (metered !== undefined) await metered;
        held = event.bytes;
        continue;
      }
      if (event.type === 'chunks') hooks.onChunks?.(event.bytes, event.chunks);
      let bytes = event.bytes;
      if (held !== null) {
        bytes = joinAdjacent([held, bytes]);
        held = null;
      }
      firstByteAt ??= performance.now();
      if (!res.write(bytes)) await once(res, 'drain', { signal });
    }
    if (held !== null) res.write(held);
    await hooks.beforeEnd?.();
    res.end();
    return { error: null, firstByteAt };
  } catch (thrown) {
    const error = signal.aborted ? new ClientClosedError() : toCrosswayError(thrown);
    if (error instanceof ClientClosedError) res.destroy();
    else {
      // What the client was owed before the failure goes first; no [DONE] after an error: clients must see the stream
      // as failed, not as complete.
      if (held !== null) res.write(held);
      res.end(encodeStreamError(error));
    }
    return { error, firstByteAt };
  }
}
