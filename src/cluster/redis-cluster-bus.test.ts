// The cluster bus over Redis: the shared contract, hostile messages, installations apart, and going on alone while
// Redis is down (a private redis-server this test stops and starts again).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createTestRedisPrefix, skipWithoutRedis, testRedisUrl } from '../store/test-backends.ts';
import { listen, runClusterBusCases } from './cluster-bus.case.test.ts';
import { MAX_CLUSTER_MESSAGE_BYTES } from './cluster-messages.ts';
import { connectClusterRedis, waitUntilReady } from './connect-cluster-redis.ts';
import { RedisClusterBus } from './redis-cluster-bus.ts';
import { freePort, startRedisServer, stopRedisServer } from './test-redis-server.ts';

const WAIT_MS = 10_000;
const quiet = pino({ level: 'silent' });

/** A bus with its own two connections; close() closes all three. */
function openBus(url: string, keyPrefix: string) {
  const publisher = connectClusterRedis(url, 'commands');
  const subscriber = connectClusterRedis(url, 'subscriber');
  const bus = new RedisClusterBus({ publisher, subscriber, keyPrefix, logger: quiet });
  return {
    bus,
    publisher,
    ready: () => Promise.all([waitUntilReady(publisher, WAIT_MS), waitUntilReady(subscriber, WAIT_MS)]),
    /** Resolves once the bus is subscribed (a message published from now on reaches it). */
    subscribed: () => waitUntil('the bus subscribed', () => bus.connected),
    close: async () => {
      await bus.close();
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}

async function waitUntil(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

let opened: Array<ReturnType<typeof openBus>> = [];
runClusterBusCases(
  'RedisClusterBus',
  {
    open: async () => {
      const prefix = createTestRedisPrefix('bus');
      opened = [0, 1, 2].map(() => openBus(testRedisUrl ?? '', prefix));
      await Promise.all(opened.map((entry) => entry.subscribed()));
      return opened.map((entry) => entry.bus);
    },
    close: async () => {
      await Promise.all(opened.map((entry) => entry.close()));
    },
  },
  { skip: skipWithoutRedis },
);

describe('RedisClusterBus: input from other processes', { skip: skipWithoutRedis }, () => {
  const prefix = createTestRedisPrefix('bus-hostile');
  let raw: Redis;
  let receiver: ReturnType<typeof openBus>;
  before(async () => {
    raw = new Redis(testRedisUrl ?? '');
    receiver = openBus(testRedisUrl ?? '', prefix);
    await receiver.subscribed();
  });
  after(async () => {
    await receiver.close();
    raw.disconnect();
  });

  it('drops what is too large, not JSON, or not of its channel; delivers the valid message after them', async () => {
    const channel = `${prefix}cluster:tenancy`;
    const envelope = (message: unknown, from = 'another-replica') => JSON.stringify({ from, message });
    const hostile = [
      'not json',
      JSON.stringify({ kind: 'key', id: 'key_1' }),
      envelope({ kind: 'key' }),
      envelope({ kind: 'user', id: 'x' }),
      envelope({ kind: 'key', id: 'key_1', extra: true }),
      envelope({ kind: 'key', id: 'k'.repeat(257) }),
      envelope({ kind: 'key', id: 'key_1' }, 'f'.repeat(65)),
      envelope({ kind: 'key', id: 'x'.repeat(MAX_CLUSTER_MESSAGE_BYTES) }),
      JSON.stringify({ from: 'another-replica', message: { kind: 'key', id: 'key_1' }, padding: 'é'.repeat(MAX_CLUSTER_MESSAGE_BYTES) }),
    ];
    const messages = listen(receiver.bus, 'tenancy');
    for (const text of hostile) await raw.publish(channel, text);
    await raw.publish(channel, envelope({ kind: 'key', id: 'key_ok' }));
    await messages.until(1);
    assert.deepEqual(messages.received, [{ kind: 'key', id: 'key_ok' }]);
    assert.equal(receiver.bus.stats.rejected, hostile.length);
    messages.stop();
  });

  it('a replica that could not send tells the others to resync once it can', async () => {
    const missedPrefix = createTestRedisPrefix('bus-missed');
    const first = openBus(testRedisUrl ?? '', missedPrefix);
    const second = openBus(testRedisUrl ?? '', missedPrefix);
    try {
      await Promise.all([first.subscribed(), second.subscribed()]);
      let resyncs = 0;
      second.bus.onResync(() => (resyncs += 1));
      first.publisher.disconnect();
      await waitUntil('the connection to close', () => first.publisher.status === 'end');
      first.bus.publish('tenancy', { kind: 'key', id: 'lost' });
      await first.publisher.connect();
      await waitUntil('the other replica to resync', () => resyncs === 1);
      assert.equal(second.bus.connected, true, 'the other replica never lost Redis itself');
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('hears nothing from an installation with another key prefix', async () => {
    const other = openBus(testRedisUrl ?? '', createTestRedisPrefix('bus-other'));
    await other.subscribed();
    const messages = listen(receiver.bus, 'tenancy');
    other.bus.publish('tenancy', { kind: 'key', id: 'elsewhere' });
    await raw.publish(`${prefix}cluster:tenancy`, JSON.stringify({ from: 'x', message: { kind: 'key', id: 'here' } }));
    await messages.until(1);
    assert.deepEqual(messages.received, [{ kind: 'key', id: 'here' }]);
    messages.stop();
    await other.close();
  });
});

describe('RedisClusterBus: Redis stops and comes back', { skip: skipWithoutRedis }, () => {
  let port: number;
  let server: ChildProcess | undefined;
  before(async () => {
    port = await freePort();
    server = await startRedisServer(port);
  });
  after(async () => {
    if (server !== undefined) await stopRedisServer(server);
  });

  it('publishing while Redis is down neither throws nor waits; the replicas resync and hear each other again after', async () => {
    const url = `redis://127.0.0.1:${port}`;
    const prefix = 'cwtest:resync:';
    const first = openBus(url, prefix);
    const second = openBus(url, prefix);
    try {
      await Promise.all([first.subscribed(), second.subscribed()]);
      let resyncs = 0;
      second.bus.onResync(() => (resyncs += 1));
      await stopRedisServer(server as ChildProcess);
      await waitUntil('the bus to notice', () => !second.bus.connected && !first.bus.connected);
      const started = performance.now();
      first.bus.publish('tenancy', { kind: 'key', id: 'lost' });
      assert.ok(performance.now() - started < 1_000, 'publish returns at once');
      server = await startRedisServer(port);
      // Once for its own interruption, and maybe once more for the first replica's message that it missed one.
      await waitUntil('the resync', () => resyncs >= 1);
      await first.subscribed();
      const messages = listen(second.bus, 'tenancy');
      first.bus.publish('tenancy', { kind: 'key', id: 'after' });
      await messages.until(1);
      assert.deepEqual(messages.received, [{ kind: 'key', id: 'after' }]);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
