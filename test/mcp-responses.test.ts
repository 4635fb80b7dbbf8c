// The Responses `mcp` tool end to end with the official openai client: a real MCP server (the official server SDK over
// Streamable HTTP on 127.0.0.1) registered by an admin, its tools listed and called by Crossway on an emulated cloud
// route, the result used in the answer; allowed_tools, require_approval (approve and deny), a hanging and a failing
// tool, streaming, inline URLs refused, credentials never echoed, and another tenant's servers invisible.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { ResponsesWS } from 'openai/resources/responses/ws';
import { startTestMcpServer, type TestMcpServer } from '../src/mcp/test-mcp-server.ts';
import { startStack, type Stack } from './support/start-stack.ts';

const MODEL = 'via-azure-v1';
const SECRET = 'mcp-secret-token-9f3a7c';
const INLINE_SECRET = 'inline-secret-5b2e';
const YAML_SECRET = 'yaml-secret-77c1';
const BACKGROUND_SECRET = 'background-secret-3d8e';

type Item = Record<string, unknown> & { type: string };
const items = (response: { output: unknown[] }) => response.output as Item[];
const ofType = (response: { output: unknown[] }, type: string) => items(response).filter((item) => item.type === type);

describe('Responses mcp tool', () => {
  let stack: Stack;
  let server: TestMcpServer;
  let serverId: string;
  let otherKey: string;
  let openKey: string;

  before(async () => {
    server = await startTestMcpServer();
    stack = await startStack({
      mcp: {
        timeout_ms: 1_500,
        servers: [{ server_label: 'from-yaml', url: server.url, authorization: YAML_SECRET, allowed_tools: ['get_weather'], require_approval: 'never' }],
      },
    });
    const registered = await stack.api('POST', '/admin/mcp-servers', {
      server_label: 'test',
      url: server.url,
      authorization: SECRET,
      credential_id: 'cred_test',
      require_approval: { always: { tool_names: ['secret_lookup'] } },
    });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    serverId = (registered.body as { id: string }).id;
    const limited = await stack.api('POST', '/admin/mcp-servers', { server_label: 'limited', url: server.url, allowed_tools: ['get_weather'] });
    assert.equal(limited.status, 201);
    // Another tenant, whose policy allows inline server URLs, with an admin key of its own.
    assert.equal((await stack.api('POST', '/admin/tenants', { id: 'other', policy: { mcp_server_urls: 'allow' } })).status, 201);
    const key = await stack.api('POST', '/admin/keys', { tenant: 'other', admin: true });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    otherKey = (key.body as { key: string }).key;
    openKey = otherKey;
  });
  after(async () => {
    await stack?.close();
    await server?.close();
  });

  it('registers a server without ever echoing its credentials', async () => {
    const one = await stack.api('GET', `/admin/mcp-servers/${serverId}`);
    assert.equal(one.status, 200);
    assert.equal((one.body as { server_label: string }).server_label, 'test');
    assert.deepEqual((one.body as { credential_headers: string[] }).credential_headers, ['authorization']);
    const list = await stack.api('GET', '/admin/mcp-servers');
    assert.deepEqual(
      (list.body as { data: { server_label: string; source: string }[] }).data.map((entry) => [entry.server_label, entry.source]),
      [
        ['from-yaml', 'configuration'],
        ['limited', 'admin_api'],
        ['test', 'admin_api'],
      ],
    );
    assert.doesNotMatch(JSON.stringify([one.body, list.body]), new RegExp(SECRET));
    // At rest, sealed: the store's row holds no readable secret.
    const row = await stack.gateway.store.getMcpServer('default', serverId);
    assert.match(String(row?.headers.authorization), /^cwsealed1:/);
    assert.doesNotMatch(JSON.stringify(row), new RegExp(SECRET));
    // New credentials for the other server: sealed anew, and used from the next request on (see the allowed_tools case).
    const limitedId = (list.body as { data: { id: string; server_label: string }[] }).data.find((entry) => entry.server_label === 'limited')?.id;
    const rekeyed = await stack.api('PATCH', `/admin/mcp-servers/${limitedId}`, { authorization: 'limited-token-77' });
    assert.deepEqual((rekeyed.body as { credential_headers: string[] }).credential_headers, ['authorization']);
    assert.doesNotMatch(JSON.stringify(rekeyed.body), /limited-token-77/);
    assert.equal((one.body as { network: string }).network, 'private', "the operator's registration may be on a private address");
    // A tenant's admin key may not register a server inside the gateway's network (SSRF); a public one is guarded.
    for (const url of ['http://169.254.169.254/latest/meta-data', 'http://127.0.0.1:8080/mcp', 'http://localhost:8080/mcp', 'http://[::1]/mcp']) {
      const refused = await stack.api('POST', '/admin/mcp-servers', { server_label: 'ssrf', url }, otherKey);
      assert.equal(refused.status, 400, url);
      assert.equal((refused.body as { error: { code: string } }).error.code, 'mcp_server_refused');
    }
    const publicOne = await stack.api('POST', '/admin/mcp-servers', { server_label: 'pub', url: 'https://mcp.example.com/mcp' }, otherKey);
    assert.equal(publicOne.status, 201);
    assert.equal((publicOne.body as { network: string; tenant: string }).network, 'public');
    assert.equal((publicOne.body as { tenant: string }).tenant, 'other');
    const moved = await stack.api('PATCH', `/admin/mcp-servers/${(publicOne.body as { id: string }).id}`, { url: 'http://10.0.0.9/mcp' }, otherKey);
    assert.equal(moved.status, 400);
    const patched = await stack.api('PATCH', `/admin/mcp-servers/${serverId}`, { description: 'The test server' });
    assert.equal(patched.status, 200);
    assert.doesNotMatch(JSON.stringify(patched.body), new RegExp(SECRET));
  });

  it('lists the tools, calls the one the model chose with the registered credentials, and answers with its result', async () => {
    const calls = server.calls.length;
    const response = await stack.client.responses.create({
      model: MODEL,
      input: 'What is the weather in Paris? Use get_weather.',
      tools: [{ type: 'mcp', server_label: 'test', require_approval: 'never' }],
    });
    assert.equal(response.status, 'completed');
    const [listing] = ofType(response, 'mcp_list_tools');
    assert.deepEqual(
      ((listing?.tools ?? []) as { name: string }[]).map((tool) => tool.name),
      ['get_weather', 'secret_lookup', 'broken_tool', 'slow_tool'],
    );
    const [call] = ofType(response, 'mcp_call');
    assert.equal(call?.name, 'get_weather');
    assert.equal(call?.server_label, 'test');
    assert.equal(typeof call?.arguments, 'string');
    assert.equal(typeof JSON.parse(String(call?.arguments)).city, 'string');
    assert.match(String(call?.output), /^Sunny and 21 degrees in /);
    assert.deepEqual(server.calls.slice(calls), ['get_weather']);
    assert.ok(server.headers.some((headers) => headers.authorization === `Bearer ${SECRET}`));
    // The model's second step got the tool's result, and its answer quotes it.
    assert.match(response.output_text, /get_weather returned a result/);
    assert.match(response.output_text, /Sunny and 21 degrees/);
    // The call is in the decision of the step that followed it.
    const decisionId = (
      await stack.client.responses
        .create({ model: MODEL, input: 'Hi, use get_weather', tools: [{ type: 'mcp', server_label: 'test', require_approval: 'never' }] })
        .withResponse()
    ).response.headers.get('x-crossway-decision');
    assert.ok(decisionId !== null);
    const decision = await stack.api('GET', `/v1/crossway/decisions/${decisionId}`);
    assert.match(JSON.stringify(decision.body), /mcp test\.get_weather: completed/);
  });

  it('a server registered in crossway.yaml is used by its label, with its credentials and rules', async () => {
    const response = await stack.client.responses.create({
      model: MODEL,
      input: 'Use get_weather for Bern.',
      tools: [{ type: 'mcp', server_label: 'from-yaml' }],
    });
    assert.deepEqual(
      ((ofType(response, 'mcp_list_tools')[0]?.tools ?? []) as { name: string }[]).map((tool) => tool.name),
      ['get_weather'],
    );
    assert.match(String(ofType(response, 'mcp_call')[0]?.output), /Sunny and 21 degrees in /);
    assert.ok(server.headers.some((headers) => headers.authorization === `Bearer ${YAML_SECRET}`));
    assert.doesNotMatch(JSON.stringify(response) + stack.logs(), new RegExp(YAML_SECRET));
    // The admin API lists it, read-only and marked as from the configuration, without its credentials.
    const listed = (await stack.api('GET', '/admin/mcp-servers')).body as { data: Record<string, unknown>[] };
    const configured = listed.data.find((entry) => entry.server_label === 'from-yaml');
    assert.equal(configured?.source, 'configuration');
    assert.equal(configured?.id, 'config:from-yaml');
    assert.equal(configured?.server_url, server.url);
    assert.deepEqual(configured?.credential_headers, ['authorization']);
    assert.deepEqual(configured?.allowed_tools, ['get_weather']);
    const one = await stack.api('GET', '/admin/mcp-servers/config:from-yaml');
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, configured);
    for (const [method, body] of [
      ['PATCH', { description: 'changed' }],
      ['DELETE', undefined],
    ] as const) {
      const refused = await stack.api(method, '/admin/mcp-servers/config:from-yaml', body);
      assert.equal(refused.status, 400, method);
      assert.equal((refused.body as { error: { code: string; param: string } }).error.code, 'mcp_server_configured');
    }
    // Another tenant does not see the default tenant's configured server.
    const theirs = (await stack.api('GET', '/admin/mcp-servers', undefined, otherKey)).body as { data: { server_label: string }[] };
    assert.equal(
      theirs.data.some((entry) => entry.server_label === 'from-yaml'),
      false,
    );
    assert.equal((await stack.api('GET', '/admin/mcp-servers/config:from-yaml', undefined, otherKey)).status, 404);
    assert.doesNotMatch(JSON.stringify([listed, one.body]), new RegExp(YAML_SECRET));
  });

  it('allowed_tools hides a tool from the listing, and a call of it is refused (admin and request alike)', async () => {
    const limited = await stack.client.responses.create({
      model: MODEL,
      input: 'Use secret_lookup please.',
      tools: [{ type: 'mcp', server_label: 'limited', require_approval: 'never' }],
    });
    assert.deepEqual(
      ((ofType(limited, 'mcp_list_tools')[0]?.tools ?? []) as { name: string }[]).map((tool) => tool.name),
      ['get_weather'],
    );
    assert.equal(ofType(limited, 'mcp_call').length, 0);
    assert.ok(server.headers.some((headers) => headers.authorization === 'Bearer limited-token-77'));
    // A call the model asked for under wider rules (an approval request), approved under a request that no longer allows it.
    const asked = await stack.client.responses.create({ model: MODEL, input: 'Use secret_lookup please.', tools: [{ type: 'mcp', server_label: 'test' }] });
    const [request] = ofType(asked, 'mcp_approval_request');
    assert.equal(request?.name, 'secret_lookup');
    const calls = server.calls.length;
    const refused = await stack.client.responses.create({
      model: MODEL,
      previous_response_id: asked.id,
      input: [{ type: 'mcp_approval_response', approval_request_id: String(request?.id), approve: true }],
      tools: [{ type: 'mcp', server_label: 'test', allowed_tools: ['get_weather'] }],
    });
    const [call] = ofType(refused, 'mcp_call');
    assert.equal(call?.status, 'failed');
    assert.equal((call?.error as { type: string } | undefined)?.type, 'http_error');
    assert.equal(server.calls.length, calls, 'the hidden tool never ran');
  });

  it('require_approval pauses until approved, runs the call once approved, and refuses it when denied', async () => {
    const calls = server.calls.length;
    const paused = await stack.client.responses.create({
      model: MODEL,
      input: 'Use secret_lookup please.',
      tools: [{ type: 'mcp', server_label: 'test', require_approval: 'always' }],
    });
    const [request] = ofType(paused, 'mcp_approval_request');
    assert.equal(request?.name, 'secret_lookup');
    assert.equal(typeof request?.arguments, 'string');
    assert.equal(ofType(paused, 'mcp_call').length, 0);
    assert.equal(server.calls.length, calls, 'nothing ran before approval');

    const approved = await stack.client.responses.create({
      model: MODEL,
      previous_response_id: paused.id,
      input: [{ type: 'mcp_approval_response', approval_request_id: String(request?.id), approve: true }],
      tools: [{ type: 'mcp', server_label: 'test', require_approval: 'always' }],
    });
    // The listing is reused from the chain; the approved call runs and its result reaches the answer.
    assert.equal(ofType(approved, 'mcp_list_tools').length, 0);
    const [call] = ofType(approved, 'mcp_call');
    assert.equal(call?.approval_request_id, request?.id);
    assert.equal(call?.output, 'the secret is 42');
    assert.match(approved.output_text, /the secret is 42/);
    assert.deepEqual(server.calls.slice(calls), ['secret_lookup']);

    const pausedAgain = await stack.client.responses.create({
      model: MODEL,
      input: 'Use secret_lookup please.',
      tools: [{ type: 'mcp', server_label: 'test' }],
    });
    const [again] = ofType(pausedAgain, 'mcp_approval_request');
    const denied = await stack.client.responses.create({
      model: MODEL,
      previous_response_id: pausedAgain.id,
      input: [{ type: 'mcp_approval_response', approval_request_id: String(again?.id), approve: false }],
      tools: [{ type: 'mcp', server_label: 'test' }],
    });
    const [refused] = ofType(denied, 'mcp_call');
    assert.equal(refused?.status, 'failed');
    assert.match(JSON.stringify(refused?.error), /not approved/);
    assert.equal(server.calls.filter((name) => name === 'secret_lookup').length, 1, 'the denied call never ran');
  });

  it('background: true runs the mcp loop in the background worker; an approval ends it with the request, answered by a later response', async () => {
    const calls = server.calls.length;
    const settle = async (id: string) => {
      for (let tries = 0; tries < 200; tries++) {
        const response = await stack.client.responses.retrieve(id);
        if (response.status !== 'queued' && response.status !== 'in_progress') return response;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`background response ${id} did not settle`);
    };
    const tool = { type: 'mcp', server_label: 'test', require_approval: 'never', headers: { 'x-background': BACKGROUND_SECRET } } as const;
    const queued = await stack.client.responses.create({ model: MODEL, background: true, input: 'Weather in Accra? Use get_weather.', tools: [tool] });
    assert.ok(queued.status === 'queued' || queued.status === 'in_progress', queued.status);
    const done = await settle(queued.id);
    assert.equal(done.status, 'completed', JSON.stringify(done.error));
    assert.equal(ofType(done, 'mcp_list_tools').length, 1);
    assert.match(String(ofType(done, 'mcp_call')[0]?.output), /^Sunny and 21 degrees in /);
    assert.match(done.output_text, /Sunny and 21 degrees/);
    assert.deepEqual(server.calls.slice(calls), ['get_weather']);
    assert.ok(
      server.headers.some((headers) => headers['x-background'] === BACKGROUND_SECRET),
      "the request's own header reached the server",
    );
    // Its stream, replayed: the mcp events as a foreground stream has them; nothing stored holds the credentials.
    const events: string[] = [];
    for await (const event of await stack.client.responses.retrieve(queued.id, { stream: true })) events.push(event.type);
    assert.ok(events.includes('response.mcp_call.completed'), events.join(','));
    assert.equal(events.at(-1), 'response.completed');
    const stored = JSON.stringify([
      await stack.gateway.store.getResponse('default', queued.id),
      await stack.gateway.store.listResponseEvents('default', queued.id, -1),
    ]);
    assert.doesNotMatch(stored + JSON.stringify(done), new RegExp(BACKGROUND_SECRET));

    // An approval: the background response completes with the request (nothing ran); a later one, background too, runs it.
    const paused = await settle(
      (
        await stack.client.responses.create({
          model: MODEL,
          background: true,
          input: 'Use secret_lookup please.',
          tools: [{ type: 'mcp', server_label: 'test' }],
        })
      ).id,
    );
    assert.equal(paused.status, 'completed');
    const [request] = ofType(paused, 'mcp_approval_request');
    assert.equal(request?.name, 'secret_lookup');
    assert.deepEqual(server.calls.slice(calls), ['get_weather'], 'nothing ran before the approval');
    const approved = await settle(
      (
        await stack.client.responses.create({
          model: MODEL,
          background: true,
          previous_response_id: paused.id,
          input: [{ type: 'mcp_approval_response', approval_request_id: String(request?.id), approve: true }],
          tools: [{ type: 'mcp', server_label: 'test' }],
        })
      ).id,
    );
    assert.equal(ofType(approved, 'mcp_call')[0]?.output, 'the secret is 42');
    assert.match(approved.output_text, /the secret is 42/);
    assert.deepEqual(server.calls.slice(calls), ['get_weather', 'secret_lookup']);
  });

  it('a tool that hangs hits the timeout and one that fails reports its error, each as a typed mcp_call error', async () => {
    const hung = await stack.client.responses.create({
      model: MODEL,
      input: 'Use slow_tool now.',
      tools: [{ type: 'mcp', server_label: 'test', require_approval: 'never' }],
    });
    const [slow] = ofType(hung, 'mcp_call');
    assert.equal(slow?.status, 'failed');
    assert.deepEqual(slow?.error, { type: 'http_error', code: 504, message: 'The MCP server test did not answer within 1500 ms.' });
    assert.equal(hung.status, 'completed');

    const broken = await stack.client.responses.create({
      model: MODEL,
      input: 'Use broken_tool now.',
      tools: [{ type: 'mcp', server_label: 'test', require_approval: 'never' }],
    });
    const [failed] = ofType(broken, 'mcp_call');
    assert.deepEqual(failed?.error, { type: 'mcp_tool_execution_error', content: [{ type: 'text', text: 'database is down' }] });
    assert.match(broken.output_text, /database is down/);
  });

  it('a registered server that cannot be reached is a 424 naming its label, never its URL or credentials', async () => {
    const gone = await stack.api('POST', '/admin/mcp-servers', { server_label: 'gone', url: 'http://127.0.0.1:1/mcp', authorization: SECRET });
    assert.equal(gone.status, 201);
    const failed = await stack.api('POST', '/v1/responses', { model: MODEL, input: 'Use get_weather', tools: [{ type: 'mcp', server_label: 'gone' }] });
    assert.equal(failed.status, 424);
    const error = (failed.body as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'mcp_server_unreachable');
    assert.match(error.message, /gone/);
    assert.doesNotMatch(error.message, new RegExp(`127\\.0\\.0\\.1|${SECRET}`));
  });

  it('streams the mcp events, then the answer', async () => {
    const stream = await stack.client.responses.create({
      model: MODEL,
      input: 'Use get_weather for Oslo.',
      tools: [{ type: 'mcp', server_label: 'test', require_approval: 'never' }],
      stream: true,
    });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const types = events.map((event) => event.type);
    for (const type of [
      'response.created',
      'response.mcp_list_tools.in_progress',
      'response.mcp_list_tools.completed',
      'response.mcp_call_arguments.done',
      'response.mcp_call.in_progress',
      'response.mcp_call.completed',
      'response.output_text.delta',
      'response.completed',
    ]) {
      assert.ok(types.includes(type as never), `${type} in ${types.join(', ')}`);
    }
    assert.ok(types.indexOf('response.mcp_call.completed') < types.indexOf('response.output_text.delta'));
    assert.deepEqual(
      events.map((event) => event.sequence_number),
      events.map((_, index) => index),
    );
    const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    // The items streamed are the response's output, in order and at their indexes; the call the model made of the
    // MCP tool shows as the mcp_call only, never as a function call of the client's.
    const done = events.filter((event) => event.type === 'response.output_item.done') as OpenAI.Responses.ResponseOutputItemDoneEvent[];
    assert.deepEqual(
      done.map((event) => [event.output_index, event.item.id]),
      completed.response.output.map((item, index) => [index, item.id]),
    );
    assert.deepEqual(
      completed.response.output.map((item) => item.type),
      ['mcp_list_tools', 'mcp_call', 'message'],
    );
    assert.ok(!types.includes('response.function_call_arguments.delta'));
    // The answer's text arrives as it is produced, in several deltas.
    assert.ok(types.filter((type) => type === 'response.output_text.delta').length > 1, types.join(', '));
    assert.match(completed.response.output_text ?? JSON.stringify(completed.response.output), /Sunny and 21 degrees/);
  });

  it('runs the mcp tool in the WebSocket mode too, and keeps no credentials', async () => {
    const ws = new ResponsesWS(stack.client);
    const events: { type: string; response?: { output: unknown[] } }[] = [];
    const done = new Promise<void>((resolve, reject) => {
      ws.on('event', (event) => {
        events.push(event as never);
        if (event.type === 'response.completed') resolve();
        if (event.type === 'error' || event.type === 'response.failed') reject(new Error(JSON.stringify(event)));
      });
    });
    ws.on('error', () => undefined);
    ws.send({
      type: 'response.create',
      model: MODEL,
      input: 'Use get_weather for Lima.',
      tools: [{ type: 'mcp', server_label: 'test', require_approval: 'never', headers: { 'x-ws-secret': INLINE_SECRET } }],
    } as OpenAI.Responses.ResponsesClientEvent);
    await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error('no response.completed')), 20_000).unref())]);
    ws.close();
    const types = events.map((event) => event.type);
    assert.ok(types.includes('response.mcp_call.completed'), types.join(', '));
    const response = events.at(-1)?.response as { output: unknown[] };
    assert.match(String(ofType(response, 'mcp_call')[0]?.output), /Sunny and 21 degrees in /);
    assert.doesNotMatch(JSON.stringify(events), new RegExp(INLINE_SECRET));
  });

  it('refuses inline URLs unless the tenant allows them, and never to loopback, private or metadata addresses', async () => {
    const denied = await stack.api('POST', '/v1/responses', {
      model: MODEL,
      input: 'hi',
      tools: [{ type: 'mcp', server_label: 'inline', server_url: 'https://mcp.example.com/mcp' }],
    });
    assert.equal(denied.status, 400);
    assert.equal((denied.body as { error: { code: string } }).error.code, 'mcp_server_refused');
    for (const url of [server.url, 'http://169.254.169.254/latest/meta-data', 'http://10.1.2.3/mcp', 'http://[::1]:8080/mcp', 'http://localhost:1/mcp']) {
      const refused = await stack.api(
        'POST',
        '/v1/responses',
        { model: MODEL, input: 'hi', tools: [{ type: 'mcp', server_label: 'inline', server_url: url, headers: { 'x-key': INLINE_SECRET } }] },
        openKey,
      );
      assert.equal(refused.status, 400, url);
      assert.equal((refused.body as { error: { code: string; param: string } }).error.param, 'tools[0].server_url');
      assert.doesNotMatch(JSON.stringify(refused.body), new RegExp(INLINE_SECRET));
    }
    for (const url of ['stdio:///usr/bin/server', 'file:///etc/passwd']) {
      const refused = await stack.api(
        'POST',
        '/v1/responses',
        { model: MODEL, input: 'hi', tools: [{ type: 'mcp', server_label: 'x', server_url: url }] },
        openKey,
      );
      assert.equal(refused.status, 400, url);
    }
  });

  it("another tenant's registered servers are invisible (404), through the admin API and the mcp tool alike", async () => {
    assert.equal((await stack.api('GET', `/admin/mcp-servers/${serverId}`, undefined, otherKey)).status, 404);
    assert.equal((await stack.api('PATCH', `/admin/mcp-servers/${serverId}`, { url: 'http://evil.example/' }, otherKey)).status, 404);
    assert.equal((await stack.api('DELETE', `/admin/mcp-servers/${serverId}`, undefined, otherKey)).status, 404);
    const theirs = (await stack.api('GET', '/admin/mcp-servers', undefined, otherKey)).body as { data: { id: string; tenant: string }[] };
    assert.ok(theirs.data.every((entry) => entry.tenant === 'other' && entry.id !== serverId));
    assert.equal((await stack.api('GET', '/admin/mcp-servers?tenant=default', undefined, otherKey)).status, 404);
    const used = await stack.api('POST', '/v1/responses', { model: MODEL, input: 'Use get_weather', tools: [{ type: 'mcp', server_label: 'test' }] }, otherKey);
    assert.equal(used.status, 404);
    assert.equal((used.body as { error: { param: string } }).error.param, 'tools[0].server_label');
  });

  it('credentials never appear in stored responses, items, logs or decisions', async () => {
    const response = await stack.client.responses.create({
      model: MODEL,
      input: 'Use get_weather for Rome.',
      tools: [{ type: 'mcp', server_label: 'test', require_approval: 'never', headers: { 'x-request-secret': INLINE_SECRET } }],
    });
    assert.doesNotMatch(JSON.stringify(response), new RegExp(`${SECRET}|${INLINE_SECRET}`));
    const stored = await stack.api('GET', `/v1/responses/${response.id}`);
    const inputs = await stack.api('GET', `/v1/responses/${response.id}/input_items`);
    assert.doesNotMatch(JSON.stringify([stored.body, inputs.body]), new RegExp(`${SECRET}|${INLINE_SECRET}`));
    assert.doesNotMatch(stack.logs(), new RegExp(`${SECRET}|${INLINE_SECRET}`));
    assert.match(stack.logs(), /"mcp":\{"server_label":"test","tool":"get_weather","outcome":"completed"\}/);
    // The request log row of the call names the server, the tools and their outcomes, and nothing secret.
    await stack.gateway.requestLog.flush();
    const rows = await stack.gateway.store.listRequestLogs({ limit: 50 });
    const row = rows.find((candidate) => candidate.id === response._request_id);
    assert.ok(row !== undefined, 'the request is in the log');
    assert.deepEqual(row.mcp_calls?.at(-1), { server_label: 'test', tool: 'get_weather', outcome: 'completed' });
    assert.doesNotMatch(JSON.stringify(rows), new RegExp(`${SECRET}|${INLINE_SECRET}`));
  });
});
