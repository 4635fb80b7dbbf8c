// RedisCounters: the Counters contract on the Redis of CROSSWAY_TEST_REDIS_URL under a private key prefix, one round
// trip per admission and per settlement (counted on the wire), and keys that expire once they carry nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { runCountersTests } from './counters.case.test.ts';
import { RedisCounters } from './redis-counters.ts';
import { createTestRedisPrefix, skipWithoutRedis, testRedisUrl } from './test-backends.ts';

const prefix = createTestRedisPrefix('counters');
const MINUTE = 60_000;

/** Deletes the keys this file made (its own prefix only). */
async function deleteTestKeys(): Promise<void> {
  const client = new Redis(testRedisUrl!);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/** A client that counts the commands it sends: each is one round trip. */
function countingClient(): { client: Redis; sent: string[] } {
  const client = new Redis(testRedisUrl!);
  const sent: string[] = [];
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((command: Parameters<Redis['sendCommand']>[0], stream?: Parameters<Redis['sendCommand']>[1]) => {
    sent.push(command.name);
    return send(command, stream);
  }) as Redis['sendCommand'];
  return { client, sent };
}

describe('RedisCounters', { skip: skipWithoutRedis }, () => {
  after(deleteTestKeys);

  runCountersTests({
    name: 'RedisCounters',
    controlsClock: false,
    open: async () => new RedisCounters({ client: new Redis(testRedisUrl!), keyPrefix: prefix, closeClient: true }),
  });

  describe('round trips', () => {
    let counters: RedisCounters;
    let sent: string[];
    before(async () => {
      const counting = countingClient();
      await new Promise((resolve) => counting.client.once('ready', resolve));
      sent = counting.sent;
      counters = new RedisCounters({ client: counting.client, keyPrefix: prefix, closeClient: true });
    });
    after(() => counters.close());

    it('admits six limits in one command, settles them in one, and loads a new budget with one more', async () => {
      const batch = (name: string) => ({
        takes: [
          { key: `rt:rpm:key:${name}`, cost: 1, limit: 100, windowMs: MINUTE },
          { key: `rt:rpm:tenant:${name}`, cost: 1, limit: 100, windowMs: MINUTE },
          { key: `rt:tpm:key:${name}`, cost: 50, limit: 10_000, windowMs: MINUTE },
          { key: `rt:tpm:tenant:${name}`, cost: 50, limit: 10_000, windowMs: MINUTE },
        ],
        reservations: [
          { key: `rt:budget:key:${name}`, amount: 10n, limit: 1_000n, loadSpent: async () => 0n },
          { key: `rt:budget:tenant:${name}`, amount: 10n, limit: 1_000n, loadSpent: async () => 0n },
        ],
      });
      // The scripts reach the server's cache on first use (EVALSHA, then EVAL once); from then on EVALSHA alone.
      await counters.admit(batch('warm-up'));
      await counters.settleAll({ adjusts: [], settlements: [], releases: [{ key: 'rt:budget:key:warm-up', reserved: 10n }] });

      sent.length = 0;
      const before = counters.roundTrips;
      const first = await counters.admit(batch('a'));
      assert.equal(first.ok, true);
      assert.deepEqual(sent, ['evalsha', 'evalsha'], 'budgets seen for the first time: one to learn they are missing, one to admit');
      assert.equal(counters.roundTrips - before, 2);

      sent.length = 0;
      const second = await counters.admit(batch('a'));
      assert.equal(second.ok, true);
      assert.deepEqual(sent, ['evalsha'], 'one round trip per admission');

      sent.length = 0;
      await counters.settleAll({
        adjusts: [
          { key: 'rt:tpm:key:a', amount: 20, limit: 10_000, windowMs: MINUTE },
          { key: 'rt:tpm:tenant:a', amount: 20, limit: 10_000, windowMs: MINUTE },
        ],
        settlements: [
          { key: 'rt:budget:key:a', reserved: 10n, actual: 4n },
          { key: 'rt:budget:tenant:a', reserved: 10n, actual: 4n },
        ],
        releases: [],
      });
      assert.deepEqual(sent, ['evalsha'], 'one round trip per settlement');
      assert.deepEqual(await counters.reserve('rt:budget:key:a', 0n, 1_000n, async () => 0n), { ok: true, spent: 4n, reserved: 10n, limit: 1_000n });
    });

    it('lets buckets expire once they would be full, and budgets after their idle time', async () => {
      const client = new Redis(testRedisUrl!);
      try {
        await counters.take('ttl:rpm', 1, 60, MINUTE);
        await counters.reserve('ttl:budget', 1n, 10n, async () => 0n);
        const bucketTtl = await client.pttl(`${prefix}counters:ttl:rpm`);
        const budgetTtl = await client.pttl(`${prefix}counters:ttl:budget`);
        assert.ok(bucketTtl > 0 && bucketTtl <= 2_000, `one unit of 60/min refills in a second, plus a second: ${bucketTtl}`);
        assert.ok(budgetTtl > 5 * 3_600_000 && budgetTtl <= 6 * 3_600_000, `budget TTL ${budgetTtl}`);
        await counters.adjust('ttl:rpm', 1, 60, MINUTE);
        assert.equal(await client.exists(`${prefix}counters:ttl:rpm`), 0, 'a full bucket is no key at all');
      } finally {
        client.disconnect();
      }
    });

    it('reads a budget with one HMGET: no script, nothing written, its idle time left as it was', async () => {
      const client = new Redis(testRedisUrl!);
      try {
        await counters.reserve('read:budget', 3n, 10n, async () => 1n);
        const key = `${prefix}counters:read:budget`;
        await client.pexpire(key, 60_000);
        sent.length = 0;
        const before = counters.roundTrips;
        assert.deepEqual(await counters.readBudget('read:budget'), { spent: 1n, reserved: 3n });
        assert.equal(await counters.readBudget('read:missing'), null);
        assert.deepEqual(sent, ['hmget', 'hmget']);
        assert.equal(counters.roundTrips, before, 'roundTrips counts admissions and settlements only');
        const ttl = await client.pttl(key);
        assert.ok(ttl > 0 && ttl <= 60_000, `the read did not refresh the TTL: ${ttl}`);
        assert.equal(await client.exists(`${prefix}counters:read:missing`), 0, 'reading a missing budget creates nothing');
      } finally {
        client.disconnect();
      }
    });

    it('refuses amounts it could not keep exact, and takes a limit beyond them as one no spend reaches', async () => {
      await assert.rejects(
        counters.reserve('range', 10n ** 24n, 10n ** 25n, async () => 0n),
        RangeError,
      );
      await assert.rejects(counters.settle('range', -1n, 0n), RangeError);
      const huge = await counters.reserve('range-limit', 10n ** 23n, 10n ** 30n, async () => 0n);
      assert.deepEqual(huge, { ok: true, spent: 0n, reserved: 10n ** 23n, limit: 10n ** 30n }, 'a limit beyond them is one no spend reaches');
    });
  });
});
