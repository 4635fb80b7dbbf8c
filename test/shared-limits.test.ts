// Two gateways sharing one Redis prefix (and one store) hold a key's RPM together: the requests admitted in a window
// never exceed the limit whichever replica they reach, each admission costs the round trips it should, and /readyz
// reports the shared counters.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { buildCatalog } from '../src/catalog/index.ts';
import { startEmulators } from '../src/emulators/index.ts';
import { startGateway, type RunningGateway } from '../src/server/index.ts';
import { openSqliteStore, RedisFailoverCounters, type Store } from '../src/store/index.ts';
import { createTestRedisPrefix, skipWithoutRedis, testRedisUrl } from '../src/store/test-backends.ts';

const MASTER_KEY = 'sk-cw-test-master-key-shared';
const OPENAI_KEY = 'sk-emulator-openai';

describe('limits shared by two gateways through Redis', { skip: skipWithoutRedis }, () => {
  const prefix = createTestRedisPrefix('shared-limits');
  const dataDir = mkdtempSync(join(tmpdir(), 'crossway-shared-limits-'));
  let emulators: Awaited<ReturnType<typeof startEmulators>>;
  let store: Store;
  let gateways: RunningGateway[] = [];

  before(async () => {
    emulators = await startEmulators({ basePort: 0, only: ['openai'], openai: { apiKeys: [OPENAI_KEY] } });
    const raw = {
      server: { host: '127.0.0.1', port: 0, master_key: MASTER_KEY },
      store: { sqlite: join(dataDir, 'crossway.db') },
      redis: { url: testRedisUrl, key_prefix: prefix },
      models: [{ id: 'gpt-5.5' }],
      routes: [
        {
          id: 'openai-gpt-5.5',
          model: 'gpt-5.5',
          provider: 'openai',
          endpoint: `${emulators.emulators.openai!.url}/v1`,
          auth: { type: 'bearer', key: OPENAI_KEY },
          price: { input: 1, output: 2, currency: 'USD' },
        },
      ],
    };
    const catalog = buildCatalog(raw, 'shared limits test', { env: {} });
    // One store for both (the key must be known to both); the counters are each gateway's own connection to Redis.
    store = await openSqliteStore(join(dataDir, 'crossway.db'));
    const logger = pino({ level: 'silent' });
    gateways = [await startGateway({ catalog, store, logger }), await startGateway({ catalog, store, logger })];
  });

  after(async () => {
    for (const gateway of gateways) await gateway.close();
    await store?.close();
    await emulators?.close();
    rmSync(dataDir, { recursive: true, force: true });
    const client = new Redis(testRedisUrl!);
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });

  async function api(gateway: RunningGateway, path: string, body: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${gateway.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }

  it("admits no more than a key's RPM across both replicas, one round trip per admission and per settlement", async () => {
    const a = gateways[0]!;
    assert.equal((await api(a, '/admin/tenants', { id: 'shared', name: 'Shared' })).status, 201);
    const created = await api(a, '/admin/keys', { tenant: 'shared', rpm: 4, tpm: 100_000 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const counters = gateways.map((gateway) => gateway.counters);
    assert.ok(counters.every((c) => c instanceof RedisFailoverCounters));
    const roundTrips = () => counters.reduce((sum, c) => sum + (c as RedisFailoverCounters).roundTrips, 0);
    const before = roundTrips();

    // 16 requests at once, alternating replicas: with per-process limits 8 would pass (4 on each).
    const responses = await Promise.all(
      Array.from({ length: 16 }, (_, index) =>
        fetch(`${gateways[index % 2]!.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${created.body.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'Hello' }], max_completion_tokens: 20 }),
        }),
      ),
    );
    const statuses = await Promise.all(
      responses.map(async (response) => {
        await response.arrayBuffer();
        return response.status;
      }),
    );
    assert.equal(statuses.filter((status) => status === 200).length, 4, `statuses ${statuses.join(',')}`);
    assert.equal(statuses.filter((status) => status === 429).length, 12);
    // Every request: its RPM (one round trip); an admitted one: its TPM (one) and its settlement (one).
    assert.equal(roundTrips() - before, 16 + 4 + 4);

    for (const gateway of gateways) {
      const ready = await fetch(`${gateway.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(((await ready.json()) as { checks: Record<string, string> }).checks.redis, 'ok');
    }
  });

  it('reads on one replica the budget a call through the other spent, from Redis', async () => {
    const [a, b] = gateways as [RunningGateway, RunningGateway];
    assert.equal((await api(a, '/admin/tenants', { id: 'budgeted', name: 'Budgeted' })).status, 201);
    const created = await api(a, '/admin/keys', { tenant: 'budgeted', budget: { limit: '1', period: 'day' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const read = async (gateway: RunningGateway) => {
      const response = await fetch(`${gateway.url}/admin/keys/${created.body.id}/budget`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
      assert.equal(response.status, 200);
      return (await response.json()) as { spent: string; reserved: string; source: string };
    };
    assert.equal((await read(b)).source, 'ledger', 'no call yet: Redis holds nothing for the budget');
    const call = await fetch(`${a.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${created.body.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'Hello' }], max_completion_tokens: 20 }),
    });
    assert.equal(call.status, 200);
    await call.arrayBuffer();
    const onB = await read(b);
    assert.equal(onB.source, 'counters');
    assert.equal(onB.reserved, '0.000000');
    assert.ok(Number(onB.spent) > 0, onB.spent);
    assert.deepEqual(await read(a), onB);
  });
});

describe('a gateway whose Redis cannot be reached', () => {
  it('starts, serves requests on local limits, and says so on /readyz while staying ready', async () => {
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as { port: number };
    probe.close();
    await once(probe, 'close');
    const dataDir = mkdtempSync(join(tmpdir(), 'crossway-no-redis-'));
    const emulators = await startEmulators({ basePort: 0, only: ['openai'], openai: { apiKeys: [OPENAI_KEY] } });
    const raw = {
      server: { host: '127.0.0.1', port: 0, master_key: MASTER_KEY },
      store: { sqlite: join(dataDir, 'crossway.db') },
      // Nothing listens on this port; the password must not show anywhere.
      redis: { url: `redis://:no-redis-secret@127.0.0.1:${port}/0` },
      models: [{ id: 'gpt-5.5' }],
      routes: [
        {
          id: 'openai-gpt-5.5',
          model: 'gpt-5.5',
          provider: 'openai',
          endpoint: `${emulators.emulators.openai!.url}/v1`,
          auth: { type: 'bearer', key: OPENAI_KEY },
        },
      ],
    };
    let logText = '';
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          logText += String(chunk);
          done();
        },
      }),
    );
    const gateway = await startGateway({ catalog: buildCatalog(raw, 'no redis test', { env: {} }), logger });
    try {
      const ready = await fetch(`${gateway.url}/readyz`);
      assert.equal(ready.status, 200, 'requests are still served: the gateway stays ready');
      const body = (await ready.json()) as { checks: Record<string, string> };
      assert.match(body.checks.redis ?? '', /^unreachable since .*: serving local limits$/);

      const tenant = await fetch(`${gateway.url}/admin/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tenant: 'default', rpm: 1 }),
      });
      const { key } = (await tenant.json()) as { key: string };
      const send = () =>
        fetch(`${gateway.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'Hello' }], max_completion_tokens: 20 }),
        });
      const first = await send();
      await first.arrayBuffer();
      const second = await send();
      await second.arrayBuffer();
      assert.deepEqual([first.status, second.status], [200, 429], 'the local RPM applies');
      assert.equal(logText.match(/Redis is unreachable/g)?.length, 1);
      assert.ok(!logText.includes('no-redis-secret') && !logText.includes(String(port)), 'neither the password nor the address is logged');
    } finally {
      await gateway.close();
      await emulators.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
