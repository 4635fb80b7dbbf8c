// The list parameters the official types declare, through the official client: sessions by `agent_id` and by
// `metadata[key]=value` pairs (every pair must match; bounds checked), in either order, in cursor pages; agents in
// either order and pages.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { startStack, type Stack } from './support/start-stack.ts';
import { waitFor } from './support/wait-for.ts';

const MODEL = 'via-azure-v1';

describe('agent and session list parameters', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it('filters sessions by metadata and agent, pages them in both orders, and refuses bad filters', async () => {
    const agents = stack.client.beta.agents;
    const agent = await agents.create({ model: MODEL });
    const create = async (metadata: Record<string, string>, agentId?: string) => {
      const session = await agents.sessions.create({
        environment: { type: 'none' },
        ...(agentId === undefined ? { agent: { model: MODEL } } : { agent_id: agentId }),
        input: 'Hi.',
        metadata,
      });
      await waitFor('idle', async () => (await agents.sessions.retrieve(session.id)).status === 'idle');
      return session.id;
    };
    const first = await create({ project: 'apollo', stage: 'test' }, agent.id);
    const second = await create({ project: 'apollo', stage: 'prod' });
    const third = await create({ project: 'gemini' }, agent.id);
    const fourth = await create({ project: 'apollo', stage: 'test' });

    const ids = async (params: OpenAI.Beta.Agents.SessionListParams) => {
      const found: string[] = [];
      for await (const session of agents.sessions.list(params)) found.push(session.id);
      return found;
    };
    assert.deepEqual(await ids({ metadata: { project: 'apollo' }, order: 'asc', limit: 1 }), [first, second, fourth]);
    assert.deepEqual(await ids({ metadata: { project: 'apollo', stage: 'test' } }), [fourth, first]);
    assert.deepEqual(await ids({ metadata: { project: 'apollo' }, agent_id: agent.id }), [first]);
    assert.deepEqual(await ids({ agent_id: agent.id, order: 'asc' }), [first, third]);
    assert.deepEqual(await ids({ metadata: { project: 'APOLLO' } }), []);
    const page = await agents.sessions.list({ metadata: { project: 'apollo' }, limit: 2 });
    assert.deepEqual(
      page.data.map((session) => session.id),
      [fourth, second],
    );
    assert.equal(page.has_more, true);
    assert.deepEqual(
      (await page.getNextPage()).data.map((session) => session.id),
      [first],
    );
    // A metadata update moves a session in or out of a filter.
    await agents.sessions.update(second, { metadata: { project: 'gemini' } });
    assert.deepEqual(await ids({ metadata: { project: 'gemini' } }), [third, second]);

    const refused = async (query: string, pattern: RegExp) => {
      const response = await stack.api('GET', `/v1/agents/sessions?${query}`);
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.match(response.body.error.message, pattern);
    };
    await refused(`metadata%5B${'k'.repeat(65)}%5D=x`, /1 to 64 characters/);
    await refused(`metadata%5Bk%5D=${'v'.repeat(513)}`, /at most 512/);
    await refused(Array.from({ length: 17 }, (_, index) => `metadata%5Bk${index}%5D=v`).join('&'), /At most 16/);
    await refused('limit=0', /'limit'/);
    await refused('order=sideways', /'order'/);
  });

  it('pages agents in both orders', async () => {
    const agents = stack.client.beta.agents;
    const made: string[] = [];
    for (let index = 0; index < 3; index += 1) made.push((await agents.create({ model: MODEL, name: `lister ${index}` })).id);
    const asc: string[] = [];
    for await (const agent of agents.list({ order: 'asc', limit: 2 })) if (made.includes(agent.id)) asc.push(agent.id);
    assert.deepEqual(asc, made);
    const desc: string[] = [];
    for await (const agent of agents.list({ limit: 2 })) if (made.includes(agent.id)) desc.push(agent.id);
    assert.deepEqual(desc, [...made].reverse());
  });
});
