// The half-open probe lock: one replica at a time, renewed by its holder, free again when the lease ends.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createTestRedisPrefix, skipWithoutRedis, testRedisUrl } from '../store/test-backends.ts';
import { RedisProbeLock } from './redis-probe-lock.ts';

describe('RedisProbeLock', { skip: skipWithoutRedis }, () => {
  const prefix = createTestRedisPrefix('probe');
  let redis: Redis;
  before(() => {
    redis = new Redis(testRedisUrl ?? '');
  });
  after(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('grants a route to one replica at a time; its holder may claim it again; other routes are apart', async () => {
    const first = new RedisProbeLock(redis, prefix, 'replica-1');
    const second = new RedisProbeLock(redis, prefix, 'replica-2');
    const claims = await Promise.all([first.claim('route-a', 60_000), second.claim('route-a', 60_000)]);
    assert.deepEqual(claims, [true, false]);
    assert.equal(await first.claim('route-a', 60_000), true, 'renewed by its holder');
    assert.equal(await second.claim('route-a', 60_000), false);
    assert.equal(await second.claim('route-b', 60_000), true);
    const ttl = await redis.pttl(`${prefix}probe:route-a`);
    assert.ok(ttl > 0 && ttl <= 60_000, `the lease is the one asked for (${ttl} ms left)`);
  });

  it('frees the route when the lease ends without an outcome', async () => {
    const first = new RedisProbeLock(redis, prefix, 'replica-1');
    const second = new RedisProbeLock(redis, prefix, 'replica-2');
    assert.equal(await first.claim('route-c', 50), true);
    assert.equal(await second.claim('route-c', 50), false);
    // Redis expires keys on its own clock; polling, not one fixed wait, keeps this exact on a loaded machine.
    for (let tries = 0; !(await second.claim('route-c', 60_000)); tries += 1) {
      assert.ok(tries < 500, 'the lease never ended');
      await sleep(20);
    }
    assert.equal(await first.claim('route-c', 60_000), false);
  });

  it('rejects when Redis cannot answer (route health then goes on alone)', async () => {
    const down = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    down.on('error', () => {});
    await assert.rejects(new RedisProbeLock(down, prefix, 'replica-1').claim('route-d', 1_000));
    down.disconnect();
  });
});
