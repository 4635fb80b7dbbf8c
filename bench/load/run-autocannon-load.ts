// Closed-loop load with autocannon: N keep-alive connections, each sending the next request as soon as the previous
// answer ended. Latencies are taken from autocannon's per-response event (fractional milliseconds) into our own
// histogram, because autocannon's own histogram keeps whole milliseconds only.
import autocannon from 'autocannon';
import { LatencyRecorder } from '../latency-recorder.ts';
import type { LoadRequest, LoadResult } from './load-request.ts';

export interface AutocannonLoadOptions {
  connections: number;
  durationMs: number;
}

/** Runs one closed-loop measurement; never throws for failed requests (they are counted). */
export async function runAutocannonLoad(request: LoadRequest, options: AutocannonLoadOptions): Promise<LoadResult> {
  const latency = new LatencyRecorder();
  let completed = 0;
  let non2xx = 0;
  const started = performance.now();
  const result = await new Promise<autocannon.AutocannonResult>((resolve, reject) => {
    const instance = autocannon(
      {
        url: request.url,
        method: 'POST',
        headers: request.headers,
        body: request.body,
        connections: options.connections,
        duration: options.durationMs / 1000,
        pipelining: 1,
        timeout: 10,
      },
      (error, finished) => (error === null ? resolve(finished) : reject(error)),
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
      if (statusCode >= 200 && statusCode < 300) {
        completed += 1;
        latency.record(responseTimeMs);
      } else non2xx += 1;
    });
  });
  const durationMs = performance.now() - started;
  return {
    durationMs,
    completed,
    non2xx,
    errors: result.errors, // timeouts included
    dropped: 0,
    rps: (completed * 1000) / durationMs,
    latency,
    ttfb: new LatencyRecorder(),
  };
}
