// Load through an undici Pool, taking every response body chunk by chunk, so that streaming answers give their time
// to first byte as well as their total time. Two modes: closed loop (N workers, each sending as soon as its previous
// answer ended) and open loop (a fixed request rate, spread evenly over 1 ms ticks, independent of how fast the target
// answers, so that latencies are those of a target under a known load).
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { LatencyRecorder } from '../latency-recorder.ts';
import type { LoadRequest, LoadResult } from './load-request.ts';

export interface UndiciLoadOptions {
  /** Pool connections; in closed loop also the number of concurrent requests. */
  connections: number;
  durationMs: number;
  /** Open loop: requests per second. Closed loop when absent. */
  rate?: number;
  /** Open loop: arrivals beyond this many outstanding requests are dropped and counted (bounds memory and time). */
  maxOutstanding?: number;
  /** Per-request deadline for headers and for silence inside the body. */
  timeoutMs?: number;
}

interface Counters {
  completed: number;
  non2xx: number;
  errors: number;
  dropped: number;
  latency: LatencyRecorder;
  ttfb: LatencyRecorder;
}

/** Runs one measurement; never throws for failed requests (they are counted). */
export async function runUndiciLoad(request: LoadRequest, options: UndiciLoadOptions): Promise<LoadResult> {
  const url = new URL(request.url);
  const pool = new Pool(url.origin, { connections: options.connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const counters: Counters = { completed: 0, non2xx: 0, errors: 0, dropped: 0, latency: new LatencyRecorder(), ttfb: new LatencyRecorder() };
  const send = () => sendOne(pool, url.pathname + url.search, request, options.timeoutMs ?? 10_000, counters);
  const started = performance.now();
  const end = started + options.durationMs;
  try {
    if (options.rate === undefined) await runClosedLoop(send, options.connections, end);
    else await runOpenLoop(send, options.rate, options.maxOutstanding ?? options.connections * 8, started, end, counters);
  } finally {
    await pool.close().catch(() => pool.destroy());
  }
  const durationMs = performance.now() - started;
  return { durationMs, rps: (counters.completed * 1000) / durationMs, ...counters };
}

async function runClosedLoop(send: () => Promise<boolean>, workers: number, end: number): Promise<void> {
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      // A failing target answers at once: pause so that the loop cannot spin.
      if (!(await send())) await sleep(1);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
}

async function runOpenLoop(
  send: () => Promise<boolean>,
  rate: number,
  maxOutstanding: number,
  started: number,
  end: number,
  counters: Counters,
): Promise<void> {
  let scheduled = 0;
  let outstanding = 0;
  let drained: (() => void) | null = null;
  const finish = (): void => {
    outstanding -= 1;
    if (outstanding === 0) drained?.();
  };
  for (let now = performance.now(); now < end; now = performance.now()) {
    const due = Math.floor(((now - started) * rate) / 1000) - scheduled;
    for (let k = 0; k < due; k++) {
      scheduled += 1;
      if (outstanding >= maxOutstanding) {
        counters.dropped += 1;
        continue;
      }
      outstanding += 1;
      void send().finally(finish);
    }
    await sleep(1);
  }
  if (outstanding > 0) await new Promise<void>((resolve) => (drained = resolve));
}

/**
 * Sends one request and takes its body chunk by chunk; false when it failed. undici's low-level `dispatch` handler is
 * used rather than `request()` and a Readable, so that the client costs little per chunk (on a 2-core machine the load
 * generator shares the CPU with the systems it measures).
 */
function sendOne(pool: Pool, path: string, request: LoadRequest, timeoutMs: number, counters: Counters): Promise<boolean> {
  return new Promise((resolve) => {
    const sentAt = performance.now();
    let status = 0;
    let firstByteAt = 0;
    pool.dispatch(
      { path, method: 'POST', headers: request.headers, body: request.body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs },
      {
        onRequestStart() {
          // Nothing to set up; its presence selects undici's current handler API.
        },
        onResponseStart(_controller, statusCode) {
          status = statusCode;
        },
        onResponseData(_controller, chunk) {
          if (firstByteAt === 0 && chunk.length > 0) firstByteAt = performance.now();
        },
        onResponseEnd() {
          const endedAt = performance.now();
          if (status < 200 || status >= 300) {
            counters.non2xx += 1;
            resolve(false);
            return;
          }
          counters.completed += 1;
          counters.latency.record(endedAt - sentAt);
          counters.ttfb.record((firstByteAt === 0 ? endedAt : firstByteAt) - sentAt);
          resolve(true);
        },
        onResponseError() {
          counters.errors += 1;
          resolve(false);
        },
      },
    );
  });
}
