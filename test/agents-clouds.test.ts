// One agent session whose turns run on Azure, then Bedrock, then Vertex (each forced per request by
// `x-crossway-providers-only`) on the demo catalog's emulated clouds: every turn carries the session's earlier items to
// the next cloud, and the ledger meters each step on the route that served it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
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

  it('runs each turn on the forced cloud with the same items, each step metered on its route', async () => {
    const agents = stack.client.beta.agents;
    const ledgerBefore = (await stack.gateway.store.listUsageEvents({ limit: 10_000 })).length;
    const idle = (id: string) => waitFor(`session ${id} idle`, async () => ((await agents.sessions.retrieve(id)).status === 'idle' ? true : null));
    const session = await agents.sessions.create(
      { environment: { type: 'none' }, agent: { model: MODEL, instructions: 'Be brief.' }, input: TEXTS.azure },
      { headers: { 'x-crossway-providers-only': 'azure' } },
    );
    await idle(session.id);
    await agents.sessions.events.create(session.id, { events: [message(TEXTS.bedrock)] }, { headers: { 'x-crossway-providers-only': 'bedrock' } });
    await idle(session.id);
    await agents.sessions.events.create(session.id, { events: [message(TEXTS.vertex)] }, { headers: { 'x-crossway-providers-only': 'vertex' } });
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

    // Each step is in the ledger once, on the route that served it, in turn order.
    const usage = (await stack.gateway.store.listUsageEvents({ limit: 10_000 })).slice(ledgerBefore);
    assert.deepEqual(
      usage.map((event) => event.route),
      [ROUTES.azure, ROUTES.bedrock, ROUTES.vertex].map((id) => `${id}.${MODEL}`),
    );
  });
});
