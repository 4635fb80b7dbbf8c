// The Agents API end to end with the official openai client: saved agents (CRUD, pages), sessions whose turns run
// through the gateway's turn machinery on the emulated clouds, a function tool answered through the client's own
// helper (sessions.stream with a tool handler) and by hand, a session created with stream: true, subscribe-before-send,
// cancel, items and turns, another tenant's 404s, refused environments and MCP transports, a step whose replica died, and a
// session waiting on a tool result through a gateway restart that goes on on another cloud.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { HELD_MODEL, heldRoute, startHeldUpstream, type HeldUpstream } from './support/start-held-upstream.ts';
import { AZURE_KEY, DEFAULT_MODELS, defaultRoutes, OPENAI_KEY, startStack, type Stack } from './support/start-stack.ts';
import { WAIT_MS, waitFor } from './support/wait-for.ts';

const MODEL = 'via-azure-v1';
const WEATHER_TOOL = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'The weather in a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

type AgentEvent = OpenAI.Beta.Agents.AgentSessionEvent;

describe('Agents API', () => {
  let stack: Stack;
  let agents: OpenAI['beta']['agents'];
  before(async () => {
    stack = await startStack({ runtime: { background_lease_ms: 3_000 } });
    agents = stack.client.beta.agents;
  });
  after(() => stack.close());

  const idleSession = (id: string) =>
    waitFor(`session ${id} idle`, async () => {
      const session = await agents.sessions.retrieve(id);
      return session.status === 'idle' ? session : null;
    });

  it('creates, reads, lists, updates and deletes saved agents with every field the types declare', async () => {
    const created = await agents.create({ model: MODEL, name: 'Weather', instructions: 'Be brief.', tools: [WEATHER_TOOL], metadata: { team: 'ops' } });
    assert.equal(created.object, 'agent');
    assert.match(created.id, /^agent_[0-9a-f]{48}$/);
    assert.equal(created.model, MODEL);
    assert.equal(created.instructions, 'Be brief.');
    assert.equal(typeof created.created_at, 'number');
    assert.ok(Math.abs(created.created_at - Date.now() / 1000) < 600);
    assert.deepEqual(created.tools, [{ ...WEATHER_TOOL, defer_loading: false }]);
    assert.deepEqual(created.reasoning, { effort: null, summary: null });
    assert.deepEqual(created.multi_agent, { enabled: false, max_concurrent_subagents: null });
    assert.deepEqual(created.text, { format: { type: 'text' }, verbosity: 'medium' });
    assert.equal(created.service_tier, 'auto');
    assert.deepEqual(created.compaction, { async: true });
    assert.deepEqual(await agents.retrieve(created.id), created);

    const updated = await agents.update(created.id, { name: 'Weather 2', reasoning: { effort: 'low' }, tools: null });
    assert.equal(updated.name, 'Weather 2');
    assert.deepEqual(updated.reasoning, { effort: 'low', summary: null });
    assert.deepEqual(updated.tools, []);
    assert.equal(updated.instructions, 'Be brief.');

    const second = await agents.create({ model: MODEL, name: 'Second' });
    const page = await agents.list({ limit: 1 });
    assert.equal(page.data.length, 1);
    assert.equal(page.data[0]?.id, second.id);
    assert.equal(page.has_more, true);
    const all: string[] = [];
    for await (const agent of agents.list({ limit: 1, order: 'asc' })) all.push(agent.id);
    assert.deepEqual(all.slice(-2), [created.id, second.id]);

    assert.deepEqual(await agents.delete(second.id), { id: second.id, object: 'agent.deleted', deleted: true });
    await assert.rejects(agents.retrieve(second.id), (error: unknown) => error instanceof OpenAI.NotFoundError);
    await assert.rejects(agents.create({ model: MODEL, tools: [{ ...WEATHER_TOOL, name: 'bad name!' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.match(error.message, /tools\[0\]\.name/);
      return true;
    });
  });

  it('runs a function tool through sessions.stream with a tool handler: the result reaches the model, items and turns are kept', async () => {
    const agent = await agents.create({ model: MODEL, instructions: 'Be brief.', tools: [WEATHER_TOOL] });
    const session = await agents.sessions.create({ agent_id: agent.id, environment: { type: 'none' }, input: 'Hello there.' });
    assert.equal(session.object, 'agent.session');
    assert.equal(session.agent.id, agent.id);
    assert.deepEqual(session.environment, { type: 'none' });
    await idleSession(session.id);

    const handled: unknown[] = [];
    const events: AgentEvent[] = [];
    const stream = agents.sessions.stream(session.id, {
      input: 'Please call get_weather for Paris.',
      toolHandlers: {
        get_weather: async (args: unknown) => {
          handled.push(args);
          return { temperature_c: 21 };
        },
      },
    });
    for await (const event of stream) events.push(event);
    assert.equal(handled.length, 1);
    const types = events.map((event) => event.type);
    assert.ok(types.includes('agent.session.turn.created'));
    assert.ok(types.includes('agent.session.requires_action'));
    assert.ok(types.includes('agent.session.turn.output_text.delta'));
    assert.equal(types.at(-2), 'agent.session.turn.completed');
    assert.equal(types.at(-1), 'agent.session.idle');
    assert.equal(new Set(events.map((event) => event.event_id)).size, events.length);
    const created = events.find((event) => event.type === 'agent.session.turn.created');
    assert.ok(created?.type === 'agent.session.turn.created' && created.turn.subagent_id === null);

    // The tool's result reached the model: the last upstream call carried it as a tool message.
    const calls = (await stack.journal('azure')).filter((entry) => entry.path.includes('chat/completions'));
    const messages = (calls.at(-1)?.body?.messages ?? []) as Array<{ role: string; content: unknown }>;
    assert.equal(messages.at(-1)?.role, 'tool');
    assert.match(JSON.stringify(messages.at(-1)), /21/);
    assert.match(JSON.stringify(messages), /Hello there/);

    const items: OpenAI.Beta.Agents.AgentSessionItem[] = [];
    for await (const item of agents.sessions.items.list(session.id, { order: 'asc' })) items.push(item);
    assert.deepEqual(
      items.map((item) => (item.type === 'message' ? `${item.type}:${item.role}` : item.type)),
      ['message:user', 'message:assistant', 'message:user', 'function_call', 'function_call_output', 'message:assistant'],
    );
    assert.ok(!JSON.stringify(items).includes('crossway_'));
    const turns = await agents.sessions.turns.list(session.id, { order: 'asc' });
    assert.deepEqual(
      turns.data.map((turn) => turn.status),
      ['completed', 'completed'],
    );
    assert.ok((turns.data[1]?.usage?.total_tokens ?? 0) > 0);
    const turnItems = await agents.sessions.turns.items.list(turns.data[1]?.id ?? '', { session_id: session.id, order: 'asc' });
    assert.deepEqual(
      turnItems.data.map((item) => item.type),
      ['message', 'function_call', 'function_call_output', 'message'],
    );
    const done = await agents.sessions.retrieve(session.id);
    assert.equal(done.status, 'idle');
    assert.ok((done.usage?.total_tokens ?? 0) >= (turns.data[0]?.usage?.total_tokens ?? 0) + (turns.data[1]?.usage?.total_tokens ?? 0));
    assert.deepEqual(done.required_actions, []);
  });

  it('streams a session created with stream: true, tool handler included, to the end of its first turn', async () => {
    const events: AgentEvent[] = [];
    const stream = await agents.sessions.create({
      environment: { type: 'none' },
      agent: { model: MODEL, tools: [WEATHER_TOOL] },
      input: 'Please call get_weather for Rome.',
      stream: true,
      toolHandlers: { get_weather: async () => 'sunny, 25 C' },
    });
    for await (const event of stream) events.push(event);
    assert.equal(events[0]?.type, 'agent.session.created');
    assert.equal(events.at(-1)?.type, 'agent.session.idle');
    assert.ok(events.some((event) => event.type === 'agent.session.turn.item.added' && event.item.type === 'function_call'));
    const text = events.filter((event) => event.type === 'agent.session.turn.output_text.done');
    assert.ok(text.length > 0);
  });

  it('takes events posted by hand: tool results (an unknown call as the helper expects), cancel, messages; subscribe-before-send sees each once', async () => {
    const session = await agents.sessions.create({
      environment: { type: 'none' },
      agent: { model: MODEL, tools: [WEATHER_TOOL] },
      input: 'Please call get_weather for Oslo.',
    });
    const waiting = await waitFor('requires_action', async () => {
      const read = await agents.sessions.retrieve(session.id);
      return read.status === 'requires_action' ? read : null;
    });
    const action = waiting.required_actions[0];
    assert.ok(action?.type === 'function_call');
    assert.equal(action.name, 'get_weather');
    // A message needs an idle session.
    await assert.rejects(
      agents.sessions.events.create(session.id, {
        events: [{ type: 'agent.session.input.message', input: [{ role: 'user', content: [{ type: 'input_text', text: 'hi' }] }] }],
      }),
      (error: unknown) => error instanceof OpenAI.ConflictError,
    );
    await assert.rejects(
      agents.sessions.events.create(session.id, {
        events: [{ type: 'agent.session.input.tool_result', turn_id: action.turn_id, call_id: 'call_unknown', success: true, output: 'x' }],
      }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.BadRequestError);
        assert.equal(error.code, 'invalid_request_error');
        assert.equal((error.error as { message?: string }).message, 'Unknown pending tool call: call_unknown');
        return true;
      },
    );

    // Subscribed before sending: every event after the subscription, once, in order, and nothing from before it.
    const controller = new AbortController();
    const live = await agents.sessions.events.stream(session.id, { signal: controller.signal, timeout: WAIT_MS });
    const seen: AgentEvent[] = [];
    const reading = (async () => {
      try {
        for await (const event of live) {
          seen.push(event);
          if (event.type === 'agent.session.idle') break;
        }
      } catch (error) {
        if (!controller.signal.aborted) throw error;
      }
    })();
    await agents.sessions.events.create(session.id, {
      events: [{ type: 'agent.session.input.tool_result', turn_id: action.turn_id, call_id: action.call_id, success: false, error: 'Service down.' }],
    });
    const timer = setTimeout(() => controller.abort(), WAIT_MS);
    await reading;
    clearTimeout(timer);
    assert.equal(seen[0]?.type, 'agent.session.in_progress');
    assert.equal(seen.at(-1)?.type, 'agent.session.idle');
    assert.ok(seen.some((event) => event.type === 'agent.session.turn.completed'));
    assert.ok(!seen.some((event) => event.type === 'agent.session.created' || event.type === 'agent.session.requires_action'));
    assert.equal(new Set(seen.map((event) => event.event_id)).size, seen.length);
    const items = await agents.sessions.items.list(session.id, { order: 'asc' });
    const output = items.data.find((item) => item.type === 'function_call_output');
    assert.ok(output?.type === 'function_call_output');
    assert.equal(output.error, 'Service down.');
    assert.equal(output.status, 'failed');

    // A second tool call, cancelled while it waits: the turn ends cancelled, the session is idle, the call no longer pending.
    await agents.sessions.events.create(session.id, {
      events: [{ type: 'agent.session.input.message', input: [{ role: 'user', content: [{ type: 'input_text', text: 'Call get_weather for Bergen.' }] }] }],
    });
    const again = await waitFor('requires_action again', async () => {
      const read = await agents.sessions.retrieve(session.id);
      return read.status === 'requires_action' ? read : null;
    });
    const pending = again.required_actions[0];
    assert.ok(pending?.type === 'function_call');
    await agents.sessions.events.create(session.id, { events: [{ type: 'agent.session.input.cancel' }] });
    const idle = await agents.sessions.retrieve(session.id);
    assert.equal(idle.status, 'idle');
    assert.deepEqual(idle.required_actions, []);
    const turn = await agents.sessions.turns.retrieve(pending.turn_id, { session_id: session.id });
    assert.equal(turn.status, 'cancelled');
    await assert.rejects(
      agents.sessions.events.create(session.id, {
        events: [{ type: 'agent.session.input.tool_result', turn_id: pending.turn_id, call_id: pending.call_id, success: true, output: 'late' }],
      }),
      (error: unknown) => error instanceof OpenAI.BadRequestError,
    );

    // Updated and listed by agent; deleted whole.
    const updated = await agents.sessions.update(session.id, { metadata: { stage: 'done' }, agent: { model: 'via-openai' } });
    assert.deepEqual(updated.metadata, { stage: 'done' });
    assert.equal(updated.agent.model, 'via-openai');
    assert.deepEqual(await agents.sessions.delete(session.id), { id: session.id, object: 'agent.session.deleted', deleted: true });
    await assert.rejects(agents.sessions.retrieve(session.id), (error: unknown) => error instanceof OpenAI.NotFoundError);
  });

  it("answers another tenant's agents and sessions 404 everywhere", async () => {
    assert.equal((await stack.api('POST', '/admin/tenants', { id: 'agents-other', name: 'Other' })).status, 201);
    const key = await stack.api('POST', '/admin/keys', { tenant: 'agents-other', name: 'other' });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    const other = stack.clientFor(key.body.key).beta.agents;
    const agent = await agents.create({ model: MODEL });
    const session = await agents.sessions.create({ agent_id: agent.id, environment: { type: 'none' }, input: 'Hi.' });
    await idleSession(session.id);
    const notFound = (error: unknown) => error instanceof OpenAI.NotFoundError;
    await assert.rejects(other.retrieve(agent.id), notFound);
    await assert.rejects(other.update(agent.id, { name: 'x' }), notFound);
    await assert.rejects(other.delete(agent.id), notFound);
    await assert.rejects(other.sessions.create({ agent_id: agent.id, environment: { type: 'none' }, input: 'Hi.' }), notFound);
    await assert.rejects(other.sessions.retrieve(session.id), notFound);
    await assert.rejects(other.sessions.update(session.id, { metadata: {} }), notFound);
    await assert.rejects(other.sessions.delete(session.id), notFound);
    await assert.rejects(other.sessions.items.list(session.id), notFound);
    await assert.rejects(other.sessions.turns.list(session.id), notFound);
    await assert.rejects(other.sessions.events.create(session.id, { events: [{ type: 'agent.session.input.cancel' }] }), notFound);
    await assert.rejects(other.sessions.events.stream(session.id), notFound);
    assert.deepEqual((await other.list()).data, []);
    assert.deepEqual((await other.sessions.list()).data, []);
    assert.equal((await agents.sessions.list({ agent_id: agent.id })).data[0]?.id, session.id);
  });

  it('refuses environments other than none, a missing input, stdio MCP transports and environment connections, naming the parameter', async () => {
    const refused = async (body: Record<string, unknown>, pattern: RegExp, param: string) => {
      const response = await stack.api('POST', '/v1/agents/sessions', body);
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.match(response.body.error.message, pattern);
      assert.equal(response.body.error.param, param);
    };
    const agent = { model: MODEL };
    await refused({ environment: { type: 'openai_hosted' }, agent, input: 'x' }, /runs no sandboxes/, 'environment.type');
    await refused({ environment: { type: 'self_hosted' }, agent, input: 'x' }, /runs no sandboxes/, 'environment.type');
    await refused({ environment: { type: 'none' }, agent }, /'input'/, 'input');
    const stdio = { type: 'mcp', server_label: 'docs', transport: { type: 'stdio', command: 'docs-server', cwd: '/' } };
    await refused(
      { environment: { type: 'none' }, agent: { ...agent, tools: [stdio] }, input: 'x' },
      /'stdio' MCP transports are not served/,
      'agent.tools[0].transport.type',
    );
    const fromEnvironment = {
      type: 'mcp',
      server_label: 'docs',
      connection_origin: 'environment',
      transport: { type: 'http', server_url: 'https://example.com/mcp' },
    };
    await refused(
      { environment: { type: 'none' }, agent: { ...agent, tools: [fromEnvironment] }, input: 'x' },
      /only 'service'/,
      'agent.tools[0].connection_origin',
    );
    await refused(
      { environment: { type: 'none' }, agent: { ...agent, tools: [{ type: 'web_search' }] }, input: 'x' },
      /'web_search' tools are not served/,
      'agent.tools[0].type',
    );
  });

  it('fails with a reason a step whose replica died (its lease ran out), leaving the session usable', async () => {
    const session = await agents.sessions.create({ environment: { type: 'none' }, agent: { model: MODEL }, input: 'Hi.' });
    await idleSession(session.id);
    const store = stack.gateway.store;
    const record = await store.getAgentSession('default', session.id);
    assert.ok(record !== null);
    // A turn begun by a replica that then died: its lease expired a minute ago.
    const now = new Date().toISOString();
    const turn = { id: 'turn_dead', object: 'agent.session.turn', session_id: session.id, status: 'in_progress', usage: null, created_at: 0 };
    await store.writeAgentSession('default', session.id, {
      patch: { status: 'in_progress', active_turn_id: 'turn_dead', owner: 'dead-replica', lease_expires_at: new Date(Date.now() - 60_000).toISOString() },
      turns: [{ id: 'turn_dead', created_at: now, status: 'in_progress', turn }],
    });
    const swept = await idleSession(session.id);
    assert.equal(swept.status, 'idle');
    const failed = await agents.sessions.turns.retrieve('turn_dead', { session_id: session.id });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'internal_error');
    assert.match(failed.error?.message ?? '', /replica running this step stopped/);
  });
});

describe('an agent session across a gateway restart and across clouds', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'crossway-agents-restart-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('waits for its tool result through a restart, then continues on another cloud with the same items', async () => {
    const first = await startStack({ dataDir });
    let sessionId: string;
    let action: { turn_id: string; call_id: string };
    try {
      const session = await first.client.beta.agents.sessions.create(
        { environment: { type: 'none' }, agent: { model: 'gpt-5.5', tools: [WEATHER_TOOL] }, input: 'Please call get_weather for Lisbon.' },
        { headers: { 'x-crossway-providers-only': 'azure' } },
      );
      sessionId = session.id;
      const waiting = await waitFor('requires_action', async () => {
        const read = await first.client.beta.agents.sessions.retrieve(session.id);
        return read.status === 'requires_action' ? read : null;
      });
      const required = waiting.required_actions[0];
      assert.ok(required?.type === 'function_call');
      action = required;
      const azureCalls = (await first.journal('azure')).filter((entry) => entry.path.includes('chat/completions'));
      assert.equal(azureCalls.length, 1);
    } finally {
      await first.close();
    }

    const second = await startStack({ dataDir });
    try {
      const agents = second.client.beta.agents;
      assert.equal((await agents.sessions.retrieve(sessionId)).status, 'requires_action');
      await agents.sessions.events.create(
        sessionId,
        { events: [{ type: 'agent.session.input.tool_result', turn_id: action.turn_id, call_id: action.call_id, success: true, output: '19 C' }] },
        { headers: { 'x-crossway-providers-only': 'openai' } },
      );
      await waitFor('idle after the restart', async () => (await agents.sessions.retrieve(sessionId)).status === 'idle');
      // The step after the restart ran on OpenAI, with the turn's earlier items (from Azure) as its context.
      const openaiCalls = (await second.journal('openai')).filter((entry) => entry.path.includes('chat/completions'));
      assert.equal(openaiCalls.length, 1);
      const sent = JSON.stringify(openaiCalls[0]?.body?.messages);
      assert.match(sent, /Lisbon/);
      assert.match(sent, /19 C/);
      assert.equal((await second.journal('azure')).filter((entry) => entry.path.includes('chat/completions')).length, 0);
      const items = await agents.sessions.items.list(sessionId, { order: 'asc' });
      assert.deepEqual(
        items.data.map((item) => item.type),
        ['message', 'function_call', 'function_call_output', 'message'],
      );
      const turns = await agents.sessions.turns.list(sessionId);
      assert.equal(turns.data[0]?.status, 'completed');
    } finally {
      await second.close();
    }
  });
});

