// Closed-loop load spread over several gateways, as a load balancer with round-robin connection placement would:
// the connections are dealt to the gateways in turn, each keeps its gateway, and each sends its next request as soon
// as the last one answered. One gateway is the same loop with every connection on it, so that every target of a
// comparison is driven by the same code.
import type { LoadRequest, LoadResult } from './load-request.ts';
import { runUndiciLoad } from './run-undici-load.ts';
import { LatencyRecorder } from '../latency-recorder.ts';

export interface SpreadLoadOptions {
  /** Connections in all, dealt round-robin over the requests' gateways (at least one each). */
  connections: number;
  durationMs: number;
}

/** Runs `connections` closed-loop connections over `requests` (one per gateway) at once; the results summed. */
export async function runSpreadLoad(requests: readonly LoadRequest[], options: SpreadLoadOptions): Promise<LoadResult> {
  if (requests.length === 0) throw new Error('runSpreadLoad needs at least one gateway');
  const shares = requests.map((_, index) => Math.floor(options.connections / requests.length) + (index < options.connections % requests.length ? 1 : 0));
  const results = await Promise.all(
    requests.map((request, index) => runUndiciLoad(request, { connections: Math.max(1, shares[index]!), durationMs: options.durationMs })),
  );
  const total: LoadResult = {
    durationMs: Math.max(...results.map((result) => result.durationMs)),
    completed: 0,
    non2xx: 0,
    errors: 0,
    dropped: 0,
    rps: 0,
    latency: new LatencyRecorder(),
    ttfb: new LatencyRecorder(),
  };
  for (const result of results) {
    total.completed += result.completed;
    total.non2xx += result.non2xx;
    total.errors += result.errors;
    total.dropped += result.dropped;
    total.latency.add(result.latency);
    total.ttfb.add(result.ttfb);
  }
  total.rps = total.durationMs > 0 ? (total.completed * 1000) / total.durationMs : 0;
  return total;
}
