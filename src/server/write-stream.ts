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

/** Writes every chunk of `body`; never throws. Stops (and so aborts the upstream) when the client goes away. */
export async function writeStream(
  res: ServerResponse,
  headers: Record<string, string>,
  body: AsyncIterable<Uint8Array>,
  signal: AbortSignal,
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
      firstByteAt ??= performance.now();
      if (!res.write(chunk)) await once(res, 'drain', { signal });
    }
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
