// The settings, tenants, virtual keys and idempotency part of the Store contract; run by runStoreTests.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { IdempotencyRecord } from './ledger-records.ts';
import { makeConversation, makeConversationItem, makeResponseItem, makeStoredResponse } from './runtime-store.case.test.ts';
import type { Store } from './store.ts';
import type { ApiKeyRecord, TenantRecord } from './tenancy-records.ts';

/** Builds a tenant with defaults for whatever the test does not care about. */
export function makeTenant(overrides: Partial<TenantRecord> & Pick<TenantRecord, 'id'>): TenantRecord {
  return {
    name: `Tenant ${overrides.id}`,
    policy: {},
    margin: null,
    rpm: null,
    tpm: null,
    budget: null,
    metadata: {},
    created_at: '2026-05-01T00:00:00.000Z',
    updated_at: '2026-05-01T00:00:00.000Z',
    ...overrides,
  };
}

/** Builds a virtual key with defaults for whatever the test does not care about; the hash derives from the id. */
export function makeApiKey(overrides: Partial<ApiKeyRecord> & Pick<ApiKeyRecord, 'id'>): ApiKeyRecord {
  return {
    tenant: 'acme',
    name: null,
    prefix: 'sk-cw-AbCd',
    hash: `hash-of-${overrides.id}`,
    models: null,
    rpm: null,
    tpm: null,
    budget: null,
    expires_at: null,
    admin: false,
    metadata: {},
    created_at: '2026-05-01T00:00:00.000Z',
    revoked_at: null,
    ...overrides,
  };
}

type Claim = Parameters<Store['claimIdempotencyKey']>[0];

/** A claim made at `at` (ISO), with a 1-minute lease and a 24-hour expiry. */
function makeClaim(key: string, at: string, overrides: Partial<Claim> = {}): Claim {
  const plus = (ms: number) => new Date(Date.parse(at) + ms).toISOString();
  return { tenant: 'acme', key, request_hash: 'hash-1', created_at: at, lease_expires_at: plus(60_000), expires_at: plus(86_400_000), ...overrides };
}

