// The stateful runtime survives `kill -9`: a real `crossway serve` process holds stored responses, a chain, a
// conversation and a background response in progress (its upstream call held by a latency fault); after SIGKILL and a
// restart the stored state is all there and continues, the interrupted background response (nothing billed for it) runs
// again once its lease expired (never stuck `in_progress`), and a background response left `queued` (written into the store while the gateway is
// down, as a crash between accepting and starting it would leave it) runs to completion with its chain. Then, in
// process, what a client sees of a background response while it runs and when it fails before any upstream byte. A
// background response created with `x-crossway-regions: eu` and left queued runs on the eu route after the restart.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startEmulators, type RunningEmulators } from '../src/emulators/index.ts';
import { openSqliteStore } from '../src/store/index.ts';
import { spawnGateway } from './support/spawn-gateway.ts';
import { HELD_MODEL, heldRoute, startHeldUpstream, type HeldUpstream } from './support/start-held-upstream.ts';
import { AZURE_KEY, DEFAULT_MODELS, OPENAI_KEY, defaultRoutes, startStack, type Stack } from './support/start-stack.ts';
import { WAIT_MS, waitFor } from './support/wait-for.ts';

const MASTER = 'sk-cw-restart-test-master-0001';
const MODEL = 'gpt-5.5';

/** Retrieves response `id` until its status is not `queued`/`in_progress` any more (waitFor's deadline: 30 s). */
async function settle(client: OpenAI, id: string): Promise<OpenAI.Responses.Response> {
  return waitFor(`background response ${id} to finish`, async () => {
    const response = await client.responses.retrieve(id);
    return response.status !== 'queued' && response.status !== 'in_progress' && response;
  });
}

/** Reads the status column of a stored response (beside the running gateway) until it is `wanted` (deadline: 30 s). */
async function waitForStoredStatus(database: string, tenant: string, id: string, wanted: string): Promise<string> {
  const store = await openSqliteStore(database);
  try {
    return await waitFor(`stored response ${id} to be ${wanted}`, async () => {
      const status = (await store.getResponse(tenant, id))?.status;
      return status === wanted && status;
    });
  } finally {
    await store.close();
  }
}

