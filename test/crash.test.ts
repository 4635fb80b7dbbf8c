// Acknowledged means durable: a bounded load through a real gateway process, `kill -9` in the middle, a restart, and
// then every request whose response the client received in full is in the ledger exactly once, and
// `crossway ledger verify` passes. Traffic goes to 127.0.0.1 only; the load stops by itself.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEmulators, type RunningEmulators } from '../src/emulators/index.ts';
import { openSqliteStore } from '../src/store/index.ts';
import { runCrossway } from './support/run-crossway.ts';
import { spawnGateway } from './support/spawn-gateway.ts';

const MASTER = 'sk-cw-crash-test-master-0001';
const MAX_REQUESTS = 400;
const KILL_AFTER_COMPLETED = 60;
const WORKERS = 8;

/** One request, streamed or not; resolves with its request id when the client received the whole answer, else null. */
async function oneRequest(url: string, index: number): Promise<string | null> {
  const stream = index % 2 === 1;
  try {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5.5', stream, messages: [{ role: 'user', content: `crash test request ${index}` }] }),
    });
    const text = await response.text();
    if (response.status !== 200) return null;
    if (stream ? !text.includes('data: [DONE]') : !text.includes('"usage"')) return null;
    return response.headers.get('x-request-id');
  } catch {
    return null;
  }
}

describe('crash safety of the ledger', () => {
  let emulators: RunningEmulators;
  let dataDir: string;
  let config: string;
  const children: ChildProcess[] = [];

  before(async () => {
    emulators = await startEmulators({ basePort: 0, openai: { apiKeys: ['sk-emulator-openai'] }, azure: { apiKeys: ['emulator-azure-key'] } });
    dataDir = mkdtempSync(join(tmpdir(), 'crossway-crash-'));
    config = join(dataDir, 'crossway.yaml');
    const route = (id: string, provider: string, endpoint: string, auth: Record<string, unknown>) => ({
      id,
      model: 'gpt-5.5',
      provider,
      endpoint,
      auth,
      capabilities: ['streaming'],
      price: { input: 5, output: 30, currency: 'USD' },
    });
    writeFileSync(
      config,
      JSON.stringify({
        server: { host: '127.0.0.1', port: 0, master_key: MASTER },
        store: { sqlite: join(dataDir, 'crossway.db') },
        models: [{ id: 'gpt-5.5', owned_by: 'openai' }],
        routes: [
          route('azure-gpt-5.5', 'azure', emulators.emulators.azure!.url, { type: 'api-key', key: 'emulator-azure-key' }),
          route('openai-gpt-5.5', 'openai', `${emulators.emulators.openai!.url}/v1`, { type: 'bearer', key: 'sk-emulator-openai' }),
        ],
        agreements: [
          {
            id: 'share',
            licensor: 'openai',
            revenue_share: { payer: 'openai', payee: 'partner', rate: 0.2, scope: 'all', cap: { amount: '0.010000', currency: 'USD' } },
          },
        ],
      }),
    );
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await emulators.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every completed request in the ledger exactly once across kill -9 and restart', async () => {
    const first = await spawnGateway(config);
    children.push(first.child);
    const completed: string[] = [];
    let sent = 0;
    let killed = false;
    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    const worker = async (): Promise<void> => {
      while (!killed && sent < MAX_REQUESTS) {
        const id = await oneRequest(first.url, sent++);
        if (id !== null) completed.push(id);
        if (!killed && completed.length >= KILL_AFTER_COMPLETED) {
          killed = true;
          // kill -9: no shutdown hook runs, in-flight commits are cut wherever they are.
          first.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, worker));
    await exited;
    assert.ok(killed, 'the gateway was killed mid-load');
    assert.ok(completed.length >= KILL_AFTER_COMPLETED);

    const second = await spawnGateway(config);
    children.push(second.child);
    assert.notEqual(await oneRequest(second.url, 1), null, 'the restarted gateway serves');
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));

    const store = await openSqliteStore(join(dataDir, 'crossway.db'));
    try {
      await store.migrate();
      for (const requestId of completed) {
        const events = await store.findUsageEventsByRequest(requestId);
        assert.equal(events.length, 1, `request ${requestId} is in the ledger exactly once`);
      }
    } finally {
      await store.close();
    }
    const verify = await runCrossway(['ledger', 'verify', '--config', config]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });
});
