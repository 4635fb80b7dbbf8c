// The tenancy service over a real (in-memory SQLite) store: admin operations, scoping, and authentication with its cache.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { openSqliteStore, type Store } from '../store/index.ts';
import { ConflictError, CrosswayError, InvalidRequestError, NotFoundError } from '../wire/index.ts';
import { DEFAULT_TENANT_ID, Tenancy, type TenancyChange, type TenancyPeers, type TenancyStore } from './tenancy.ts';
import { createKeyRequestSchema, createTenantRequestSchema } from './tenancy-schemas.ts';

const START = Date.parse('2026-12-01T12:00:00.000Z');

/** A store that counts key lookups and can hold them back, to watch the cache and race invalidations. */
function instrument(store: Store): { store: TenancyStore; lookups: () => number; holdLookups: () => () => void } {
  let lookups = 0;
  let gate: Promise<void> | null = null;
  const wrapped: TenancyStore = {
    putSettingIfAbsent: (name, value) => store.putSettingIfAbsent(name, value),
    insertTenant: (tenant) => store.insertTenant(tenant),
    getTenant: (id) => store.getTenant(id),
    listTenants: () => store.listTenants(),
    updateTenant: (id, patch) => store.updateTenant(id, patch),
    deleteTenant: (id, at) => store.deleteTenant(id, at),
    getTenantDeletedAt: (id) => store.getTenantDeletedAt(id),
    eraseTenantData: (tenant) => store.eraseTenantData(tenant),
    insertApiKey: (key) => store.insertApiKey(key),
    getApiKey: (id) => store.getApiKey(id),
    getApiKeyByHash: async (hash) => {
      lookups += 1;
      const found = await store.getApiKeyByHash(hash);
      if (gate !== null) await gate;
      return found;
    },
    listApiKeys: (options) => store.listApiKeys(options),
    updateApiKey: (id, patch) => store.updateApiKey(id, patch),
  };
  return {
    store: wrapped,
    lookups: () => lookups,
    holdLookups: () => {
      let open!: () => void;
      gate = new Promise((resolve) => (open = resolve));
      return () => {
        gate = null;
        open();
      };
    },
  };
}

/** Asserts that `promise` rejects with a CrosswayError of this status and code. */
async function rejectsWith(promise: Promise<unknown>, status: number, code: string): Promise<CrosswayError> {
  const error = await promise.then(
    () => assert.fail(`expected ${status} ${code}`),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof CrosswayError, String(error));
  assert.deepEqual({ status: error.status, code: error.code }, { status, code });
  return error;
}

