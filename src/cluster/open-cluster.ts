// Opens a replica's membership of the cluster on the configured Redis (`redis.url`): two connections (commands, and a
// dedicated subscriber), the bus, the probe lock and the shared decisions. An unreachable Redis does not stop the start:
// the replica goes on alone and joins when Redis answers.
import type { Redis } from 'ioredis';
import type { Secret } from '../catalog/index.ts';
import type { Logger } from '../observe/index.ts';
import { Cluster } from './cluster.ts';
import { connectClusterRedis, waitUntilReady } from './connect-cluster-redis.ts';
import { RedisClusterBus } from './redis-cluster-bus.ts';
import { RedisProbeLock } from './redis-probe-lock.ts';
import { RedisSharedDecisions } from './redis-shared-decisions.ts';

export interface OpenClusterOptions {
  /** The configuration's `redis.url`: revealed only to connect. */
  url: Secret;
  /** The configuration's `redis.key_prefix`. */
  keyPrefix: string;
  logger: Logger;
  /** How long the start waits for Redis before going on alone; default 2 s. */
  connectWaitMs?: number;
  /** How long a queued decision is readable from Redis; default 60 s. */
  decisionTtlMs?: number;
}

/** Connects to Redis and returns the membership; close() it at shutdown (it closes both connections). */
export async function openCluster(options: OpenClusterOptions): Promise<Cluster> {
  const url = options.url.reveal();
  let commands: Redis;
  let subscriber: Redis;
  try {
    commands = connectClusterRedis(url, 'commands');
    subscriber = connectClusterRedis(url, 'subscriber');
  } catch {
    // The parser's message may quote the URL, password included: it is not passed on.
    throw new Error('redis.url (or CROSSWAY_REDIS_URL) is not a valid Redis URL');
  }
  const logger = options.logger.child({ part: 'cluster' });
  const bus = new RedisClusterBus({ publisher: commands, subscriber, keyPrefix: options.keyPrefix, logger });
  const wait = options.connectWaitMs ?? 2_000;
  const [commandsReady, subscriberReady] = await Promise.all([waitUntilReady(commands, wait), waitUntilReady(subscriber, wait)]);
  if (!commandsReady || !subscriberReady) {
    logger.warn('cluster: Redis unreachable at start; this replica goes on alone until it answers');
  }
  return new Cluster({
    bus,
    probeLock: new RedisProbeLock(commands, options.keyPrefix, bus.replicaId),
    decisions: new RedisSharedDecisions(commands, { keyPrefix: options.keyPrefix, ttlMs: options.decisionTtlMs }),
    release: async () => {
      await Promise.all([quit(commands), quit(subscriber)]);
    },
  });
}

/** Closes a connection politely when it is up, at once otherwise (QUIT would wait for a reconnection). */
async function quit(redis: Redis): Promise<void> {
  if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
}
