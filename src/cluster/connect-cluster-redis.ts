// The Redis connections of the cluster part: fail fast while Redis is unreachable (each replica then goes on alone),
// reconnect for ever in the background, and never wait more than a second for an answer.
import { Redis } from 'ioredis';

/** Longest wait for any command: past it the replica acts alone (local health, local caches). */
export const CLUSTER_COMMAND_TIMEOUT_MS = 1_000;
/** Longest pause between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 2_000;

/**
 * A connection to the cluster's Redis. `subscriber` connections only (re)subscribe on 'ready' (RedisClusterBus does it,
 * so that it knows when the subscription is back); command connections pipeline what one tick sends.
 */
export function connectClusterRedis(url: string, role: 'commands' | 'subscriber'): Redis {
  const redis = new Redis(url, {
    // Commands are never queued while disconnected, nor retried after a drop: the caller goes on without Redis.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: CLUSTER_COMMAND_TIMEOUT_MS,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(100 * times, MAX_RECONNECT_DELAY_MS),
    enableAutoPipelining: role === 'commands',
    autoResubscribe: false,
    // Shown in CLIENT LIST, to tell the cluster's connections from the counters'.
    connectionName: `crossway-cluster-${role}`,
  });
  // Connection errors are reported as state changes by the bus (once per outage, not once per reconnection attempt);
  // without a listener ioredis would print every one of them.
  redis.on('error', () => {});
  return redis;
}

/** Resolves true once the connection is ready, false after `timeoutMs` (it goes on trying in the background). */
export function waitUntilReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ready: boolean): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ready);
    };
    const onReady = (): void => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    redis.on('ready', onReady);
  });
}
