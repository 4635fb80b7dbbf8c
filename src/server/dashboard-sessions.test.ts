// DashboardSessions over a real SQLite store and tenancy: what a session resolves to, and every way it ends.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { uiConfigSchema } from '../catalog/index.ts';
import { MemoryCounters, openSqliteStore, type Store } from '../store/index.ts';
import { makeTenant } from '../store/tenancy-store.case.test.ts';
import { Tenancy } from '../tenancy/index.ts';
import { DashboardSessions, hashSessionToken } from './dashboard-sessions.ts';

const MASTER = 'sk-cw-unit-master-key-0001';

describe('DashboardSessions', () => {
  let store: Store;
  let tenancy: Tenancy;
  let clock: number;
  const sessionsFor = (masterKey = MASTER, config: Record<string, unknown> = {}) =>
    new DashboardSessions({
      store,
      tenancy,
      masterKey: Buffer.from(masterKey),
      masterTenant: async () => makeTenant({ id: 'default' }),
      counters: new MemoryCounters(),
      secret: Buffer.alloc(32, 7),
      config: uiConfigSchema.parse({ session_ttl: '2h', session_idle_ttl: '30m', max_sessions_per_user: 2, ...config }),
      now: () => new Date(clock),
    });
  const master = { kind: 'master' as const, key: null, tenant: makeTenant({ id: 'default' }), admin: true };

  beforeEach(async () => {
    clock = Date.parse('2026-05-01T00:00:00.000Z');
    store = await openSqliteStore(':memory:');
    await store.migrate();
    await store.insertTenant(makeTenant({ id: 'acme' }));
    tenancy = await Tenancy.open(store, { now: () => new Date(clock) });
  });
  afterEach(() => store.close());

  it('stores only the hash of the session id, and resolves the id to the principal with a stable CSRF token', async () => {
    const sessions = sessionsFor();
    const { token, session } = await sessions.open({ via: 'key', principal: master, name: 'master key' });
    assert.equal(await store.getDashboardSession(token), null);
    assert.equal((await store.getDashboardSession(hashSessionToken(token)))?.role, 'admin');
    const resolved = await sessions.resolve(token);
    assert.equal(resolved?.principal.kind, 'master');
    assert.equal(resolved?.csrfToken, session.csrfToken);
    assert.equal(sessions.checkCsrf(session, session.csrfToken), true);
    assert.equal(sessions.checkCsrf(session, `${session.csrfToken.slice(1)}x`), false);
    assert.equal(sessions.checkCsrf(session, undefined), false);
    assert.equal(await sessions.resolve('not-a-session'), null);
  });

  it('a changed master key ends the sessions the old one opened', async () => {
    const { token } = await sessionsFor().open({ via: 'key', principal: master, name: 'master key' });
    assert.equal(await sessionsFor('sk-cw-unit-master-key-0002').resolve(token), null);
    // And the session is deleted, not merely refused.
    assert.equal(await sessionsFor().resolve(token), null);
  });

  it('keeps at most max_sessions_per_user sessions per user: the oldest ends first', async () => {
    const sessions = sessionsFor();
    const tokens: string[] = [];
    for (let index = 0; index < 3; index++) {
      clock += 1000;
      tokens.push((await sessions.open({ via: 'key', principal: master, name: 'master key' })).token);
    }
    assert.equal(await sessions.resolve(tokens[0] ?? ''), null);
    assert.notEqual(await sessions.resolve(tokens[1] ?? ''), null);
    assert.notEqual(await sessions.resolve(tokens[2] ?? ''), null);
  });

  it('an OIDC session of one tenant acts as a key-less tenant admin, and ends with its tenant', async () => {
    const sessions = sessionsFor();
    const { token } = await sessions.open({ via: 'oidc', role: 'viewer', tenant: 'acme', subject: 'http://idp#vera', name: 'vera' });
    const resolved = await sessions.resolve(token);
    assert.deepEqual(
      { kind: resolved?.principal.kind, key: resolved?.principal.key, tenant: resolved?.principal.tenant.id, admin: resolved?.principal.admin },
      { kind: 'key', key: null, tenant: 'acme', admin: true },
    );
    assert.deepEqual(resolved?.user, { name: 'vera', role: 'viewer', tenant_id: 'acme', via: 'oidc' });
    await store.deleteTenant('acme', new Date(clock).toISOString());
    assert.equal(await sessions.resolve(token), null);
  });

  it('limits sign-in attempts per address', async () => {
    const sessions = sessionsFor(MASTER, { sign_in_rate_per_minute: 2 });
    assert.equal((await sessions.takeSignInAttempt('10.0.0.1')).allowed, true);
    assert.equal((await sessions.takeSignInAttempt('10.0.0.1')).allowed, true);
    assert.equal((await sessions.takeSignInAttempt('10.0.0.1')).allowed, false);
    assert.equal((await sessions.takeSignInAttempt('10.0.0.2')).allowed, true);
  });
});
