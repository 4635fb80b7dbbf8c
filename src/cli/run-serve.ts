// `crossway serve`: the gateway with a configuration file, as one process or (--workers) a primary and its workers.
import cluster from 'node:cluster';
import { loadCatalogFile } from '../catalog/index.ts';
import type { CrosswayConfig } from '../catalog/index.ts';
import { createClusterMetrics, createLogger, shareWorkerMetrics } from '../observe/index.ts';
import { MetricsListener, startGateway } from '../server/index.ts';
import { parsePort } from './parse-port.ts';
import { watchReload } from './reload-on-signal.ts';
import { checkWorkersAllowed, parseWorkers } from './parse-workers.ts';
import { holdStopSignals, waitForShutdown } from './wait-for-shutdown.ts';

/** `crossway serve`'s options, as given on the command line. */
export interface ServeArgs {
  config?: string;
  port?: string;
  host?: string;
  /** A count or `auto`; absent: one process and no cluster primary. */
  workers?: string;
  /** Reloads the configuration when its file changes, as SIGHUP does. */
  watch?: boolean;
}

/** Runs until SIGINT/SIGTERM; calls `onStarted` once it listens (a primary: once its workers were forked). */
export async function runServe(args: ServeArgs, onStarted: () => void = () => {}): Promise<number> {
  const path = args.config ?? process.env.CROSSWAY_CONFIG ?? 'crossway.yaml';
  // SIGHUP's default is to end the process: one that comes while starting (a primary forwarding it) is kept for later.
  let hangupWhileStarting = false;
  const onEarlyHangup = (): void => {
    hangupWhileStarting = true;
  };
  process.on('SIGHUP', onEarlyHangup);
  try {
    return await serve(path, args, onStarted, () => hangupWhileStarting);
  } finally {
    process.off('SIGHUP', onEarlyHangup);
  }
}

async function serve(path: string, args: ServeArgs, onStarted: () => void, hungUp: () => boolean): Promise<number> {
  const catalog = loadCatalogFile(path);
  const port = parsePort(args.port, '--port');
  const workers = parseWorkers(args.workers);
  if (workers !== undefined && cluster.isPrimary) {
    checkWorkersAllowed(catalog.config, workers);
    const { runWorkers } = await import('./run-workers.ts');
    // Workers get their grace period, then the time to flush and close, before the primary kills them.
    const stopTimeoutMs = catalog.config.server.shutdown_grace_ms + 30_000;
    const metrics = await serveClusterMetrics(catalog.config.metrics);
    try {
      return await runWorkers({ workers, path, watch: args.watch === true, logger: createServeLogger(), stopTimeoutMs }, onStarted);
    } finally {
      await metrics?.close();
    }
  }
  const logger = createServeLogger();
  const gateway = await startGateway({
    catalog,
    masterKey: catalog.config.server.master_key?.reveal() ?? process.env.CROSSWAY_MASTER_KEY,
    port,
    host: args.host,
    logger,
    // A worker's metrics are served, with every other worker's, by the primary's `metrics.listen`.
    metricsListener: !cluster.isWorker,
  });
  if (cluster.isWorker && gateway.metrics !== undefined) shareWorkerMetrics(gateway.metrics);
  // In a cluster the primary watches the file and signals every worker: one watcher, not one per worker.
  const reloads = watchReload({ path, gateway, logger, watchFile: args.watch === true && cluster.isPrimary });
  if (hungUp()) reloads.reload();
  const who = cluster.isWorker ? `Crossway worker ${cluster.worker?.id} (pid ${process.pid})` : 'Crossway';
  process.stdout.write(`${who} listening on ${gateway.url} (config ${path}, ${catalog.routes.length} routes, version ${catalog.version})\n`);
  onStarted();
  const signal = await waitForShutdown();
  reloads.stop();
  // The grace of the configuration running now: a reload may have changed it only for the next start.
  const graceMs = catalog.config.server.shutdown_grace_ms;
  logger.info({ signal, grace_ms: graceMs }, 'shutting down: no new connections; calls in flight may finish');
  const release = holdStopSignals((again) => logger.warn({ signal: again }, 'already shutting down'));
  try {
    await gateway.close({ graceMs });
  } finally {
    release();
  }
  logger.info('shut down');
  // A worker's channel to the primary would keep it alive: let it go, so that the process ends and the primary sees it.
  if (cluster.isWorker) cluster.worker?.disconnect();
  return 0;
}

/** The primary's `metrics.listen`: every worker's metrics summed (null when metrics are off or have no listener). */
async function serveClusterMetrics(config: CrosswayConfig['metrics']): Promise<MetricsListener | null> {
  if (!config.enabled || config.listen === undefined) return null;
  const listener = new MetricsListener(createClusterMetrics());
  process.stdout.write(`Crossway metrics of every worker on ${await listener.listen(config.listen)}\n`);
  return listener;
}

function createServeLogger() {
  return createLogger({ level: (process.env.CROSSWAY_LOG_LEVEL ?? 'info') as 'info' });
}
