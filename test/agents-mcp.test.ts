// MCP tools inside agent sessions, end to end with the official openai client: a real MCP server (the official server
// SDK on 127.0.0.1) registered by an admin, its tools called by Crossway within a session's turn and the result used in
// the answer (the client's sessions.stream helper included); allowed_tools hiding and refusing, approvals pausing the
// session (approve, deny, cancel), a hanging or failing tool, an unreachable server, credentials never in items, events,
// logs or the store readable, and another tenant unable to use the server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startTestMcpServer, type TestMcpServer } from '../src/mcp/test-mcp-server.ts';
import { startStack, type Stack } from './support/start-stack.ts';
import { waitFor } from './support/wait-for.ts';

const MODEL = 'via-azure-v1';
const SECRET = 'agent-mcp-secret-6d2f1a';
const INLINE_SECRET = 'agent-inline-secret-0c9e';
const CREDENTIAL_SECRET = 'agent-vault-secret-51b7';

type Item = Record<string, unknown> & { type: string };

describe('MCP tools in agent sessions', () => {
  let stack: Stack;
  let server: TestMcpServer;
  let agents: OpenAI['beta']['agents'];
  const mcpTool = (extra: Record<string, unknown> = {}) =>
    ({ type: 'mcp', server_label: 'test', transport: { type: 'http', server_url: server.url }, connection_origin: 'service', ...extra }) as never;

  before(async () => {
    server = await startTestMcpServer();
    stack = await startStack({ mcp: { timeout_ms: 1_500 } });
    agents = stack.client.beta.agents;
    const registered = await stack.api('POST', '/admin/mcp-servers', {
      server_label: 'test',
      url: server.url,
      authorization: SECRET,
      require_approval: { always: { tool_names: ['secret_lookup'] } },
    });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
  });
  after(async () => {
    await stack?.close();
    await server?.close();
  });

  /** A session created without streaming (the bodies carry tools the client's types spell differently). */
  const createSession = (body: Record<string, unknown>) => agents.sessions.create(body as never) as unknown as Promise<{ id: string }>;
  const settled = (id: string, status: 'idle' | 'requires_action') =>
    waitFor(`session ${id} ${status}`, async () => {
      const session = await agents.sessions.retrieve(id);
      return session.status === status ? session : null;
    });
  const itemsOf = async (id: string) => {
    const items: Item[] = [];
    for await (const item of agents.sessions.items.list(id, { order: 'asc' })) items.push(item as unknown as Item);
    return items;
  };
  const eventsOf = async (id: string) => JSON.stringify(await stack.gateway.store.listAgentEvents('default', id, 0, 10_000));
  const lastText = (items: Item[]) => {
    const message = items.filter((item) => item.type === 'message' && item.role === 'assistant').at(-1);
    return ((message?.content ?? []) as { text: string }[]).map((part) => part.text).join('');
  };

  it('calls an MCP tool within the turn, records the call as an item with its events, and the model uses its result', async () => {
    const calls = server.calls.length;
    const methods = server.methods.length;
    // The decisions of the session's steps, as the gateway records them.
    const notes: string[] = [];
    const record = stack.gateway.decisions.record.bind(stack.gateway.decisions);
    stack.gateway.decisions.record = (decision, plan) => {
      notes.push(...(decision.notes ?? []));
      record(decision, plan);
    };
    const agent = await agents.create({ model: MODEL, tools: [mcpTool()] } as never);
    const session = await agents.sessions.create({
      agent_id: agent.id,
      environment: { type: 'none' },
      input: 'What is the weather in Paris? Use get_weather.',
    });
    await settled(session.id, 'idle');
    const items = await itemsOf(session.id);
    const [call] = items.filter((item) => item.type === 'mcp_call');
    assert.equal(call?.name, 'get_weather');
    assert.equal(call?.server_label, 'test');
    assert.equal(call?.status, 'completed');
    assert.match(String(call?.output), /^Sunny and 21 degrees in /);
    assert.equal(call?.error, null);
    assert.equal(
      Object.keys(call ?? {}).some((key) => key.startsWith('crossway_')),
      false,
      'no private key is listed',
    );
    assert.deepEqual(server.calls.slice(calls), ['get_weather']);
    assert.ok(
      server.headers.some((headers) => headers.authorization === `Bearer ${SECRET}`),
      'the registered credentials reached the server',
    );
    // The next model step got the result, and the answer quotes it.
    assert.match(lastText(items), /get_weather returned a result/);
    assert.match(lastText(items), /Sunny and 21 degrees/);
    const events = await eventsOf(session.id);
    const mcpEvents = (await stack.gateway.store.listAgentEvents('default', session.id, 0, 10_000))
      .map((record) => record.event as { type: string; item?: { type?: string; id?: string; status?: string } })
      .filter((event) => event.item?.type === 'mcp_call');
    assert.deepEqual(
      mcpEvents.map((event) => [event.type, event.item?.id, event.item?.status]),
      [
        ['agent.session.turn.item.added', call?.id, 'completed'],
        ['agent.session.turn.item.done', call?.id, 'completed'],
      ],
    );
    assert.doesNotMatch(events, /crossway_/);
    stack.gateway.decisions.record = record;
    assert.ok(notes.includes('mcp test.get_weather: completed'), `the next step's decision names the call: ${JSON.stringify(notes)}`);
    // The step that made the call has it in its request-log row: the tool and its outcome, never the arguments.
    await stack.gateway.requestLog.flush();
    const rows = (await stack.gateway.store.listRequestLogs({ limit: 100 })).filter((row) => row.session_id === session.id);
    assert.deepEqual(
      rows.flatMap((row) => row.mcp_calls ?? []),
      [{ server_label: 'test', tool: 'get_weather', outcome: 'completed' }],
    );
    assert.doesNotMatch(JSON.stringify(rows), /Paris/);
    const turns = await agents.sessions.turns.list(session.id);
    assert.equal(turns.data[0]?.status, 'completed');
    // The same session calls again in a second turn (its tool list is kept for the session).
    await agents.sessions.events.create(session.id, {
      events: [{ type: 'agent.session.input.message', input: [{ role: 'user', content: [{ type: 'input_text', text: 'And in Rome? Use get_weather.' }] }] }],
    } as never);
    await waitFor('second turn', async () => (await agents.sessions.turns.list(session.id)).data.length === 2 || null);
    await settled(session.id, 'idle');
    assert.equal((await itemsOf(session.id)).filter((item) => item.type === 'mcp_call' && item.status === 'completed').length, 2);
    // One MCP connection served the whole session (its listing and both calls, across two turns): initialized once.
    assert.deepEqual(
      server.methods.slice(methods).filter((method) => method === 'initialize' || method.startsWith('tools/')),
      ['initialize', 'tools/list', 'tools/call', 'tools/call'],
    );
  });

  it("the client's own helper (sessions.stream) follows a turn whose MCP call Crossway makes, to its answer", async () => {
    const session = await createSession({ environment: { type: 'none' }, agent: { model: MODEL, tools: [mcpTool()] }, input: 'Hello.' });
    await settled(session.id, 'idle');
    const events: { type: string; item?: { type?: string; status?: string }; delta?: string }[] = [];
    for await (const event of agents.sessions.stream(session.id, { input: 'Weather in Lima? Use get_weather.' })) events.push(event as never);
    const call = events.find((event) => event.type === 'agent.session.turn.item.done' && event.item?.type === 'mcp_call');
    assert.equal(call?.item?.status, 'completed');
    assert.ok(events.some((event) => event.type === 'agent.session.turn.completed'));
    const text = events.flatMap((event) => (event.type === 'agent.session.turn.output_text.delta' ? [event.delta ?? ''] : [])).join('');
    assert.match(text, /Sunny and 21 degrees in /);
  });

  it("the client's sessions.stream surfaces an MCP approval as requires_action; a posted approval resumes the same stream to its answer", async () => {
    const calls = server.calls.length;
    const session = await createSession({ environment: { type: 'none' }, agent: { model: MODEL, tools: [mcpTool()] }, input: 'Hello.' });
    await settled(session.id, 'idle');
    const seen: string[] = [];
    let approved: { request_id: string; request: Record<string, unknown> } | undefined;
    let text = '';
    // The helper keeps following the turn through requires_action (only the turn's end and idle, or a failed session,
    // end it): the approval is posted from inside the loop, and the same iteration goes on to the answer.
    for await (const event of agents.sessions.stream(session.id, { input: 'Use secret_lookup please.' })) {
      seen.push(event.type);
      if (event.type === 'agent.session.requires_action') {
        assert.equal(server.calls.length, calls, 'nothing ran before the approval');
        const [action] = event.session.required_actions as unknown as { type: string; request_id: string; request: Record<string, unknown> }[];
        assert.equal(action?.type, 'mcp_approval_request');
        approved = action;
        await agents.sessions.events.create(session.id, {
          events: [
            {
              type: 'agent.session.input.mcp_approval_request_result',
              request_id: String(action?.request_id),
              response: { type: 'mcp_tool_call', decision: 'approve' },
            },
          ],
        } as never);
      }
      if (event.type === 'agent.session.turn.output_text.delta') text += event.delta;
    }
    assert.equal(approved?.request.name, 'secret_lookup');
    assert.equal(approved?.request.server_label, 'test');
    assert.ok(seen.indexOf('agent.session.requires_action') < seen.indexOf('agent.session.turn.completed'));
    assert.equal(seen.at(-1), 'agent.session.idle');
    assert.equal(seen.filter((type) => type === 'agent.session.turn.created').length, 1, 'one turn, resumed');
    assert.deepEqual(server.calls.slice(calls), ['secret_lookup']);
    assert.match(text, /the secret is 42/);
    const [call] = (await itemsOf(session.id)).filter((item) => item.type === 'mcp_call');
    assert.equal(call?.status, 'completed');
    assert.equal(call?.output, 'the secret is 42');
  });

  it('allowed_tools hides a tool from the model, and refuses a call of it asked for under wider rules', async () => {
    const calls = server.calls.length;
    const hidden = await createSession({
      environment: { type: 'none' },
      agent: { model: MODEL, tools: [mcpTool({ allowed_tools: ['get_weather'] })] },
      input: 'Use secret_lookup please.',
    });
    await settled(hidden.id, 'idle');
    assert.equal((await itemsOf(hidden.id)).filter((item) => item.type === 'mcp_call').length, 0, 'the hidden tool was not offered');
    // Asked for (it needs approval), then the session's tools narrowed, then approved: refused, never run.
    const asked = await createSession({
      environment: { type: 'none' },
      agent: { model: MODEL, tools: [mcpTool()] },
      input: 'Use secret_lookup please.',
    });
    const paused = await settled(asked.id, 'requires_action');
    const action = paused.required_actions[0] as unknown as { request_id: string };
    const updated = await stack.api('POST', `/v1/agents/sessions/${asked.id}`, { agent: { tools: [mcpTool({ allowed_tools: ['get_weather'] })] } });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    await agents.sessions.events.create(asked.id, {
      events: [
        { type: 'agent.session.input.mcp_approval_request_result', request_id: action.request_id, response: { type: 'mcp_tool_call', decision: 'approve' } },
      ],
    } as never);
    await settled(asked.id, 'idle');
    const [call] = (await itemsOf(asked.id)).filter((item) => item.type === 'mcp_call');
    assert.equal(call?.status, 'failed');
    assert.match(JSON.stringify(call?.error), /not allowed/);
    assert.equal(server.calls.slice(calls).includes('secret_lookup'), false, 'the hidden tool never ran');
  });

  it('an approval pauses the session in requires_action; approved, the call runs; denied, it is refused; cancelled, it ends incomplete', async () => {
    const calls = server.calls.length;
    const lookups = () => server.calls.slice(calls).filter((name) => name === 'secret_lookup').length;
    const session = await createSession({
      environment: { type: 'none' },
      agent: { model: MODEL, tools: [mcpTool()] },
      input: 'Use secret_lookup please.',
    });
    const paused = await settled(session.id, 'requires_action');
    const [action] = paused.required_actions as unknown as { type: string; request_id: string; turn_id: string; request: Record<string, unknown> }[];
    assert.equal(action?.type, 'mcp_approval_request');
    assert.equal(action?.request.type, 'mcp_tool_call');
    assert.equal(action?.request.name, 'secret_lookup');
    assert.equal(action?.request.server_label, 'test');
    assert.equal(typeof action?.request.arguments, 'object');
    assert.equal(server.calls.length, calls, 'nothing ran before approval');
    const pending = (await itemsOf(session.id)).find((item) => item.type === 'mcp_call');
    assert.equal(pending?.status, 'in_progress');
    // An unknown request id is refused; the session keeps waiting.
    await assert.rejects(
      agents.sessions.events.create(session.id, {
        events: [
          { type: 'agent.session.input.mcp_approval_request_result', request_id: 'mcpr_nope', response: { type: 'mcp_tool_call', decision: 'approve' } },
        ],
      } as never),
      (error: unknown) => error instanceof OpenAI.BadRequestError && /Unknown approval request/.test(error.message),
    );
    await agents.sessions.events.create(session.id, {
      events: [
        {
          type: 'agent.session.input.mcp_approval_request_result',
          request_id: String(action?.request_id),
          response: { type: 'mcp_tool_call', decision: 'approve' },
        },
      ],
    } as never);
    await settled(session.id, 'idle');
    const items = await itemsOf(session.id);
    const [call] = items.filter((item) => item.type === 'mcp_call');
    assert.equal(call?.status, 'completed');
    assert.equal(call?.output, 'the secret is 42');
    assert.match(lastText(items), /the secret is 42/);
    assert.deepEqual(server.calls.slice(calls), ['secret_lookup']);

    const again = await createSession({
      environment: { type: 'none' },
      agent: { model: MODEL, tools: [mcpTool()] },
      input: 'Use secret_lookup please.',
    });
    const waiting = await settled(again.id, 'requires_action');
    const request = (waiting.required_actions[0] as unknown as { request_id: string }).request_id;
    await agents.sessions.events.create(again.id, {
      events: [{ type: 'agent.session.input.mcp_approval_request_result', request_id: request, response: { type: 'mcp_tool_call', decision: 'deny' } }],
    } as never);
    await settled(again.id, 'idle');
    const [refused] = (await itemsOf(again.id)).filter((item) => item.type === 'mcp_call');
    assert.equal(refused?.status, 'failed');
    assert.match(JSON.stringify(refused?.error), /not approved/);
    assert.equal(lookups(), 1, 'the denied call never ran');

    // Cancelled while it waits: the turn ends cancelled, the call is incomplete and never made.
    const third = await createSession({ environment: { type: 'none' }, agent: { model: MODEL, tools: [mcpTool()] }, input: 'Use secret_lookup please.' });
    await settled(third.id, 'requires_action');
    await agents.sessions.events.create(third.id, { events: [{ type: 'agent.session.input.cancel' }] } as never);
    const idle = await settled(third.id, 'idle');
    assert.deepEqual(idle.required_actions, []);
    const [dropped] = (await itemsOf(third.id)).filter((item) => item.type === 'mcp_call');
    assert.equal(dropped?.status, 'incomplete');
    assert.equal((await agents.sessions.turns.list(third.id)).data[0]?.status, 'cancelled');
    assert.equal(lookups(), 1, 'the cancelled call never ran');
  });

  it('a hanging tool hits the timeout and a failing tool reports its error: each a failed call item, and the turn goes on to an answer', async () => {
    const session = await createSession({
      environment: { type: 'none' },
      agent: { model: MODEL, tools: [mcpTool()] },
      input: 'Use slow_tool please.',
    });
    await settled(session.id, 'idle');
    const items = await itemsOf(session.id);
    const [call] = items.filter((item) => item.type === 'mcp_call');
    assert.equal(call?.name, 'slow_tool');
    assert.equal(call?.status, 'failed');
    assert.deepEqual({ ...(call?.error as object), message: undefined }, { type: 'http_error', code: 504, message: undefined });
    assert.equal((await agents.sessions.turns.list(session.id)).data[0]?.status, 'completed');
    assert.ok(lastText(items).length > 0);
    // A tool that reports an error: its content in the item's typed error, and the turn goes on too.
    const failing = await createSession({ environment: { type: 'none' }, agent: { model: MODEL, tools: [mcpTool()] }, input: 'Use broken_tool please.' });
    await settled(failing.id, 'idle');
    const [broken] = (await itemsOf(failing.id)).filter((item) => item.type === 'mcp_call');
    assert.equal(broken?.status, 'failed');
    assert.equal((broken?.error as { type?: string } | null)?.type, 'mcp_tool_execution_error');
    assert.match(JSON.stringify(broken?.error), /database is down/);
    assert.equal((await agents.sessions.turns.list(failing.id)).data[0]?.status, 'completed');
  });

  it('a required server that cannot be listed fails the turn with a reason naming it; the session is idle again', async () => {
    const dead = await stack.api('POST', '/admin/mcp-servers', { server_label: 'dead', url: 'http://127.0.0.1:1/mcp', require_approval: 'never' });
    assert.equal(dead.status, 201, JSON.stringify(dead.body));
    const tool = mcpTool({ server_label: 'dead', transport: { type: 'http', server_url: 'http://127.0.0.1:1/mcp' }, required: true });
    const session = await createSession({ environment: { type: 'none' }, agent: { model: MODEL, tools: [tool] }, input: 'Use get_weather.' });
    await settled(session.id, 'idle');
    const [turn] = (await agents.sessions.turns.list(session.id)).data;
    assert.equal(turn?.status, 'failed');
    assert.equal(turn?.error?.code, 'server_error');
    assert.match(String(turn?.error?.message), /MCP server dead could not be reached/);
  });

  it('an optional server (required left out) that cannot be listed is skipped with an error event; the others serve the turn', async () => {
    const tools = [mcpTool({ server_label: 'dead', transport: { type: 'http', server_url: 'http://127.0.0.1:1/mcp' } }), mcpTool()];
    const session = await createSession({ environment: { type: 'none' }, agent: { model: MODEL, tools }, input: 'Weather in Kyiv? Use get_weather.' });
    await settled(session.id, 'idle');
    const [turn] = (await agents.sessions.turns.list(session.id)).data;
    assert.equal(turn?.status, 'completed');
    const [call] = (await itemsOf(session.id)).filter((item) => item.type === 'mcp_call');
    assert.equal(call?.status, 'completed');
    assert.equal(call?.server_label, 'test');
    const errors = (await stack.gateway.store.listAgentEvents('default', session.id, 0, 10_000))
      .map((record) => record.event as { type: string; error?: { code: string; message: string } })
      .filter((event) => event.type === 'error');
    assert.ok(errors.length > 0, 'an error event records the skipped server');
    assert.equal(errors[0]?.error?.code, 'mcp_server_unreachable');
    assert.match(String(errors[0]?.error?.message), /MCP server dead could not be reached\. Its tools are left out of this step\./);
  });

  it('credential_id names a credential an admin registered: sent to the server, never shown; an unknown one is a 400 naming it', async () => {
    const created = await stack.api('POST', '/admin/mcp-credentials', {
      name: 'Weather API key',
      server_url: server.url,
      headers: { 'x-api-key': CREDENTIAL_SECRET },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const credential = created.body as { id: string; object: string; credential_headers: string[]; server_url: string };
    assert.equal(credential.object, 'mcp_credential');
    assert.deepEqual(credential.credential_headers, ['x-api-key']);
    const listed = await stack.api('GET', '/admin/mcp-credentials');
    assert.ok((listed.body as { data: { id: string }[] }).data.some((entry) => entry.id === credential.id));
    const stored = await stack.gateway.store.getMcpCredential('default', credential.id);
    assert.match(String(stored?.headers['x-api-key']), /^cwsealed1:/);
    const seen = server.headers.length;
    const session = await createSession({
      environment: { type: 'none' },
      agent: { model: MODEL, tools: [mcpTool({ credential_id: credential.id })] },
      input: 'Weather in Quito? Use get_weather.',
    });
    await settled(session.id, 'idle');
    const items = await itemsOf(session.id);
    assert.equal(items.find((item) => item.type === 'mcp_call')?.status, 'completed');
    const sent = server.headers.slice(seen);
    assert.ok(sent.length > 0 && sent.every((headers) => headers['x-api-key'] === CREDENTIAL_SECRET), 'the credential reached the server');
    assert.ok(
      sent.every((headers) => headers.authorization === `Bearer ${SECRET}`),
      "the registered server's own credentials still win",
    );
    const everything =
      JSON.stringify([created.body, listed.body, items, await agents.sessions.retrieve(session.id)]) + (await eventsOf(session.id)) + stack.logs();
    assert.doesNotMatch(everything, new RegExp(CREDENTIAL_SECRET));
    // An unknown id (or another tenant's) is refused when the session is created, naming the field.
    await assert.rejects(
      createSession({ environment: { type: 'none' }, agent: { model: MODEL, tools: [mcpTool({ credential_id: 'mcpc_unknown' })] }, input: 'Hi.' }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && /credential_id/.test(String(error.param)) && error.code === 'mcp_credential_not_found',
    );
    // Nor may a session's tools be updated to name one.
    const updated = await stack.api('POST', `/v1/agents/sessions/${session.id}`, { agent: { tools: [mcpTool({ credential_id: 'mcpc_unknown' })] } });
    assert.equal(updated.status, 400, JSON.stringify(updated.body));
    assert.match(String((updated.body as { error: { param: string } }).error.param), /credential_id/);
    // Deleted: gone for the next session.
    assert.equal((await stack.api('DELETE', `/admin/mcp-credentials/${credential.id}`)).status, 200);
    await assert.rejects(
      createSession({ environment: { type: 'none' }, agent: { model: MODEL, tools: [mcpTool({ credential_id: credential.id })] }, input: 'Hi.' }),
      OpenAI.BadRequestError,
    );
  });

  it('never shows credentials in the agent, the session, its items, events or the logs', async () => {
    const inline = mcpTool({ transport: { type: 'http', server_url: server.url, authorization: INLINE_SECRET, headers: { 'x-extra': INLINE_SECRET } } });
    const agent = await agents.create({ model: MODEL, tools: [inline] } as never);
    assert.doesNotMatch(JSON.stringify(agent), new RegExp(INLINE_SECRET));
    const session = await agents.sessions.create({ agent_id: agent.id, environment: { type: 'none' }, input: 'Weather in Oslo? Use get_weather.' });
    assert.doesNotMatch(JSON.stringify(session), new RegExp(INLINE_SECRET));
    await settled(session.id, 'idle');
    const items = await itemsOf(session.id);
    assert.ok(items.some((item) => item.type === 'mcp_call' && item.status === 'completed'));
    // The registered server's credentials win; the inline ones are used for what they add.
    assert.ok(server.headers.some((headers) => headers['x-extra'] === INLINE_SECRET));
    const everything =
      JSON.stringify([items, await agents.sessions.retrieve(session.id), await agents.retrieve(agent.id)]) + (await eventsOf(session.id)) + stack.logs();
    assert.doesNotMatch(everything, new RegExp(INLINE_SECRET));
    // A session's tools updated with credentials: sealed too, never echoed.
    const updated = await stack.api('POST', `/v1/agents/sessions/${session.id}`, { agent: { tools: [inline] } });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.doesNotMatch(JSON.stringify(updated.body), new RegExp(INLINE_SECRET));
    // At rest, sealed: neither the saved agent nor the session's resolved agent holds a readable credential.
    const rows = [await stack.gateway.store.getAgent('default', agent.id), await stack.gateway.store.getAgentSession('default', session.id)];
    assert.match(JSON.stringify(rows), /cwsealed1:/);
    assert.doesNotMatch(JSON.stringify(rows), new RegExp(INLINE_SECRET));
    assert.doesNotMatch(everything, new RegExp(SECRET));
  });

  it("another tenant cannot use this tenant's registered server, nor an inline private address", async () => {
    assert.equal((await stack.api('POST', '/admin/tenants', { id: 'other', policy: { mcp_server_urls: 'allow' } })).status, 201);
    const key = await stack.api('POST', '/admin/keys', { tenant: 'other' });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    const other = new OpenAI({ apiKey: (key.body as { key: string }).key, baseURL: `${stack.url}/v1`, maxRetries: 0 }).beta.agents;
    const calls = server.calls.length;
    // The label is not registered for this tenant; its URL is 127.0.0.1, which an inline tool may never reach.
    await assert.rejects(
      other.sessions.create({ environment: { type: 'none' }, agent: { model: MODEL, tools: [mcpTool()] }, input: 'Use get_weather.' } as never),
      (error: unknown) => error instanceof OpenAI.BadRequestError && error.message.length > 0,
    );
    const metadata = mcpTool({ server_label: 'meta', transport: { type: 'http', server_url: 'http://169.254.169.254/latest' } });
    await assert.rejects(
      other.sessions.create({ environment: { type: 'none' }, agent: { model: MODEL, tools: [metadata] }, input: 'Use get_weather.' } as never),
      OpenAI.BadRequestError,
    );
    // Without a URL policy, the label alone is not found.
    const registeredOnly = await stack.api('POST', '/admin/tenants', { id: 'strict' });
    assert.equal(registeredOnly.status, 201);
    const strictKey = await stack.api('POST', '/admin/keys', { tenant: 'strict' });
    const strict = new OpenAI({ apiKey: (strictKey.body as { key: string }).key, baseURL: `${stack.url}/v1`, maxRetries: 0 }).beta.agents;
    await assert.rejects(
      strict.sessions.create({ environment: { type: 'none' }, agent: { model: MODEL, tools: [mcpTool()] }, input: 'Use get_weather.' } as never),
      (error: unknown) => error instanceof OpenAI.BadRequestError || error instanceof OpenAI.NotFoundError,
    );
    assert.equal(server.calls.length, calls);
  });
});
