// RedisCounters: the Counters contract on the Redis of CROSSWAY_TEST_REDIS_URL, under a private key prefix, and one
// round trip per admission and per settlement, counted on the wire.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { runCountersTests } from './counters.case.test.ts';
import { RedisCounters } from './redis-counters.ts';
import { createTestRedisPrefix, skipWithoutRedis, testRedisUrl } from './test-backends.ts';

const prefix = createTestRedisPrefix('counters');

describe('RedisCounters', { skip: skipWithoutRedis }, () => {
  runCountersTests({
    name: 'RedisCounters',
    controlsClock: false,
    open: async () => new RedisCounters({ client: new Redis(testRedisUrl!), keyPrefix: prefix, closeClient: true }),
  });
});
