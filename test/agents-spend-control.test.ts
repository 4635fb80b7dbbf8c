// A session's spend_control through the official client: every model step's charge (its usage event) adds to the
// session's spend, shown as `spend_control.consumed` in USD cents; once the spend reached the limit no further step runs
// (the turn fails `session_budget_exceeded`, with the documented turn.failed and error events); a new message is
// refused until the limit is raised; removing the limit keeps the spend.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startStack, type Stack } from './support/start-stack.ts';
import { waitFor } from './support/wait-for.ts';

type AgentEvent = OpenAI.Beta.Agents.AgentSessionEvent;
const MODEL = 'via-azure-v1';
const WEATHER_TOOL = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'The weather in a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
// About 3 000 input tokens: at 5 USD per million, a step costs more than one cent.
const PADDING = 'Some context to read first. '.repeat(430);

describe('agent session spend control', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it('stops the turn at the step past the limit, refuses more input until the limit is raised, and keeps the spend', async () => {
    const agents = stack.client.beta.agents;
    const session = await agents.sessions.create({
      environment: { type: 'none' },
      agent: { model: MODEL, tools: [WEATHER_TOOL] },
      input: 'Hello.',
      spend_control: { limit: 1 },
    });
    assert.deepEqual(session.spend_control, { limit: 1, consumed: 0 });
    await waitFor('idle', async () => (await agents.sessions.retrieve(session.id)).status === 'idle');

    // The step calls a tool and its charge passes the limit: the tool's result is taken, but no further step runs.
    let handled = 0;
    const events: AgentEvent[] = [];
    for await (const event of agents.sessions.stream(session.id, {
      input: `${PADDING}\nPlease call get_weather for Paris.`,
      toolHandlers: {
        get_weather: async () => {
          handled += 1;
          return 'sunny';
        },
      },
    }))
      events.push(event);
    const types = events.map((event) => event.type);
    assert.equal(handled, 1);
    assert.deepEqual(types.slice(-3), ['agent.session.turn.failed', 'error', 'agent.session.idle']);
    const failed = events.at(-3);
    assert.ok(failed?.type === 'agent.session.turn.failed');
    assert.equal(failed.turn.error?.code, 'session_budget_exceeded');
    assert.match(failed.turn.error?.message ?? '', /spend limit of 1 USD cents/);
    const error = events.at(-2);
    assert.ok(error?.type === 'error');
    assert.equal(error.error.type, 'insufficient_quota');

    // consumed is the ledger's charges of the session's steps, floored to cents.
    await stack.gateway.requestLog.flush();
    const steps = (await stack.gateway.store.listRequestLogs({ limit: 100 })).filter((row) => row.session_id === session.id);
    assert.equal(steps.length, 2);
    let charged = 0n;
    for (const step of steps) for (const event of await stack.gateway.store.findUsageEventsByRequest(step.id)) charged += event.charged;
    const read = await agents.sessions.retrieve(session.id);
    assert.equal(read.status, 'idle');
    assert.deepEqual(read.spend_control, { limit: 1, consumed: Number(charged / 10_000n) });
    assert.ok((read.spend_control?.consumed ?? 0) >= 1);

    const message = {
      type: 'agent.session.input.message' as const,
      input: [{ role: 'user' as const, content: [{ type: 'input_text' as const, text: 'Go on.' }] }],
    };
    await assert.rejects(agents.sessions.events.create(session.id, { events: [message] }), (refused: unknown) => {
      assert.ok(refused instanceof OpenAI.BadRequestError);
      assert.equal(refused.code, 'session_budget_exceeded');
      assert.equal(refused.param, 'spend_control');
      return true;
    });

    // Removing the limit keeps the spend; a new, higher limit shows it again, and the session goes on.
    const unlimited = await agents.sessions.update(session.id, { spend_control: null });
    assert.equal(unlimited.spend_control, undefined);
    const raised = await agents.sessions.update(session.id, { spend_control: { limit: 1_000 } });
    assert.deepEqual(raised.spend_control, { limit: 1_000, consumed: read.spend_control?.consumed });
    for await (const event of agents.sessions.stream(session.id, { input: 'Go on.' })) void event;
    const last = await agents.sessions.turns.list(session.id, { limit: 1 });
    assert.equal(last.data[0]?.status, 'completed');
  });
});
