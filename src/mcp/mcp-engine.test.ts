import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { McpEngine, type McpServerTarget } from './mcp-engine.ts';
import { McpProtocolError, McpServerUnreachableError, McpTimeoutError, McpToolError, toMcpCallItemError } from './mcp-errors.ts';
import { startTestMcpServer, type TestMcpServer } from './test-mcp-server.ts';

describe('McpEngine against a real MCP server over Streamable HTTP', () => {
  let server: TestMcpServer;
  let engine: McpEngine;
  let target: McpServerTarget;
  before(async () => {
    server = await startTestMcpServer();
    engine = new McpEngine({ timeoutMs: 1_500 });
    target = { tenant: 't1', label: 'test', url: server.url, headers: { authorization: 'Bearer s3cret-token' }, allowPrivateAddress: true };
  });
  after(async () => {
    await engine.close();
    await server.close();
  });

  test('lists the tools with their schemas, sends the credentials, and caches the list per tenant and server', async () => {
    const tools = await engine.listTools(target, AbortSignal.timeout(10_000));
    assert.deepEqual(
      tools.map((tool) => tool.name),
      ['get_weather', 'secret_lookup', 'broken_tool', 'slow_tool'],
    );
    assert.equal((tools[0]?.input_schema as { type?: string } | undefined)?.type, 'object');
    assert.ok(server.headers.some((headers) => headers.authorization === 'Bearer s3cret-token'));
    const requests = server.headers.length;
    await engine.listTools(target, AbortSignal.timeout(10_000));
    assert.equal(server.headers.length, requests, 'the second listing came from the cache');
    await engine.listTools({ ...target, tenant: 't2' }, AbortSignal.timeout(10_000));
    assert.ok(server.headers.length > requests, 'another tenant lists on its own');
  });

  test('calls a tool and returns its text', async () => {
    assert.equal(await engine.callTool(target, 'get_weather', { city: 'Paris' }, AbortSignal.timeout(10_000)), 'Sunny and 21 degrees in Paris');
  });

  test('a result larger than the bound is a protocol error, not a truncated answer', async () => {
    const small = new McpEngine({ timeoutMs: 5_000, maxResultBytes: 10 });
    try {
      const error = await small.callTool(target, 'get_weather', { city: 'Paris' }, AbortSignal.timeout(10_000)).catch((caught) => caught);
      assert.ok(error instanceof McpProtocolError, String(error));
      assert.match(error.message, /larger than 10 bytes/);
    } finally {
      await small.close();
    }
  });

  test('a tool that reports an error is an McpToolError with its content', async () => {
    const error = await engine.callTool(target, 'broken_tool', { input: 'x' }, AbortSignal.timeout(10_000)).catch((caught) => caught);
    assert.ok(error instanceof McpToolError);
    assert.deepEqual(toMcpCallItemError(error), { type: 'mcp_tool_execution_error', content: [{ type: 'text', text: 'database is down' }] });
  });

  test('a tool that hangs hits the timeout', async () => {
    const error = await engine.callTool(target, 'slow_tool', { input: 'x' }, AbortSignal.timeout(10_000)).catch((caught) => caught);
    assert.ok(error instanceof McpTimeoutError, String(error));
  });

  test('an unknown tool is a protocol error or a tool error, never a success', async () => {
    const error = await engine.callTool(target, 'no_such_tool', {}, AbortSignal.timeout(10_000)).catch((caught) => caught);
    assert.ok(error instanceof McpProtocolError || error instanceof McpToolError, String(error));
  });

  test('a server that is not there is unreachable, and the error names the label, not the credentials', async () => {
    const gone = { ...target, url: 'http://127.0.0.1:1/mcp' };
    const error = await engine.listTools(gone, AbortSignal.timeout(10_000)).catch((caught) => caught);
    assert.ok(error instanceof McpServerUnreachableError, String(error));
    assert.doesNotMatch(JSON.stringify(toMcpCallItemError(error)), /s3cret/);
  });

  test('an inline server (no private addresses) is refused at connect time even on 127.0.0.1 by name', async () => {
    const inline = { ...target, tenant: 't3', url: server.url.replace('127.0.0.1', 'localhost'), allowPrivateAddress: false };
    const error = await engine.listTools(inline, AbortSignal.timeout(10_000)).catch((caught) => caught);
    assert.ok(error instanceof McpServerUnreachableError, String(error));
    // Refused by the guarded lookup, not by chance: the cause chain names the forbidden address.
    let cause: unknown = error;
    const seen: string[] = [];
    for (let depth = 0; cause instanceof Error && depth < 8; depth++, cause = cause.cause) seen.push(`${(cause as { code?: string }).code} ${cause.message}`);
    assert.match(seen.join(' | '), /EMCPFORBIDDEN|forbidden address/);
  });

  test('an inline server on a literal forbidden address is refused before any connection', async () => {
    const requests = server.headers.length;
    const error = await engine.listTools({ ...target, tenant: 't4', allowPrivateAddress: false }, AbortSignal.timeout(10_000)).catch((caught) => caught);
    assert.ok(error instanceof McpServerUnreachableError, String(error));
    assert.match(error.message, /forbidden address/);
    assert.equal(server.headers.length, requests);
  });

  test('the caller aborting ends the call', async () => {
    const controller = new AbortController();
    const pending = engine.callTool({ ...target }, 'slow_tool', { input: 'x' }, controller.signal);
    setTimeout(() => controller.abort(new Error('gone')), 50);
    await assert.rejects(pending);
  });
});

