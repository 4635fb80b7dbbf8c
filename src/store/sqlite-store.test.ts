import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeLedgerEntry } from './ledger-store.case.test.ts';
import { openSqliteDatabase } from './open-sqlite-database.ts';
import { makeDecisionRecord, makeRequestLogRow, runStoreTests } from './store.case.test.ts';
import { openSqliteStore } from './sqlite-store.ts';
import { SqliteWriteThread } from './sqlite-write-thread.ts';
import { makeApiKey } from './tenancy-store.case.test.ts';

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

  it('creates its directories 0700 and the database with its -wal and -shm files 0600, whatever the umask allows', async () => {
    // A umask of 0 would let SQLite's default mode (0644) through unchanged: the modes must come from the store.
    const previous = process.umask(0);
    try {
      const file = path.join(directory, 'private', 'deeper', 'crossway.db');
      const store = await openSqliteStore(file);
      await store.migrate();
      await store.insertRequestLogs([makeRequestLogRow({ id: 'private' })]);
      for (const name of [file, `${file}-wal`, `${file}-shm`]) assert.equal(fs.statSync(name).mode & 0o777, 0o600, name);
      for (const name of [path.dirname(file), path.join(directory, 'private')]) assert.equal(fs.statSync(name).mode & 0o777, 0o700, name);
      await store.close();
    } finally {
      process.umask(previous);
    }
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

describe('SqliteStore ledger durability', () => {
  it('keeps committed ledger entries across closing and reopening', async () => {
    const file = nextPath();
    const store = await openSqliteStore(file);
    await store.migrate();
    const entries = [makeLedgerEntry({ id: 'evt_1' }, { shares: { a1: 2n ** 40n } }), makeLedgerEntry({ id: 'evt_2', currency: 'EUR' })];
    assert.deepEqual(
      (await store.commitLedger(entries)).map((result) => result.outcome),
      ['committed', 'committed'],
    );
    const before = { balances: await store.listAccountBalances(), accruals: await store.listAgreementAccruals() };
    await store.close();

    const reopened = await openSqliteStore(file);
    await reopened.migrate();
    assert.deepEqual(
      await reopened.listUsageEvents({ limit: 10 }),
      entries.map((entry) => entry.event),
    );
    assert.equal((await reopened.listTransfers({ limit: 10 })).length, 5);
    assert.deepEqual({ balances: await reopened.listAccountBalances(), accruals: await reopened.listAgreementAccruals() }, before);
    assert.deepEqual(
      (await reopened.commitLedger(entries)).map((result) => result.outcome),
      ['replayed', 'replayed'],
    );
    await reopened.close();
  });

  it('keeps an entry whose commit resolved when the process is killed right afterwards', async () => {
    const file = nextPath();
    const modules = {
      store: fileURLToPath(new URL('./sqlite-store.ts', import.meta.url)),
      cases: fileURLToPath(new URL('./ledger-store.case.test.ts', import.meta.url)),
    };
    // SIGKILL right after the commit resolves: no close, no checkpoint, no exit handler.
    const script = `
      const { openSqliteStore } = await import(${JSON.stringify(modules.store)});
      const { makeLedgerEntry } = await import(${JSON.stringify(modules.cases)});
      const store = await openSqliteStore(${JSON.stringify(file)});
      await store.migrate();
      await store.commitLedger([makeLedgerEntry({ id: 'evt_killed', charged: 2n ** 50n })]);
      process.kill(process.pid, 'SIGKILL');
    `;
    assert.throws(() => execFileSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000, stdio: 'pipe' }), { signal: 'SIGKILL' });
    const reopened = await openSqliteStore(file);
    await reopened.migrate();
    assert.deepEqual(
      (await reopened.listUsageEvents({ limit: 10 })).map((event) => [event.id, event.charged]),
      [['evt_killed', 2n ** 50n]],
    );
    await reopened.close();
  });

  it('commits on the worker with synchronous=FULL, while the reading connection keeps NORMAL', async () => {
    const file = nextPath();
    const store = await openSqliteStore(file);
    await store.migrate();
    const thread = new SqliteWriteThread(file);
    assert.deepEqual(await thread.readPragmas(), { journal_mode: 'wal', synchronous: 2, busy_timeout: 5000 });
    await thread.close();
    await store.close();

    const reading = openSqliteDatabase(file);
    const full = openSqliteDatabase(file, { synchronous: 'full' });
    assert.equal(reading.prepare('pragma synchronous').get()?.synchronous, 1);
    assert.equal(full.prepare('pragma synchronous').get()?.synchronous, 2);
    reading.close();
    full.close();
  });

  it('passes node:sqlite error codes back from the worker for tenancy writes', async () => {
    const store = await openSqliteStore(nextPath());
    await store.migrate();
    await store.insertApiKey(makeApiKey({ id: 'key_1', hash: 'taken' }));
    await assert.rejects(store.insertApiKey(makeApiKey({ id: 'key_2', hash: 'taken' })), { code: 'ERR_SQLITE_ERROR', errstr: 'constraint failed' });
    await store.close();
  });
});

