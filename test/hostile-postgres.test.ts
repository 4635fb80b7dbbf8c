// Hostile input that only PostgreSQL minds: a NUL character, which its text and jsonb columns refuse (an error that
// was a 500 and an error log line per request). A NUL in a path id or a query value is refused at the edge instead.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestSchema, skipWithoutPostgres, type TestSchema } from '../src/store/test-backends.ts';
import { startStack, type Stack } from './support/start-stack.ts';

describe('a NUL character in a path or query on PostgreSQL', { skip: skipWithoutPostgres }, () => {
  let schema: TestSchema;
  let stack: Stack;

  before(async () => {
    schema = await createTestSchema('hostile');
    stack = await startStack({ postgres: schema.url });
  });
  after(async () => {
    await stack?.close();
    await schema?.drop();
  });

  it('answers 400 or 404 in OpenAI shape, never a 500', async () => {
    const paths = [
      '/admin/requests/req_%00',
      '/admin/requests?model=%00',
      '/admin/requests?after=req_%00',
      '/admin/tenants/a%00',
      '/admin/keys/key_%00',
      '/admin/mcp-credentials/mcpc_%00',
      '/admin/mcp-servers/x%00',
      '/admin/usage?tenant=%00',
      '/admin/audit?actor=%00',
      '/v1/agents/agent_%00',
      '/v1/agents?after=agent_%00',
      '/v1/agents/sessions?agent_id=agent_%00',
      '/v1/agents/sessions/sess_%00/items',
      '/v1/responses/resp_%00',
      '/v1/conversations/conv_%00',
      '/v1/crossway/decisions/dec_%00',
    ];
    for (const path of paths) {
      const response = await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${stack.masterKey}` } });
      const text = await response.text();
      assert.ok(response.status === 400 || response.status === 404, `${path}: ${response.status} ${text.slice(0, 200)}`);
      assert.equal(typeof JSON.parse(text).error.message, 'string', path);
    }
    assert.ok(!stack.logs().includes('invalid byte sequence'), 'a NUL reached PostgreSQL');
  });
});

describe('a NUL character in JSON bodies on PostgreSQL', { skip: skipWithoutPostgres }, () => {
  let schema: TestSchema;
  let stack: Stack;

  before(async () => {
    schema = await createTestSchema('hostilebody');
    stack = await startStack({ postgres: schema.url });
  });
  after(async () => {
    await stack?.close();
    await schema?.drop();
  });

  it('stores or refuses a NUL in any field, never a 500, and the request log keeps every other row', async () => {
    const bodies: [string, unknown][] = [
      ['/v1/chat/completions', { model: 'gpt-5.5\u0000', messages: [{ role: 'user', content: 'hi' }] }],
      ['/v1/chat/completions', { model: 'gpt-5.5', messages: [{ role: 'user', content: 'hi\u0000there' }], metadata: { k: 'v\u0000' }, user: 'u\u0000' }],
      ['/v1/responses', { model: 'gpt-5.5', input: 'hi\u0000there', metadata: { k: 'v\u0000' } }],
      ['/v1/conversations', { metadata: { 'k\u0000': 'v\u0000' } }],
      ['/v1/agents', { model: 'gpt-5.5', name: 'n\u0000', instructions: 'i\u0000', metadata: { k: 'v\u0000' } }],
      ['/admin/tenants', { id: 'nul-tenant', name: 'n\u0000' }],
      ['/admin/keys', { name: 'k\u0000' }],
      ['/v1/responses', { model: 'gpt-5.5', input: 'hi', previous_response_id: 'resp_\u0000' }],
      ['/v1/responses', { model: 'gpt-5.5', input: 'hi', conversation: 'conv_\u0000' }],
      ['/v1/responses', { model: 'gpt-5.5', input: [{ type: 'item_reference', id: 'msg_\u0000' }] }],
      ['/v1/responses/compact', { model: 'gpt-5.5', previous_response_id: 'resp_\u0000' }],
      ['/v1/agents/sessions', { agent_id: 'agent_\u0000', environment: { type: 'none' }, input: 'hi' }],
      ['/v1/agents/sessions', { agent: { model: 'gpt-5.5', name: 'n\u0000' }, environment: { type: 'none' }, input: 'hi', metadata: { k: '\u0000' } }],
      ['/admin/mcp-credentials', { name: 'n\u0000', authorization: 'token' }],
      ['/admin/mcp-servers', { server_label: 'nul', url: 'https://mcp.example.com/mcp', description: 'd\u0000' }],
      ['/v1/embeddings', { model: 'text-embedding-3-small', input: 'a\u0000b' }],
      ['/v1/messages', { model: 'claude-x', max_tokens: 16, messages: [{ role: 'user', content: 'a\u0000' }] }],
    ];
    const marker = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'a row beside the NUL ones' }] }),
    });
    const markerId = marker.headers.get('x-request-id') ?? '';
    await marker.text();
    for (const [path, body] of bodies) {
      const response = await fetch(`${stack.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      assert.ok(response.status < 500, `${path}: ${response.status} ${text.slice(0, 200)}`);
    }
    await stack.gateway.requestLog.flush();
    const logged = await fetch(`${stack.url}/admin/requests/${markerId}`, { headers: { authorization: `Bearer ${stack.masterKey}` } });
    assert.equal(logged.status, 200, 'the request log lost a row written beside NUL ones');
    assert.ok(!stack.logs().includes('invalid byte sequence') && !stack.logs().includes('unsupported Unicode escape'), 'a NUL reached PostgreSQL');
  });
});
