// An agent session through a real `crossway serve` process killed with `kill -9` while a step is in flight (held by
// the upstream): after a restart on the same store the session is not stuck in_progress past the lease but idle with the
// cut turn failed and its reason, each completed step is in the ledger exactly once, and a new message continues it.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startEmulators, type RunningEmulators } from '../src/emulators/index.ts';
import { openSqliteStore } from '../src/store/index.ts';
import { runCrossway } from './support/run-crossway.ts';
import { spawnGateway } from './support/spawn-gateway.ts';
import { HELD_MODEL, heldRoute, startHeldUpstream, type HeldUpstream } from './support/start-held-upstream.ts';
import { waitFor } from './support/wait-for.ts';

const MASTER = 'sk-cw-agents-crash-master-0001';
// The smallest lease the catalog allows: the restarted gateway fails the orphaned step once it has expired.
const LEASE_MS = 3_000;

describe('an agent session step cut by kill -9', () => {
  let emulators: RunningEmulators;
  let held: HeldUpstream;
  let dataDir: string;
  let config: string;
  const children: ChildProcess[] = [];

  before(async () => {
    emulators = await startEmulators({ basePort: 0, openai: { apiKeys: ['sk-emulator-openai'] } });
    held = await startHeldUpstream();
    dataDir = mkdtempSync(join(tmpdir(), 'crossway-agents-crash-'));
    config = join(dataDir, 'crossway.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        server: { host: '127.0.0.1', port: 0, master_key: MASTER },
        store: { sqlite: join(dataDir, 'crossway.db') },
        runtime: { background_lease_ms: LEASE_MS },
        models: [{ id: 'gpt-5.5', owned_by: 'openai' }, HELD_MODEL],
        routes: [
          {
            id: 'openai-gpt-5.5',
            model: 'gpt-5.5',
            provider: 'openai',
            endpoint: `${emulators.emulators.openai!.url}/v1`,
            auth: { type: 'bearer', key: 'sk-emulator-openai' },
            capabilities: ['streaming', 'tools'],
            price: { input: 5, output: 30, currency: 'USD' },
          },
          heldRoute(held.url),
        ],
      }),
    );
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    held.release();
    await held.close();
    await emulators.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const clientOf = (url: string) => new OpenAI({ apiKey: MASTER, baseURL: `${url}/v1`, maxRetries: 0, timeout: 30_000 });
  const upstreamCalls = async (): Promise<number> => {
    const response = await fetch(`${emulators.emulators.openai!.url}/__emulator/requests`);
    const journal = (await response.json()) as { data: { path: string }[] };
    return journal.data.filter((entry) => entry.path.includes('chat/completions') || entry.path.includes('/responses')).length;
  };

  it('is idle after the restart with the cut turn failed and a reason, its completed steps metered once, and continues', async () => {
    const first = await spawnGateway(config);
    children.push(first.child);
    const agents = clientOf(first.url).beta.agents;
    // A completed step first: its usage event is written before the crash.
    const session = await agents.sessions.create({ environment: { type: 'none' }, agent: { model: 'gpt-5.5' }, input: 'Hello.' });
    await waitFor('first turn idle', async () => (await agents.sessions.retrieve(session.id)).status === 'idle');
    // Then a step held upstream: the gateway is killed while it waits.
    await agents.sessions.update(session.id, { agent: { model: HELD_MODEL.id } });
    const arrived = held.arrival();
    await agents.sessions.events.create(session.id, {
      events: [{ type: 'agent.session.input.message', input: [{ role: 'user', content: [{ type: 'input_text', text: 'Hold this one.' }] }] }],
    });
    await arrived;
    assert.equal((await agents.sessions.retrieve(session.id)).status, 'in_progress');
    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    // kill -9: no shutdown hook runs, the step's lease is left to expire.
    first.child.kill('SIGKILL');
    await exited;

    const second = await spawnGateway(config);
    children.push(second.child);
    const again = clientOf(second.url).beta.agents;
    const recovered = await waitFor('the cut step failed by the sweep', async () => {
      const read = await again.sessions.retrieve(session.id);
      return read.status === 'in_progress' ? null : read;
    });
    assert.equal(recovered.status, 'idle');
    const turns = await again.sessions.turns.list(session.id, { order: 'asc' });
    assert.deepEqual(
      turns.data.map((turn) => turn.status),
      ['completed', 'failed'],
    );
    assert.equal(turns.data[1]?.error?.code, 'internal_error');
    assert.match(turns.data[1]?.error?.message ?? '', /replica running this step stopped/);

    // A new message continues the session on a live route, with the earlier items as context.
    await again.sessions.update(session.id, { agent: { model: 'gpt-5.5' } });
    const events: OpenAI.Beta.Agents.AgentSessionEvent[] = [];
    for await (const event of again.sessions.stream(session.id, { input: 'Hello again.' })) events.push(event);
    assert.equal(events.at(-1)?.type, 'agent.session.idle');
    const final = await again.sessions.turns.list(session.id, { order: 'asc' });
    assert.deepEqual(
      final.data.map((turn) => turn.status),
      ['completed', 'failed', 'completed'],
    );
    const items = await again.sessions.items.list(session.id, { order: 'asc' });
    assert.match(JSON.stringify(items.data), /Hold this one/);
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));

    // Every completed step is in the ledger exactly once: one usage event per upstream call, each its own request;
    // the held step never completed, so it is not there.
    const calls = await upstreamCalls();
    assert.equal(calls, 2);
    const store = await openSqliteStore(join(dataDir, 'crossway.db'));
    try {
      await store.migrate();
      const usage = await store.listUsageEvents({ limit: 1000 });
      const steps = usage.filter((event) => event.model === 'gpt-5.5');
      assert.equal(steps.length, calls);
      assert.equal(new Set(steps.map((event) => event.request_id)).size, calls);
      for (const event of steps) assert.equal((await store.findUsageEventsByRequest(event.request_id)).length, 1);
      assert.equal(usage.filter((event) => event.model === HELD_MODEL.id && event.status === 200).length, 0);
      // The sweep published the cut turn's end as the types document it: turn.failed, error (the reason), idle.
      const log = (await store.listAgentEvents('default', session.id, 0, 1000)).map((record) => record.event);
      const failedAt = log.findIndex((event) => event.type === 'agent.session.turn.failed');
      assert.deepEqual(
        log.slice(failedAt, failedAt + 3).map((event) => event.type),
        ['agent.session.turn.failed', 'error', 'agent.session.idle'],
      );
      assert.match(JSON.stringify(log[failedAt + 1]), /replica running this step stopped/);
    } finally {
      await store.close();
    }
    const verify = await runCrossway(['ledger', 'verify', '--config', config]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });
});
