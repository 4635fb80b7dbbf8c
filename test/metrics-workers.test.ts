// `crossway serve --workers 2` with `metrics.listen`: the primary serves every worker's metrics summed (prom-client's
// AggregatorRegistry over the cluster's IPC channel), whichever worker answered each call.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestRedisPrefix, createTestSchema, skipWithoutPostgres, skipWithoutRedis, testRedisUrl, type TestSchema } from '../src/store/test-backends.ts';
import { scrapeMetrics } from './support/scrape-metrics.ts';
import { spawnGateway } from './support/spawn-gateway.ts';
import { heldStreamRoute, startHeldStreamUpstream, type HeldStreamUpstream } from './support/start-held-stream-upstream.ts';
import { waitFor } from './support/wait-for.ts';

const MASTER = 'sk-cw-metrics-workers-master-001';

describe('metrics of serve --workers 2 on PostgreSQL and Redis', { skip: skipWithoutPostgres || skipWithoutRedis }, () => {
  let upstream: HeldStreamUpstream;
  let schema: TestSchema;
  let dataDir: string;
  let primary: ChildProcess | undefined;

  before(async () => {
    upstream = await startHeldStreamUpstream();
    upstream.release();
    schema = await createTestSchema('metrics_workers');
    dataDir = mkdtempSync(join(tmpdir(), 'crossway-metrics-workers-'));
  });
  after(async () => {
    if (primary !== undefined && primary.exitCode === null && primary.signalCode === null) primary.kill('SIGKILL');
    await upstream.close();
    await schema.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("sums every worker's counts on the primary's metrics.listen", async () => {
    const config = join(dataDir, 'crossway.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        server: { host: '127.0.0.1', port: 0, master_key: MASTER },
        store: { postgres: schema.url },
        redis: { url: testRedisUrl, key_prefix: createTestRedisPrefix('metrics-workers') },
        metrics: { listen: '127.0.0.1:0' },
        models: [{ id: 'held-model', owned_by: 'test' }],
        routes: [heldStreamRoute('held-route', 'held-model', upstream.url)],
      }),
    );
    const gateway = await spawnGateway(config, { args: ['--workers', '2'] });
    primary = gateway.child;
    const exited = new Promise<number | null>((resolve) => gateway.child.once('exit', (code) => resolve(code)));
    await waitFor('two workers listening', () => [...gateway.output().matchAll(/Crossway worker \d+ \(pid \d+\) listening on/g)].length === 2);
    const metricsUrl = /metrics of every worker on (http:\/\/\S+)/.exec(gateway.output())?.[1];
    assert.ok(metricsUrl !== undefined, gateway.output());
    const calls = 6;
    for (let index = 0; index < calls; index += 1) {
      // A new connection per call, so that the primary hands each to a worker of its choice.
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json', connection: 'close' },
        body: JSON.stringify({ model: 'held-model', messages: [{ role: 'user', content: 'hello' }] }),
      });
      await response.arrayBuffer();
      assert.equal(response.status, 200);
    }
    const scrape = await scrapeMetrics(metricsUrl);
    assert.equal(scrape.total('crossway_requests_total', { route: 'held-route', status: '200' }), calls);
    assert.equal(scrape.total('crossway_request_duration_seconds_count'), calls);
    assert.equal(scrape.total('crossway_route_circuit_state', { route: 'held-route' }), 0);
    assert.ok(scrape.find('nodejs_eventloop_lag_p99_seconds').length > 0);
    gateway.child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
