// The OpenAI Agents SDK's hosted MCP tool (`hostedMcpTool`) against Crossway: the agent names a server an admin
// registered, Crossway lists and calls its tools on an emulated cloud route (the SDK sees OpenAI's mcp items), and an
// approval the SDK surfaces as an interruption is approved and resumed. Tracing is off: nothing leaves 127.0.0.1.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent, hostedMcpTool, Runner, setTraceProcessors, setTracingDisabled } from '@openai/agents-core';
import { OpenAIProvider } from '@openai/agents-openai';
import { startTestMcpServer, type TestMcpServer } from '../src/mcp/test-mcp-server.ts';
import { startStack, type Stack } from './support/start-stack.ts';

const MODEL = 'via-azure-v1';

setTracingDisabled(true);
setTraceProcessors([]);

describe('an @openai/agents agent with a hosted MCP tool over Crossway', () => {
  let stack: Stack;
  let server: TestMcpServer;
  let runner: Runner;
  before(async () => {
    server = await startTestMcpServer();
    stack = await startStack();
    const registered = await stack.api('POST', '/admin/mcp-servers', { server_label: 'test', url: server.url, authorization: 'sdk-secret-4d1' });
    assert.equal(registered.status, 201);
    runner = new Runner({
      modelProvider: new OpenAIProvider({ baseURL: `${stack.url}/v1`, apiKey: stack.masterKey, useResponses: true }),
      tracingDisabled: true,
    });
  });
  after(async () => {
    await stack?.close();
    await server?.close();
  });

  it('runs a hosted MCP tool on an emulated cloud and answers with its result', async () => {
    const agent = new Agent({
      name: 'Forecaster',
      instructions: 'Answer with the weather.',
      model: MODEL,
      tools: [hostedMcpTool({ serverLabel: 'test', requireApproval: 'never' })],
    });
    const result = await runner.run(agent, 'What is the weather in Paris? Use get_weather.');
    assert.match(String(result.finalOutput), /Sunny and 21 degrees/);
    assert.ok(server.calls.includes('get_weather'));
    const raw = result.newItems.map((item) => (item.rawItem as { type?: string; providerData?: { type?: string } }).providerData?.type ?? item.type);
    assert.ok(raw.includes('mcp_call'), raw.join(', '));
  });

  it('surfaces an approval request as an interruption, and runs the call once the app approves it', async () => {
    const agent = new Agent({
      name: 'Keeper',
      instructions: 'Look things up.',
      model: MODEL,
      tools: [hostedMcpTool({ serverLabel: 'test', requireApproval: 'always' })],
    });
    const before = server.calls.filter((name) => name === 'secret_lookup').length;
    const first = await runner.run(agent, 'Use secret_lookup please.');
    assert.equal(first.interruptions.length, 1);
    assert.equal(server.calls.filter((name) => name === 'secret_lookup').length, before, 'nothing ran before approval');
    const interruption = first.interruptions[0];
    assert.ok(interruption !== undefined);
    first.state.approve(interruption);
    const resumed = await runner.run(agent, first.state);
    assert.equal(server.calls.filter((name) => name === 'secret_lookup').length, before + 1);
    assert.match(String(resumed.finalOutput), /the secret is 42/);
  });
});
