import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { BatchWriter } from './batch-writer.ts';
import type { DecisionRow } from './decision-record.ts';
import { openSqliteStore, type SqliteStore } from './sqlite-store.ts';
import { SqliteWriteThread } from './sqlite-write-thread.ts';
import { makeLedgerEntry } from './ledger-store.case.test.ts';
import { makeDecisionRecord, makeRequestLogRow } from './store.case.test.ts';
import type { RequestLogRow } from './store.ts';

const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'crossway-sqlite-write-thread-'));
after(() => fs.rmSync(directory, { recursive: true, force: true }));
let files = 0;
const nextPath = () => path.join(directory, `store-${++files}.db`);

/** A migrated file store (reads go through it) and a write thread of its own on the same file. */
async function openPair(): Promise<{ store: SqliteStore; thread: SqliteWriteThread; close(): Promise<void> }> {
  const store = await openSqliteStore(nextPath());
  await store.migrate();
  const thread = new SqliteWriteThread(store.path);
  return {
    store,
    thread,
    close: async () => {
      await thread.close();
      await store.close();
    },
  };
}

const rows = (count: number, prefix: string): RequestLogRow[] =>
  Array.from({ length: count }, (_, index) => makeRequestLogRow({ id: `${prefix}${String(index).padStart(7, '0')}` }));
const decision = (id: string): DecisionRow => ({ created_at: '2026-05-15T12:00:00.000Z', record: makeDecisionRecord({ id }) });
/** Resolves once another connection holds the file's write lock, i.e. the worker is inside its transaction. */
async function waitForWriteTransaction(file: string): Promise<void> {
  const probe = new DatabaseSync(file);
  try {
    // 30 s: only a broken run reaches it, however slow the machine.
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(1)) {
      try {
        probe.exec('begin immediate');
        probe.exec('rollback');
      } catch {
        return; // SQLITE_BUSY: busy_timeout is 0 on this connection
      }
    }
    throw new Error('the worker never started its transaction');
  } finally {
    probe.close();
  }
}

const countRows = async (store: SqliteStore) => (await store.listRequestLogs({ limit: 1_000_000 })).length;

