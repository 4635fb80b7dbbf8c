// SIGTERM to a real `crossway serve` process: a stream in flight finishes whole, new connections are refused at once,
// the process exits 0 by itself, and the stream's usage is in the ledger. The upstream holds the stream until the
// test has seen the refusal, so nothing depends on how fast this machine is.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSqliteStore } from '../src/store/index.ts';
import { spawnGateway } from './support/spawn-gateway.ts';
import { HELD_STREAM_PARTS, heldStreamRoute, startHeldStreamUpstream, type HeldStreamUpstream } from './support/start-held-stream-upstream.ts';
import { WAIT_MS, waitFor } from './support/wait-for.ts';

const MASTER = 'sk-cw-graceful-shutdown-master-01';

describe('graceful shutdown on SIGTERM', () => {
  let upstream: HeldStreamUpstream;
  let dataDir: string;
  let config: string;
  let child: ChildProcess | undefined;

  before(async () => {
    upstream = await startHeldStreamUpstream();
    dataDir = mkdtempSync(join(tmpdir(), 'crossway-shutdown-'));
    config = join(dataDir, 'crossway.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        server: { host: '127.0.0.1', port: 0, master_key: MASTER, shutdown_grace_ms: WAIT_MS },
        store: { sqlite: join(dataDir, 'crossway.db') },
        execute: { stream_idle_timeout_ms: 600_000 },
        models: [{ id: 'held-model', owned_by: 'test' }],
        routes: [heldStreamRoute('held-stream', 'held-model', upstream.url)],
      }),
    );
  });
  after(async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await upstream.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lets the stream in flight finish, refuses new connections, exits 0 and keeps the usage', async () => {
    const started = await spawnGateway(config);
    child = started.child;
    const exited = new Promise<number | null>((resolve) => started.child.once('exit', (code) => resolve(code)));
    const held = upstream.arrival();
    const response = await fetch(`${started.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'held-model', stream: true, messages: [{ role: 'user', content: 'a long answer, please' }] }),
    });
    assert.equal(response.status, 200);
    const requestId = response.headers.get('x-request-id');
    assert.ok(requestId !== null);
    const body = response.text();
    await held;

    started.child.kill('SIGTERM');
    // The listener is closed at once: a new connection is refused while the stream is still held upstream.
    await waitFor('a new connection to be refused', () =>
      fetch(`${started.url}/healthz`).then(
        () => false,
        (error: Error & { cause?: { code?: string } }) => error.cause?.code === 'ECONNREFUSED',
      ),
    );
    // Longer than the 2 s an unconfigured close gives: the configured grace period (30 s here) is what holds it open.
    await sleep(3_000);
    assert.equal(started.child.exitCode, null, 'the gateway waits for the stream in flight');

    upstream.release();
    const text = await body;
    assert.ok(text.includes(HELD_STREAM_PARTS.join('').slice(-6)), text);
    for (const part of HELD_STREAM_PARTS) assert.ok(text.includes(JSON.stringify(part).slice(1, -1)), `the stream carries '${part}'`);
    assert.ok(text.trimEnd().endsWith('data: [DONE]'), 'the stream ended whole');
    assert.equal(await exited, 0, 'the gateway exits by itself, with 0');

    const store = await openSqliteStore(join(dataDir, 'crossway.db'));
    try {
      const events = await store.findUsageEventsByRequest(requestId);
      assert.equal(events.length, 1, 'the stream is in the ledger once');
      assert.equal(events[0]?.output_tokens, 3);
    } finally {
      await store.close();
    }
  });
});
