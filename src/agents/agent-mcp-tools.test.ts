import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { McpEngine, McpServerUnreachableError, type McpToolset } from '../mcp/index.ts';
import { startTestMcpServer, type TestMcpServer } from '../mcp/test-mcp-server.ts';
import { findPendingCalls } from './agent-items.ts';
import { AgentMcpListings, findPendingApprovals, redactAgentTools, sealAgentTools, toPendingMcpCallItem, toResponsesMcpTools } from './agent-mcp-tools.ts';
import { checkServedTools } from './check-served-tools.ts';

const HTTP_TOOL = {
  type: 'mcp',
  server_label: 'docs',
  transport: { type: 'http', server_url: 'https://mcp.example.com/mcp', headers: { 'x-key': 'k1' }, authorization: 'tok' },
  allowed_tools: ['search'],
  connection_origin: 'service',
  credential_id: null,
  required: false,
};

test('an agent mcp tool becomes the Responses mcp tool the governance resolves; function tools are left out', () => {
  assert.deepEqual(toResponsesMcpTools([{ type: 'function', name: 'f' }, HTTP_TOOL, { ...HTTP_TOOL, server_label: 'b', require_approval: 'never' }]), [
    {
      type: 'mcp',
      server_label: 'docs',
      server_url: 'https://mcp.example.com/mcp',
      headers: { 'x-key': 'k1' },
      authorization: 'tok',
      allowed_tools: ['search'],
    },
    {
      type: 'mcp',
      server_label: 'b',
      server_url: 'https://mcp.example.com/mcp',
      headers: { 'x-key': 'k1' },
      authorization: 'tok',
      allowed_tools: ['search'],
      require_approval: 'never',
    },
  ]);
  assert.deepEqual(toResponsesMcpTools(null), []);
});

test('published tools carry no headers and no authorization', () => {
  const [published] = redactAgentTools([HTTP_TOOL]) as Record<string, unknown>[];
  assert.deepEqual(published?.transport, { type: 'http', server_url: 'https://mcp.example.com/mcp' });
  assert.doesNotMatch(JSON.stringify(published), /k1|tok/);
  assert.equal(redactAgentTools(undefined), undefined);
});

test('checkServedTools takes http mcp tools from the service, and names the field it refuses', () => {
  checkServedTools([HTTP_TOOL, { ...HTTP_TOOL, connection_origin: undefined }, { type: 'function', name: 'f' }], 'tools');
  const refuses = (tool: Record<string, unknown>, param: string) =>
    assert.throws(
      () => checkServedTools([tool], 'tools'),
      (error: Error & { param?: string }) => error.param === param,
    );
  refuses({ ...HTTP_TOOL, transport: { type: 'stdio', command: 'x', cwd: '/' } }, 'tools[0].transport.type');
  refuses({ ...HTTP_TOOL, connection_origin: 'environment' }, 'tools[0].connection_origin');
  refuses({ type: 'computer_use' }, 'tools[0].type');
});

test('a call waiting for approval is a required action until decided; function calls keep their own', () => {
  const source = { type: 'function_call', call_id: 'call_1', name: 'search', arguments: '{"q":"x"}' };
  const waiting = toPendingMcpCallItem('docs', 'search', '{"q":"x"}', 'turn_1', source);
  assert.equal(waiting.status, 'in_progress');
  const [action] = findPendingApprovals([waiting], 'turn_1');
  assert.deepEqual(
    { ...action, request_id: undefined, request: { ...(action?.request as object), message: undefined } },
    {
      type: 'mcp_approval_request',
      request_id: undefined,
      turn_id: 'turn_1',
      request: { type: 'mcp_tool_call', server_label: 'docs', name: 'search', arguments: { q: 'x' }, message: undefined },
    },
  );
  assert.match(String(action?.request_id), /^mcpr_/);
  assert.deepEqual(findPendingApprovals([waiting], 'turn_2'), [], 'another turn');
  const approved = { ...waiting, crossway_approval: { ...(waiting.crossway_approval as object), decision: 'approve' } };
  assert.deepEqual(findPendingApprovals([approved], 'turn_1'), []);
  const call = { type: 'function_call', call_id: 'c2', name: 'f', arguments: '{}', turn_id: 'turn_1' };
  assert.deepEqual(
    findPendingCalls([call, waiting], 'turn_1').map((pending) => pending.type),
    ['function_call', 'mcp_approval_request'],
  );
});