describe('SqliteWriteThread', () => {
  it('commits before it resolves: the reading connection sees the rows at once', async () => {
    const { store, thread, close } = await openPair();
    await thread.insertRequestLogs(rows(300, 'r'), false);
    await thread.insertDecisions([decision('dec_1')], false);
    assert.equal(await countRows(store), 300);
    assert.deepEqual(await store.getDecision('dec_1'), decision('dec_1').record);
    assert.equal(await thread.pruneDecisions('2026-05-16T00:00:00.000Z'), 1);
    assert.equal(await store.getDecision('dec_1'), null);
    await close();
  });

  it('commits on another thread, leaving the event loop free', async () => {
    const { store, thread, close } = await openPair();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    await thread.insertRequestLogs(rows(50_000, 'big'), false);
    clearInterval(ticker);
    // The same commit on the event loop would let no timer run until it ended.
    assert.ok(ticks >= 5, `only ${ticks} timer ticks while 50 000 rows committed`);
    assert.equal(await countRows(store), 50_000);
    await close();
  });

  it('rejects a batch with a duplicate id whole, with node:sqlite codes, and writes none of it', async () => {
    const { store, thread, close } = await openPair();
    await thread.insertRequestLogs([makeRequestLogRow({ id: 'existing' })], false);
    const batch = [...rows(10, 'new'), makeRequestLogRow({ id: 'existing' })];
    await assert.rejects(thread.insertRequestLogs(batch, false), { code: 'ERR_SQLITE_ERROR', errstr: 'constraint failed', message: /UNIQUE/ });
    await assert.rejects(thread.insertDecisions([decision('dec_twin'), decision('dec_twin')], false), { errstr: 'constraint failed' });
    assert.deepEqual(
      (await store.listRequestLogs({ limit: 100 })).map((row) => row.id),
      ['existing'],
    );
    assert.equal(await store.getDecision('dec_twin'), null);
    // The worker stays usable, and skipDuplicates writes the rest.
    await thread.insertRequestLogs(batch, true);
    assert.equal(await countRows(store), 11);
    await close();
  });

  it('lets pending writes commit on close, then rejects later ones', async () => {
    const { store, thread } = await openPair();
    const writes = [1, 2, 3].map((batch) => thread.insertRequestLogs(rows(2_000, `b${batch}-`), false));
    await thread.close();
    await Promise.all(writes);
    assert.equal(await countRows(store), 6_000);
    await assert.rejects(thread.insertRequestLogs(rows(1, 'late'), false), /is closed/);
    await thread.close();
    await store.close();
  });

  it('rejects the writes a terminated worker leaves, rolls them back, and starts a new worker for the next write', async () => {
    const { store, thread, close } = await openPair();
    await thread.insertRequestLogs(rows(1, 'before'), false);
    const interrupted = thread.insertRequestLogs(rows(200_000, 'lost'), false);
    await waitForWriteTransaction(store.path);
    await thread.terminate();
    await assert.rejects(interrupted, /stopped \(exit code 1\) before it answered/);
    // Had the dead worker kept its transaction (and the write lock), this would wait out the busy timeout and fail.
    await thread.insertRequestLogs(rows(1, 'after'), false);
    assert.deepEqual((await store.listRequestLogs({ limit: 10 })).map((row) => row.id).sort(), ['after0000000', 'before0000000']);
    await close();
  });

  it('loses no row through a crash when a BatchWriter retries', async () => {
    const { store, thread, close } = await openPair();
    const writer = new BatchWriter<RequestLogRow>((batch, options) => thread.insertRequestLogs(batch, options.skipDuplicates), {
      maxBatch: 100_000,
      maxQueue: 100_000,
      flushIntervalMs: 60_000,
      logger: { warn() {}, error() {} },
    });
    for (const row of rows(100_000, 'kept')) writer.record(row);
    await assert.rejects(Promise.all([writer.flush(), waitForWriteTransaction(store.path).then(() => thread.terminate())]));
    assert.equal(writer.stats.queued, 100_000);
    await writer.close();
    assert.equal(await countRows(store), 100_000);
    await close();
  });

  it('rejects every write while the worker cannot open the database', async () => {
    const thread = new SqliteWriteThread(directory); // a directory is no SQLite file
    await assert.rejects(thread.insertRequestLogs(rows(1, 'r'), false), /unable to open database file/);
    await assert.rejects(thread.insertRequestLogs(rows(1, 'r'), false), /unable to open database file/);
    await thread.close();
  });

  it('answers a ledger commit before the log batches queued ahead of it, and still every write', async () => {
    const { store, thread, close } = await openPair();
    const settled: string[] = [];
    const track = <T>(label: string, promise: Promise<T>) =>
      promise.then((value) => {
        settled.push(label);
        return value;
      });
    // The first batch keeps the worker busy for a while; the writes posted behind it meanwhile queue together.
    const busy = track('busy', thread.insertRequestLogs(rows(20_000, 'a'), false));
    await waitForWriteTransaction(store.path);
    const logs = track('logs', thread.insertRequestLogs(rows(2_000, 'b'), false));
    const decisions = track('decisions', thread.insertDecisions([decision('dec_queued')], false));
    const ledger = track('ledger', thread.commitLedger([makeLedgerEntry({ id: 'evt_queued' })]));
    assert.deepEqual(await Promise.all([busy, logs, decisions, ledger]), [undefined, undefined, undefined, [{ outcome: 'committed' }]]);
    assert.deepEqual(settled, ['busy', 'ledger', 'logs', 'decisions']);
    assert.equal(await countRows(store), 22_000);
    assert.notEqual(await store.getDecision('dec_queued'), null);
    await close();
  });

  it('keeps a write other than a log batch in its place: a ledger commit never overtakes it', async () => {
    const { store, thread, close } = await openPair();
    const settled: string[] = [];
    const track = <T>(label: string, promise: Promise<T>) =>
      promise.then((value) => {
        settled.push(label);
        return value;
      });
    const busy = track('busy', thread.insertRequestLogs(rows(20_000, 'a'), false));
    await waitForWriteTransaction(store.path);
    const logs = track('logs', thread.insertRequestLogs(rows(10, 'b'), false));
    const statement = track('statement', thread.runStatements([{ sql: "insert into settings (name, value) values ('probe', 'x')", parameters: [] }]));
    const ledger = track('ledger', thread.commitLedger([makeLedgerEntry({ id: 'evt_after' })]));
    await Promise.all([busy, logs, statement, ledger]);
    assert.deepEqual(settled, ['busy', 'logs', 'statement', 'ledger']);
    await close();
  });

  it('sends a ledger commit and the log batches waiting for a message in one message', async () => {
    const { store, thread, close } = await openPair();
    await thread.readPragmas();
    const before = thread.messages;
    const logs = thread.insertRequestLogs(rows(5, 'c'), false);
    const decisions = thread.insertDecisions([decision('dec_carried')], false);
    const ledger = thread.commitLedger([makeLedgerEntry({ id: 'evt_carrier' })]);
    assert.deepEqual(await Promise.all([logs, decisions, ledger]), [undefined, undefined, [{ outcome: 'committed' }]]);
    assert.equal(thread.messages - before, 1);
    assert.equal(await countRows(store), 5);
    assert.notEqual(await store.getDecision('dec_carried'), null);
    await close();
  });

  it('holds a log batch while a ledger commit is in flight for the next one to carry, and sends it alone when none comes', async () => {
    const { store, thread, close } = await openPair();
    await thread.readPragmas();
    const before = thread.messages;
    const first = thread.commitLedger([makeLedgerEntry({ id: 'evt_first' })]);
    const logs = thread.insertRequestLogs(rows(3, 'held'), false);
    // As the ledger does: its next commit is posted as the answer to the one in flight arrives.
    const second = first.then(() => thread.commitLedger([makeLedgerEntry({ id: 'evt_second' })]));
    await Promise.all([logs, second]);
    assert.equal(thread.messages - before, 2);
    await thread.insertRequestLogs(rows(2, 'alone'), false);
    assert.equal(thread.messages - before, 3);
    assert.equal(await countRows(store), 5);
    await close();
  });

  it('goes back to synchronous=FULL for the writes after a log batch (which commits with NORMAL)', async () => {
    const { thread, close } = await openPair();
    await thread.insertRequestLogs(rows(1, 'n'), false);
    // readPragmas reports the mode a ledger commit or any other write runs with.
    assert.equal((await thread.readPragmas()).synchronous, 2);
    await close();
  });

  it('keeps the process alive while a write is pending, and not once it is idle', () => {
    const file = nextPath();
    const storeModule = fileURLToPath(new URL('./sqlite-store.ts', import.meta.url));
    // The store is never closed: the idle worker must not hold the process. A top-level await on a write to a worker
    // that is up and idle must still see the commit (an unref'd worker alone would let the process end before it).
    const script =
      `
      const { openSqliteStore } = await import(${JSON.stringify(storeModule)});
      const store = await openSqliteStore(${JSON.stringify(file)});
      await store.migrate();
      const decision = (id) => ({ created_at: '2026-05-15T12:00:00.000Z', ` +
      `record: { id, model: 'm', at: '', constraints: {}, kept: [], rejected: [], attempts: [] } });
      await store.insertDecisions([decision('dec_first')]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await store.insertDecisions([decision('dec_idle')]);
      console.log((await store.getDecision('dec_idle')).id);
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000, encoding: 'utf8' });
    assert.equal(output.trim(), 'dec_idle');
  });
});
