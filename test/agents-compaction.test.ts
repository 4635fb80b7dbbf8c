// A long agent session compacted, through the official client: on a model whose only route has a small context
// window, once a step's context nears the window the session's earlier turns are condensed into a compaction item (a
// summarising call the emulator receives) and the next step sends the summary and the recent items only; every item
// stays listed, and the session keeps working turn after turn.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { AZURE_KEY, DEFAULT_MODELS, defaultRoutes, OPENAI_KEY, startStack, type Stack } from './support/start-stack.ts';
import { waitFor } from './support/wait-for.ts';

const MODEL = 'small-window';
const WINDOW = 1_200;

describe('agent session compaction', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      models: [...DEFAULT_MODELS, { id: MODEL }],
      routes: (urls) => {
        const routes = defaultRoutes(urls, { openai: OPENAI_KEY, azure: AZURE_KEY });
        const azure = routes.find((route) => route.id === 'azure-v1-only');
        return [...routes, { ...azure, id: 'azure-small-window', model: MODEL, limits: { context: WINDOW } }];
      },
    });
  });
  after(() => stack.close());

  /** The chat calls the Azure emulator received for the small-window model's deployment, as sent. */
  const received = async () =>
    (await stack.journal('azure'))
      .filter((entry) => entry.path.includes('chat/completions'))
      .map((entry) => entry.body as { messages: { role: string; content: unknown }[] });

  it('compacts the earlier turns once the context nears the window, keeps every item listed, and goes on', async () => {
    const agents = stack.client.beta.agents;
    const idle = (id: string) => waitFor('idle', async () => (await agents.sessions.retrieve(id)).status === 'idle');
    // About 150 tokens a message: the third or fourth turn's context passes 80% of the window.
    const text = (word: string) => `Remember the word ${word}. ${'Filler sentence for the context window. '.repeat(20)}`;
    const words = ['heron', 'kestrel', 'avocet', 'plover', 'dunlin', 'curlew'];
    const session = await agents.sessions.create({ environment: { type: 'none' }, agent: { model: MODEL, instructions: 'Be brief.' }, input: text(words[0]!) });
    await idle(session.id);
    const callsBefore = (await received()).length;
    for (const word of words.slice(1)) {
      await agents.sessions.events.create(session.id, {
        events: [{ type: 'agent.session.input.message', input: [{ role: 'user', content: [{ type: 'input_text', text: text(word) }] }] }],
      });
      await idle(session.id);
    }
    const calls = (await received()).slice(callsBefore - 1);
    const summarising = calls.filter((call) => JSON.stringify(call.messages[0]).includes('Summarize the conversation so far'));
    assert.ok(summarising.length >= 1, 'a summarising call reached the cloud');
    // The last step sent the summary (a system message) and no more than the items after it, never the first turn's message.
    const last = calls.at(-1);
    assert.ok(last !== undefined);
    const sent = JSON.stringify(last.messages);
    assert.match(sent, /Summary of the earlier part of this conversation \(compacted\)/);
    assert.match(sent, /curlew/);
    const userTexts = last.messages.filter((message) => message.role === 'user').map((message) => JSON.stringify(message.content));
    assert.ok(!userTexts.some((content) => content.includes('Remember the word heron')), userTexts.join('\n'));
    assert.ok(userTexts.length < words.length, `${userTexts.length} user messages sent`);

    // Every turn completed; every item is still listed, in order.
    const turns = await agents.sessions.turns.list(session.id, { order: 'asc', limit: 100 });
    assert.deepEqual(
      turns.data.map((turn) => turn.status),
      words.map(() => 'completed'),
    );
    const items: OpenAI.Beta.Agents.AgentSessionItem[] = [];
    for await (const item of agents.sessions.items.list(session.id, { order: 'asc' })) items.push(item);
    assert.equal(items.length, words.length * 2);
    assert.match(JSON.stringify(items[0]), /heron/);
    assert.ok(!JSON.stringify(items).includes('compaction'));
    // The session's usage counts the summarising call's tokens with its steps', as its turns' usage does.
    const read = await agents.sessions.retrieve(session.id);
    assert.equal(
      read.usage?.total_tokens,
      turns.data.reduce((sum, turn) => sum + (turn.usage?.total_tokens ?? 0), 0),
    );
    // The summarising call has its request-log row, under the session.
    await stack.gateway.requestLog.flush();
    const rows = (await stack.gateway.store.listRequestLogs({ limit: 100 })).filter((row) => row.session_id === session.id);
    assert.equal(rows.filter((row) => row.endpoint === 'agents.sessions.compact').length, summarising.length);
    assert.equal(rows.filter((row) => row.endpoint === 'agents.sessions.step').length, words.length);
    // The compacting turn lists the summarising call's decision with its step's.
    assert.ok(turns.data.some((turn) => ((turn as unknown as { crossway: { decision_ids: string[] } }).crossway.decision_ids.length ?? 0) >= 2));
  });
});