describe('McpEngine connections kept per scope (a server with MCP sessions)', () => {
  let server: TestMcpServer;
  let engine: McpEngine;
  let target: McpServerTarget;
  const signal = () => AbortSignal.timeout(10_000);
  const initializations = () => server.methods.filter((method) => method === 'initialize').length;
  before(async () => {
    server = await startTestMcpServer({ sessions: true });
    engine = new McpEngine({ timeoutMs: 1_500, maxConnectionsPerTenant: 2 });
    target = { tenant: 't1', label: 'test', url: server.url, headers: {}, allowPrivateAddress: true };
  });
  after(async () => {
    await engine.close();
    await server.close();
  });

  test("a scope's listing and calls share one initialized connection; without a scope each call connects anew", async () => {
    const before = initializations();
    await engine.listTools(target, signal(), 'session-a');
    await engine.callTool(target, 'get_weather', { city: 'Oslo' }, signal(), 'session-a');
    assert.equal(await engine.callTool(target, 'get_weather', { city: 'Rome' }, signal(), 'session-a'), 'Sunny and 21 degrees in Rome');
    assert.equal(initializations() - before, 1, 'initialized once for three operations');
    assert.equal(server.sessionCount(), 1);
    await engine.callTool(target, 'get_weather', { city: 'Lima' }, signal());
    await engine.callTool(target, 'get_weather', { city: 'Bern' }, signal());
    assert.equal(initializations() - before, 3, 'a call without a scope opens and closes its own connection');
  });

  test('a connection whose MCP session the server dropped (404) is re-initialized once, transparently', async () => {
    await engine.callTool(target, 'get_weather', { city: 'Oslo' }, signal(), 'session-b');
    const before = initializations();
    server.expireSessions();
    assert.equal(await engine.callTool(target, 'get_weather', { city: 'Kyiv' }, signal(), 'session-b'), 'Sunny and 21 degrees in Kyiv');
    assert.equal(initializations() - before, 1);
    await engine.callTool(target, 'get_weather', { city: 'Riga' }, signal(), 'session-b');
    assert.equal(initializations() - before, 1, 'the new connection is kept');
  });

  test("a tool's failure leaves the connection in use; closeScope closes it; a tenant holds at most its bound", async () => {
    await engine.callTool(target, 'get_weather', { city: 'Oslo' }, signal(), 'session-c');
    const before = initializations();
    await assert.rejects(engine.callTool(target, 'broken_tool', { input: 'x' }, signal(), 'session-c'), McpToolError);
    await engine.callTool(target, 'get_weather', { city: 'Oslo' }, signal(), 'session-c');
    assert.equal(initializations() - before, 0);
    engine.closeScope('session-c');
    engine.closeScope('session-a');
    engine.closeScope('session-b');
    assert.equal(engine.openConnections, 0);
    for (const scope of ['s1', 's2', 's3']) await engine.callTool(target, 'get_weather', { city: 'Oslo' }, signal(), scope);
    assert.equal(engine.openConnections, 2, 'the least recently used of the tenant was closed');
    await engine.callTool({ ...target, tenant: 't2' }, 'get_weather', { city: 'Oslo' }, signal(), 's1');
    assert.equal(engine.openConnections, 3, "another tenant's bound is its own");
    const count = initializations();
    await engine.callTool(target, 'get_weather', { city: 'Oslo' }, signal(), 's3');
    assert.equal(initializations(), count, 's3 is still open');
  });
});