describe('AgentMcpListings against a real MCP server', () => {
  let server: TestMcpServer;
  let engine: McpEngine;
  before(async () => {
    server = await startTestMcpServer();
    // The engine keeps no list (every entry is over its byte bound): what is reused comes from the session's listing.
    engine = new McpEngine({ timeoutMs: 5_000, listCacheMaxBytes: 1 });
  });
  after(async () => {
    await engine.close();
    await server.close();
  });

  test("lists a server's tools once per session", async () => {
    const listings = new AgentMcpListings();
    const toolset = { label: 'test', target: { tenant: 't', label: 'test', url: server.url, headers: {}, allowPrivateAddress: true } } as McpToolset;
    const services = { mcp: engine } as never;
    const signal = AbortSignal.timeout(10_000);
    const first = await listings.get(services, 'sess_1', toolset, signal);
    assert.deepEqual(
      first.map((tool) => tool.name),
      ['get_weather', 'secret_lookup', 'broken_tool', 'slow_tool'],
    );
    const requests = server.headers.length;
    assert.deepEqual(await listings.get(services, 'sess_1', toolset, signal), first);
    assert.equal(server.headers.length, requests, 'the same session lists once');
    await listings.get(services, 'sess_2', toolset, signal);
    assert.ok(server.headers.length > requests, 'another session lists on its own');
  });

  test('a server that could not be listed is not asked again by the session for a while: its failure is reused', async () => {
    const listings = new AgentMcpListings();
    const target = { tenant: 't', label: 'dead', url: 'http://127.0.0.1:1/mcp', headers: {}, allowPrivateAddress: true };
    const toolset = { label: 'dead', target } as McpToolset;
    let asked = 0;
    const counting = {
      listTools: (...args: Parameters<McpEngine['listTools']>) => {
        asked += 1;
        return engine.listTools(...args);
      },
    };
    const services = { mcp: counting } as never;
    const signal = AbortSignal.timeout(10_000);
    await assert.rejects(listings.get(services, 'sess_3', toolset, signal), McpServerUnreachableError);
    await assert.rejects(listings.get(services, 'sess_3', toolset, signal), McpServerUnreachableError);
    assert.equal(asked, 1, 'the second step reused the failure');
    await assert.rejects(listings.get(services, 'sess_4', toolset, signal), McpServerUnreachableError);
    assert.equal(asked, 2, 'another session asks on its own');
  });
});

test('credentials are sealed for storage, opened only with the installation key and tenant, and never published', () => {
  const key = Buffer.alloc(32, 7);
  const sealed = sealAgentTools([HTTP_TOOL, { type: 'function', name: 'f' }], key, 'acme');
  assert.doesNotMatch(JSON.stringify(sealed), /"k1"|"tok"/);
  assert.deepEqual(sealed[1], { type: 'function', name: 'f' });
  assert.deepEqual(sealAgentTools(sealed, key, 'acme'), sealed, 'sealing again changes nothing');
  const [opened] = toResponsesMcpTools(sealed, key, 'acme') as unknown as { headers: Record<string, string> }[];
  assert.deepEqual(opened?.headers, { 'x-key': 'k1', authorization: 'Bearer tok' });
  const [published] = redactAgentTools(sealed) as Record<string, unknown>[];
  assert.deepEqual(published?.transport, { type: 'http', server_url: 'https://mcp.example.com/mcp' });
});
