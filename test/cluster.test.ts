// Two gateways in one process sharing one Redis prefix, each with its own SQLite file, in front of one upstream the
// test steers: a route ejected on one is skipped by the other, only one of them sends the half-open probe, and a
// decision queued on one is readable on the other at once. (A key revoked or a response deleted on one replica needs a
// shared store: src/cluster/cluster.test.ts covers them with two replicas' parts on one SQLite file.)
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { buildCatalog } from '../src/catalog/index.ts';
import { startGateway, type RunningGateway } from '../src/server/index.ts';
import { createTestRedisPrefix, skipWithoutRedis, testRedisUrl } from '../src/store/test-backends.ts';
import { freePort, startRedisServer, stopRedisServer } from '../src/cluster/test-redis-server.ts';
import { waitFor } from './support/wait-for.ts';

const MASTER_KEY = 'sk-cw-cluster-test-master-key';

/** An OpenAI-compatible upstream that fails, holds or answers every chat completion, as the test says; counts them. */
async function startSteeredUpstream() {
  let mode: 'fail' | 'hold' | 'ok' = 'ok';
  let arrivals = 0;
  const held: ServerResponse[] = [];
  const answer = (res: ServerResponse): void => {
    const body = JSON.stringify({
      id: 'chatcmpl-steered',
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: 'steered',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello.' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  };
  const server = createServer((req, res) => {
    req.resume();
    req.once('end', () => {
      arrivals += 1;
      if (mode === 'ok') return answer(res);
      if (mode === 'hold') return void held.push(res);
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    arrivals: () => arrivals,
    set(next: typeof mode) {
      mode = next;
      if (next === 'ok') for (const res of held.splice(0)) answer(res);
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('gateways sharing one Redis', { skip: skipWithoutRedis }, () => {
  const keyPrefix = createTestRedisPrefix('gateways');
  const clock = { now: Date.parse('2026-12-07T12:00:00.000Z') };
  let upstream: Awaited<ReturnType<typeof startSteeredUpstream>>;
  let directory: string;
  let gateways: RunningGateway[];

  before(async () => {
    upstream = await startSteeredUpstream();
    directory = mkdtempSync(join(tmpdir(), 'crossway-cluster-e2e-'));
    const start = (name: string) => {
      const catalog = buildCatalog(
        {
          server: { host: '127.0.0.1', port: 0, master_key: MASTER_KEY },
          store: { sqlite: join(directory, `${name}.db`) },
          redis: { url: testRedisUrl, key_prefix: keyPrefix },
          // One failure ejects; the one route of the model may be ejected (no panic), for a minute.
          execute: {
            attempt_timeout_ms: 60_000,
            outlier: { consecutive_failures: 1, base_ejection_ms: 60_000, panic_threshold_percent: 0 },
          },
          models: [{ id: 'm' }],
          routes: [{ id: 'steered', model: 'm', provider: 'openai', endpoint: upstream.url, auth: { type: 'bearer', key: 'sk-upstream' } }],
        },
        `cluster test ${name}`,
        { env: {} },
      );
      return startGateway({ catalog, logger: pino({ level: 'silent' }), now: () => new Date(clock.now) });
    };
    gateways = [await start('a'), await start('b')];
    await waitFor('both gateways to join the bus', () => gateways.every((gateway) => gateway.cluster?.bus.connected));
  });
  after(async () => {
    for (const gateway of gateways ?? []) await gateway.close();
    await upstream?.close();
    rmSync(directory, { recursive: true, force: true });
    const redis = new Redis(testRedisUrl ?? '');
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  const chat = (gateway: RunningGateway) =>
    fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] }),
    });

  it('/readyz says each gateway hears the others', async () => {
    for (const gateway of gateways) {
      const ready = await fetch(`${gateway.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(((await ready.json()) as { checks: Record<string, string> }).checks.cluster, 'ok');
    }
  });

  it('a decision queued on one gateway is readable on the other at once', async () => {
    const [a, b] = gateways as [RunningGateway, RunningGateway];
    const response = await chat(a);
    assert.equal(response.status, 200);
    const id = response.headers.get('x-crossway-decision') ?? '';
    assert.match(id, /^dec_/);
    const read = await fetch(`${b.url}/v1/crossway/decisions/${id}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
    assert.equal(read.status, 200, 'the other gateway has its own store: only Redis can answer');
    assert.equal(((await read.json()) as { id: string }).id, id);
  });

  it('a route ejected on one gateway is skipped by the other; one probe between them closes it for both', async () => {
    const [a, b] = gateways as [RunningGateway, RunningGateway];
    upstream.set('fail');
    assert.notEqual((await chat(a)).status, 200);
    assert.equal(a.executor.health.state('steered'), 'open');
    await waitFor('the other gateway to eject the route', () => b.executor.health.state('steered') === 'open');
    upstream.set('ok');
    const before = upstream.arrivals();
    assert.equal((await chat(b)).status, 503, 'the other gateway does not send to the ejected route');
    assert.equal(upstream.arrivals(), before);

    // The ejection is over on both gateways' clock: one probe, held upstream while both keep being asked.
    upstream.set('hold');
    clock.now += 60_000;
    const pending: Promise<Response>[] = [];
    const statuses: Array<number | undefined> = [];
    const send = (gateway: RunningGateway): void => {
      const index = statuses.push(undefined) - 1;
      const request = chat(gateway);
      pending.push(request);
      request.then(
        (response) => {
          statuses[index] = response.status;
        },
        () => {
          statuses[index] = 0;
        },
      );
    };
    await waitFor('a probe to reach the upstream', async () => {
      send(a);
      send(b);
      await sleep(20);
      return upstream.arrivals() > before;
    });
    for (let i = 0; i < 3; i += 1) {
      send(a);
      send(b);
    }
    // Every request but the held probe is refused; a second probe would be held too and this would never be true.
    await waitFor('every request but the probe to be answered', () => statuses.filter((status) => status === undefined).length === 1);
    assert.equal(upstream.arrivals(), before + 1, 'only one gateway sent the probe');
    assert.ok(
      statuses.every((status) => status === undefined || status === 503),
      statuses.join(','),
    );

    upstream.set('ok');
    assert.equal((await Promise.all(pending)).filter((response) => response.status === 200).length, 1, 'the probe answered');
    await waitFor('both gateways to close the route', () => gateways.every((gateway) => gateway.executor.health.state('steered') === 'closed'));
    assert.equal((await chat(a)).status, 200);
    assert.equal((await chat(b)).status, 200);
  });
});

describe('a gateway whose Redis is unreachable', { skip: skipWithoutRedis }, () => {
  let upstream: Awaited<ReturnType<typeof startSteeredUpstream>>;
  let directory: string;
  let gateway: RunningGateway | undefined;
  let redisServer: ChildProcess | undefined;
  after(async () => {
    await gateway?.close();
    await upstream?.close();
    if (redisServer !== undefined) await stopRedisServer(redisServer);
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  });

  it('starts and serves alone, says so on /readyz, and joins when Redis answers', async () => {
    upstream = await startSteeredUpstream();
    directory = mkdtempSync(join(tmpdir(), 'crossway-cluster-alone-'));
    // A port nothing listens on, yet: the private redis-server starts there later.
    const port = await freePort();
    const catalog = buildCatalog(
      {
        server: { host: '127.0.0.1', port: 0, master_key: MASTER_KEY },
        store: { sqlite: join(directory, 'alone.db') },
        redis: { url: `redis://127.0.0.1:${port}`, key_prefix: 'cwtest:alone:' },
        models: [{ id: 'm' }],
        routes: [{ id: 'steered', model: 'm', provider: 'openai', endpoint: upstream.url, auth: { type: 'bearer', key: 'sk-upstream' } }],
      },
      'cluster test alone',
      { env: {} },
    );
    gateway = await startGateway({ catalog, logger: pino({ level: 'silent' }) });
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] }),
    });
    assert.equal(response.status, 200);
    const readiness = async () => {
      const ready = await fetch(`${(gateway as RunningGateway).url}/readyz`);
      return { status: ready.status, cluster: ((await ready.json()) as { checks: Record<string, string> }).checks.cluster ?? '' };
    };
    const alone = await readiness();
    assert.equal(alone.status, 200, 'still ready: it serves');
    assert.match(alone.cluster, /^alone: Redis unreachable/);
    redisServer = await startRedisServer(port);
    await waitFor('the gateway to join', async () => (await readiness()).cluster === 'ok');
  });
});
