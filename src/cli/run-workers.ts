// `crossway serve --workers N`: the cluster primary. It forks N workers that share the port (each a whole gateway, a
// replica on the shared PostgreSQL and Redis), replaces a worker that dies (with a backoff, and no more than a bounded
// number of times a minute, so that a crash loop does not spin), forwards SIGHUP (reload) and SIGTERM/SIGINT (graceful
// shutdown) to every worker, and exits once they all have.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { watchFileChanges } from './reload-on-signal.ts';

export interface RunWorkersOptions {
  workers: number;
  /** The configuration file, watched for changes with `watch`. */
  path: string;
  watch: boolean;
  logger: Logger;
  /** How long workers may take to stop after SIGTERM before they are killed: their grace period plus the flush. */
  stopTimeoutMs?: number;
  /** Most replacements in any minute; past it, a dying worker is not replaced (default 10). */
  restartsPerMinute?: number;
  /** First wait before a replacement, doubled for each replacement in the last minute, up to maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** The program workers run (tests); by default this one again, with the same arguments. */
  exec?: string;
}

const MINUTE_MS = 60_000;

/**
 * Runs the primary until SIGTERM/SIGINT and every worker's exit: resolves 0, or 1 when the workers kept dying until
 * none was left. Workers run the same command line (`cluster.fork()` runs this program again), see `cluster.isWorker`
 * and serve.
 */
export function runWorkers(options: RunWorkersOptions, onStarted: () => void = () => {}): Promise<number> {
  const { logger } = options;
  const restartsPerMinute = options.restartsPerMinute ?? 10;
  const baseBackoffMs = options.baseBackoffMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 10_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 60_000;
  const live = new Set<Worker>();
  const restarts: number[] = [];
  let pendingForks = 0;
  let stopping = false;
  let exitCode = 0;

  if (options.exec !== undefined) cluster.setupPrimary({ exec: options.exec, args: [] });
  return new Promise((resolve) => {
    const signalAll = (signal: NodeJS.Signals): void => {
      for (const worker of live) worker.process.kill(signal);
    };
    const finishIfDone = (): void => {
      if (live.size > 0 || pendingForks > 0) return;
      process.off('SIGHUP', onHangup);
      process.off('SIGINT', onStop);
      process.off('SIGTERM', onStop);
      watcher?.close();
      clearTimeout(killTimer);
      logger.info({ exit_code: exitCode }, 'all workers stopped');
      resolve(exitCode);
    };
    const fork = (): void => {
      const worker = cluster.fork();
      live.add(worker);
      worker.once('exit', (code, signal) => onExit(worker, code, signal));
    };
    const onExit = (worker: Worker, code: number | null, signal: string | null): void => {
      live.delete(worker);
      if (stopping) return finishIfDone();
      const now = Date.now();
      while (restarts.length > 0 && restarts[0]! <= now - MINUTE_MS) restarts.shift();
      if (restarts.length >= restartsPerMinute) {
        logger.error(
          { worker: worker.id, code, signal, restarts_last_minute: restarts.length, workers_left: live.size },
          'worker died; not replaced: too many replacements in the last minute (a crash loop)',
        );
        if (live.size === 0) {
          exitCode = 1;
          stopping = true;
          finishIfDone();
        }
        return;
      }
      restarts.push(now);
      const backoffMs = Math.min(maxBackoffMs, baseBackoffMs * 2 ** (restarts.length - 1));
      logger.warn({ worker: worker.id, pid: worker.process.pid, code, signal, backoff_ms: backoffMs }, 'worker died; replacing it');
      pendingForks += 1;
      setTimeout(() => {
        pendingForks -= 1;
        if (stopping) return finishIfDone();
        fork();
      }, backoffMs);
    };
    let killTimer: NodeJS.Timeout | undefined;
    const onStop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal, workers: live.size }, 'stopping: workers finish their calls in flight');
      // SIGTERM to each, whatever came here: a worker stops gracefully on either, and sends no second one.
      signalAll('SIGTERM');
      killTimer = setTimeout(() => {
        logger.error({ workers: live.size, timeout_ms: stopTimeoutMs }, 'workers did not stop in time; killing them');
        signalAll('SIGKILL');
      }, stopTimeoutMs);
      killTimer.unref();
      finishIfDone();
    };
    const onHangup = (): void => {
      logger.info({ workers: live.size }, 'reloading the configuration in every worker');
      signalAll('SIGHUP');
    };
    process.on('SIGINT', onStop);
    process.on('SIGTERM', onStop);
    process.on('SIGHUP', onHangup);
    const watcher = options.watch ? watchFileChanges(options.path, onHangup, logger) : null;
    for (let index = 0; index < options.workers; index += 1) fork();
    process.stdout.write(`Crossway primary (pid ${process.pid}) runs ${options.workers} workers (config ${options.path})\n`);
    onStarted();
  });
}