export function runTenancyStoreTests(open: () => Promise<Store>): void {
  let store: Store;
  beforeEach(async () => {
    store = await open();
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
  });

  describe('settings', () => {
    it('keeps the first value written under a name', async () => {
      assert.equal(await store.putSettingIfAbsent('virtual_key_hash_secret', 'first'), 'first');
      assert.equal(await store.putSettingIfAbsent('virtual_key_hash_secret', 'second'), 'first');
      const racing = await Promise.all(['a', 'b', 'c'].map((value) => store.putSettingIfAbsent('raced', value)));
      // Whichever write commits first wins (on a pool of connections it need not be the first sent): all see that one.
      assert.ok(['a', 'b', 'c'].includes(racing[0]!), racing[0]);
      assert.deepEqual(racing, [racing[0], racing[0], racing[0]]);
      assert.equal(await store.putSettingIfAbsent('raced', 'd'), racing[0]);
    });
  });

  describe('tenants', () => {
    const full = makeTenant({
      id: 'acme',
      name: 'Acme Corp',
      policy: { regions: ['eu'], providers: { only: ['azure', 'bedrock'] }, prefer: 'price' },
      margin: '0.25',
      rpm: 600,
      tpm: 1_000_000,
      budget: { limit: '25.00', currency: 'USD', period: 'month' },
      metadata: { team: 'platform' },
    });

    it('inserts, reads, lists by id, and refuses a taken id without writing', async () => {
      assert.equal(await store.insertTenant(full), true);
      assert.equal(await store.insertTenant(makeTenant({ id: 'beta' })), true);
      assert.equal(await store.insertTenant(makeTenant({ id: '0-first' })), true);
      assert.deepEqual(await store.getTenant('acme'), full);
      assert.equal(await store.insertTenant(makeTenant({ id: 'acme', name: 'Impostor' })), false);
      assert.deepEqual(await store.getTenant('acme'), full);
      assert.equal(await store.getTenant('unknown'), null);
      assert.deepEqual(
        (await store.listTenants()).map((tenant) => tenant.id),
        ['0-first', 'acme', 'beta'],
      );
    });

    it('applies a patch and answers null for an unknown tenant', async () => {
      await store.insertTenant(full);
      const patched = await store.updateTenant('acme', {
        name: 'Acme',
        margin: null,
        budget: null,
        rpm: 60,
        policy: { regions: ['us'] },
        metadata: {},
        updated_at: '2026-06-01T00:00:00.000Z',
      });
      const expected = {
        ...full,
        name: 'Acme',
        margin: null,
        budget: null,
        rpm: 60,
        policy: { regions: ['us'] },
        metadata: {},
        updated_at: '2026-06-01T00:00:00.000Z',
      };
      assert.deepEqual(patched, expected);
      assert.deepEqual(await store.getTenant('acme'), expected);
      assert.deepEqual(await store.updateTenant('acme', {}), expected);
      assert.deepEqual(await store.updateTenant('acme', { budget: { limit: '1.5', currency: 'EUR', period: 'total' } }), {
        ...expected,
        budget: { limit: '1.5', currency: 'EUR', period: 'total' },
      });
      assert.equal(await store.updateTenant('unknown', { name: 'x' }), null);
      assert.equal(await store.updateTenant('unknown', {}), null);
    });

    it('deletes a tenant and revokes its keys, keeping earlier revocations and other tenants keys', async () => {
      await store.insertTenant(full);
      await store.insertTenant(makeTenant({ id: 'beta' }));
      await store.insertApiKey(makeApiKey({ id: 'key_a1', tenant: 'acme' }));
      await store.insertApiKey(makeApiKey({ id: 'key_a2', tenant: 'acme', revoked_at: '2026-05-02T00:00:00.000Z' }));
      await store.insertApiKey(makeApiKey({ id: 'key_b1', tenant: 'beta' }));
      // A key naming a tenant that does not exist: deleting that id must write nothing.
      await store.insertApiKey(makeApiKey({ id: 'key_ghost', tenant: 'ghost' }));

      const at = '2026-06-01T00:00:00.000Z';
      assert.equal(await store.deleteTenant('acme', at), true);
      assert.equal(await store.getTenant('acme'), null);
      assert.equal((await store.getApiKey('key_a1'))?.revoked_at, at);
      assert.equal((await store.getApiKey('key_a2'))?.revoked_at, '2026-05-02T00:00:00.000Z');
      assert.equal((await store.getApiKey('key_b1'))?.revoked_at, null);
      assert.equal(await store.deleteTenant('acme', at), false);
      assert.equal(await store.deleteTenant('ghost', at), false);
      assert.equal((await store.getApiKey('key_ghost'))?.revoked_at, null);
      assert.deepEqual(
        (await store.listTenants()).map((tenant) => tenant.id),
        ['beta'],
      );
    });

    it('keeps a deleted tenant as a tombstone: the id is never inserted again, nor updated, nor listed', async () => {
      await store.insertTenant(full);
      assert.equal(await store.getTenantDeletedAt('acme'), null);
      const at = '2026-06-01T00:00:00.000Z';
      assert.equal(await store.deleteTenant('acme', at), true);
      assert.equal(await store.getTenantDeletedAt('acme'), at);
      assert.equal(await store.getTenantDeletedAt('never'), null);
      assert.equal(await store.insertTenant(makeTenant({ id: 'acme' })), false);
      assert.equal(await store.getTenant('acme'), null);
      assert.equal(await store.updateTenant('acme', { name: 'revived' }), null);
      assert.deepEqual(await store.listTenants(), []);
      // A key inserted later under the retired id is not revoked by a second delete, which finds no live tenant.
      await store.insertApiKey(makeApiKey({ id: 'key_late', tenant: 'acme' }));
      assert.equal(await store.deleteTenant('acme', '2026-07-01T00:00:00.000Z'), false);
      assert.equal((await store.getApiKey('key_late'))?.revoked_at, null);
      assert.equal(await store.getTenantDeletedAt('acme'), at);
    });

    it("erases a tenant's responses, conversations and idempotency keys, and nobody else's", async () => {
      for (const tenant of ['acme', 'beta']) {
        const id = `resp_${tenant}`;
        await store.insertResponse(makeStoredResponse({ id, tenant }), [makeResponseItem(id, 'input', 0), makeResponseItem(id, 'output', 0)]);
        await store.appendResponseEvents([{ response_id: id, sequence_number: 0, event: { type: 'response.created' } }]);
        await store.insertConversation(makeConversation({ id: `conv_${tenant}`, tenant }), [makeConversationItem(`conv_${tenant}`, `msg_${tenant}`)]);
        assert.deepEqual(await store.claimIdempotencyKey(makeClaim('k1', '2026-05-01T00:00:00.000Z', { tenant })), { claimed: true });
      }
      assert.ok((await store.getTenantStorage('acme')) > 0);
      const betaBytes = await store.getTenantStorage('beta');
      assert.deepEqual(await store.eraseTenantData('acme'), { responses: 1, conversations: 1, idempotency_keys: 1 });
      // What the tenant stored no longer counts against it; the other tenant's count is untouched.
      assert.equal(await store.getTenantStorage('acme'), 0);
      assert.equal(await store.getTenantStorage('beta'), betaBytes);
      assert.equal(await store.getResponse('acme', 'resp_acme'), null);
      assert.deepEqual(await store.listResponseItems('acme', 'resp_acme', 'input', { limit: 10, order: 'asc' }), []);
      assert.deepEqual(await store.listResponseEvents('acme', 'resp_acme', -1), []);
      assert.equal(await store.getConversation('acme', 'conv_acme'), null);
      assert.equal(await store.getConversationItem('acme', 'conv_acme', 'msg_acme'), null);
      assert.deepEqual(await store.claimIdempotencyKey(makeClaim('k1', '2026-05-01T00:00:30.000Z')), { claimed: true });
      assert.notEqual(await store.getResponse('beta', 'resp_beta'), null);
      assert.equal((await store.listResponseEvents('beta', 'resp_beta', -1)).length, 1);
      assert.notEqual(await store.getConversationItem('beta', 'conv_beta', 'msg_beta'), null);
      assert.equal((await store.claimIdempotencyKey(makeClaim('k1', '2026-05-01T00:00:30.000Z', { tenant: 'beta' }))).claimed, false);
      assert.deepEqual(await store.eraseTenantData('acme'), { responses: 0, conversations: 0, idempotency_keys: 1 });
    });
  });

  describe('virtual keys', () => {
    const full = makeApiKey({
      id: 'key_0000000000000000000000aa',
      tenant: 'acme',
      name: 'ci',
      prefix: 'sk-cw-Xy12',
      hash: 'a'.repeat(64),
      models: ['gpt-5.5', 'fast'],
      rpm: 60,
      tpm: 100_000,
      budget: { limit: '25.00', currency: 'USD', period: 'day' },
      expires_at: '2027-01-01T00:00:00.000Z',
      admin: true,
      metadata: { owner: 'ops' },
      created_at: '2026-05-02T00:00:00.000Z',
    });

    it('inserts and reads a key by id and by hash, every field included', async () => {
      await store.insertApiKey(full);
      const sparse = makeApiKey({ id: 'key_sparse' });
      await store.insertApiKey(sparse);
      assert.deepEqual(await store.getApiKey(full.id), full);
      assert.deepEqual(await store.getApiKeyByHash(full.hash), full);
      assert.deepEqual(await store.getApiKeyByHash(sparse.hash), sparse);
      assert.equal(await store.getApiKey('key_unknown'), null);
      assert.equal(await store.getApiKeyByHash('unknown'), null);
    });

    it('lists keys by creation time then id, of one tenant or all', async () => {
      await store.insertApiKey(makeApiKey({ id: 'key_c', created_at: '2026-05-03T00:00:00.000Z' }));
      await store.insertApiKey(makeApiKey({ id: 'key_b', created_at: '2026-05-01T00:00:00.000Z' }));
      await store.insertApiKey(makeApiKey({ id: 'key_a', created_at: '2026-05-03T00:00:00.000Z' }));
      await store.insertApiKey(makeApiKey({ id: 'key_g', tenant: 'globex', created_at: '2026-05-02T00:00:00.000Z' }));
      const ids = (keys: ApiKeyRecord[]) => keys.map((key) => key.id);
      assert.deepEqual(ids(await store.listApiKeys({ tenant: 'acme' })), ['key_b', 'key_a', 'key_c']);
      assert.deepEqual(ids(await store.listApiKeys()), ['key_b', 'key_g', 'key_a', 'key_c']);
      assert.deepEqual(await store.listApiKeys({ tenant: 'nobody' }), []);
    });

    it('refuses a taken id or hash, writing nothing', async () => {
      await store.insertApiKey(full);
      await assert.rejects(store.insertApiKey(makeApiKey({ id: 'key_other', hash: full.hash })));
      await assert.rejects(store.insertApiKey(makeApiKey({ id: full.id, hash: 'fresh' })));
      assert.deepEqual(await store.listApiKeys(), [full]);
    });

    it('updates fields, rotates the hash, revokes, and answers null for an unknown key', async () => {
      await store.insertApiKey(full);
      const updated = await store.updateApiKey(full.id, { name: null, models: null, admin: false, budget: null, rpm: null, metadata: { a: 'b' } });
      const expected = { ...full, name: null, models: null, admin: false, budget: null, rpm: null, metadata: { a: 'b' } };
      assert.deepEqual(updated, expected);
      assert.deepEqual(await store.getApiKey(full.id), expected);

      const rotated = await store.updateApiKey(full.id, { hash: 'b'.repeat(64), prefix: 'sk-cw-New1', models: ['gpt-4.1'] });
      assert.equal(rotated?.prefix, 'sk-cw-New1');
      assert.deepEqual(rotated?.models, ['gpt-4.1']);
      assert.equal(await store.getApiKeyByHash(full.hash), null);
      assert.equal((await store.getApiKeyByHash('b'.repeat(64)))?.id, full.id);

      assert.equal((await store.updateApiKey(full.id, { revoked_at: '2026-06-01T00:00:00.000Z' }))?.revoked_at, '2026-06-01T00:00:00.000Z');
      assert.deepEqual(await store.updateApiKey(full.id, {}), {
        ...expected,
        hash: 'b'.repeat(64),
        prefix: 'sk-cw-New1',
        models: ['gpt-4.1'],
        revoked_at: '2026-06-01T00:00:00.000Z',
      });
      assert.equal(await store.updateApiKey('key_unknown', { name: 'x' }), null);

      await store.insertApiKey(makeApiKey({ id: 'key_second' }));
      await assert.rejects(store.updateApiKey('key_second', { hash: 'b'.repeat(64) }));
    });
  });

  describe('idempotency keys', () => {
    const t0 = '2026-05-01T00:00:00.000Z';
    const at = (ms: number) => new Date(Date.parse(t0) + ms).toISOString();
    const response = { status: 200, headers: { 'content-type': 'application/json', 'x-crossway-route': 'azure-se' }, body: Buffer.from([0, 1, 2, 255, 123]) };

    it('claims once; a second claim gets the in-flight record; after completion it gets the response', async () => {
      assert.deepEqual(await store.claimIdempotencyKey(makeClaim('k1', t0)), { claimed: true });
      const inFlight: IdempotencyRecord = {
        ...makeClaim('k1', t0),
        state: 'in_flight',
        status: null,
        headers: null,
        body: null,
      };
      assert.deepEqual(await store.claimIdempotencyKey(makeClaim('k1', at(1_000), { request_hash: 'hash-2' })), { claimed: false, existing: inFlight });

      await store.completeIdempotencyKey('acme', 'k1', response);
      const claim = await store.claimIdempotencyKey(makeClaim('k1', at(120_000)));
      assert.equal(claim.claimed, false);
      const existing = claim.claimed ? undefined : claim.existing;
      assert.deepEqual(existing, { ...inFlight, state: 'completed', status: 200, headers: response.headers, body: response.body });
      assert.ok(Buffer.isBuffer(existing?.body));

      // Keys are per tenant.
      assert.deepEqual(await store.claimIdempotencyKey(makeClaim('k1', at(2_000), { tenant: 'globex' })), { claimed: true });
    });

    it('lets exactly one of concurrent claims win', async () => {
      const claims = await Promise.all(
        Array.from({ length: 5 }, (_, index) => store.claimIdempotencyKey(makeClaim('race', t0, { request_hash: `h${index}` }))),
      );
      assert.equal(claims.filter((claim) => claim.claimed).length, 1);
    });

    it('re-claims an expired record, and an in-flight one whose lease expired, but not a live completed one', async () => {
      await store.claimIdempotencyKey(makeClaim('done', t0));
      await store.completeIdempotencyKey('acme', 'done', response);
      await store.claimIdempotencyKey(makeClaim('crashed', t0));

      // Past the lease: the crashed claim is taken over, the completed one stays.
      assert.equal((await store.claimIdempotencyKey(makeClaim('done', at(60_000)))).claimed, false);
      assert.equal((await store.claimIdempotencyKey(makeClaim('crashed', at(59_999)))).claimed, false);
      assert.deepEqual(await store.claimIdempotencyKey(makeClaim('crashed', at(60_000), { request_hash: 'hash-2' })), { claimed: true });
      const taken = await store.claimIdempotencyKey(makeClaim('crashed', at(61_000)));
      assert.equal(taken.claimed ? null : taken.existing.request_hash, 'hash-2');
      assert.equal(taken.claimed ? null : taken.existing.created_at, at(60_000));

      // Past the expiry, even a completed record gives way, and the new claim carries nothing of the old response.
      assert.equal((await store.claimIdempotencyKey(makeClaim('done', at(86_399_999)))).claimed, false);
      assert.deepEqual(await store.claimIdempotencyKey(makeClaim('done', at(86_400_000), { request_hash: 'hash-3' })), { claimed: true });
      const renewed = await store.claimIdempotencyKey(makeClaim('done', at(86_401_000)));
      assert.deepEqual(renewed.claimed ? null : renewed.existing, {
        ...makeClaim('done', at(86_400_000), { request_hash: 'hash-3' }),
        state: 'in_flight',
        status: null,
        headers: null,
        body: null,
      });
    });

    it('releases an in-flight claim (not a completed one), and prunes expired records', async () => {
      await store.claimIdempotencyKey(makeClaim('failed', t0));
      await store.releaseIdempotencyKey('acme', 'failed');
      assert.deepEqual(await store.claimIdempotencyKey(makeClaim('failed', at(1))), { claimed: true });

      await store.claimIdempotencyKey(makeClaim('done', t0));
      await store.completeIdempotencyKey('acme', 'done', response);
      await store.releaseIdempotencyKey('acme', 'done');
      assert.equal((await store.claimIdempotencyKey(makeClaim('done', at(1)))).claimed, false);

      await store.claimIdempotencyKey(makeClaim('later', at(1_000)));
      // expires_at: done at(86_400_000), failed at(86_400_001), later at(86_401_000).
      assert.equal(await store.pruneIdempotencyKeys(at(86_400_001)), 1);
      assert.equal(await store.pruneIdempotencyKeys(at(86_401_000)), 1);
      assert.equal(await store.pruneIdempotencyKeys(at(86_401_000)), 0);
      assert.equal((await store.claimIdempotencyKey(makeClaim('later', at(2_000)))).claimed, false);
      assert.equal((await store.claimIdempotencyKey(makeClaim('done', at(2_000)))).claimed, true);
    });
  });
}
