// An attacker's tour of the Agents API and the MCP admin APIs (issue 17): another tenant's agents, sessions, event
// streams, MCP servers and credentials are 404 everywhere; credential values are refused when no HTTP request could
// carry them (CR, LF, NUL) and never appear in an answer or a log line; oversized and deeply nested bodies are refused.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStack, type Stack } from './support/start-stack.ts';

const CANARY = 'mcp-canary-secret-5e1d9a7c3b';

interface Answer {
  status: number;
  text: string;
  // Loosely typed on purpose: tests read fields of whatever the API answered.
  body: any;
}

async function call(stack: Stack, key: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    // An event stream of another tenant must be refused at once, not held open.
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: the text itself.
  }
  return { status: response.status, text, body: parsed };
}

describe('hostile input on the Agents API and the MCP admin APIs', () => {
  let stack: Stack;
  let acmeKey: string;
  let acmeAdmin: string;
  let betaKey: string;
  let betaAdmin: string;
  const seen: string[] = [];

  before(async () => {
    stack = await startStack();
    for (const id of ['acme', 'beta']) assert.equal((await stack.api('POST', '/admin/tenants', { id, name: id })).status, 201);
    acmeKey = (await stack.api('POST', '/admin/keys', { tenant: 'acme', name: 'app' })).body.key;
    acmeAdmin = (await stack.api('POST', '/admin/keys', { tenant: 'acme', name: 'ops', admin: true })).body.key;
    betaKey = (await stack.api('POST', '/admin/keys', { tenant: 'beta', name: 'app' })).body.key;
    betaAdmin = (await stack.api('POST', '/admin/keys', { tenant: 'beta', name: 'ops', admin: true })).body.key;
  });
  after(() => stack.close());

  it("answers 404 for another tenant's agent, session, its events, turns and items, and lists none of them", async () => {
    const agent = await call(stack, acmeKey, 'POST', '/v1/agents', { model: 'gpt-5.5', name: 'acme agent', instructions: 'Be brief.' });
    assert.equal(agent.status, 200, agent.text);
    const session = await call(stack, acmeKey, 'POST', '/v1/agents/sessions', { agent_id: agent.body.id, environment: { type: 'none' }, input: 'hello' });
    assert.equal(session.status, 200, session.text);
    const agentId = agent.body.id as string;
    const sessionId = session.body.id as string;
    const attempts: [string, string, unknown?][] = [
      ['GET', `/v1/agents/${agentId}`],
      ['POST', `/v1/agents/${agentId}`, { name: 'taken over' }],
      ['DELETE', `/v1/agents/${agentId}`],
      ['GET', `/v1/agents/sessions/${sessionId}`],
      ['POST', `/v1/agents/sessions/${sessionId}`, { metadata: { owner: 'beta' } }],
      ['GET', `/v1/agents/sessions/${sessionId}/events`],
      [
        'POST',
        `/v1/agents/sessions/${sessionId}/events`,
        { events: [{ type: 'agent.session.input.message', input: [{ role: 'user', content: [{ type: 'input_text', text: 'hi' }] }] }] },
      ],
      ['POST', `/v1/agents/sessions/${sessionId}/events`, { events: [{ type: 'agent.session.input.cancel' }] }],
      ['GET', `/v1/agents/sessions/${sessionId}/turns`],
      ['GET', `/v1/agents/sessions/${sessionId}/items`],
      ['DELETE', `/v1/agents/sessions/${sessionId}`],
      ['POST', '/v1/agents/sessions', { agent_id: agentId, environment: { type: 'none' }, input: 'borrow it' }],
    ];
    for (const [method, path, body] of attempts) {
      const answer = await call(stack, betaKey, method, path, body);
      assert.equal(answer.status, 404, `${method} ${path}: ${answer.text.slice(0, 200)}`);
      assert.ok(!answer.text.includes('acme agent') && !answer.text.includes('Be brief.'), `${method} ${path} leaked`);
    }
    const agents = await call(stack, betaKey, 'GET', '/v1/agents?limit=100');
    assert.equal(agents.status, 200);
    assert.deepEqual(agents.body.data, []);
    const sessions = await call(stack, betaKey, 'GET', `/v1/agents/sessions?agent_id=${agentId}&limit=100`);
    assert.ok(sessions.status === 404 || (sessions.status === 200 && sessions.body.data.length === 0), sessions.text.slice(0, 200));
    // Still there for its owner.
    assert.equal((await call(stack, acmeKey, 'GET', `/v1/agents/${agentId}`)).status, 200);
  });

  it('refuses oversized, deeply nested and oddly typed agent bodies with short errors', async () => {
    const huge = await call(stack, acmeKey, 'POST', '/v1/agents', JSON.stringify({ model: 'gpt-5.5', instructions: 'i'.repeat(64 * 1024 * 1024) }));
    assert.ok(huge.status === 413 || huge.status === 400, String(huge.status));
    assert.ok(huge.text.length < 1_000);
    const deep = await call(stack, acmeKey, 'POST', '/v1/agents', `{"model":"gpt-5.5","metadata":${'['.repeat(5_000)}${']'.repeat(5_000)}}`);
    assert.equal(deep.status, 400);
    assert.equal(deep.body.error.code, 'json_too_deep');
    const odd = await call(stack, acmeKey, 'POST', '/v1/agents', { model: 'gpt-5.5', name: { $ne: null }, [`k${'k'.repeat(10_000)}`]: 1 });
    assert.equal(odd.status, 400);
    assert.ok(odd.text.length < 1_000);
    const longId = 'agent_'.padEnd(8_000, 'x');
    const missing = await call(stack, acmeKey, 'GET', `/v1/agents/${longId}`);
    assert.equal(missing.status, 404);
    assert.ok(missing.text.length < 1_000);
  });

  it('refuses credential values no HTTP request can carry, without quoting them', async () => {
    for (const value of [`${CANARY}\r\nx-injected: 1`, `${CANARY}\n`, `${CANARY}\u0000`]) {
      const credential = await call(stack, stack.masterKey, 'POST', '/admin/mcp-credentials', { name: 'bad', headers: { 'x-api-key': value } });
      assert.equal(credential.status, 400, credential.text.slice(0, 200));
      seen.push(credential.text);
      const bearer = await call(stack, stack.masterKey, 'POST', '/admin/mcp-credentials', { name: 'bad', authorization: value });
      assert.equal(bearer.status, 400, bearer.text.slice(0, 200));
      seen.push(bearer.text);
      const server = await call(stack, stack.masterKey, 'POST', '/admin/mcp-servers', {
        server_label: 'bad',
        url: 'http://127.0.0.1:1/mcp',
        headers: { 'x-api-key': value },
      });
      assert.equal(server.status, 400, server.text.slice(0, 200));
      seen.push(server.text);
      const inline = await call(stack, acmeKey, 'POST', '/v1/responses', {
        model: 'gpt-5.5',
        input: 'hi',
        tools: [{ type: 'mcp', server_label: 'inline', server_url: 'https://mcp.example.com/mcp', headers: { 'x-api-key': value }, require_approval: 'never' }],
      });
      assert.equal(inline.status, 400, inline.text.slice(0, 200));
      seen.push(inline.text);
      for (const transport of [{ headers: { 'x-api-key': value } }, { authorization: value }]) {
        const agent = await call(stack, acmeKey, 'POST', '/v1/agents', {
          model: 'gpt-5.5',
          tools: [{ type: 'mcp', server_label: 'inline', transport: { type: 'http', server_url: 'https://mcp.example.com/mcp', ...transport } }],
        });
        assert.equal(agent.status, 400, agent.text.slice(0, 200));
        seen.push(agent.text);
      }
    }
    for (const text of seen) assert.ok(!text.includes(CANARY), `a credential value was quoted: ${text.slice(0, 200)}`);
    assert.ok(!stack.logs().includes(CANARY), 'a credential value reached the log');
  });

  it("keeps MCP servers and credentials to their tenant and never shows a credential's value", async () => {
    const credential = await call(stack, acmeAdmin, 'POST', '/admin/mcp-credentials', { name: 'acme tool key', authorization: CANARY });
    assert.equal(credential.status, 201, credential.text);
    const server = await call(stack, acmeAdmin, 'POST', '/admin/mcp-servers', {
      server_label: 'acme-tools',
      url: 'https://mcp.example.com/mcp',
      headers: { 'x-api-key': CANARY },
    });
    assert.equal(server.status, 201, server.text);
    seen.push(credential.text, server.text);
    for (const [method, path] of [
      ['GET', `/admin/mcp-credentials/${credential.body.id}`],
      ['DELETE', `/admin/mcp-credentials/${credential.body.id}`],
      ['GET', `/admin/mcp-servers/${server.body.id}`],
      ['PATCH', `/admin/mcp-servers/${server.body.id}`],
      ['DELETE', `/admin/mcp-servers/${server.body.id}`],
    ] as const) {
      const answer = await call(stack, betaAdmin, method, path, method === 'PATCH' ? { description: 'taken' } : undefined);
      assert.equal(answer.status, 404, `${method} ${path}: ${answer.text.slice(0, 200)}`);
    }
    assert.equal((await call(stack, betaAdmin, 'GET', '/admin/mcp-credentials?tenant=acme')).status, 404);
    assert.equal((await call(stack, betaAdmin, 'GET', '/admin/mcp-servers?tenant=acme')).status, 404);
    const theirs = await call(stack, betaAdmin, 'GET', '/admin/mcp-credentials');
    assert.deepEqual(theirs.body.data, []);
    // Beta names acme's credential from a request of its own: refused like an unknown one, and never sent.
    const borrowed = await call(stack, betaKey, 'POST', '/v1/responses', {
      model: 'gpt-5.5',
      input: 'hi',
      tools: [{ type: 'mcp', server_label: 'x', server_url: 'https://mcp.example.com/mcp', credential_id: credential.body.id, require_approval: 'never' }],
    });
    assert.equal(borrowed.status, 400, borrowed.text.slice(0, 200));
    for (const path of [
      '/admin/mcp-credentials',
      `/admin/mcp-credentials/${credential.body.id}`,
      '/admin/mcp-servers',
      `/admin/mcp-servers/${server.body.id}`,
    ]) {
      seen.push((await call(stack, acmeAdmin, 'GET', path)).text);
    }
    seen.push(borrowed.text);
    for (const text of seen) assert.ok(!text.includes(CANARY), `a credential value was shown: ${text.slice(0, 200)}`);
    assert.ok(!stack.logs().includes(CANARY), 'a credential value reached the log');
  });
});
