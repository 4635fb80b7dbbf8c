// One agent session whose turns run on Azure, then Bedrock, then Vertex, moved by the tenant's policy (an admin
// narrows the tenant to one provider between turns, PATCH /admin/tenants/{id}) on the demo catalog's emulated clouds:
// every turn carries the session's earlier items to the next cloud, and the ledger meters each step on the route that
// served it, under the tenant.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startDemoStack, type DemoStack } from './support/start-demo-stack.ts';
import { waitFor } from './support/wait-for.ts';

const MODEL = 'agent-clouds';
const ROUTES = { azure: 'azure-eastus2-gpt-5.5', bedrock: 'bedrock-us-east-2-gpt-5.5', vertex: 'vertex-us-central1-gpt-oss-120b' };
const TEXTS = { azure: 'First, on Azure: remember the word heron.', bedrock: 'Second, on Bedrock: and kestrel.', vertex: 'Third, on Vertex: and avocet.' };

describe('an agent session across Azure, Bedrock and Vertex', () => {
  let stack: DemoStack;
  before(async () => {
    stack = await startDemoStack({ models: [{ id: MODEL, routes: Object.values(ROUTES) }] });
  });
  after(() => stack?.close());

  /** What the cloud's emulator received, as text (model calls only: not Google's token exchange). */
  const received = async (cloud: keyof typeof ROUTES): Promise<string[]> => {
    const emulator = (stack.demo.emulators.emulators as Record<string, { url: string } | undefined>)[cloud];
    assert.ok(emulator !== undefined, cloud);
    const response = await fetch(`${emulator.url}/__emulator/requests`);
    const journal = (await response.json()) as { data: { path: string; body: unknown }[] };
    return journal.data.filter((entry) => !entry.path.startsWith('/__emulator') && entry.path !== '/token').map((entry) => JSON.stringify(entry.body));
  };
  const message = (text: string) => ({
    type: 'agent.session.input.message' as const,
    input: [{ role: 'user' as const, content: [{ type: 'input_text' as const, text }] }],
  });

  /** The master key's admin API on the demo gateway. */
  const admin = async (method: string, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await fetch(`${stack.gateway.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${stack.demo.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  /** The tenant's policy narrowed to one cloud. */
  const pin = async (provider: string) => {
    const patched = await admin('PATCH', '/admin/tenants/clouds', { policy: { providers: { only: [provider] } } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
  };

  it("runs each turn on the cloud the tenant's policy allows, with the same items, each step metered on its route", async () => {
    assert.equal((await admin('POST', '/admin/tenants', { id: 'clouds', name: 'Clouds' })).status, 201);
    const key = await admin('POST', '/admin/keys', { tenant: 'clouds', name: 'agent' });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    const client = new OpenAI({ baseURL: `${stack.gateway.url}/v1`, apiKey: String(key.body.key), maxRetries: 0, timeout: 20_000 });
    const agents = client.beta.agents;
    const ledgerBefore = (await stack.gateway.store.listUsageEvents({ limit: 10_000 })).length;
    const idle = (id: string) => waitFor(`session ${id} idle`, async () => ((await agents.sessions.retrieve(id)).status === 'idle' ? true : null));
    await pin('azure');
    const session = await agents.sessions.create({ environment: { type: 'none' }, agent: { model: MODEL, instructions: 'Be brief.' }, input: TEXTS.azure });
    await idle(session.id);
    await pin('bedrock');
    await agents.sessions.events.create(session.id, { events: [message(TEXTS.bedrock)] });
    await idle(session.id);
    await pin('vertex');
    await agents.sessions.events.create(session.id, { events: [message(TEXTS.vertex)] });
    await idle(session.id);

    const turns = await agents.sessions.turns.list(session.id, { order: 'asc' });
    assert.deepEqual(
      turns.data.map((turn) => turn.status),
      ['completed', 'completed', 'completed'],
    );
    const items: OpenAI.Beta.Agents.AgentSessionItem[] = [];
    for await (const item of agents.sessions.items.list(session.id, { order: 'asc' })) items.push(item);
    assert.deepEqual(
      items.map((item) => item.type),
      ['message', 'message', 'message', 'message', 'message', 'message'],
    );
    // Each cloud was called once, and got every earlier turn of the session as context.
    const azure = await received('azure');
    const bedrock = await received('bedrock');
    const vertex = await received('vertex');
    assert.equal(azure.length, 1, azure.join('\n'));
    assert.equal(bedrock.length, 1, bedrock.join('\n'));
    assert.equal(vertex.length, 1, vertex.join('\n'));
    assert.match(azure[0]!, /heron/);
    assert.match(bedrock[0]!, /heron[\s\S]*kestrel/);
    assert.match(vertex[0]!, /heron[\s\S]*kestrel[\s\S]*avocet/);

    // Each step is in the ledger once, on the route that served it, in turn order, under the tenant.
    const usage = (await stack.gateway.store.listUsageEvents({ limit: 10_000 })).slice(ledgerBefore);
    assert.deepEqual(
      usage.map((event) => event.route),
      [ROUTES.azure, ROUTES.bedrock, ROUTES.vertex].map((id) => `${id}.${MODEL}`),
    );
    assert.ok(usage.every((event) => event.tenant === 'clouds'));
    // Each turn's decision says the tenant's policy left one cloud: the others rejected as outside providers.only.
    for (const [index, turn] of turns.data.entries()) {
      const [decisionId] = (turn as unknown as { crossway: { decision_ids: string[] } }).crossway.decision_ids;
      const response = await fetch(`${stack.gateway.url}/v1/crossway/decisions/${decisionId}`, { headers: { authorization: `Bearer ${key.body.key}` } });
      assert.equal(response.status, 200);
      const decision = (await response.json()) as { constraints: unknown; kept: { provider: string }[]; rejected: { reasons: { code: string }[] }[] };
      const cloud = (['azure', 'bedrock', 'vertex'] as const)[index];
      assert.deepEqual(decision.constraints, { providers: { only: [cloud] } });
      assert.deepEqual(
        decision.kept.map((kept) => kept.provider),
        [cloud],
      );
      assert.ok(decision.rejected.every((rejected) => rejected.reasons.some((reason) => reason.code === 'provider_excluded')));
    }
  });
});