describe('cancelling an agent session while its step runs', () => {
  let stack: Stack;
  let held: HeldUpstream;
  before(async () => {
    held = await startHeldUpstream();
    stack = await startStack({
      routes: (urls) => [...defaultRoutes(urls, { openai: OPENAI_KEY, azure: AZURE_KEY }), heldRoute(held.url)],
      models: [...DEFAULT_MODELS, HELD_MODEL],
    });
  });
  after(async () => {
    await stack.close();
    await held.close();
  });

  it('abandons the running step: the turn ends cancelled, the session is idle at once and takes a new message', async () => {
    const agents = stack.client.beta.agents;
    const arrived = held.arrival();
    const session = await agents.sessions.create({ environment: { type: 'none' }, agent: { model: HELD_MODEL.id }, input: 'Hello.' });
    await arrived;
    assert.equal((await agents.sessions.retrieve(session.id)).status, 'in_progress');
    // A running session is not deleted: it must be cancelled first.
    await assert.rejects(agents.sessions.delete(session.id), (error: unknown) => error instanceof OpenAI.ConflictError);
    await agents.sessions.events.create(session.id, { events: [{ type: 'agent.session.input.cancel' }] });
    const idle = await agents.sessions.retrieve(session.id);
    assert.equal(idle.status, 'idle');
    const turns = await agents.sessions.turns.list(session.id);
    assert.equal(turns.data[0]?.status, 'cancelled');
    // Nothing of the abandoned step is written after the cancel: the last event is still the idle one.
    held.release();
    await agents.sessions.update(session.id, { agent: { model: MODEL } });
    const events: AgentEvent[] = [];
    for await (const event of agents.sessions.stream(session.id, { input: 'Hello again.' })) events.push(event);
    assert.equal(events.at(-1)?.type, 'agent.session.idle');
    const after = await agents.sessions.turns.list(session.id, { order: 'asc' });
    assert.deepEqual(
      after.data.map((turn) => turn.status),
      ['cancelled', 'completed'],
    );
  });
});

