// RedisFailoverCounters through openCounters, against a private redis-server this test starts, kills and restarts:
// during the cut admissions succeed on local limits (one warning, no secret in it); afterwards shared limits apply.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { Redis } from 'ioredis';
import { MemoryCounters } from './memory-counters.ts';
import { openCounters, type OpenedCounters } from './open-counters.ts';
import { RedisCounters } from './redis-counters.ts';
import { RedisFailoverCounters } from './redis-failover-counters.ts';
import { skipWithoutRedis } from './test-backends.ts';

const MINUTE = 60_000;
const PASSWORD = 'failover-test-password';

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** A private redis-server (no persistence, a password), answering PING before this resolves (10 s at most). */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', PASSWORD], {
    stdio: 'ignore',
  });
  const client = new Redis({ port, password: PASSWORD, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => {});
  try {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      try {
        await client.connect();
        await client.ping();
        return child;
      } catch {
        client.disconnect();
        await sleep(100);
      }
    }
  } finally {
    client.disconnect();
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server on port ${port} did not answer within 10 s`);
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** Waits until `check` holds, polling every 50 ms, failing after `timeoutMs`. */
async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('RedisFailoverCounters', { skip: skipWithoutRedis }, () => {
  let port: number;
  let redis: ChildProcess;
  let logs: string[];
  let replicas: OpenedCounters[];

  before(async () => {
    port = await freePort();
    redis = await startRedis(port);
    logs = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          logs.push(chunk.toString());
          done();
        },
      }),
    );
    const config = { url: { reveal: () => `redis://:${PASSWORD}@127.0.0.1:${port}/0` }, key_prefix: 'failover-test:' };
    // Two replicas of one installation: the same Redis and prefix.
    replicas = [
      await openCounters(config, logger, { probeIntervalMs: 100, commandTimeoutMs: 500 }),
      await openCounters(config, logger, { probeIntervalMs: 100, commandTimeoutMs: 500 }),
    ];
  });
  after(async () => {
    for (const replica of replicas ?? []) await replica.counters.close();
    if (redis !== undefined) await stopRedis(redis);
  });

  const take = (replica: OpenedCounters, key: string) => replica.counters.take(key, 1, 2, MINUTE);
  const allowed = async (replica: OpenedCounters, key: string, times: number) => {
    const results = [];
    for (let i = 0; i < times; i += 1) results.push((await take(replica, key)).allowed);
    return results;
  };

  it('shares limits across replicas, serves local limits while Redis is down, and shares them again once it is back', async () => {
    const [a, b] = replicas as [OpenedCounters, OpenedCounters];
    assert.ok(a.counters instanceof RedisFailoverCounters);
    assert.equal(a.describeHealth?.(), 'ok');

    // Shared: an RPM of 2 holds across both replicas.
    assert.deepEqual(
      [...(await allowed(a, 'rpm:before', 1)), ...(await allowed(b, 'rpm:before', 1)), ...(await allowed(a, 'rpm:before', 1))],
      [true, true, false],
    );

    await stopRedis(redis);
    // Cut: each replica admits on its own limits (2 each: 4 in all), and says so on /readyz.
    assert.deepEqual(await allowed(a, 'rpm:during', 3), [true, true, false]);
    assert.deepEqual(await allowed(b, 'rpm:during', 3), [true, true, false]);
    assert.match(a.describeHealth?.() ?? '', /^unreachable since \d{4}-\d\d-\d\dT.*: serving local limits$/);
    const budget = await a.counters.admit({ takes: [], reservations: [{ key: 'budget:during', amount: 5n, limit: 5n, loadSpent: async () => 0n }] });
    assert.equal(budget.ok, true);
    assert.equal(budget.origin, 'local-1');
    const warnings = logs.filter((line) => line.includes('Redis is unreachable'));
    assert.equal(warnings.length, 2, 'one warning per replica for the whole outage');
    for (const line of logs) {
      assert.ok(!line.includes(PASSWORD) && !line.includes(String(port)), `no secret nor address in the log: ${line}`);
    }

    redis = await startRedis(port);
    await waitFor('both replicas back on Redis', () => a.describeHealth?.() === 'ok' && b.describeHealth?.() === 'ok');
    assert.equal(logs.filter((line) => line.includes('Redis answers again')).length, 2);
    // Shared again: a fresh window is shared across both replicas.
    assert.deepEqual(
      [...(await allowed(b, 'rpm:after', 1)), ...(await allowed(a, 'rpm:after', 1)), ...(await allowed(b, 'rpm:after', 1))],
      [true, true, false],
    );
    const shared = await a.counters.admit({ takes: [], reservations: [{ key: 'budget:after', amount: 1n, limit: 5n, loadSpent: async () => 0n }] });
    assert.equal(shared.origin, 'shared');

    // The outage's admission settles on the outage's counters, though Redis is back.
    await a.counters.settleAll({ adjusts: [], settlements: [{ key: 'budget:during', reserved: 5n, actual: 5n }], releases: [], origin: budget.origin });
    // A second outage starts afresh: its budgets come from the ledger, not from what the first outage left.
    await stopRedis(redis);
    let loads = 0;
    const again = await a.counters.admit({
      takes: [],
      reservations: [
        {
          key: 'budget:during',
          amount: 1n,
          limit: 5n,
          loadSpent: async () => {
            loads += 1;
            return 2n;
          },
        },
      ],
    });
    assert.deepEqual([again.origin, loads, again.reservations[0]?.spent], ['local-2', 1, 2n]);
  });
});

describe('RedisFailoverCounters settlement', () => {
  it('settles an admission on the counters that admitted it, whatever the state now', async () => {
    const local = new MemoryCounters();
    const warnings: unknown[] = [];
    // A Redis nothing listens on: every command fails at once.
    const client = new Redis({ port: await freePort(), lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    const counters = new RedisFailoverCounters({
      shared: new RedisCounters({ client, keyPrefix: 'unused:', closeClient: true }),
      openLocal: () => local,
      logger: { warn: (...args: unknown[]) => void warnings.push(args), info: () => {} },
      probeIntervalMs: 60_000,
    });
    const admitted = await counters.admit({ takes: [], reservations: [{ key: 'b', amount: 5n, limit: 5n, loadSpent: async () => 0n }] });
    assert.equal(admitted.origin, 'local-1');
    assert.equal(warnings.length, 1);
    await counters.settleAll({ adjusts: [], settlements: [{ key: 'b', reserved: 5n, actual: 2n }], releases: [], origin: admitted.origin });
    assert.deepEqual(await local.reserve('b', 3n, 5n, async () => 0n), { ok: true, spent: 2n, reserved: 3n, limit: 5n });
    await counters.close();
  });

  it('reads a budget from the counters in use: Redis failing, the local counters of the outage', async () => {
    const local = new MemoryCounters();
    const client = new Redis({ port: await freePort(), lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    const counters = new RedisFailoverCounters({
      shared: new RedisCounters({ client, keyPrefix: 'unused:', closeClient: true }),
      openLocal: () => local,
      logger: { warn: () => {}, info: () => {} },
      probeIntervalMs: 60_000,
    });
    // Redis fails the read itself: the outage starts, and its (fresh) local counters hold nothing yet.
    assert.equal(await counters.readBudget('b'), null);
    assert.match(counters.describeHealth(), /^unreachable since/);
    await counters.admit({ takes: [], reservations: [{ key: 'b', amount: 2n, limit: 5n, loadSpent: async () => 1n }] });
    assert.deepEqual(await counters.readBudget('b'), { spent: 1n, reserved: 2n });
    await counters.close();
  });
});
