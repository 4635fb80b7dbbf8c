// Agent sessions under the tenant's storage quota, through the official client: their items count with responses
// and conversations, input past the quota is refused with the same 400 as a stored response's (nothing stored), a
// deleted session gives its bytes back, and erasing the tenant removes its agents, sessions, items and events.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startStack, type Stack } from './support/start-stack.ts';
import { waitFor } from './support/wait-for.ts';

const MODEL = 'via-azure-v1';
const QUOTA = 60_000;

const isQuotaError = (error: unknown) =>
  error instanceof OpenAI.BadRequestError && error.status === 400 && error.code === 'storage_quota_exceeded' && error.type === 'invalid_request_error';

describe('agent sessions under tenant storage quotas', () => {
  let stack: Stack;
  let acme: OpenAI;
  before(async () => {
    stack = await startStack({ runtime: { tenant_storage_bytes: QUOTA } });
    assert.equal((await stack.api('POST', '/admin/tenants', { id: 'acme', name: 'acme' })).status, 201);
    acme = stack.clientFor((await stack.api('POST', '/admin/keys', { tenant: 'acme' })).body.key as string);
  });
  after(() => stack.close());

  const used = () => stack.gateway.store.getTenantStorage('acme');
  const message = (text: string) => ({
    type: 'agent.session.input.message' as const,
    input: [{ role: 'user' as const, content: [{ type: 'input_text' as const, text }] }],
  });

  it('counts session items in the quota, refuses input past it with the responses 400, and gives bytes back on delete', async () => {
    const agents = acme.beta.agents;
    const session = await agents.sessions.create({ environment: { type: 'none' }, agent: { model: MODEL }, input: 'a'.repeat(10_000) });
    await waitFor('idle', async () => (await agents.sessions.retrieve(session.id)).status === 'idle');
    const afterFirst = await used();
    assert.ok(afterFirst > 10_000 && afterFirst < 40_000, `${afterFirst} bytes`);

    // 55 KB more does not fit: refused, nothing stored, the session still idle with its two items.
    await assert.rejects(agents.sessions.events.create(session.id, { events: [message('b'.repeat(55_000))] }), isQuotaError);
    assert.equal(await used(), afterFirst);
    assert.equal((await agents.sessions.retrieve(session.id)).status, 'idle');
    assert.equal((await agents.sessions.items.list(session.id)).data.length, 2);
    // A new session with too large an input is refused before it exists.
    const before = (await agents.sessions.list()).data.length;
    await assert.rejects(agents.sessions.create({ environment: { type: 'none' }, agent: { model: MODEL }, input: 'c'.repeat(55_000) }), isQuotaError);
    assert.equal((await agents.sessions.list()).data.length, before);
    // The quota is shared with stored responses.
    await assert.rejects(acme.responses.create({ model: MODEL, input: 'd'.repeat(55_000) }), isQuotaError);

    // A smaller message fits, and the model's answer is counted too.
    await agents.sessions.events.create(session.id, { events: [message('e'.repeat(3_000))] });
    await waitFor('idle again', async () => (await agents.sessions.retrieve(session.id)).status === 'idle');
    assert.ok((await used()) > afterFirst + 3_000);
    await agents.sessions.delete(session.id);
    assert.equal(await used(), 0);
  });

  it("erases the tenant's agents, sessions, items and events with the tenant", async () => {
    assert.equal((await stack.api('POST', '/admin/tenants', { id: 'gone', name: 'gone' })).status, 201);
    const gone = stack.clientFor((await stack.api('POST', '/admin/keys', { tenant: 'gone' })).body.key as string).beta.agents;
    const agent = await gone.create({ model: MODEL });
    const session = await gone.sessions.create({ agent_id: agent.id, environment: { type: 'none' }, input: 'Hello.' });
    await waitFor('idle', async () => (await gone.sessions.retrieve(session.id)).status === 'idle');
    const kept = await acme.beta.agents.create({ model: MODEL });
    const store = stack.gateway.store;
    assert.ok((await store.listAgentEvents('gone', session.id, 0, 100)).length > 0);
    assert.equal((await stack.api('DELETE', '/admin/tenants/gone?erase=true')).status, 200);
    assert.equal(await store.getAgent('gone', agent.id), null);
    assert.equal(await store.getAgentSession('gone', session.id), null);
    assert.equal(await store.listAgentItems('gone', session.id, { limit: 10, order: 'asc' }), null);
    assert.deepEqual(await store.listAgentEvents('gone', session.id, 0, 100), []);
    assert.equal(await store.getTenantStorage('gone'), 0);
    // Another tenant's agents are untouched.
    assert.equal((await acme.beta.agents.retrieve(kept.id)).id, kept.id);
  });
});
