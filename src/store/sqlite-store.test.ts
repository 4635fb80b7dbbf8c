import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { makeRequestLogRow, runStoreTests } from './store.case.test.ts';
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
});
