// Dashboard sign-in with a key end to end: the session cookie on the admin API, CSRF and Origin checks on writes, the
// model API ignoring the cookie, sign-out, sessions ending with their key, expiry, the sign-in rate, and the audit log.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStack, type Stack } from './support/start-stack.ts';

interface Answer {
  status: number;
  headers: Headers;
  // Loosely typed on purpose: tests read fields of whatever the API answered.
  body: any;
}

/** Calls the gateway with only a cookie (and the given headers): no Authorization header. */
async function call(
  stack: Stack,
  method: string,
  path: string,
  options: { cookie?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookie !== undefined) headers.cookie = options.cookie;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    redirect: 'manual',
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the text itself.
  }
  return { status: response.status, headers: response.headers, body };
}

/** Signs in with `key`; resolves with the cookie to send back (`crossway_session=...`), the Set-Cookie line and the answer. */
async function signIn(stack: Stack, key: string): Promise<{ cookie: string; setCookie: string; answer: Answer }> {
  const answer = await call(stack, 'POST', '/ui/api/session', { body: { key } });
  const setCookie = answer.headers.get('set-cookie') ?? '';
  return { cookie: setCookie.split(';')[0] ?? '', setCookie, answer };
}

describe('dashboard sign-in with a key', () => {
  let stack: Stack;
  let clockAheadMs = 0;
  before(async () => {
    stack = await startStack({
      now: () => new Date(Date.now() + clockAheadMs),
      ui: { session_idle_ttl: '30m', session_ttl: '2h', sign_in_rate_per_minute: 1000 },
    });
    assert.equal((await stack.api('POST', '/admin/tenants', { id: 'acme', name: 'Acme' })).status, 201);
    assert.equal((await stack.api('POST', '/admin/tenants', { id: 'beta', name: 'Beta' })).status, 201);
  });
  after(() => stack.close());

  it('sets an HttpOnly, SameSite=Strict session cookie that works on /admin/* without a key; writes need the CSRF token', async () => {
    const { cookie, setCookie, answer } = await signIn(stack, stack.masterKey);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.user, { name: 'master key', role: 'admin', tenant_id: null, via: 'key' });
    assert.match(answer.body.csrf_token, /^[A-Za-z0-9_-]{20,}$/);
    assert.match(setCookie, /^crossway_session=[A-Za-z0-9_-]{43}; /);
    for (const attribute of ['HttpOnly', 'SameSite=Strict', 'Path=/']) assert.ok(setCookie.includes(attribute), setCookie);
    // Plain http to a loopback host: not Secure, or the browser would drop it.
    assert.ok(!setCookie.includes('Secure'), setCookie);
    // The key is not in the answer, nor in the cookie.
    assert.ok(!JSON.stringify(answer.body).includes(stack.masterKey));
    assert.ok(!setCookie.includes(stack.masterKey));

    const tenants = await call(stack, 'GET', '/admin/tenants', { cookie });
    assert.equal(tenants.status, 200);
    assert.deepEqual(tenants.body.data.map((tenant: { id: string }) => tenant.id).sort(), ['acme', 'beta', 'default']);

    const noCsrf = await call(stack, 'POST', '/admin/tenants', { cookie, body: { id: 'gamma' } });
    assert.equal(noCsrf.status, 403);
    assert.equal(noCsrf.body.error.code, 'csrf_token_invalid');
    const wrongCsrf = await call(stack, 'POST', '/admin/tenants', { cookie, body: { id: 'gamma' }, headers: { 'x-crossway-csrf': 'x'.repeat(43) } });
    assert.equal(wrongCsrf.status, 403);
    const csrf = { 'x-crossway-csrf': answer.body.csrf_token as string };
    const foreign = await call(stack, 'POST', '/admin/tenants', { cookie, body: { id: 'gamma' }, headers: { ...csrf, origin: 'https://evil.example' } });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.error.code, 'origin_mismatch');
    const created = await call(stack, 'POST', '/admin/tenants', { cookie, body: { id: 'gamma' }, headers: { ...csrf, origin: stack.url } });
    assert.equal(created.status, 201, JSON.stringify(created.body));

    const session = await call(stack, 'GET', '/ui/api/session', { cookie });
    assert.equal(session.status, 200);
    assert.deepEqual(session.body.user, answer.body.user);
    assert.equal(session.body.csrf_token, answer.body.csrf_token);
  });

  it('the model API ignores the cookie: /v1/* stays bearer-only', async () => {
    const { cookie } = await signIn(stack, stack.masterKey);
    const models = await call(stack, 'GET', '/v1/models', { cookie });
    assert.equal(models.status, 401);
    const chat = await call(stack, 'POST', '/v1/chat/completions', { cookie, body: { model: 'gpt-5.5', messages: [{ role: 'user', content: 'hi' }] } });
    assert.equal(chat.status, 401);
  });

  it('sign-out needs the CSRF token, clears the cookie and revokes the session server-side', async () => {
    const { cookie, answer } = await signIn(stack, stack.masterKey);
    assert.equal((await call(stack, 'DELETE', '/ui/api/session', { cookie })).status, 403);
    const out = await call(stack, 'DELETE', '/ui/api/session', { cookie, headers: { 'x-crossway-csrf': answer.body.csrf_token } });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', /^crossway_session=; .*Max-Age=0/);
    // The old cookie, replayed, is refused: the session is gone from the store, not only from the browser.
    const replay = await call(stack, 'GET', '/admin/tenants', { cookie });
    assert.equal(replay.status, 401);
    assert.equal(replay.body.error.code, 'session_expired');
    assert.equal((await call(stack, 'GET', '/ui/api/session', { cookie })).status, 401);
  });

  it('refuses a bad key (401) and a non-admin key (403); an admin key signs in as its tenant admin, confined to its tenant', async () => {
    assert.equal((await signIn(stack, 'sk-cw-not-a-real-key-000000000')).answer.status, 401);
    assert.equal((await call(stack, 'POST', '/ui/api/session', { body: { nope: true } })).status, 400);
    const plain = await stack.api('POST', '/admin/keys', { tenant: 'acme', name: 'plain' });
    assert.equal((await signIn(stack, plain.body.key)).answer.status, 403);
    const admin = await stack.api('POST', '/admin/keys', { tenant: 'acme', name: 'acme-admin', admin: true });
    const { cookie, answer } = await signIn(stack, admin.body.key);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.user, { name: 'acme-admin', role: 'tenant_admin', tenant_id: 'acme', via: 'key' });
    const tenants = await call(stack, 'GET', '/admin/tenants', { cookie });
    assert.deepEqual(
      tenants.body.data.map((tenant: { id: string }) => tenant.id),
      ['acme'],
    );
    assert.equal((await call(stack, 'GET', '/admin/tenants/beta', { cookie })).status, 404);
    const csrf = { 'x-crossway-csrf': answer.body.csrf_token as string };
    assert.equal((await call(stack, 'POST', '/admin/tenants', { cookie, body: { id: 'delta' }, headers: csrf })).status, 403);
    assert.equal((await call(stack, 'POST', '/admin/keys', { cookie, body: { tenant: 'acme', name: 'made-in-ui' }, headers: csrf })).status, 201);
  });

  it("a rotated or revoked key ends the sessions it opened; a changed key's new secret opens a new one", async () => {
    const admin = await stack.api('POST', '/admin/keys', { tenant: 'acme', name: 'rotating', admin: true });
    const first = await signIn(stack, admin.body.key);
    assert.equal((await call(stack, 'GET', '/admin/tenants', { cookie: first.cookie })).status, 200);
    const rotated = await stack.api('POST', `/admin/keys/${admin.body.id}/rotate`);
    assert.equal(rotated.status, 200);
    assert.equal((await call(stack, 'GET', '/admin/tenants', { cookie: first.cookie })).status, 401);
    const second = await signIn(stack, rotated.body.key);
    assert.equal((await call(stack, 'GET', '/admin/tenants', { cookie: second.cookie })).status, 200);
    assert.equal((await stack.api('DELETE', `/admin/keys/${admin.body.id}`)).status, 200);
    assert.equal((await call(stack, 'GET', '/admin/tenants', { cookie: second.cookie })).status, 401);
  });

  it('a session ends after its idle time and after its absolute lifetime, whatever its activity', async () => {
    const idle = await signIn(stack, stack.masterKey);
    clockAheadMs += 31 * 60_000;
    assert.equal((await call(stack, 'GET', '/admin/tenants', { cookie: idle.cookie })).status, 401);
    const busy = await signIn(stack, stack.masterKey);
    // Used every 20 minutes, it outlives the idle time but not the 2 hours.
    for (let step = 0; step < 5; step++) {
      clockAheadMs += 20 * 60_000;
      assert.equal((await call(stack, 'GET', '/admin/tenants', { cookie: busy.cookie })).status, 200, `step ${step}`);
    }
    clockAheadMs += 20 * 60_000;
    assert.equal((await call(stack, 'GET', '/admin/tenants', { cookie: busy.cookie })).status, 401);
  });

  it('audits sign-ins, failed sign-ins, sign-outs and admin actions with actor, tenant, target and address; never a secret', async () => {
    const admin = await stack.api('POST', '/admin/keys', { tenant: 'beta', name: 'beta-admin', admin: true });
    const { cookie, answer } = await signIn(stack, admin.body.key);
    const csrf = { 'x-crossway-csrf': answer.body.csrf_token as string };
    const made = await call(stack, 'POST', '/admin/keys', { cookie, body: { tenant: 'beta', name: 'audited' }, headers: csrf });
    assert.equal(made.status, 201);
    assert.equal((await call(stack, 'PATCH', `/admin/keys/${made.body.id}`, { cookie, body: { rpm: 10 }, headers: csrf })).status, 200);
    const rotated = await call(stack, 'POST', `/admin/keys/${made.body.id}/rotate`, { cookie, headers: csrf });
    assert.equal(rotated.status, 200);
    assert.equal((await call(stack, 'DELETE', `/admin/keys/${made.body.id}`, { cookie, headers: csrf })).status, 200);
    // Denied: a tenant admin may not create tenants.
    assert.equal((await call(stack, 'POST', '/admin/tenants', { cookie, body: { id: 'nope' }, headers: csrf })).status, 403);
    assert.equal((await call(stack, 'DELETE', '/ui/api/session', { cookie, headers: csrf })).status, 204);
    assert.equal((await stack.api('PATCH', '/admin/tenants/beta', { name: 'Beta GmbH' })).status, 200);
    assert.equal((await signIn(stack, 'sk-cw-wrong-key-00000000000000')).answer.status, 401);

    const all = await stack.api('GET', '/admin/audit?limit=200');
    assert.equal(all.status, 200);
    assert.equal(all.body.object, 'list');
    const beta = all.body.data.filter((entry: { tenant_id: string | null }) => entry.tenant_id === 'beta');
    const actions = beta.map((entry: { action: string; outcome: string }) => `${entry.action}:${entry.outcome}`).reverse();
    assert.deepEqual(actions, [
      'tenant.create:ok',
      'key.create:ok',
      'login:ok',
      'key.create:ok',
      'key.update:ok',
      'key.rotate:ok',
      'key.revoke:ok',
      'tenant.create:denied',
      'logout:ok',
      'tenant.update:ok',
    ]);
    const rotation = beta.find((entry: { action: string }) => entry.action === 'key.rotate');
    assert.deepEqual(rotation.actor, { kind: 'key', id: admin.body.id, name: 'beta-admin' });
    assert.deepEqual(rotation.target, { type: 'key', id: made.body.id });
    assert.equal(rotation.ip, '127.0.0.1');
    assert.match(rotation.created_at, /^\d{4}-\d\d-\d\dT/);
    const update = beta.find((entry: { action: string }) => entry.action === 'tenant.update');
    assert.deepEqual(update.actor, { kind: 'master', id: null, name: 'master key' });
    assert.ok(all.body.data.some((entry: { action: string; outcome: string }) => entry.action === 'login.failed' && entry.outcome === 'denied'));

    // Filters and pages.
    const failed = await stack.api('GET', '/admin/audit?action=login.failed&limit=1');
    assert.equal(failed.body.data.length, 1);
    assert.equal(failed.body.has_more, true);
    const older = await stack.api('GET', `/admin/audit?action=login.failed&limit=200&after=${failed.body.last_id}`);
    assert.ok(older.body.data.every((entry: { id: string }) => entry.id < failed.body.last_id));

    // A tenant admin sees only its tenant's entries, even when it asks for another's.
    const acmeAdmin = await stack.api('POST', '/admin/keys', { tenant: 'acme', name: 'acme-auditor', admin: true });
    const own = await stack.api('GET', '/admin/audit?limit=200', undefined, acmeAdmin.body.key);
    assert.equal(own.status, 200);
    assert.ok(own.body.data.length > 0);
    assert.ok(own.body.data.every((entry: { tenant_id: string }) => entry.tenant_id === 'acme'));
    assert.deepEqual((await stack.api('GET', '/admin/audit?tenant_id=beta', undefined, acmeAdmin.body.key)).body.data, []);

    // No secret anywhere: not the master key, not a created or rotated key, not a session cookie.
    const everything = JSON.stringify(all.body) + stack.logs();
    for (const secret of [stack.masterKey, admin.body.key, made.body.key, rotated.body.key, cookie.split('=')[1] ?? '', answer.body.csrf_token]) {
      assert.ok(secret.length > 10 && !everything.includes(secret), `a secret leaked: ${secret.slice(0, 6)}...`);
    }
  });

  it('audits MCP server registrations without their credentials', async () => {
    const registered = await stack.api('POST', '/admin/mcp-servers', {
      tenant: 'acme',
      server_label: 'audited',
      url: 'http://127.0.0.1:1/mcp',
      authorization: 'mcp-credential-never-logged-1',
    });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    assert.equal((await stack.api('DELETE', `/admin/mcp-servers/${registered.body.id}?tenant=acme`)).status, 200);
    const entries = (await stack.api('GET', '/admin/audit?tenant_id=acme&limit=200')).body.data;
    const mcp = entries.filter((entry: { action: string }) => entry.action.startsWith('mcp_server.'));
    assert.deepEqual(
      mcp.map((entry: { action: string; target: { id: string } }) => `${entry.action}:${entry.target.id}`),
      [`mcp_server.delete:${registered.body.id}`, `mcp_server.create:${registered.body.id}`],
    );
    assert.ok(!JSON.stringify(entries).includes('mcp-credential-never-logged-1'));
  });

  it('audits a configuration reload', async () => {
    stack.gateway.reload(stack.catalog);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const reloads = await stack.api('GET', '/admin/audit?action=config.reload');
    assert.equal(reloads.body.data.length, 1);
    assert.equal(reloads.body.data[0].outcome, 'ok');
  });
});

describe('dashboard sign-in rate', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ ui: { sign_in_rate_per_minute: 3 } });
  });
  after(() => stack.close());

  it('limits sign-in attempts per client address, good keys included, before any key is checked', async () => {
    for (let attempt = 0; attempt < 3; attempt++) assert.equal((await signIn(stack, 'sk-cw-wrong-key-00000000000000')).answer.status, 401);
    const limited = await signIn(stack, stack.masterKey);
    assert.equal(limited.answer.status, 429);
    assert.ok(Number(limited.answer.headers.get('retry-after')) >= 1);
    assert.equal(limited.setCookie, '');
  });
});