describe('SqliteStore decisions as references to their plans', () => {
  const count = (file: string, table: string) => {
    const raw = new DatabaseSync(file, { readOnly: true });
    try {
      return Number(raw.prepare(`select count(*) as count from ${table}`).get()?.count);
    } finally {
      raw.close();
    }
  };

  it('stores a plan that several decisions share once, and prunes it with the last decision that refers to it', async () => {
    const file = nextPath();
    const store = await openSqliteStore(file);
    await store.migrate();
    const shared = (id: string) => makeDecisionRecord({ id, attempts: [{ route: 'azure-swedencentral-gpt-5.5', status: 200, latency_ms: 9, error: null }] });
    const other = makeDecisionRecord({ id: 'dec_other', model: 'gpt-5.6' });
    await store.insertDecisions([
      { created_at: '2026-05-14T00:00:00.000Z', record: shared('dec_old') },
      { created_at: '2026-05-15T00:00:00.000Z', record: shared('dec_new') },
    ]);
    await store.insertDecisions([{ created_at: '2026-05-14T00:00:00.000Z', record: other }]);
    await store.insertDecisions([{ created_at: '2026-05-15T00:00:00.000Z', record: { ...shared('dec_tenant'), tenant: null } }]);
    assert.equal(count(file, 'request_decisions'), 4);
    assert.equal(count(file, 'decision_plans'), 2);
    assert.deepEqual(await store.getDecision('dec_old'), shared('dec_old'));
    assert.deepEqual(await store.getDecision('dec_tenant'), { ...shared('dec_tenant'), tenant: null });

    // dec_old goes, dec_new still refers to the shared plan; dec_other's plan has no decision left.
    assert.equal(await store.pruneDecisions('2026-05-14T12:00:00.000Z'), 2);
    assert.equal(count(file, 'decision_plans'), 1);
    assert.deepEqual(await store.getDecision('dec_new'), shared('dec_new'));
    assert.equal(await store.pruneDecisions('2026-05-16T00:00:00.000Z'), 2);
    assert.equal(count(file, 'decision_plans'), 0);
    await store.close();
  });

  it('reads and prunes the whole records stored before migration 0007', async () => {
    const file = nextPath();
    const store = await openSqliteStore(file);
    await store.migrate();
    const record = makeDecisionRecord({ id: 'dec_legacy', tenant: 'acme' });
    const raw = new DatabaseSync(file);
    raw
      .prepare('insert into decisions (id, created_at, model, record) values (?, ?, ?, ?)')
      .run(record.id, '2026-05-14T00:00:00.000Z', record.model, JSON.stringify(record));
    raw.close();
    assert.deepEqual(await store.getDecision('dec_legacy'), record);
    assert.equal(await store.pruneDecisions('2026-05-15T00:00:00.000Z'), 1);
    assert.equal(await store.getDecision('dec_legacy'), null);
    await store.close();
  });
});