describe('the stateful runtime across kill -9 and restart', () => {
  let emulators: RunningEmulators;
  let dataDir: string;
  let config: string;
  const children: ChildProcess[] = [];

  const azure = async (method: string, path: string, body?: unknown): Promise<any> => {
    const response = await fetch(`${emulators.emulators.azure!.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.equal(response.status, 200);
    return response.json();
  };

  /** Waits until the azure emulator holds an unanswered request whose body contains `text`. */
  const waitForUpstreamCall = async (text: string): Promise<void> => {
    await waitFor(`an upstream call in flight with ${text}`, async () => {
      const journal = (await azure('GET', '/__emulator/requests')).data as Array<{ body: unknown; outcome: string | null }>;
      return journal.some((entry) => entry.outcome === null && JSON.stringify(entry.body).includes(text));
    });
  };

  before(async () => {
    emulators = await startEmulators({ basePort: 0, openai: { apiKeys: ['sk-emulator-openai'] }, azure: { apiKeys: ['emulator-azure-key'] } });
    dataDir = mkdtempSync(join(tmpdir(), 'crossway-restart-'));
    config = join(dataDir, 'crossway.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        server: { host: '127.0.0.1', port: 0, master_key: MASTER },
        store: { sqlite: join(dataDir, 'crossway.db') },
        models: [{ id: MODEL, owned_by: 'openai' }],
        routes: [
          {
            id: 'azure-gpt-5.5',
            model: MODEL,
            provider: 'azure',
            endpoint: emulators.emulators.azure!.url,
            deployment: 'gpt-5.5',
            api: 'v1',
            auth: { type: 'api-key', key: 'emulator-azure-key' },
            capabilities: ['tools', 'streaming'],
            price: { input: 5, output: 30, currency: 'USD' },
          },
          // As in the demo catalog: the EU region of the same resource, on the deployments API, tried second.
          {
            id: 'azure-swedencentral-gpt-5.5',
            model: MODEL,
            provider: 'azure',
            endpoint: emulators.emulators.azure!.url,
            region: 'swedencentral',
            data_zone: 'eu',
            deployment: 'gpt-5.5',
            api: 'deployments',
            api_version: '2024-10-21',
            auth: { type: 'api-key', key: 'emulator-azure-key' },
            capabilities: ['tools', 'streaming'],
            price: { input: 5, output: 30, currency: 'USD' },
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

  // Shared by the steps below, which run in order: the state the first gateway left, then what the second one does with it.
  let key = '';
  let database = '';
  let turn1: OpenAI.Responses.Response;
  let turn2: OpenAI.Responses.Response;
  let turn2Items: unknown[] = [];
  let conversationId = '';
  let conversationItems: unknown[] = [];
  let backgroundId = '';
  let queuedId = '';
  let euId = '';
  let euQueuedId = '';
  let second: { child: ChildProcess; url: string };
  let client: OpenAI;

  it('first gateway: stored turns, a conversation and a background response in flight, then kill -9', async () => {
    database = join(dataDir, 'crossway.db');
    const first = await spawnGateway(config);
    children.push(first.child);
    const admin = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
      const response = await fetch(`${first.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 201, path);
      return (await response.json()) as Record<string, unknown>;
    };
    await admin('/admin/tenants', { id: 'durable', name: 'Durable Ltd' });
    key = String((await admin('/admin/keys', { tenant: 'durable' })).key);
    const before = new OpenAI({ baseURL: `${first.url}/v1`, apiKey: key, maxRetries: 0, timeout: 10_000 });

    turn1 = await before.responses.create({ model: MODEL, input: 'The vault code is obsidian-381.' });
    turn2 = await before.responses.create({ model: MODEL, previous_response_id: turn1.id, input: 'The vault is in Lisbon.' });
    turn2Items = (await before.responses.inputItems.list(turn2.id, { order: 'asc' })).data;
    const conversation = await before.conversations.create({ metadata: { topic: 'restart' } });
    conversationId = conversation.id;
    await before.responses.create({ model: MODEL, conversation: conversationId, input: 'The courier is called Imogen.' });
    conversationItems = (await before.conversations.items.list(conversationId, { order: 'asc' })).data;
    assert.equal(conversationItems.length, 2);

    // A background response routed to the EU by a header only; it runs there before the restart.
    const eu = await before.responses.create({ model: MODEL, input: 'Keep this in the EU.', background: true }, { headers: { 'x-crossway-regions': 'eu' } });
    euId = eu.id;
    assert.equal((await settle(before, euId)).status, 'completed');

    // The upstream call of this background response is held by the emulator while the gateway dies: 50 s, which no
    // working run reaches before the kill, within the route's 60 s attempt deadline (the default).
    await azure('POST', '/__emulator/faults', { latency_ms: 50_000, count: 1 });
    const background = await before.responses.create({ model: MODEL, previous_response_id: turn2.id, input: 'Where is the vault?', background: true });
    backgroundId = background.id;
    assert.equal(await waitForStoredStatus(database, 'durable', backgroundId, 'in_progress'), 'in_progress');
    await waitForUpstreamCall('Where is the vault');

    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGKILL');
    await exited;
    await azure('DELETE', '/__emulator/faults');

    // While the gateway is down: a background response accepted but not started, as a crash in between leaves it.
    queuedId = `resp_${randomBytes(24).toString('hex')}`;
    const store = await openSqliteStore(database);
    try {
      const record = await store.getResponse('durable', backgroundId);
      assert.ok(record !== null);
      assert.equal(record.status, 'in_progress', 'the store still says in progress after kill -9');
      const input = await store.listResponseItems('durable', backgroundId, 'input', { limit: 100, order: 'asc' });
      const now = new Date().toISOString();
      await store.insertResponse(
        { ...record, id: queuedId, status: 'queued', created_at: now, updated_at: now, response: { ...record.response, id: queuedId, status: 'queued' } },
        input.map((item) => ({ ...item, response_id: queuedId })),
      );
      // The EU response as it was stored when accepted: queued, with what the gateway kept of its request.
      euQueuedId = `resp_${randomBytes(24).toString('hex')}`;
      const euRecord = await store.getResponse('durable', euId);
      assert.ok(euRecord !== null);
      assert.equal(euRecord.route, 'azure-swedencentral-gpt-5.5');
      const euInput = await store.listResponseItems('durable', euId, 'input', { limit: 100, order: 'asc' });
      await store.insertResponse(
        {
          ...euRecord,
          id: euQueuedId,
          status: 'queued',
          route: null,
          usage_event_id: null,
          created_at: now,
          updated_at: now,
          response: { ...euRecord.response, id: euQueuedId, status: 'queued', output: [] },
        },
        euInput.map((item) => ({ ...item, response_id: euQueuedId })),
      );
    } finally {
      await store.close();
    }
  });

  it('restarted gateway: the stored responses, their items and the conversation are all there', async () => {
    second = await spawnGateway(config);
    children.push(second.child);
    client = new OpenAI({ baseURL: `${second.url}/v1`, apiKey: key, maxRetries: 0, timeout: 10_000 });
    assert.equal((await client.responses.retrieve(turn1.id)).output_text, turn1.output_text);
    assert.equal((await client.responses.retrieve(turn2.id)).output_text, turn2.output_text);
    assert.deepEqual((await client.responses.inputItems.list(turn2.id, { order: 'asc' })).data, turn2Items);
    assert.deepEqual((await client.conversations.retrieve(conversationId)).metadata, { topic: 'restart' });
    assert.deepEqual((await client.conversations.items.list(conversationId, { order: 'asc' })).data, conversationItems);
  });

  it('the interrupted background response, billed for nothing, runs again from the start once its lease expired', async () => {
    const resumed = await settle(client, backgroundId);
    assert.equal(resumed.status, 'completed', JSON.stringify(resumed));
    assert.match(resumed.output_text, /Emulated reply from azure to 5 messages/);
  });

  it("replaying the interrupted response's stream gives the run that finished it, to response.completed", async () => {
    const response = await fetch(`${second.url}/v1/responses/${backgroundId}?stream=true`, {
      headers: { authorization: `Bearer ${key}` },
      signal: AbortSignal.timeout(WAIT_MS),
    });
    assert.equal(response.status, 200);
    const events = (await response.text())
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)) as { type: string });
    assert.equal(events[0]?.type, 'response.created');
    assert.equal(events.filter((event) => event.type === 'response.created').length, 1, 'the dead run left no event behind');
    assert.equal(events.at(-1)?.type, 'response.completed');
  });

  it('the background response left queued runs after the restart, with its whole chain', async () => {
    const resumed = await settle(client, queuedId);
    assert.equal(resumed.status, 'completed', JSON.stringify(resumed));
    // user, assistant, user, assistant, user: the chain of turn 2 plus its own input.
    assert.match(resumed.output_text, /Emulated reply from azure to 5 messages/);
    // The EU response resumes beside it: its call is told apart by its input.
    const journal = ((await azure('GET', '/__emulator/requests')).data as Array<{ body: unknown; status: number }>).filter((entry) => entry.status === 200);
    const upstream = JSON.stringify(journal.filter((entry) => !JSON.stringify(entry.body).includes('Keep this in the EU')).at(-1)?.body);
    for (const earlier of [/obsidian-381/, /Lisbon/, /Where is the vault/]) assert.match(upstream, earlier);
    // Its events were kept: the stream replays to response.completed.
    const events: string[] = [];
    for await (const event of await client.responses.retrieve(queuedId, { stream: true })) events.push(event.type);
    assert.equal(events[0], 'response.created');
    assert.equal(events.at(-1), 'response.completed');
  });

  it('the background response created with x-crossway-regions: eu and left queued runs on the eu route after the restart', async () => {
    const resumed = await settle(client, euQueuedId);
    assert.equal(resumed.status, 'completed', JSON.stringify(resumed));
    const store = await openSqliteStore(database);
    try {
      assert.equal((await store.getResponse('durable', euQueuedId))?.route, 'azure-swedencentral-gpt-5.5');
    } finally {
      await store.close();
    }
    // The emulator saw the call on the eu route's deployments path, not on eastus2's v1 path.
    const journal = (await azure('GET', '/__emulator/requests')).data as Array<{ path: string; body: unknown; status: number }>;
    const call = journal.filter((entry) => entry.status === 200 && JSON.stringify(entry.body).includes('Keep this in the EU')).at(-1);
    assert.match(String(call?.path), /\/openai\/deployments\/gpt-5\.5\//);
  });

  it('the chain and the conversation continue on the restarted gateway', async () => {
    const turn3 = await client.responses.create({ model: MODEL, previous_response_id: turn2.id, input: 'Repeat the code.' });
    assert.match(turn3.output_text, /to 5 messages/);
    const next = await client.responses.create({ model: MODEL, conversation: conversationId, input: 'Who is the courier?' });
    assert.match(next.output_text, /to 3 messages/);
    assert.match(JSON.stringify((await azure('GET', '/__emulator/requests')).data.at(-1).body), /Imogen/);
    assert.equal((await client.conversations.items.list(conversationId)).data.length, 4);
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
  });
});

