// The Responses `mcp` tool on every cloud route of the demo catalog (Azure, Bedrock, Vertex, OpenAI; chat and native
// Responses routes): Crossway lists and calls the tools of an admin-registered MCP server itself, so the same request
// works whichever cloud serves the model, and each model step is metered on that cloud's route.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestMcpServer, type TestMcpServer } from '../src/mcp/test-mcp-server.ts';
import { startDemoStack, type DemoStack } from './support/start-demo-stack.ts';

describe('the mcp tool on every cloud route of the demo catalog', () => {
  let stack: DemoStack;
  let server: TestMcpServer;
  before(async () => {
    server = await startTestMcpServer();
    stack = await startDemoStack();
    const response = await fetch(`${stack.gateway.url}/admin/mcp-servers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.demo.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ server_label: 'weather', url: server.url, require_approval: 'never' }),
    });
    assert.equal(response.status, 201);
  });
  after(async () => {
    await stack?.close();
    await server?.close();
  });

  it('lists, calls and answers with the result on each route that runs tools', async () => {
    const routes = stack.chatRoutes.filter((route) => route.capabilities.includes('tools'));
    assert.ok(new Set(routes.map((route) => route.provider)).size >= 3, routes.map((route) => route.provider).join(', '));
    for (const route of routes) {
      const { data, response } = await stack.client.responses
        .create({ model: `route:${route.id}`, input: 'What is the weather in Paris? Use get_weather.', tools: [{ type: 'mcp', server_label: 'weather' }] })
        .withResponse();
      assert.equal(response.headers.get('x-crossway-route'), route.id);
      const call = data.output.find((item) => item.type === 'mcp_call');
      assert.ok(call !== undefined && call.type === 'mcp_call', `${route.id}: ${JSON.stringify(data.output)}`);
      assert.match(String(call.output), /^Sunny and 21 degrees in /, route.id);
      assert.match(data.output_text, /Sunny and 21 degrees/, route.id);
      // The chain goes on without the mcp tool: its items stay out of what the cloud gets, and the turn answers.
      const next = await stack.client.responses.create({ model: `route:${route.id}`, previous_response_id: data.id, input: 'Thanks!' });
      assert.equal(next.status, 'completed', route.id);
    }
  });
});