describe('Tenancy', () => {
  let store: Store;
  let probe: ReturnType<typeof instrument>;
  let tenancy: Tenancy;
  let clock: number;

  beforeEach(async () => {
    store = await openSqliteStore(':memory:');
    await store.migrate();
    probe = instrument(store);
    clock = START;
    tenancy = await Tenancy.open(probe.store, { now: () => new Date(clock), cacheTtlMs: 1000 });
    await tenancy.createTenant(createTenantRequestSchema.parse({ id: 'acme', name: 'Acme Corp', rpm: 60 }));
    await tenancy.createTenant(createTenantRequestSchema.parse({ id: 'globex' }));
  });
  afterEach(async () => {
    await store.close();
  });

  const newKey = (body: Record<string, unknown>) => tenancy.createKey(createKeyRequestSchema.parse(body));

  describe('open', () => {
    it('creates the default tenant and keeps one hash secret per installation', async () => {
      assert.equal((await store.getTenant(DEFAULT_TENANT_ID))?.name, 'Default');
      const created = await newKey({ tenant: 'acme' });
      const reopened = await Tenancy.open(store, { now: () => new Date(clock) });
      assert.equal((await reopened.authenticate(created.key))?.key.id, created.id, 'a second instance hashes the same way');
      assert.equal((await store.listTenants()).filter((t) => t.id === DEFAULT_TENANT_ID).length, 1);
    });
  });

  describe('tenants', () => {
    it('creates, reads, lists, updates and deletes', async () => {
      const acme = await tenancy.getTenant('acme');
      assert.deepEqual(
        { object: acme.object, id: acme.id, name: acme.name, rpm: acme.rpm, budget: acme.budget, created_at: acme.created_at },
        { object: 'tenant', id: 'acme', name: 'Acme Corp', rpm: 60, budget: null, created_at: '2026-12-01T12:00:00.000Z' },
      );
      assert.equal((await tenancy.getTenant('globex')).name, 'globex', 'the name defaults to the id');
      assert.deepEqual(
        (await tenancy.listTenants()).map((t) => t.id),
        ['acme', 'default', 'globex'],
      );
      clock += 5_000;
      const updated = await tenancy.updateTenant('acme', { rpm: null, budget: { limit: '10.5', currency: 'USD', period: 'day' } });
      assert.equal(updated.rpm, null);
      assert.deepEqual(updated.budget, { limit: '10.500000', currency: 'USD', period: 'day' }, 'budgets show 6 decimals');
      assert.equal(updated.updated_at, '2026-12-01T12:00:05.000Z');
      assert.deepEqual(await tenancy.deleteTenant('globex'), { object: 'tenant.deleted', id: 'globex', deleted: true });
      await rejectsWith(tenancy.getTenant('globex'), 404, 'tenant_not_found');
    });

    it('refuses a taken id with 409 tenant_exists', async () => {
      const error = await rejectsWith(tenancy.createTenant(createTenantRequestSchema.parse({ id: 'acme' })), 409, 'tenant_exists');
      assert.ok(error instanceof ConflictError);
    });

    it('answers 404 for unknown tenants and keeps the default tenant (400)', async () => {
      await rejectsWith(tenancy.updateTenant('nope', { rpm: 1 }), 404, 'tenant_not_found');
      await rejectsWith(tenancy.deleteTenant('nope'), 404, 'tenant_not_found');
      const error = await rejectsWith(tenancy.deleteTenant(DEFAULT_TENANT_ID), 400, 'tenant_protected');
      assert.ok(error instanceof InvalidRequestError);
    });

    it('revokes the keys of a deleted tenant at once, cached or not', async () => {
      const created = await newKey({ tenant: 'globex' });
      assert.notEqual(await tenancy.authenticate(created.key), null);
      await tenancy.deleteTenant('globex');
      assert.equal(await tenancy.authenticate(created.key), null);
      assert.notEqual((await tenancy.getKey(created.id)).revoked_at, null);
    });

    it('retires a deleted id for ever: creating it again is 409 tenant_id_retired; erase works then too', async () => {
      const created = await newKey({ tenant: 'globex' });
      await tenancy.deleteTenant('globex');
      const error = await rejectsWith(tenancy.createTenant(createTenantRequestSchema.parse({ id: 'globex' })), 409, 'tenant_id_retired');
      assert.match(error.message, /deleted tenant|deleted at/);
      assert.equal(await tenancy.authenticate(created.key), null);
      await rejectsWith(tenancy.deleteTenant('globex'), 404, 'tenant_not_found');
      assert.deepEqual(await tenancy.deleteTenant('globex', {}, { erase: true }), {
        object: 'tenant.deleted',
        id: 'globex',
        deleted: true,
        erased: { responses: 0, conversations: 0, idempotency_keys: 0 },
      });
      await rejectsWith(tenancy.deleteTenant('never-was', {}, { erase: true }), 404, 'tenant_not_found');
    });
  });

  describe('keys', () => {
    it('creates a key whose secret is shown once and stored only as a hash', async () => {
      const created = await newKey({ tenant: 'acme', name: 'ci', models: ['gpt-5.5'], rpm: 10, budget: { limit: 25 } });
      assert.match(created.id, /^key_[0-9a-f]{24}$/);
      assert.match(created.key, /^sk-cw-/);
      assert.equal(created.prefix, created.key.slice(0, 12));
      assert.deepEqual(created.budget, { limit: '25.000000', currency: 'USD', period: 'month' });
      const shown = await tenancy.getKey(created.id);
      assert.equal('key' in shown, false);
      assert.equal('hash' in shown, false);
      const stored = await store.getApiKey(created.id);
      assert.ok(stored !== null && !JSON.stringify(stored).includes(created.key.slice(12)));
      assert.deepEqual(
        (await tenancy.listKeys({ tenant: 'acme' })).map((k) => k.id),
        [created.id],
      );
    });

    it('refuses a key for an unknown tenant (404) or with a past expiry (400)', async () => {
      await rejectsWith(newKey({ tenant: 'nope' }), 404, 'tenant_not_found');
      const error = await rejectsWith(newKey({ tenant: 'acme', expires_at: '2026-12-01T11:59:59Z' }), 400, 'invalid_request');
      assert.equal(error.param, 'expires_at');
      await rejectsWith(tenancy.getKey('key_000000000000000000000000'), 404, 'key_not_found');
    });

    it('revokes at once, even a cached key, and revocation is idempotent', async () => {
      const created = await newKey({ tenant: 'acme' });
      assert.notEqual(await tenancy.authenticate(created.key), null);
      const revoked = await tenancy.revokeKey(created.id);
      assert.equal(revoked.revoked_at, '2026-12-01T12:00:00.000Z');
      assert.equal(await tenancy.authenticate(created.key), null);
      clock += 60_000;
      assert.equal((await tenancy.revokeKey(created.id)).revoked_at, '2026-12-01T12:00:00.000Z');
    });

    it('finds a live key by id for resumed work, and none once it is revoked, expired or unknown', async () => {
      const created = await newKey({ tenant: 'acme', expires_at: '2026-12-01T13:00:00Z' });
      const live = await tenancy.findLiveKey(created.id);
      assert.equal(live?.key.id, created.id);
      assert.equal(live?.tenant.id, 'acme');
      clock += 2 * 3_600_000;
      assert.equal(await tenancy.findLiveKey(created.id), null);
      const other = await newKey({ tenant: 'acme' });
      await tenancy.revokeKey(other.id);
      assert.equal(await tenancy.findLiveKey(other.id), null);
      assert.equal(await tenancy.findLiveKey('key_000000000000000000000000'), null);
    });

    it('rotates: the old secret stops at once, the new one works with the same id and settings', async () => {
      const created = await newKey({ tenant: 'acme', rpm: 7 });
      assert.notEqual(await tenancy.authenticate(created.key), null);
      const rotated = await tenancy.rotateKey(created.id);
      assert.equal(rotated.id, created.id);
      assert.notEqual(rotated.key, created.key);
      assert.equal(rotated.prefix, rotated.key.slice(0, 12));
      assert.equal(await tenancy.authenticate(created.key), null);
      assert.equal((await tenancy.authenticate(rotated.key))?.key.rpm, 7);
      await tenancy.revokeKey(created.id);
      await rejectsWith(tenancy.rotateKey(created.id), 400, 'key_revoked');
    });

    it('patches a key and authenticates with the new settings at once', async () => {
      const created = await newKey({ tenant: 'acme', rpm: 5 });
      assert.equal((await tenancy.authenticate(created.key))?.key.rpm, 5);
      assert.equal((await tenancy.updateKey(created.id, { rpm: 50, name: 'renamed' })).name, 'renamed');
      assert.equal((await tenancy.authenticate(created.key))?.key.rpm, 50);
      await rejectsWith(tenancy.updateKey(created.id, { expires_at: '2020-01-01T00:00:00.000Z' }), 400, 'invalid_request');
    });
  });

  describe('authenticate', () => {
    it('answers null for unknown secrets and for anything that is not a virtual key', async () => {
      assert.equal(await tenancy.authenticate('sk-cw-unknown'), null);
      assert.equal(await tenancy.authenticate('not-a-key'), null);
      assert.equal(probe.lookups(), 1, 'a secret without the prefix is not looked up');
    });

    it('caches successes for the TTL only', async () => {
      const created = await newKey({ tenant: 'acme' });
      await tenancy.authenticate(created.key);
      await tenancy.authenticate(created.key);
      assert.equal(probe.lookups(), 1);
      clock += 1_001;
      await tenancy.authenticate(created.key);
      assert.equal(probe.lookups(), 2);
    });

    it('refuses an expired key, whether cached or not', async () => {
      const created = await newKey({ tenant: 'acme', expires_at: '2026-12-01T12:00:00.500Z' });
      assert.notEqual(await tenancy.authenticate(created.key), null);
      clock += 500;
      assert.equal(await tenancy.authenticate(created.key), null, 'cached');
      clock += 5_000;
      assert.equal(await tenancy.authenticate(created.key), null, 'from the store');
    });

    it('sees a tenant patch at once (limits are never served stale from the cache)', async () => {
      const created = await newKey({ tenant: 'acme' });
      assert.equal((await tenancy.authenticate(created.key))?.tenant.rpm, 60);
      await tenancy.updateTenant('acme', { rpm: 1 });
      assert.equal((await tenancy.authenticate(created.key))?.tenant.rpm, 1);
    });

    it('does not cache what a lookup read before a revocation that overtook it', async () => {
      const created = await newKey({ tenant: 'acme' });
      const open = probe.holdLookups();
      const slow = tenancy.authenticate(created.key);
      await new Promise((resolve) => setImmediate(resolve));
      await tenancy.revokeKey(created.id);
      open();
      await slow;
      assert.equal(await tenancy.authenticate(created.key), null);
    });
  });

  describe('scoping', () => {
    it("answers another tenant's key exactly like a missing one", async () => {
      const globexKey = await newKey({ tenant: 'globex' });
      const scope = { tenant: 'acme' };
      const missing = await rejectsWith(tenancy.getKey('key_ffffffffffffffffffffffff', scope), 404, 'key_not_found');
      const other = await rejectsWith(tenancy.getKey(globexKey.id, scope), 404, 'key_not_found');
      assert.equal(other.message.replace(globexKey.id, 'ID'), missing.message.replace('key_ffffffffffffffffffffffff', 'ID'));
      assert.ok(other instanceof NotFoundError);
      await rejectsWith(tenancy.updateKey(globexKey.id, { rpm: 1 }, scope), 404, 'key_not_found');
      await rejectsWith(tenancy.revokeKey(globexKey.id, scope), 404, 'key_not_found');
      await rejectsWith(tenancy.rotateKey(globexKey.id, scope), 404, 'key_not_found');
      assert.notEqual(await tenancy.authenticate(globexKey.key), null, 'nothing happened to it');
    });

    it('confines tenants, listings and key creation to the scope', async () => {
      const scope = { tenant: 'acme' };
      await rejectsWith(tenancy.getTenant('globex', scope), 404, 'tenant_not_found');
      await rejectsWith(tenancy.updateTenant('globex', { rpm: 1 }, scope), 404, 'tenant_not_found');
      await rejectsWith(tenancy.deleteTenant('globex', scope), 404, 'tenant_not_found');
      await rejectsWith(tenancy.createKey(createKeyRequestSchema.parse({ tenant: 'globex' }), scope), 404, 'tenant_not_found');
      assert.deepEqual(
        (await tenancy.listTenants(scope)).map((t) => t.id),
        ['acme'],
      );
      await newKey({ tenant: 'globex' });
      const own = await tenancy.createKey(createKeyRequestSchema.parse({ tenant: 'acme' }), scope);
      assert.deepEqual(
        (await tenancy.listKeys({}, scope)).map((k) => k.id),
        [own.id],
      );
      assert.deepEqual(await tenancy.listKeys({ tenant: 'globex' }, scope), []);
      assert.deepEqual(await tenancy.listKeys({ tenant: 'nope' }), []);
      assert.equal((await tenancy.listKeys()).length, 2);
    });
  });
});

