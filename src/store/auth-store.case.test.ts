// The dashboard sign-in part of the Store contract (sessions and the audit log); run by runStoreTests on every backend.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import type { AuditRecord, DashboardSessionRecord } from './auth-records.ts';
import type { Store } from './store.ts';

/** Builds a session with defaults for whatever the test does not care about. */
export function makeDashboardSession(overrides: Partial<DashboardSessionRecord> & Pick<DashboardSessionRecord, 'id_hash'>): DashboardSessionRecord {
  return {
    via: 'key',
    role: 'tenant_admin',
    tenant: 'acme',
    key_id: 'key_1',
    key_fingerprint: 'f'.repeat(64),
    subject: 'key:key_1',
    name: 'ops',
    created_at: '2026-05-01T00:00:00.000Z',
    last_seen_at: '2026-05-01T00:00:00.000Z',
    expires_at: '2026-05-01T12:00:00.000Z',
    ...overrides,
  };
}

/** Builds an audit entry with defaults for whatever the test does not care about. */
export function makeAuditRecord(overrides: Partial<AuditRecord> & Pick<AuditRecord, 'id'>): AuditRecord {
  return {
    created_at: '2026-05-01T00:00:00.000Z',
    actor: { kind: 'key', id: 'key_1', name: 'ops' },
    tenant_id: 'acme',
    action: 'key.create',
    target: { type: 'key', id: 'key_2' },
    outcome: 'ok',
    ip: '127.0.0.1',
    ...overrides,
  };
}

export function runAuthStoreTests(open: () => Promise<Store>): void {
  let store: Store;
  beforeEach(async () => {
    store = await open();
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
  });

  it('stores, reads, touches and deletes a dashboard session', async () => {
    const session = makeDashboardSession({ id_hash: 'a'.repeat(64) });
    await store.insertDashboardSession(session, 5);
    assert.deepEqual(await store.getDashboardSession(session.id_hash), session);
    await store.touchDashboardSession(session.id_hash, '2026-05-01T01:00:00.000Z');
    assert.equal((await store.getDashboardSession(session.id_hash))?.last_seen_at, '2026-05-01T01:00:00.000Z');
    // Never backwards: a late touch from another replica does not undo a newer one.
    await store.touchDashboardSession(session.id_hash, '2026-05-01T00:30:00.000Z');
    assert.equal((await store.getDashboardSession(session.id_hash))?.last_seen_at, '2026-05-01T01:00:00.000Z');
    assert.equal(await store.deleteDashboardSession(session.id_hash), true);
    assert.equal(await store.deleteDashboardSession(session.id_hash), false);
    assert.equal(await store.getDashboardSession(session.id_hash), null);
  });

  it("keeps at most maxPerSubject sessions per subject, dropping the oldest, and leaves others' alone", async () => {
    await store.insertDashboardSession(makeDashboardSession({ id_hash: 'other', subject: 'master', created_at: '2026-05-01T00:00:00.000Z' }), 2);
    for (const [index, hash] of ['s1', 's2', 's3'].entries()) {
      await store.insertDashboardSession(makeDashboardSession({ id_hash: hash, created_at: `2026-05-01T0${index}:00:00.000Z` }), 2);
    }
    assert.equal(await store.getDashboardSession('s1'), null);
    assert.notEqual(await store.getDashboardSession('s2'), null);
    assert.notEqual(await store.getDashboardSession('s3'), null);
    assert.notEqual(await store.getDashboardSession('other'), null);
  });

  it('prunes sessions past their absolute end or idle for too long', async () => {
    await store.insertDashboardSession(makeDashboardSession({ id_hash: 'expired', subject: 'a', expires_at: '2026-05-01T01:00:00.000Z' }), 5);
    await store.insertDashboardSession(makeDashboardSession({ id_hash: 'idle', subject: 'b', last_seen_at: '2026-05-01T00:10:00.000Z' }), 5);
    await store.insertDashboardSession(makeDashboardSession({ id_hash: 'live', subject: 'c', last_seen_at: '2026-05-01T01:50:00.000Z' }), 5);
    assert.equal(await store.pruneDashboardSessions('2026-05-01T02:00:00.000Z', '2026-05-01T01:00:00.000Z'), 2);
    assert.notEqual(await store.getDashboardSession('live'), null);
  });

  it('lists audit entries newest first, filtered by tenant, action and time, in pages by id', async () => {
    const entries = [
      makeAuditRecord({ id: 'aud_1', created_at: '2026-05-01T00:00:01.000Z' }),
      makeAuditRecord({
        id: 'aud_2',
        created_at: '2026-05-01T00:00:02.000Z',
        tenant_id: 'other',
        action: 'tenant.create',
        target: null,
        actor: { kind: 'master', id: null, name: null },
      }),
      makeAuditRecord({ id: 'aud_3', created_at: '2026-05-01T00:00:03.000Z', action: 'login.failed', outcome: 'denied', ip: null }),
      makeAuditRecord({ id: 'aud_4', created_at: '2026-05-01T00:00:04.000Z', tenant_id: null, action: 'config.reload', outcome: 'error' }),
    ];
    for (const entry of entries) await store.insertAuditRecord(entry);
    assert.deepEqual(await store.listAuditRecords({ limit: 10 }), [...entries].reverse());
    assert.deepEqual(
      (await store.listAuditRecords({ limit: 2 })).map((entry) => entry.id),
      ['aud_4', 'aud_3'],
    );
    assert.deepEqual(
      (await store.listAuditRecords({ limit: 10, after: 'aud_3' })).map((entry) => entry.id),
      ['aud_2', 'aud_1'],
    );
    assert.deepEqual(
      (await store.listAuditRecords({ limit: 10, tenant: 'acme' })).map((entry) => entry.id),
      ['aud_3', 'aud_1'],
    );
    assert.deepEqual(
      (await store.listAuditRecords({ limit: 10, action: 'tenant.create' })).map((entry) => entry.id),
      ['aud_2'],
    );
    assert.deepEqual(
      (await store.listAuditRecords({ limit: 10, since: '2026-05-01T00:00:02.000Z', until: '2026-05-01T00:00:04.000Z' })).map((entry) => entry.id),
      ['aud_3', 'aud_2'],
    );
    assert.equal(await store.pruneAuditRecords('2026-05-01T00:00:03.000Z'), 2);
    assert.deepEqual(
      (await store.listAuditRecords({ limit: 10 })).map((entry) => entry.id),
      ['aud_4', 'aud_3'],
    );
  });
}
