// `crossway serve --workers N|auto`: how many worker processes, and whether the configuration lets them share state.
import { availableParallelism } from 'node:os';
import type { CrosswayConfig } from '../catalog/index.ts';
import { UsageError } from './usage-error.ts';

/** Most workers one primary forks: far above any core count it makes sense to fill, low enough to bound a typo. */
export const MAX_WORKERS = 256;

/** The worker count of `--workers` (`auto`: one per available core), or undefined when not given. */
export function parseWorkers(value: string | undefined, cores: number = availableParallelism()): number | undefined {
  if (value === undefined) return undefined;
  if (value === 'auto') return Math.min(Math.max(1, cores), MAX_WORKERS);
  const count = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(count) || count < 1 || count > MAX_WORKERS) {
    throw new UsageError(`--workers must be a number from 1 to ${MAX_WORKERS} or 'auto', got '${value.slice(0, 40)}'.`);
  }
  return count;
}

/**
 * Refuses more than one worker where the workers could not act as one gateway: on SQLite (one database file has one
 * writer process, and each process would keep its own rate-limit and budget counters, so every limit would be
 * multiplied by the worker count), and on PostgreSQL without Redis (the store is shared, the limits still would not be).
 */
export function checkWorkersAllowed(config: CrosswayConfig, workers: number): void {
  if (workers <= 1) return;
  if (config.store.postgres === undefined) {
    throw new UsageError(
      `--workers ${workers} needs PostgreSQL and Redis (store.postgres or CROSSWAY_DATABASE_URL, redis.url or CROSSWAY_REDIS_URL): ` +
        'with SQLite one database file has one writer process, and each worker would count rate limits and budgets on its own, ' +
        'so every limit would be multiplied by the number of workers. Run one process (no --workers), or configure PostgreSQL and Redis.',
    );
  }
  if (config.redis.url === undefined) {
    throw new UsageError(
      `--workers ${workers} needs Redis too (redis.url or CROSSWAY_REDIS_URL): without it each worker counts rate limits and budgets ` +
        'on its own, so every limit would be multiplied by the number of workers.',
    );
  }
}
