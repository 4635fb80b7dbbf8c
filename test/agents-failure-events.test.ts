// The documented failure events through the official client: a turn whose every route fails ends with
// `agent.session.turn.failed`, then `error` (the turn's reason in SessionError's shape), then `agent.session.idle`;
// sessions.stream ends there without throwing, and the session takes the next message once the cloud is back.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { startStack, type Stack } from './support/start-stack.ts';
import { waitFor } from './support/wait-for.ts';

type AgentEvent = OpenAI.Beta.Agents.AgentSessionEvent;

describe('agent session failure events', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it('sends turn.failed, error and idle when a turn fails, and the session goes on', async () => {
    const agents = stack.client.beta.agents;
    const session = await agents.sessions.create({ environment: { type: 'none' }, agent: { model: 'via-azure-v1' }, input: 'Hello.' });
    await waitFor('idle', async () => (await agents.sessions.retrieve(session.id)).status === 'idle');

    await stack.fault('azure', { status: 500 });
    const events: AgentEvent[] = [];
    try {
      for await (const event of agents.sessions.stream(session.id, { input: 'This one fails.' })) events.push(event);
    } finally {
      await stack.clearFaults();
    }
    const types = events.map((event) => event.type);
    assert.deepEqual(types.slice(-3), ['agent.session.turn.failed', 'error', 'agent.session.idle'], types.join(', '));
    const failed = events.at(-3);
    assert.ok(failed?.type === 'agent.session.turn.failed');
    const error = events.at(-2);
    assert.ok(error?.type === 'error');
    assert.equal(error.session_id, session.id);
    assert.equal(error.error.code, failed.turn.error?.code);
    assert.equal(error.error.message, failed.turn.error?.message);
    assert.equal(error.error.param, null);
    assert.equal(error.error.type, 'server_error');
    assert.equal(typeof error.event_id, 'string');
    assert.equal(new Set(events.map((event) => event.event_id)).size, events.length);
    // The session is idle, not failed: the next message runs a new turn.
    assert.equal((await agents.sessions.retrieve(session.id)).status, 'idle');
    const next: AgentEvent[] = [];
    for await (const event of agents.sessions.stream(session.id, { input: 'Again.' })) next.push(event);
    assert.deepEqual(
      next.slice(-2).map((event) => event.type),
      ['agent.session.turn.completed', 'agent.session.idle'],
    );
    assert.ok(!next.some((event) => event.type === 'error'));
  });
});
