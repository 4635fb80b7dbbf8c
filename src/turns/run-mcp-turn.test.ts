import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { CallContext } from '../calls/index.ts';
import { McpEngine } from '../mcp/index.ts';
import { startTestMcpServer, type TestMcpServer } from '../mcp/test-mcp-server.ts';
import type { ResponseFunctionCallItem, ResponseItem, ResponseObject } from '../wire/index.ts';
import type { ResponseTurn } from './response-turn.ts';
import { driveMcpTurn, MAX_MCP_STEPS, type McpStepResult } from './run-mcp-turn.ts';
import type { TurnServices } from './turn-services.ts';

// The driver with a stand-in for the model (runStep) and a real MCP server: the loop's own rules, step by step.
describe('driveMcpTurn', () => {
  let server: TestMcpServer;
  let engine: McpEngine;
  let services: TurnServices;
  const context = {
    principal: { kind: 'master', key: null, admin: true, tenant: { id: 'acme', policy: {} } },
    requestId: 'req_test',
    signal: new AbortController().signal,
  } as unknown as CallContext;
  const turn = {
    id: 'resp_1',
    createdAt: 0,
    request: { model: 'm', input: 'hi', tools: [{ type: 'mcp', server_label: 'test', require_approval: 'never', headers: { 'x-secret': 'shh' } }] },
    inputItems: [{ type: 'message', id: 'msg_1', role: 'user', content: [{ type: 'input_text', text: 'hi' }], status: 'completed' }],
    contextItems: [],
    previousResponseId: null,
    conversationId: null,
  } as unknown as ResponseTurn;

  before(async () => {
    server = await startTestMcpServer();
    engine = new McpEngine({ timeoutMs: 5_000 });
    const registered = {
      id: 'mcps_1',
      tenant: 'acme',
      label: 'test',
      url: server.url,
      description: null,
      headers: {},
      credential_id: null,
      allowed_tools: null,
      require_approval: 'never',
      network: 'private',
      created_at: '',
      updated_at: '',
    };
    services = {
      mcp: engine,
      compactionKey: randomBytes(32),
      catalog: { config: { mcp: { servers: [] } } },
      logger: pino({ level: 'silent' }),
      store: { findMcpServerByLabel: async () => registered },
    } as unknown as TurnServices;
  });
  after(async () => {
    await engine.close();
    await server.close();
  });

  /** A model that calls `tool` at every step, or answers in words when `tool` is null. */
  const model =
    (tool: () => string | null, seen: ResponseTurn[]) =>
    async (step: ResponseTurn): Promise<McpStepResult> => {
      seen.push(step);
      const name = tool();
      const output: ResponseItem[] =
        name === null
          ? [
              {
                type: 'message',
                id: `msg_${seen.length}`,
                role: 'assistant',
                content: [{ type: 'output_text', text: 'done', annotations: [] }],
                status: 'completed',
              },
            ]
          : [{ type: 'function_call', id: `fc_${seen.length}`, call_id: `call_${seen.length}`, name, arguments: '{"city":"Oslo"}', status: 'completed' }];
      const usage = {
        input_tokens: 10,
        input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
        output_tokens: 2,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 12,
      };
      return { response: { status: 'completed', usage, error: null } as unknown as ResponseObject, output, route: null, usageEventId: null };
    };

  it('stops at the step bound when the model keeps calling, as incomplete, with every step metered in the usage', async () => {
    const seen: ResponseTurn[] = [];
    const outcome = await driveMcpTurn(services, context, turn, { runStep: model(() => 'get_weather', seen), added: async () => {} });
    assert.equal(seen.length, MAX_MCP_STEPS);
    assert.equal(outcome.status, 'incomplete');
    assert.equal(outcome.usage?.total_tokens, 12 * MAX_MCP_STEPS);
    assert.equal(outcome.output.filter((item) => item.type === ('mcp_call' as string)).length, MAX_MCP_STEPS);
  });

  it('offers the tools as functions, forces nothing after the first step, and hands each result back to the model', async () => {
    const seen: ResponseTurn[] = [];
    let steps = 0;
    const outcome = await driveMcpTurn(
      services,
      context,
      { ...turn, request: { ...turn.request, tool_choice: { type: 'mcp', server_label: 'test', name: 'get_weather' } } as ResponseTurn['request'] },
      { runStep: model(() => (steps++ === 0 ? 'get_weather' : null), seen), added: async () => {} },
    );
    assert.equal(outcome.status, 'completed');
    assert.equal(seen.length, 2);
    assert.deepEqual(seen[0]?.request.tool_choice, { type: 'function', name: 'get_weather' });
    assert.equal(seen[1]?.request.tool_choice, 'auto');
    assert.deepEqual(
      seen[0]?.request.tools?.map((tool) => [tool.type, (tool as { name?: string }).name]),
      [
        ['function', 'get_weather'],
        ['function', 'secret_lookup'],
        ['function', 'broken_tool'],
        ['function', 'slow_tool'],
      ],
    );
    // The second step sees the call as a function call and its output; no mcp item and no credential reaches the model.
    const items = seen[1]?.inputItems ?? [];
    const call = items.find((item) => item.type === 'function_call') as ResponseFunctionCallItem | undefined;
    assert.equal(call?.name, 'get_weather');
    assert.match(JSON.stringify(items.find((item) => item.type === 'function_call_output')), /Sunny and 21 degrees in Oslo/);
    assert.ok(!items.some((item) => String(item.type).startsWith('mcp_')));
    assert.doesNotMatch(JSON.stringify(seen), /shh/);
    assert.deepEqual(
      outcome.output.map((item) => item.type),
      ['mcp_list_tools', 'mcp_call', 'message'],
    );
  });
});
