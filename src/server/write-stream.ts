// Streams SSE bytes to the client with backpressure; a failure after the first byte becomes an error event.
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { ClientClosedError, toCrosswayError, type CrosswayError } from '../wire/index.ts';
import { encodeStreamError } from './send-error.ts';

export interface StreamOutcome {
  /** The error that ended the stream early, if any. */
  error: CrosswayError | null;
  /** performance.now() when the first byte was handed to the socket. */
  firstByteAt: number | null;
}

/** Hooks around the bytes of a stream (metering); a hook that returns a promise holds the stream until it settles. */
export interface StreamHooks {
  /** Before each chunk is written. */
  beforeChunk?(chunk: Uint8Array): void | Promise<void>;
  /** After the last chunk, before the response ends. */
  beforeEnd?(): void | Promise<void>;
}

/**
 * Writes every chunk of `body`; never throws. Stops (and so aborts the upstream) when the client goes away. Hooks run
 * inline rather than as another async iterator around the body: a layer of generators costs a promise per chunk.
 */
export async function writeStream(
  res: ServerResponse,
  headers: Record<string, string>,
  body: AsyncIterable<Uint8Array>,
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
  try {
    for await (const chunk of body) {
      if (signal.aborted) throw new ClientClosedError();
      const held = hooks.beforeChunk?.(chunk);
      if (held !== undefined) await held;
      firstByteAt ??= performance.now();
      if (!res.write(chunk)) await once(res, 'drain', { signal });
    }
    await hooks.beforeEnd?.();
    res.end();
    return { error: null, firstByteAt };
  } catch (thrown) {
    const error = signal.aborted ? new ClientClosedError() : toCrosswayError(thrown);
    if (error instanceof ClientClosedError) res.destroy();
    // No [DONE] after an error: clients must see the stream as failed, not as complete.
    else res.end(encodeStreamError(error));
    return { error, firstByteAt };
  }
}
