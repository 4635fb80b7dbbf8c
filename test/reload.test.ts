// SIGHUP to a real `crossway serve` process reloads crossway.yaml: a changed route list takes effect for new calls
// while a stream begun on the old one finishes whole on it; decisions name the catalog version they used; a setting
// that needs a restart is kept and named; an invalid file is refused (its secret never logged) and the old catalog
// keeps serving, as /readyz shows.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawnGateway, type SpawnedGateway } from './support/spawn-gateway.ts';
import { HELD_STREAM_PARTS, heldStreamRoute, startHeldStreamUpstream, type HeldStreamUpstream } from './support/start-held-stream-upstream.ts';
import { waitFor } from './support/wait-for.ts';

const MASTER = 'sk-cw-reload-test-master-000001';
const CANARY = 'sk-reload-canary-4f2e9d';

describe('reload without restart (SIGHUP)', () => {
  let upstream: HeldStreamUpstream;
  let dataDir: string;
  let config: string;
  let child: ChildProcess | undefined;

  const write = (routes: Record<string, unknown>[], server: Record<string, unknown> = {}): void =>
    writeFileSync(
      config,
      JSON.stringify({
        server: { host: '127.0.0.1', port: 0, master_key: MASTER, ...server },
        store: { sqlite: join(dataDir, 'crossway.db') },
        execute: { stream_idle_timeout_ms: 600_000 },
        models: [{ id: 'held-model', owned_by: 'test' }],
        routes,
      }),
    );

  before(async () => {
    upstream = await startHeldStreamUpstream();
    dataDir = mkdtempSync(join(tmpdir(), 'crossway-reload-'));
    config = join(dataDir, 'crossway.yaml');
  });
  after(async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await upstream.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const call = (gateway: SpawnedGateway, stream: boolean) =>
    fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'held-model', stream, messages: [{ role: 'user', content: 'hello' }] }),
    });
  const readyVersion = async (gateway: SpawnedGateway): Promise<string> => {
    const ready = (await (await fetch(`${gateway.url}/readyz`)).json()) as { checks: { catalog: string } };
    return /version (\w+)/.exec(ready.checks.catalog)?.[1] ?? '';
  };
  const decisionVersion = async (gateway: SpawnedGateway, id: string): Promise<unknown> => {
    const response = await fetch(`${gateway.url}/v1/crossway/decisions/${id}`, { headers: { authorization: `Bearer ${MASTER}` } });
    return ((await response.json()) as { catalog_version?: string }).catalog_version;
  };

  it('swaps the route list for new calls, keeps the stream in flight, and refuses an invalid file', async () => {
    write([heldStreamRoute('route-old', 'held-model', upstream.url)]);
    const gateway = await spawnGateway(config, { env: { CROSSWAY_LOG_LEVEL: 'info' } });
    child = gateway.child;
    const first = await readyVersion(gateway);
    assert.match(first, /^\w{16}$/);

    const held = upstream.arrival();
    const streaming = await call(gateway, true);
    assert.equal(streaming.headers.get('x-crossway-route'), 'route-old');
    const streamDecision = streaming.headers.get('x-crossway-decision')!;
    const streamBody = streaming.text();
    await held;

    // A new route list, and a setting that needs a restart.
    write([heldStreamRoute('route-new', 'held-model', upstream.url)], { body_limit: 1_000_000 });
    gateway.child.kill('SIGHUP');
    const second = await waitFor('the new catalog version on /readyz', async () => {
      const version = await readyVersion(gateway);
      return version !== first && version;
    });
    const answered = await call(gateway, false);
    assert.equal(answered.status, 200);
    assert.equal(answered.headers.get('x-crossway-route'), 'route-new', 'new calls plan with the new routes');
    assert.equal(await decisionVersion(gateway, answered.headers.get('x-crossway-decision')!), second);
    assert.match(gateway.output(), /"settings":\["server\.body_limit"\]/, 'the restart-only setting is named');

    upstream.release();
    const text = await streamBody;
    for (const part of HELD_STREAM_PARTS) assert.ok(text.includes(part), `the stream begun before the reload carries '${part}'`);
    assert.ok(text.trimEnd().endsWith('data: [DONE]'), 'the stream begun before the reload ended whole');
    assert.equal(await waitFor('the streamed decision', () => decisionVersion(gateway, streamDecision)), first, 'it ran on the catalog it started with');

    // An invalid file (a YAML error on a line holding a key): refused, logged without the key, the old catalog serves.
    writeFileSync(config, `server:\n  master_key: ${MASTER}\nroutes: [\n  - key: ${CANARY}: nope\n`);
    gateway.child.kill('SIGHUP');
    await waitFor('the refusal in the log', () => gateway.output().includes('configuration not reloaded'));
    assert.ok(!gateway.output().includes(CANARY), 'no secret in the log');
    assert.equal(await readyVersion(gateway), second, '/readyz shows the running version');
    const still = await call(gateway, false);
    assert.equal(still.status, 200);
    assert.equal(still.headers.get('x-crossway-route'), 'route-new');
    assert.equal(gateway.child.exitCode, null);

    const exited = new Promise((resolve) => gateway.child.once('exit', resolve));
    gateway.child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
