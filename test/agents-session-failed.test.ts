// A session that fails for good, through the official client: once a reload removed the model it runs, its next turn
// ends `agent.session.turn.failed`, `error`, then `agent.session.failed` (where sessions.stream stops); the session reads
// `failed` with its reason and refuses more input with a 409, and a new session naming the model is a 404.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { buildCatalog } from '../src/catalog/index.ts';
import { AZURE_KEY, DEFAULT_MODELS, defaultRoutes, OPENAI_KEY, startStack, type Stack } from './support/start-stack.ts';
import { waitFor } from './support/wait-for.ts';

type AgentEvent = OpenAI.Beta.Agents.AgentSessionEvent;
const MODEL = 'via-azure-v1';

describe('a failed agent session', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it('fails the session once its model is gone, sends agent.session.failed, and refuses further input', async () => {
    const agents = stack.client.beta.agents;
    const session = await agents.sessions.create({ environment: { type: 'none' }, agent: { model: MODEL }, input: 'Hello.' });
    await waitFor('idle', async () => (await agents.sessions.retrieve(session.id)).status === 'idle');

    // The operator's reload drops the model (and its route).
    const raw = {
      server: { host: '127.0.0.1', port: 0, master_key: stack.masterKey },
      store: { sqlite: stack.databasePath },
      models: DEFAULT_MODELS.filter((model) => model.id !== MODEL),
      routes: defaultRoutes(stack.emulators, { openai: OPENAI_KEY, azure: AZURE_KEY }).filter((route) => route.model !== MODEL),
    };
    stack.gateway.reload(buildCatalog(raw, 'reloaded', { env: {} }));

    const events: AgentEvent[] = [];
    for await (const event of agents.sessions.stream(session.id, { input: 'Still there?' })) events.push(event);
    assert.deepEqual(
      events.slice(-3).map((event) => event.type),
      ['agent.session.turn.failed', 'error', 'agent.session.failed'],
    );
    const failedTurn = events.at(-3);
    assert.ok(failedTurn?.type === 'agent.session.turn.failed');
    assert.equal(failedTurn.turn.error?.code, 'resource_not_found');
    const failed = events.at(-1);
    assert.ok(failed?.type === 'agent.session.failed');
    assert.equal(failed.session.status, 'failed');
    assert.match(failed.session.error ?? '', /no longer served/);
    assert.ok(!events.some((event) => event.type === 'agent.session.idle' && events.indexOf(event) > events.indexOf(failedTurn)));

    const read = await agents.sessions.retrieve(session.id);
    assert.equal(read.status, 'failed');
    assert.match(read.error ?? '', new RegExp(MODEL));
    await assert.rejects(
      agents.sessions.events.create(session.id, {
        events: [{ type: 'agent.session.input.message', input: [{ role: 'user', content: [{ type: 'input_text', text: 'Again.' }] }] }],
      }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.ConflictError);
        assert.equal(error.code, 'session_failed');
        assert.match(error.message, /takes no more input; start a new session/);
        return true;
      },
    );
    // The helper refuses it too (it needs an idle session), without posting anything.
    await assert.rejects(async () => {
      for await (const event of agents.sessions.stream(session.id, { input: 'Again.' })) void event;
    }, /requires an idle session/);
    // Its items and turns stay readable; it can be deleted.
    assert.equal((await agents.sessions.turns.list(session.id)).data.length, 2);
    assert.ok((await agents.sessions.items.list(session.id)).data.length >= 3);

    await assert.rejects(agents.sessions.create({ environment: { type: 'none' }, agent: { model: MODEL }, input: 'Hello.' }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.NotFoundError);
      assert.equal(error.param, 'agent.model');
      return true;
    });
    assert.equal((await agents.sessions.delete(session.id)).deleted, true);
  });
});
