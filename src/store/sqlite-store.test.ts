import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { makeDecisionRecord, makeRequestLogRow, runStoreTests } from './store.case.test.ts';
import { openSqliteStore } from './sqlite-store.ts';

const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'crossway-sqlite-store-'));
after(() => fs.rmSync(directory, { recursive: true, force: true }));
let files = 0;
const nextPath = () => path.join(directory, 'nested', `store-${++files}.db`);

runStoreTests({ name: 'SqliteStore (file)', open: () => openSqliteStore(nextPath()) });
runStoreTests({ name: 'SqliteStore (:memory:)', open: () => openSqliteStore(':memory:') });

describe('openSqliteStore', () => {
  it('creates the parent directory, uses WAL and keeps data across reopening', async () => {
    const file = nextPath();
    const store = await openSqliteStore(file);
    await store.migrate();
    await store.insertRequestLogs([makeRequestLogRow({ id: 'kept', stream: true })]);
    await store.close();

    const raw = new DatabaseSync(file);
    assert.equal(raw.prepare('pragma journal_mode').get()?.journal_mode, 'wal');
    raw.close();

    const reopened = await openSqliteStore(file);
    await reopened.migrate();
    assert.deepEqual(await reopened.listRequestLogs({ limit: 10 }), [makeRequestLogRow({ id: 'kept', stream: true })]);
    await reopened.close();
  });

  it('writes a file through its worker and lets pending writes commit on close', async () => {
    const file = nextPath();
    const store = await openSqliteStore(file);
    await store.migrate();
    const decision = { created_at: '2026-05-15T12:00:00.000Z', record: makeDecisionRecord({ id: 'dec_pending' }) };
    const writes = [
      store.insertRequestLogs(Array.from({ length: 1_000 }, (_, index) => makeRequestLogRow({ id: `pending-${index}` }))),
      store.insertDecisions([decision]),
    ];
    await store.close();
    await Promise.all(writes);
    await assert.rejects(store.insertRequestLogs([makeRequestLogRow({ id: 'late' })]), /closed/);

    const reopened = await openSqliteStore(file);
    assert.equal((await reopened.listRequestLogs({ limit: 2_000 })).length, 1_000);
    assert.deepEqual(await reopened.getDecision('dec_pending'), decision.record);
    await reopened.close();
  });
});
