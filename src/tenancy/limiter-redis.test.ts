// The Limiter over RedisCounters: a call limited by RPM, TPM and a budget on both its key and its tenant costs one
// round trip to admit and one to settle (counted on the wire), and refusals keep nothing in Redis either.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { type ApiKeyRecord, RedisCounters, type TenantRecord } from '../store/index.ts';
import { makeApiKey, makeTenant } from '../store/tenancy-store.case.test.ts';
import { createTestRedisPrefix, skipWithoutRedis, testRedisUrl } from '../store/test-backends.ts';
import { InsufficientQuotaError, RateLimitError } from '../wire/index.ts';
import { Limiter } from './limiter.ts';

const USD = 1_000_000n;
const prefix = createTestRedisPrefix('limiter');

describe('Limiter on Redis', { skip: skipWithoutRedis }, () => {
  let client: Redis;
  let counters: RedisCounters;
  const sent: string[] = [];
  let loads = 0;
  let limiter: Limiter;

  before(async () => {
    client = new Redis(testRedisUrl!);
    const send = client.sendCommand.bind(client);
    client.sendCommand = ((command: Parameters<Redis['sendCommand']>[0], stream?: Parameters<Redis['sendCommand']>[1]) => {
      sent.push(command.name);
      return send(command, stream);
    }) as Redis['sendCommand'];
    await new Promise((resolve) => client.once('ready', resolve));
    counters = new RedisCounters({ client, keyPrefix: prefix });
    limiter = new Limiter({
      counters,
      store: {
        sumUsage: async () => {
          loads += 1;
          return [];
        },
      },
    });
  });
  after(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });

  const budget = (limit: string) => ({ limit, currency: 'USD', period: 'month' as const });
  const limited = (id: string): { tenant: TenantRecord; key: ApiKeyRecord } => ({
    tenant: makeTenant({ id: `tenant-${id}`, name: id, rpm: 100, tpm: 100_000, budget: budget('100') }),
    key: makeApiKey({ id: `key_${id.padEnd(24, 'a')}`, tenant: `tenant-${id}`, rpm: 50, tpm: 50_000, budget: budget('10') }),
  });
  const call = (principal: { tenant: TenantRecord; key: ApiKeyRecord }, amount = USD) => ({
    ...principal,
    model: 'gpt-5.5',
    estimatedTokens: 100,
    worstCaseCosts: [{ amount, currency: 'USD' }],
  });

  it('admits with one round trip and settles with one, after one more for the first use of a budget', async () => {
    const principal = limited('rt');
    sent.length = 0;
    const first = await limiter.admit(call(principal));
    assert.equal(loads, 2, "the key's and the tenant's spend loaded from the ledger");
    assert.ok(sent.length <= 3, `first use: ${sent.join(', ')}`);
    await first.settle({ tokens: 80, cost: USD / 2n });

    for (let i = 0; i < 3; i += 1) {
      sent.length = 0;
      const before = counters.roundTrips;
      const admission = await limiter.admit(call(principal));
      assert.deepEqual(sent, ['evalsha'], 'six limits, one round trip');
      assert.equal(counters.roundTrips - before, 1);
      assert.equal(admission.headers()['x-ratelimit-limit-requests'], '50');
      sent.length = 0;
      await admission.settle({ tokens: 80, cost: USD / 2n });
      assert.deepEqual(sent, ['evalsha'], 'the settlement of six limits, one round trip');
    }
    assert.equal(loads, 2);
  });

  it('refuses with the limit that refused, keeping nothing', async () => {
    const principal = limited('refuse');
    const admitted = await limiter.admit(call(principal, 9n * USD));
    const error = await limiter.admit(call(principal, 2n * USD)).then(
      () => assert.fail('admitted'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof InsufficientQuotaError);
    assert.match(error.message, /^Budget exceeded for key key_refuse.*spent 0\.000000, reserved by requests in flight 9\.000000/);
    await admitted.release();
    const rpm = await counters.take(`rpm:key:${principal.key.id}`, 0, 50, 60_000);
    assert.equal(rpm.remaining, 49, 'only the admitted call took a request');
    const fresh = limited('tight');
    const tight = { ...fresh, key: { ...fresh.key, rpm: 2 } };
    await limiter.admit(call(tight));
    await limiter.admit(call(tight));
    await assert.rejects(limiter.admit(call(tight)), (e: unknown) => e instanceof RateLimitError && e.type === 'requests');
  });
});
