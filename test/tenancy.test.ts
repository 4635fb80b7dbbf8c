// Tenants and virtual keys end to end: the admin API, authentication with the official openai client, revocation,
// rotation, expiry, model scopes, admin rights and tenant isolation of decisions, usage and admin data.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import OpenAI from 'openai';
import { startStack, type Stack } from './support/start-stack.ts';

const hello = [{ role: 'user' as const, content: 'Hello' }];

describe('tenants and virtual keys', () => {
  let stack: Stack;
  // The gateway's clock runs ahead of the real one by this much: a test moves it past an expiry instead of waiting.
  let clockAheadMs = 0;
  before(async () => {
    stack = await startStack({ now: () => new Date(Date.now() + clockAheadMs) });
    for (const id of ['acme', 'beta']) assert.equal((await stack.api('POST', '/admin/tenants', { id, name: `${id} corp` })).status, 201);
  });
  after(() => stack.close());

  async function createKey(body: Record<string, unknown>, key?: string): Promise<{ id: string; key: string }> {
    const created = await stack.api('POST', '/admin/keys', body, key);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body;
  }

  it('creates, reads, lists, patches and deletes tenants; a taken id is 409, an unknown one 404', async () => {
    const created = await stack.api('POST', '/admin/tenants', { id: 'gamma', name: 'Gamma', policy: { regions: ['eu'] }, rpm: 100 });
    assert.equal(created.status, 201);
    assert.equal(created.body.id, 'gamma');
    assert.equal(created.body.name, 'Gamma');
    assert.deepEqual(created.body.policy, { regions: ['eu'] });
    assert.equal((await stack.api('POST', '/admin/tenants', { id: 'gamma', name: 'again' })).status, 409);
    assert.equal((await stack.api('GET', '/admin/tenants/gamma')).body.rpm, 100);
    const listed = await stack.api('GET', '/admin/tenants');
    assert.ok(listed.body.data.some((tenant: { id: string }) => tenant.id === 'gamma'));
    const patched = await stack.api('PATCH', '/admin/tenants/gamma', { name: 'Gamma GmbH' });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.name, 'Gamma GmbH');
    const key = await createKey({ tenant: 'gamma' });
    assert.equal((await stack.api('DELETE', '/admin/tenants/gamma')).status, 200);
    assert.equal((await stack.api('GET', '/admin/tenants/gamma')).status, 404);
    // Deleting a tenant revokes its keys at once.
    await assert.rejects(
      stack.clientFor(key.key).chat.completions.create({ model: 'gpt-5.5', messages: hello }),
      (error: unknown) => error instanceof OpenAI.AuthenticationError,
    );
    const invalid = await stack.api('POST', '/admin/tenants', { id: 'bad id with spaces' });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.error.param, 'id');
  });

  it("retires a deleted tenant's id (409 on re-creation, old keys 401) and erases its stored data on ?erase=true", async () => {
    assert.equal((await stack.api('POST', '/admin/tenants', { id: 'phoenix' })).status, 201);
    const key = await createKey({ tenant: 'phoenix' });
    const client = stack.clientFor(key.key);
    const response = await client.responses.create({ model: 'gpt-5.5', input: 'remember me' });
    const conversation = await client.conversations.create({ items: [{ type: 'message', role: 'user', content: 'kept' }] });
    await client.chat.completions.create({ model: 'gpt-5.5', messages: hello }, { headers: { 'Idempotency-Key': 'phoenix-once' } });
    const rows = () => {
      const database = new DatabaseSync(stack.databasePath, { readOnly: true });
      try {
        const count = (query: string) => Number((database.prepare(query).get('phoenix') as { n: number }).n);
        return {
          responses: count('select count(*) as n from responses where tenant = ?'),
          response_items: count('select count(*) as n from response_items where response_id in (select id from responses where tenant = ?)'),
          conversations: count('select count(*) as n from conversations where tenant = ?'),
          conversation_items: count('select count(*) as n from conversation_items where conversation_id in (select id from conversations where tenant = ?)'),
          idempotency_keys: count('select count(*) as n from idempotency_keys where tenant = ?'),
          usage_events: count('select count(*) as n from usage_events where tenant = ?'),
        };
      } finally {
        database.close();
      }
    };
    const stored = rows();
    assert.ok(
      stored.responses >= 1 && stored.response_items >= 1 && stored.conversations === 1 && stored.conversation_items === 1 && stored.idempotency_keys === 1,
      JSON.stringify(stored),
    );

    assert.deepEqual((await stack.api('DELETE', '/admin/tenants/phoenix')).body, { object: 'tenant.deleted', id: 'phoenix', deleted: true });
    const again = await stack.api('POST', '/admin/tenants', { id: 'phoenix' });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'tenant_id_retired');
    assert.equal(again.body.error.param, 'id');
    assert.match(again.body.error.message, /deleted tenant/);
    assert.equal((await stack.api('POST', '/admin/keys', { tenant: 'phoenix' })).status, 404);
    await assert.rejects(client.responses.retrieve(response.id), (error: unknown) => error instanceof OpenAI.AuthenticationError);
    // Without erase the data stays in the store, unreachable: no key can ever act for the id again.
    assert.deepEqual(rows(), stored);

    assert.equal((await stack.api('DELETE', '/admin/tenants/phoenix?erase=maybe')).status, 400);
    const erased = await stack.api('DELETE', '/admin/tenants/phoenix?erase=true');
    assert.equal(erased.status, 200, JSON.stringify(erased.body));
    assert.deepEqual(erased.body.erased, { responses: stored.responses, conversations: 1, idempotency_keys: 1 });
    assert.deepEqual(rows(), {
      responses: 0,
      response_items: 0,
      conversations: 0,
      conversation_items: 0,
      idempotency_keys: 0,
      usage_events: stored.usage_events,
    });
    assert.ok(stored.usage_events >= 2, 'the ledger keeps its usage events');
    assert.equal((await stack.api('GET', `/v1/conversations/${conversation.id}`)).status, 404);
    assert.equal((await stack.api('POST', '/admin/tenants', { id: 'phoenix' })).status, 409);
  });

  it('confines an admin key: the keys it creates or changes stay within its models, rates, budget and expiry', async () => {
    assert.equal((await stack.api('POST', '/admin/tenants', { id: 'confined' })).status, 201);
    const expiry = new Date(Date.now() + 3_600_000).toISOString();
    const budget = { limit: '1.000000', currency: 'USD', period: 'day' };
    const parent = await createKey({ tenant: 'confined', admin: true, models: ['via-openai'], rpm: 1, tpm: 5000, budget, expires_at: expiry });
    const wideSibling = await createKey({ tenant: 'confined' });

    // Asking for nothing gives the parent's own limits, never "unlimited".
    const child = await createKey({ tenant: 'confined', admin: true }, parent.key);
    const shown = (await stack.api('GET', `/admin/keys/${child.id}`)).body;
    assert.deepEqual([shown.models, shown.rpm, shown.tpm, shown.budget, shown.expires_at], [['via-openai'], 1, 5000, budget, expiry]);
    const refused = await stack
      .clientFor(child.key)
      .chat.completions.create({ model: 'via-azure-v1', messages: hello })
      .catch((error: unknown) => error);
    assert.ok(refused instanceof OpenAI.PermissionDeniedError);

    const later = new Date(Date.parse(expiry) + 1000).toISOString();
    const wider: [string, Record<string, unknown>][] = [
      ['models', { models: ['via-openai', 'via-azure-v1'] }],
      ['rpm', { rpm: 2 }],
      ['tpm', { tpm: 5001 }],
      ['budget', { budget: { limit: '1.01', currency: 'USD', period: 'day' } }],
      ['budget', { budget: { limit: '1', currency: 'USD', period: 'total' } }],
      ['expires_at', { expires_at: later }],
    ];
    for (const [field, body] of wider) {
      const created = await stack.api('POST', '/admin/keys', { tenant: 'confined', admin: true, ...body }, parent.key);
      assert.equal(created.status, 403, `create with ${JSON.stringify(body)}`);
      assert.equal(created.body.error.type, 'permission_error');
      assert.equal(created.body.error.code, 'key_limit_exceeded');
      assert.equal(created.body.error.param, field);
      assert.match(created.body.error.message, new RegExp(field));
      const patched = await stack.api('PATCH', `/admin/keys/${child.id}`, body, parent.key);
      assert.equal(patched.status, 403, `patch with ${JSON.stringify(body)}`);
      assert.equal(patched.body.error.param, field);
    }
    // Clearing a limit is not lifting it: null means the parent's own.
    const cleared = await stack.api('PATCH', `/admin/keys/${child.id}`, { rpm: null, budget: null }, parent.key);
    assert.equal(cleared.status, 200);
    assert.deepEqual([cleared.body.rpm, cleared.body.budget], [1, budget]);
    assert.equal((await stack.api('PATCH', `/admin/keys/${child.id}`, { rpm: 1, name: 'narrower' }, parent.key)).status, 200);

    // Never its own limits, and never a key wider than itself.
    const own = await stack.api('PATCH', `/admin/keys/${parent.id}`, { rpm: 1000, budget: null }, parent.key);
    assert.equal(own.status, 403);
    assert.equal(own.body.error.code, 'key_limit_exceeded');
    for (const [method, path] of [
      ['PATCH', `/admin/keys/${wideSibling.id}`],
      ['POST', `/admin/keys/${wideSibling.id}/rotate`],
      ['DELETE', `/admin/keys/${wideSibling.id}`],
    ] as const) {
      const touched = await stack.api(method, path, method === 'PATCH' ? { rpm: 1 } : undefined, parent.key);
      assert.equal(touched.status, 403, `${method} ${path}`);
      assert.equal(touched.body.error.param, 'models');
    }
    assert.equal((await stack.api('GET', `/admin/keys/${parent.id}`)).body.rpm, 1);
    assert.equal((await stack.api('GET', `/admin/keys/${wideSibling.id}`)).body.revoked_at, null);
    // The child, an admin key itself, is confined in turn; the master key stays unrestricted.
    assert.equal((await stack.api('POST', '/admin/keys', { tenant: 'confined', rpm: 2 }, child.key)).status, 403);
    assert.equal((await stack.api('PATCH', `/admin/keys/${parent.id}`, { rpm: 1000 })).status, 200);
    assert.equal((await stack.api('POST', `/admin/keys/${child.id}/rotate`, undefined, parent.key)).status, 200);
  });

  it('issues a key shown once and stored as a hash; the key works with the openai client', async () => {
    const created = await createKey({ tenant: 'acme', name: 'ci', models: ['gpt-5.5'], rpm: 60, budget: { limit: '25.00', currency: 'USD', period: 'month' } });
    assert.match(created.key, /^sk-cw-[A-Za-z0-9_-]{40,}$/);
    assert.match(created.id, /^key_[0-9a-f]{24}$/);
    const reply = await stack.clientFor(created.key).chat.completions.create({ model: 'gpt-5.5', messages: hello });
    assert.equal(reply.object, 'chat.completion');
    const listed = await stack.api('GET', '/admin/keys?tenant=acme');
    const entry = listed.body.data.find((key: { id: string }) => key.id === created.id);
    assert.equal(entry.prefix, created.key.slice(0, 12));
    assert.equal(entry.key, undefined);
    assert.equal(entry.hash, undefined);
    assert.ok(!JSON.stringify(listed.body).includes(created.key), 'the secret is never listed');
    assert.ok(!stack.logs().includes(created.key), 'the secret is never logged');
  });

  it('revokes a key at once: 401 on the very next call', async () => {
    const created = await createKey({ tenant: 'acme' });
    const client = stack.clientFor(created.key);
    await client.chat.completions.create({ model: 'gpt-5.5', messages: hello });
    assert.equal((await stack.api('DELETE', `/admin/keys/${created.id}`)).status, 200);
    await assert.rejects(
      client.chat.completions.create({ model: 'gpt-5.5', messages: hello }),
      (error: unknown) => error instanceof OpenAI.AuthenticationError,
    );
    assert.notEqual((await stack.api('GET', `/admin/keys/${created.id}`)).body.revoked_at, null);
  });

  it('rotates a key: the old secret stops at once, the new one works with the same id', async () => {
    const created = await createKey({ tenant: 'acme', name: 'rotating' });
    const rotated = await stack.api('POST', `/admin/keys/${created.id}/rotate`);
    assert.equal(rotated.status, 200);
    assert.equal(rotated.body.id, created.id);
    assert.notEqual(rotated.body.key, created.key);
    await assert.rejects(stack.clientFor(created.key).models.list(), (error: unknown) => error instanceof OpenAI.AuthenticationError);
    assert.ok((await stack.clientFor(rotated.body.key).models.list()).data.length > 0);
  });

  it('expires a key: a key whose expires_at has passed is 401; one in the past cannot be created', async () => {
    const created = await createKey({ tenant: 'acme', expires_at: new Date(Date.now() + 3_600_000).toISOString() });
    await stack.clientFor(created.key).models.list();
    const expiry = new Date(Date.now() + 60_000).toISOString();
    assert.equal((await stack.api('PATCH', `/admin/keys/${created.id}`, { expires_at: expiry })).status, 200);
    // A minute left on the gateway's clock however slow this machine is: still valid.
    await stack.clientFor(created.key).models.list();
    try {
      // The gateway's clock moves a minute and a second on (and past the authentication cache's lifetime).
      clockAheadMs = 61_000;
      await assert.rejects(stack.clientFor(created.key).models.list(), (error: unknown) => error instanceof OpenAI.AuthenticationError);
      // An expiry in the past by the gateway's clock cannot be set, though it is still ahead of the real one.
      assert.equal((await stack.api('PATCH', `/admin/keys/${created.id}`, { expires_at: expiry })).status, 400);
    } finally {
      clockAheadMs = 0;
    }
    assert.equal((await stack.api('POST', '/admin/keys', { tenant: 'acme', expires_at: '2020-01-01T00:00:00Z' })).status, 400);
  });

  it('limits a key to its models: another model is 403 model_not_allowed, an alias of an allowed one passes', async () => {
    const created = await createKey({ tenant: 'acme', models: ['gpt-5.5'] });
    const client = stack.clientFor(created.key);
    await client.chat.completions.create({ model: 'gpt-latest', messages: hello });
    await assert.rejects(client.chat.completions.create({ model: 'via-openai', messages: hello }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.PermissionDeniedError);
      assert.equal(error.code, 'model_not_allowed');
      return true;
    });
  });

  it('keeps /admin/* from non-admin keys (403) and confines an admin key to its own tenant (404 for others)', async () => {
    const plain = await createKey({ tenant: 'acme' });
    for (const [method, path] of [
      ['GET', '/admin/keys'],
      ['GET', '/admin/tenants'],
      ['GET', '/admin/routes'],
      ['GET', '/admin/usage'],
    ] as const) {
      const answer = await stack.api(method, path, undefined, plain.key);
      assert.equal(answer.status, 403, `${method} ${path}`);
      assert.equal(answer.body.error.type, 'permission_error');
    }
    const acmeAdmin = await createKey({ tenant: 'acme', admin: true });
    const betaKey = await createKey({ tenant: 'beta', name: 'beta-only' });
    const acmeKeys = await stack.api('GET', '/admin/keys', undefined, acmeAdmin.key);
    assert.equal(acmeKeys.status, 200);
    assert.ok(acmeKeys.body.data.length > 0);
    assert.ok(acmeKeys.body.data.every((key: { tenant: string }) => key.tenant === 'acme'));
    assert.deepEqual((await stack.api('GET', '/admin/keys?tenant=beta', undefined, acmeAdmin.key)).body.data, []);
    const missing = await stack.api('GET', '/admin/keys/key_ffffffffffffffffffffffff', undefined, acmeAdmin.key);
    const foreign = await stack.api('GET', `/admin/keys/${betaKey.id}`, undefined, acmeAdmin.key);
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.error.code, missing.body.error.code);
    assert.equal((await stack.api('DELETE', `/admin/keys/${betaKey.id}`, undefined, acmeAdmin.key)).status, 404);
    assert.equal((await stack.api('POST', '/admin/keys', { tenant: 'beta' }, acmeAdmin.key)).status, 404);
    assert.equal((await stack.api('GET', '/admin/tenants/beta', undefined, acmeAdmin.key)).status, 404);
    assert.equal((await stack.api('POST', '/admin/tenants', { id: 'delta' }, acmeAdmin.key)).status, 403);
    // The beta key still works: the admin key could not touch it.
    await stack.clientFor(betaKey.key).models.list();
  });

  it('scopes decisions and usage by tenant: another tenant reads 404, exactly like a missing id', async () => {
    const acme = await createKey({ tenant: 'acme', admin: true });
    const beta = await createKey({ tenant: 'beta', admin: true });
    const { response } = await stack.clientFor(acme.key).chat.completions.create({ model: 'gpt-5.5', messages: hello }).withResponse();
    const decision = response.headers.get('x-crossway-decision') ?? '';
    assert.equal((await stack.api('GET', `/v1/crossway/decisions/${decision}`, undefined, acme.key)).status, 200);
    assert.equal((await stack.api('GET', `/v1/crossway/decisions/${decision}`)).status, 200);
    const foreign = await stack.api('GET', `/v1/crossway/decisions/${decision}`, undefined, beta.key);
    const missing = await stack.api('GET', '/v1/crossway/decisions/dec_00000000000000000000000000000000', undefined, beta.key);
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.error.code, missing.body.error.code);
    assert.equal((await stack.api('GET', '/admin/usage?tenant=acme', undefined, beta.key)).status, 404);
    const betaUsage = await stack.api('GET', '/admin/usage?group_by=tenant', undefined, beta.key);
    assert.equal(betaUsage.status, 200);
    assert.ok(betaUsage.body.data.every((row: { group: string }) => row.group === 'beta'));
    const acmeUsage = await stack.api('GET', '/admin/usage?group_by=tenant', undefined, acme.key);
    assert.deepEqual(
      acmeUsage.body.data.map((row: { group: string }) => row.group),
      ['acme'],
    );
  });

  it("applies the tenant's routing policy to its keys' requests", async () => {
    assert.equal(
      (await stack.api('POST', '/admin/tenants', { id: 'openai-only', name: 'OpenAI only', policy: { providers: { only: ['openai'] } } })).status,
      201,
    );
    const created = await createKey({ tenant: 'openai-only' });
    const { response } = await stack.clientFor(created.key).chat.completions.create({ model: 'gpt-5.5', messages: hello }).withResponse();
    assert.equal(response.headers.get('x-crossway-route'), 'openai-global-gpt-5.5');
    const { response: master } = await stack.client.chat.completions.create({ model: 'gpt-5.5', messages: hello }).withResponse();
    assert.equal(master.headers.get('x-crossway-route'), 'azure-eastus2-gpt-5.5');
  });

  it('answers an injection attempt or a 10 kB Authorization header with 401 and no database text', async () => {
    for (const value of ["sk-cw-' OR '1'='1", "x' UNION SELECT hash FROM api_keys --", 'a'.repeat(10_240), 'sk-cw-"; DROP TABLE api_keys; --']) {
      const response = await fetch(`${stack.url}/v1/models`, { headers: { authorization: `Bearer ${value}` } });
      assert.equal(response.status, 401);
      const text = await response.text();
      assert.doesNotMatch(text, /sqlite|SQL|syntax|api_keys|constraint/i);
      assert.equal(JSON.parse(text).error.type, 'authentication_error');
    }
    // The gateway still serves afterwards.
    assert.ok((await stack.client.models.list()).data.length > 0);
  });
});
