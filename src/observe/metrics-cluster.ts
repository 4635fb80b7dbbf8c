// `crossway serve --workers N`: every worker keeps its own registry, and the primary sums them when it is scraped, with
// prom-client's AggregatorRegistry over the cluster's IPC channel (counters and histograms summed; each gauge by its
// own `aggregator`).
import { AggregatorRegistry } from 'prom-client';
import type { GatewayMetrics } from './metrics.ts';

/** In a worker: answers the primary's requests for this worker's metrics (one gateway per worker process). */
export function shareWorkerMetrics(metrics: GatewayMetrics): void {
  // Constructing one adds the worker's IPC listener (once per process).
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([metrics.registry, metrics.budgetRegistry]);
}

/** In the primary: the text exposition of every worker's metrics together; rejects when a worker does not answer within 5 s. */
export function createClusterMetrics(): { render(): Promise<string>; contentType: string } {
  const registry = new AggregatorRegistry();
  return { render: () => registry.clusterMetrics(), contentType: registry.contentType };
}
