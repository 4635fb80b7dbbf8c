// `crossway serve --workers N`: refused with the reason where workers could not share state (SQLite; PostgreSQL without
// Redis), and on PostgreSQL + Redis a primary whose workers share one port, each serving, each replaced when killed,
// each reloading on the primary's SIGHUP, all stopped by one SIGTERM to the primary.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestRedisPrefix, createTestSchema, skipWithoutPostgres, skipWithoutRedis, testRedisUrl, type TestSchema } from '../src/store/test-backends.ts';
import { runCrossway } from './support/run-crossway.ts';
import { spawnGateway } from './support/spawn-gateway.ts';
import { heldStreamRoute, startHeldStreamUpstream, type HeldStreamUpstream } from './support/start-held-stream-upstream.ts';
import { waitFor } from './support/wait-for.ts';

const MASTER = 'sk-cw-workers-test-master-00001';

/** A configuration file in `dir` with these store and redis sections. */
function writeConfig(dir: string, upstreamUrl: string, store: Record<string, unknown>, redis: Record<string, unknown> = {}): string {
  const path = join(dir, 'crossway.yaml');
  writeFileSync(
    path,
    JSON.stringify({
      server: { host: '127.0.0.1', port: 0, master_key: MASTER },
      store: { sqlite: join(dir, 'crossway.db'), ...store },
      redis,
      models: [{ id: 'held-model', owned_by: 'test' }],
      routes: [heldStreamRoute('held-route', 'held-model', upstreamUrl)],
    }),
  );
  return path;
}

/** The environment without the shared backends' variables, so that only the file decides. */
function envWithoutBackends(): NodeJS.ProcessEnv {
  const { CROSSWAY_DATABASE_URL: _database, CROSSWAY_REDIS_URL: _redis, ...env } = process.env;
  return env;
}

describe('serve --workers', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'crossway-workers-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses more than one worker on SQLite, saying why', async () => {
    const config = writeConfig(dataDir, 'http://127.0.0.1:9/v1', {});
    const run = await runCrossway(['serve', '--config', config, '--workers', '2'], { env: envWithoutBackends() });
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /--workers 2 needs PostgreSQL and Redis/);
    assert.match(run.stderr, /one database file has one writer process/);
    assert.match(run.stderr, /multiplied by the number of workers/);
  });

  it('refuses more than one worker on PostgreSQL without Redis', async () => {
    const config = writeConfig(dataDir, 'http://127.0.0.1:9/v1', { postgres: 'postgres://nobody@127.0.0.1:1/none' });
    const run = await runCrossway(['serve', '--config', config, '--workers', 'auto'], { env: envWithoutBackends() });
    // On a one-core machine auto is one worker, which needs nothing shared: that run would start, so only check more.
    if (/needs Redis/.test(run.stderr)) assert.equal(run.code, 2);
    const two = await runCrossway(['serve', '--config', config, '--workers', '2'], { env: envWithoutBackends() });
    assert.equal(two.code, 2, two.stdout + two.stderr);
    assert.match(two.stderr, /--workers 2 needs Redis too/);
    assert.ok(!two.stderr.includes('nobody@'), 'the database URL is not shown');
  });
});

describe('serve --workers 2 on PostgreSQL and Redis', { skip: skipWithoutPostgres || skipWithoutRedis }, () => {
  let upstream: HeldStreamUpstream;
  let schema: TestSchema;
  let dataDir: string;
  let primary: ChildProcess | undefined;

  before(async () => {
    upstream = await startHeldStreamUpstream();
    upstream.release();
    schema = await createTestSchema('workers');
    dataDir = mkdtempSync(join(tmpdir(), 'crossway-workers-pg-'));
  });
  after(async () => {
    if (primary !== undefined && primary.exitCode === null && primary.signalCode === null) primary.kill('SIGKILL');
    await upstream.close();
    await schema.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves from both workers on one port, replaces a killed worker, and stops all on SIGTERM', async () => {
    const config = writeConfig(dataDir, upstream.url, { postgres: schema.url }, { url: testRedisUrl, key_prefix: createTestRedisPrefix('workers') });
    const gateway = await spawnGateway(config, { args: ['--workers', '2'], env: { CROSSWAY_LOG_LEVEL: 'info' } });
    primary = gateway.child;
    const exited = new Promise<number | null>((resolve) => gateway.child.once('exit', (code) => resolve(code)));
    const workers = (): { id: number; pid: number; url: string }[] =>
      [...gateway.output().matchAll(/Crossway worker (\d+) \(pid (\d+)\) listening on (\S+)/g)].map((match) => ({
        id: Number(match[1]),
        pid: Number(match[2]),
        url: match[3]!,
      }));
    await waitFor('two workers listening', () => workers().length === 2);
    const [first, second] = workers();
    assert.equal(first!.url, second!.url, 'the workers share one port');
    const call = async (): Promise<number> => {
      // A new connection per call, so that the primary hands each to a worker of its choice.
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json', connection: 'close' },
        body: JSON.stringify({ model: 'held-model', messages: [{ role: 'user', content: 'hello' }] }),
      });
      await response.arrayBuffer();
      return response.status;
    };
    assert.equal(await call(), 200);

    // Each worker in turn is killed: the other serves meanwhile (so each served), and a replacement starts.
    for (const [index, victim] of [first!, second!].entries()) {
      process.kill(victim.pid, 'SIGKILL');
      // The primary's log says it saw the exit: by then it no longer hands connections to that worker.
      await waitFor(`worker ${victim.id} gone`, () => gateway.output().split('worker died; replacing it').length - 1 === index + 1);
      assert.equal(isAlive(victim.pid), false);
      for (let round = 0; round < 4; round += 1) assert.equal(await call(), 200, 'the other worker serves');
      await waitFor(`a replacement of worker ${victim.id}`, () => workers().length === 3 + index);
    }
    const running = workers().slice(2);
    assert.equal(running.length, 2);
    for (let round = 0; round < 4; round += 1) assert.equal(await call(), 200);

    // SIGHUP to the primary reloads the configuration in every worker.
    const reloadedBy = (): Set<number> =>
      new Set([...gateway.output().matchAll(/"pid":(\d+),[^\n]*"msg":"configuration reloaded"/g)].map((match) => Number(match[1])));
    gateway.child.kill('SIGHUP');
    await waitFor('every worker reloaded', () => running.every((worker) => reloadedBy().has(worker.pid)));

    gateway.child.kill('SIGTERM');
    assert.equal(await exited, 0, 'the primary exits 0 once its workers stopped');
    for (const worker of running) assert.equal(isAlive(worker.pid), false, `worker ${worker.id} stopped`);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
