// Writes a handler's answer to the socket: a whole body with its length, or a stream as SSE with backpressure, ended
// by an error event when it fails after its head (no `[DONE]`: clients must see the stream as failed, not complete).
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { ClientClosedError, type CrosswayError, toCrosswayError } from '../wire/index.ts';
import type { BodyResult, HttpResult, StreamWriter } from './gateway-types.ts';
import { encodeStreamError, errorResult } from './http-result.ts';

/** How writing an answer went, for the request log. */
export interface WriteOutcome {
  status: number;
  /** The error the client was answered with, or that cut its stream short; null when the answer completed. */
  error: CrosswayError | null;
  /** performance.now() when the first byte of a stream's body was handed to the socket. */
  firstByteAt: number | null;
}

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };

/** Writes `result`; never throws. A stream that fails before its head is answered as the error instead. */
export async function writeResult(res: ServerResponse, result: HttpResult, signal: AbortSignal): Promise<WriteOutcome> {
  if ('body' in result) {
    writeBody(res, result);
    return { status: result.status, error: null, firstByteAt: null };
  }
  let firstByteAt: number | null = null;
  const writer: StreamWriter = {
    head(headers) {
      if (!res.headersSent) res.writeHead(200, { ...result.headers, ...headers, ...SSE_HEADERS });
    },
    write(bytes) {
      if (signal.aborted) throw new ClientClosedError();
      writer.head({});
      firstByteAt ??= performance.now();
      if (!res.write(bytes)) return once(res, 'drain', { signal }).then(() => undefined);
      return undefined;
    },
  };
  try {
    await result.stream(writer);
    writer.head({});
    res.end();
    return { status: 200, error: null, firstByteAt };
  } catch (thrown) {
    const error = signal.aborted ? new ClientClosedError() : toCrosswayError(thrown);
    // An Anthropic-shaped error names the request (the `request-id` header its route sets).
    const requestId = res.getHeader('request-id');
    if (error instanceof ClientClosedError) res.destroy();
    else if (!res.headersSent) writeBody(res, errorResult(error, result.errorShape, typeof requestId === 'string' ? requestId : null));
    else res.end(encodeStreamError(error, result.errorShape));
    return { status: error.status, error, firstByteAt };
  }
}

function writeBody(res: ServerResponse, result: BodyResult): void {
  const length = typeof result.body === 'string' ? Buffer.byteLength(result.body) : result.body.byteLength;
  res.writeHead(result.status, { 'content-type': 'application/json', ...result.headers, 'content-length': length });
  res.end(result.body);
}
