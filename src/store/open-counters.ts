// Chooses the counters of a gateway from its configuration: Redis with a local fallback when `redis.url` is set
// (shared limits across replicas), else memory (one process).
import { Redis } from 'ioredis';
import type { Counters } from './counters.ts';
import { MemoryCounters } from './memory-counters.ts';
import { RedisCounters } from './redis-counters.ts';
import { type CountersLogger, RedisFailoverCounters } from './redis-failover-counters.ts';

/** The `redis` section of the configuration (the URL is a Secret: revealed only to connect). */
export interface CountersConfig {
  url?: { reveal(): string } | undefined;
  key_prefix: string;
}

export interface OpenCountersOptions {
  /** How long a command may take before Redis counts as unreachable (and local limits are used). */
  commandTimeoutMs?: number;
  /** How long opening waits for a first connection before starting on local limits. */
  connectTimeoutMs?: number;
  probeIntervalMs?: number;
}

/** Opened counters, and their health for `/readyz` (null when there is no shared backend). */
export interface OpenedCounters {
  counters: Counters;
  describeHealth: (() => string) | null;
}

/** Opens the counters the configuration names. Never fails for want of Redis: it then starts on local limits. */
export async function openCounters(config: CountersConfig, logger: CountersLogger, options: OpenCountersOptions = {}): Promise<OpenedCounters> {
  if (config.url === undefined) return { counters: new MemoryCounters(), describeHealth: null };
  const connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
  const client = new Redis(config.url.reveal(), {
    // Fail fast instead of queueing while disconnected: the failover serves local limits meanwhile.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 1_000,
    connectTimeout: connectTimeoutMs,
    // Reconnect forever, at most a second apart, so that shared limits resume soon after Redis returns.
    retryStrategy: (attempt: number) => Math.min(100 * attempt, 1_000),
  });
  // Connection errors are reported by the failover, once per outage and without the URL; ioredis would print them all.
  client.on('error', () => {});
  const counters = new RedisFailoverCounters({
    shared: new RedisCounters({ client, keyPrefix: config.key_prefix, closeClient: true }),
    logger,
    ...(options.probeIntervalMs === undefined ? {} : { probeIntervalMs: options.probeIntervalMs }),
  });
  if (!(await connected(client, connectTimeoutMs))) counters.markUnreachable(new Error('no connection to Redis at start'));
  return { counters, describeHealth: () => counters.describeHealth() };
}

/** Resolves true once the client is ready, false after `timeoutMs`. */
function connected(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    client.once('ready', onReady);
  });
}
