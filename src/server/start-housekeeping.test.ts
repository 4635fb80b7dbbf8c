// Housekeeping on two replicas over one store: only the holder of the housekeeping lease prunes, and the other takes
// over once the holder stops.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { waitFor } from '../../test/support/wait-for.ts';
import { openSqliteStore, type Store } from '../store/index.ts';
import { makeRequestLogRow } from '../store/store.case.test.ts';
import { makeAuditRecord, makeDashboardSession } from '../store/auth-store.case.test.ts';
import { type Housekeeping, startHousekeeping } from './start-housekeeping.ts';

const logger = pino({ level: 'silent' });

describe('startHousekeeping on two replicas', () => {
  let store: Store;
  const running: Housekeeping[] = [];
  beforeEach(async () => {
    store = await openSqliteStore(':memory:');
    await store.migrate();
  });
  afterEach(async () => {
    for (const housekeeping of running.splice(0)) await housekeeping.stop();
    await store.close();
  });

  /** The store as one replica sees it, counting the rounds it prunes in. */
  function replicaStore(rounds: { count: number }): Store {
    return new Proxy(store, {
      get(target, property) {
        if (property === 'pruneIdempotencyKeys')
          return (before: string) => {
            rounds.count += 1;
            return target.pruneIdempotencyKeys(before);
          };
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  function start(replicaId: string, rounds: { count: number }): Housekeeping {
    const housekeeping = startHousekeeping(
      replicaStore(rounds),
      logger,
      { requestLogRetentionDays: 7, conversationRetentionDays: 30, replicaId, intervalMs: 20 },
      () => {},
    );
    running.push(housekeeping);
    return housekeeping;
  }

  it('prunes on the lease holder only, and on the other replica once the holder stops', async () => {
    const a = { count: 0 };
    const b = { count: 0 };
    const first = start('replica-a', a);
    start('replica-b', b);
    await waitFor('five housekeeping rounds', () => a.count + b.count >= 5);
    assert.ok(a.count === 0 || b.count === 0, `both replicas pruned: a ${a.count}, b ${b.count}`);
    assert.equal(a.count, a.count + b.count, 'the replica started first holds the lease');

    await first.stop();
    const stopped = a.count;
    const before = b.count;
    await waitFor('the other replica to take over', () => b.count > before + 2);
    assert.equal(a.count, stopped, 'a stopped replica prunes no more');
  });

  it('deletes what has expired', async () => {
    await store.insertRequestLogs([
      makeRequestLogRow({ id: 'req_old', created_at: '2000-01-01T00:00:00.000Z' }),
      makeRequestLogRow({ id: 'req_new', created_at: new Date().toISOString() }),
    ]);
    start('replica-a', { count: 0 });
    await waitFor('the old request-log row to go', async () => (await store.listRequestLogs({ limit: 10 })).length === 1);
    assert.deepEqual(
      (await store.listRequestLogs({ limit: 10 })).map((row) => row.id),
      ['req_new'],
    );
  });

  it('prunes audit entries past audit.retention_days and dashboard sessions that ended', async () => {
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    await store.insertAuditRecord(makeAuditRecord({ id: 'aud_old', created_at: iso(now - 400 * 86_400_000) }));
    await store.insertAuditRecord(makeAuditRecord({ id: 'aud_new', created_at: iso(now) }));
    const session = { created_at: iso(now), last_seen_at: iso(now), expires_at: iso(now + 3_600_000) };
    await store.insertDashboardSession(makeDashboardSession({ id_hash: 'live', subject: 'a', ...session }), 10);
    await store.insertDashboardSession(makeDashboardSession({ id_hash: 'ended', subject: 'b', ...session, expires_at: iso(now - 1000) }), 10);
    await store.insertDashboardSession(makeDashboardSession({ id_hash: 'idle', subject: 'c', ...session, last_seen_at: iso(now - 7_200_000) }), 10);
    const housekeeping = startHousekeeping(
      store,
      logger,
      { requestLogRetentionDays: 7, conversationRetentionDays: undefined, auditRetentionDays: 365, sessionIdleSeconds: 3600, replicaId: 'a', intervalMs: 20 },
      () => {},
    );
    running.push(housekeeping);
    await waitFor('the old audit entry to go', async () => (await store.listAuditRecords({ limit: 10 })).length === 1);
    await waitFor(
      'the ended sessions to go',
      async () => (await store.getDashboardSession('idle')) === null && (await store.getDashboardSession('ended')) === null,
    );
    assert.deepEqual(
      (await store.listAuditRecords({ limit: 10 })).map((entry) => entry.id),
      ['aud_new'],
    );
    assert.notEqual(await store.getDashboardSession('live'), null);
  });
});
