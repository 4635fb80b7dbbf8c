// Decisions shared between replicas through Redis until stored: readable anywhere at once, validated when read back.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { DecisionRecord } from '../store/index.ts';
import { createTestRedisPrefix, skipWithoutRedis, testRedisUrl } from '../store/test-backends.ts';
import { RedisSharedDecisions } from './redis-shared-decisions.ts';

const decision = (id: string): DecisionRecord => ({
  id,
  tenant: 'acme',
  model: 'gpt-5.5',
  at: '2026-12-07T12:00:00.000Z',
  constraints: {},
  kept: [{ route: 'azure-eastus2', provider: 'azure', region: 'eastus2', rank: 1, basis: 'catalog order' }],
  rejected: [{ route: 'bedrock', provider: 'bedrock', region: 'us-east-1', reasons: [{ code: 'region', detail: 'outside the tenant regions' }] }],
  attempts: [{ route: 'azure-eastus2', status: 200, latency_ms: 12, error: null }],
});

describe('RedisSharedDecisions', { skip: skipWithoutRedis }, () => {
  const prefix = createTestRedisPrefix('decisions');
  let redis: Redis;
  let other: Redis;
  before(() => {
    redis = new Redis(testRedisUrl ?? '');
    other = new Redis(testRedisUrl ?? '');
  });
  after(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    other.disconnect();
  });

  it('a decision put by one replica is read by another, until its time to live ends', async () => {
    const writer = new RedisSharedDecisions(redis, { keyPrefix: prefix, ttlMs: 60_000 });
    const reader = new RedisSharedDecisions(other, { keyPrefix: prefix });
    const record = decision('dec_0001');
    writer.put(record);
    await writer.flush();
    assert.deepEqual(await reader.get('dec_0001'), record);
    assert.equal(await reader.get('dec_unknown'), null);
    const ttl = await redis.pttl(`${prefix}decision:dec_0001`);
    assert.ok(ttl > 0 && ttl <= 60_000);

    const shortLived = new RedisSharedDecisions(redis, { keyPrefix: prefix, ttlMs: 20 });
    shortLived.put(decision('dec_0002'));
    await shortLived.flush();
    for (let tries = 0; (await reader.get('dec_0002')) !== null; tries += 1) {
      assert.ok(tries < 500, 'the decision never expired');
      await sleep(20);
    }
  });

  it('reads what is in Redis as input: not JSON, not a decision, another id, or too long an id is none', async () => {
    const reader = new RedisSharedDecisions(other, { keyPrefix: prefix });
    await redis.set(`${prefix}decision:dec_bad1`, 'not json');
    await redis.set(`${prefix}decision:dec_bad2`, JSON.stringify({ id: 'dec_bad2', tenant: 'acme' }));
    await redis.set(`${prefix}decision:dec_bad3`, JSON.stringify(decision('dec_other')));
    await redis.set(`${prefix}decision:dec_bad4`, JSON.stringify({ ...decision('dec_bad4'), tenant: 42 }));
    for (const id of ['dec_bad1', 'dec_bad2', 'dec_bad3', 'dec_bad4', `dec_${'x'.repeat(200)}`]) assert.equal(await reader.get(id), null, id);
  });

  it('sends the decisions of one turn after the turn, in one command per 500', async () => {
    // A connection of its own whose commands the test counts (the shared server's statistics count other tests' too).
    const counted = new Redis(testRedisUrl ?? '');
    let commands = 0;
    const send = counted.sendCommand.bind(counted);
    counted.sendCommand = (...args: Parameters<typeof send>) => {
      commands += 1;
      return send(...args);
    };
    try {
      await counted.ping();
      const writer = new RedisSharedDecisions(counted, { keyPrefix: prefix });
      const ids = Array.from({ length: 600 }, (_, i) => `dec_batch_${i}`);
      commands = 0;
      for (const id of ids) writer.put(decision(id));
      assert.equal(commands, 0, 'nothing is sent during the turn that put them');
      await writer.flush();
      assert.equal(commands, 2);
      assert.equal(await redis.exists(...ids.map((id) => `${prefix}decision:${id}`)), 600);
    } finally {
      counted.disconnect();
    }
  });

  it('does not share a decision larger than its bound', async () => {
    const writer = new RedisSharedDecisions(redis, { keyPrefix: prefix });
    writer.put({ ...decision('dec_huge'), notes: ['x'.repeat(300 * 1024)] });
    writer.put(decision('dec_small'));
    await writer.flush();
    assert.equal(await redis.exists(`${prefix}decision:dec_huge`), 0);
    assert.equal(await redis.exists(`${prefix}decision:dec_small`), 1, 'the others of its pipeline are');
  });
});