describe('what a client sees of a background response while it runs or when it fails early', () => {
  let stack: Stack;
  // The upstream of model 'via-held': it holds every call, so that a job is surely still running while the test looks.
  let held: HeldUpstream;
  before(async () => {
    held = await startHeldUpstream();
    stack = await startStack({
      routes: (urls) => [...defaultRoutes(urls, { openai: OPENAI_KEY, azure: AZURE_KEY }), heldRoute(held.url)],
      models: [...DEFAULT_MODELS, HELD_MODEL],
    });
  });
  afterEach(() => stack.clearFaults());
  after(async () => {
    await stack.close();
    await held.close();
  });

  it('GET reports in_progress while the job runs', async () => {
    const arrived = held.arrival();
    const created = await stack.client.responses.create({ model: 'via-held', input: 'run slowly', background: true });
    assert.equal(created.status, 'queued');
    // The job has called the upstream, which holds the call: it runs, and the store and GET must say so.
    await arrived;
    assert.equal((await stack.gateway.store.getResponse('default', created.id))?.status, 'in_progress');
    assert.equal((await stack.client.responses.retrieve(created.id)).status, 'in_progress');
    assert.equal((await stack.client.responses.cancel(created.id)).status, 'cancelled');
  });

  it('a background response that fails with an internal error is failed, and logged with its ids but not its input', async () => {
    const store = stack.gateway.store;
    const updateResponse = store.updateResponse;
    // The store fails when the finished answer is written, as a full disk would.
    store.updateResponse = async function (this: typeof store, ...args: Parameters<typeof updateResponse>) {
      if (args[2].status === 'completed') throw new Error('disk I/O error (injected)');
      return updateResponse.apply(this, args);
    };
    try {
      const created = await stack.client.responses.create({ model: 'via-azure-v1', input: 'confidential-input-5521', background: true });
      const failed = await settle(stack.client, created.id);
      assert.equal(failed.status, 'failed');
      assert.equal(failed.error?.code, 'internal_error');
      const line = await waitFor(`the log line of background response ${created.id} failing`, () =>
        stack
          .logs()
          .split('\n')
          .filter((text) => text.includes(created.id))
          .map((text) => JSON.parse(text) as Record<string, unknown>)
          .find((entry) => entry.msg === 'background response failed'),
      );
      assert.equal(line.level, 50);
      assert.equal(line.responseId, created.id);
      assert.match(String(line.requestId), /^req_/);
      assert.match(JSON.stringify(line.err), /disk I\/O error \(injected\)/);
      assert.doesNotMatch(stack.logs(), /confidential-input-5521/);
    } finally {
      store.updateResponse = updateResponse;
    }
  });

  it('a streamed background response that fails before the first upstream byte ends its stream with response.failed', async () => {
    await stack.fault('azure', { status: 400 });
    const stream = await stack.client.responses.create({ model: 'via-azure-v1', input: 'fail early', background: true, stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    assert.equal(types.at(-1), 'response.failed', JSON.stringify(types));
  });
});