describe('an agent session whose step runs when the gateway shuts down', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'crossway-agents-shutdown-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('fails the step with the reason at shutdown: after a restart the session is idle at once and usable', async () => {
    const held = await startHeldUpstream();
    const routes = (urls: Parameters<typeof defaultRoutes>[0]) => [...defaultRoutes(urls, { openai: OPENAI_KEY, azure: AZURE_KEY }), heldRoute(held.url)];
    let sessionId: string;
    try {
      const first = await startStack({ dataDir, routes, models: [...DEFAULT_MODELS, HELD_MODEL] });
      const arrived = held.arrival();
      const session = await first.client.beta.agents.sessions.create({ environment: { type: 'none' }, agent: { model: HELD_MODEL.id }, input: 'Hi.' });
      sessionId = session.id;
      await arrived;
      // The step is still held when the grace period ends: the gateway abandons it.
      await first.close();
    } finally {
      await held.close();
    }
    const second = await startStack({ dataDir });
    try {
      const agents = second.client.beta.agents;
      const session = await agents.sessions.retrieve(sessionId);
      assert.equal(session.status, 'idle');
      const turns = await agents.sessions.turns.list(sessionId);
      assert.equal(turns.data[0]?.status, 'failed');
      assert.equal(turns.data[0]?.error?.code, 'internal_error');
      assert.match(turns.data[0]?.error?.message ?? '', /shut down before it finished/);
      await agents.sessions.update(sessionId, { agent: { model: MODEL } });
      const events: AgentEvent[] = [];
      for await (const event of agents.sessions.stream(sessionId, { input: 'Hello again.' })) events.push(event);
      assert.equal(events.at(-1)?.type, 'agent.session.idle');
    } finally {
      await second.close();
    }
  });
});