describe('Tenancy with peers (two replicas, one store)', () => {
  let store: Store;
  let first: Tenancy;
  let second: Tenancy;
  let secondLookups: ReturnType<typeof instrument>;
  const heard: TenancyChange[] = [];
  const echoed: TenancyChange[] = [];

  beforeEach(async () => {
    store = await openSqliteStore(':memory:');
    await store.migrate();
    heard.length = 0;
    echoed.length = 0;
    secondLookups = instrument(store);
    // A long cache life: only an announcement can make the second replica see a change in time.
    second = await Tenancy.open(secondLookups.store, { cacheTtlMs: 3_600_000, peers: { announce: (change) => echoed.push(change) } });
    const peers: TenancyPeers = {
      announce: (change) => {
        heard.push(change);
        second.applyPeerChange(change);
      },
    };
    first = await Tenancy.open(store, { cacheTtlMs: 3_600_000, peers });
    await first.createTenant(createTenantRequestSchema.parse({ id: 'acme', rpm: 60 }));
  });
  afterEach(async () => {
    await store.close();
  });

  const keyOf = (body: Record<string, unknown>) => first.createKey(createKeyRequestSchema.parse(body));

  it("a key revoked, rotated or changed on one replica is dropped from the other replica's cache", async () => {
    const revoked = await keyOf({ tenant: 'acme' });
    const rotated = await keyOf({ tenant: 'acme' });
    const changed = await keyOf({ tenant: 'acme', rpm: 5 });
    for (const key of [revoked, rotated, changed]) assert.notEqual(await second.authenticate(key.key), null);
    const lookups = secondLookups.lookups();
    for (const key of [revoked, rotated, changed]) assert.notEqual(await second.authenticate(key.key), null);
    assert.equal(secondLookups.lookups(), lookups, 'the second replica answers from its cache');

    await first.revokeKey(revoked.id);
    await first.rotateKey(rotated.id);
    await first.updateKey(changed.id, { rpm: 50 });
    assert.equal(await second.authenticate(revoked.key), null);
    assert.equal(await second.authenticate(rotated.key), null);
    assert.equal((await second.authenticate(changed.key))?.key.rpm, 50);
    assert.deepEqual(heard, [
      { kind: 'key', id: revoked.id },
      { kind: 'key', id: rotated.id },
      { kind: 'key', id: changed.id },
    ]);
    assert.deepEqual(echoed, [], 'an applied change is not announced again');
  });

  it("a tenant changed or deleted on one replica is dropped from the other replica's cache", async () => {
    await first.createTenant(createTenantRequestSchema.parse({ id: 'globex', rpm: 10 }));
    const acmeKey = await keyOf({ tenant: 'acme' });
    const globexKey = await keyOf({ tenant: 'globex' });
    assert.equal((await second.authenticate(acmeKey.key))?.tenant.rpm, 60);
    assert.notEqual(await second.authenticate(globexKey.key), null);
    await first.updateTenant('acme', { rpm: 600 });
    await first.deleteTenant('globex');
    assert.equal((await second.authenticate(acmeKey.key))?.tenant.rpm, 600);
    assert.equal(await second.authenticate(globexKey.key), null);
    assert.deepEqual(heard, [
      { kind: 'tenant', id: 'acme' },
      { kind: 'tenant', id: 'globex' },
    ]);
  });

  it('clearCache drops every cached authentication (changes missed while the peers were unreachable)', async () => {
    const key = await keyOf({ tenant: 'acme' });
    await second.authenticate(key.key);
    const lookups = secondLookups.lookups();
    await store.updateApiKey(key.id, { revoked_at: new Date().toISOString() });
    assert.notEqual(await second.authenticate(key.key), null, 'a change made without an announcement is not seen yet');
    second.clearCache();
    assert.equal(await second.authenticate(key.key), null);
    assert.equal(secondLookups.lookups(), lookups + 1);
  });
});
