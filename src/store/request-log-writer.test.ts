import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RequestLogWriter, type RequestLogWriterLogger } from './request-log-writer.ts';
import { openSqliteStore } from './sqlite-store.ts';
import { makeRequestLogRow } from './store.case.test.ts';
import type { RequestLogRow, Store } from './store.ts';

/** A store that records each transaction and fails on demand. */
class FakeStore implements Pick<Store, 'insertRequestLogs'> {
  readonly batches: string[][] = [];
  failing = false;

  async insertRequestLogs(rows: readonly RequestLogRow[]): Promise<void> {
    await sleep(1);
    if (this.failing) throw new Error('database is locked');
    this.batches.push(rows.map((row) => row.id));
  }

  get ids(): string[] {
    return this.batches.flat();
  }
}

function makeLogger() {
  const entries: { level: 'warn' | 'error'; fields: object; message: string }[] = [];
  const logger: RequestLogWriterLogger = {
    warn: (fields, message) => entries.push({ level: 'warn', fields, message }),
    error: (fields, message) => entries.push({ level: 'error', fields, message }),
  };
  return { entries, logger };
}

const rows = (count: number, prefix = 'r') => Array.from({ length: count }, (_, index) => makeRequestLogRow({ id: `${prefix}${index}` }));

/** Waits until `condition` holds; the deadline (30 s) only ends a broken run, however slow the machine. */
async function waitFor(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(2);
  }
}

describe('RequestLogWriter', () => {
  it('writes many records in few transactions, in recording order', async () => {
    const store = new FakeStore();
    const writer = new RequestLogWriter(store, { maxBatch: 100 });
    const recorded = rows(1_000);
    for (const row of recorded) writer.record(row);
    await writer.flush();
    assert.equal(store.batches.length, 10);
    assert.deepEqual(
      store.ids,
      recorded.map((row) => row.id),
    );
    assert.deepEqual(writer.stats, { queued: 0, written: 1_000, dropped: 0, batches: 10, failures: 0 });
    await writer.close();
  });

  it('writes on its timer without being asked', async () => {
    const store = new FakeStore();
    const writer = new RequestLogWriter(store, { flushIntervalMs: 5 });
    for (const row of rows(3)) writer.record(row);
    await waitFor(() => store.ids.length === 3);
    assert.equal(store.batches.length, 1);
    await writer.close();
  });

  it('writes a full batch without waiting for the timer', async () => {
    const store = new FakeStore();
    const writer = new RequestLogWriter(store, { maxBatch: 10, flushIntervalMs: 60_000 });
    for (const row of rows(25)) writer.record(row);
    await waitFor(() => store.ids.length >= 20);
    assert.deepEqual(
      store.batches.slice(0, 2).map((batch) => batch.length),
      [10, 10],
    );
    await writer.close();
    assert.equal(store.ids.length, 25);
  });

  it('persists everything on close and drops what comes after', async () => {
    const store = new FakeStore();
    const { entries, logger } = makeLogger();
    const writer = new RequestLogWriter(store, { flushIntervalMs: 60_000, logger });
    for (const row of rows(300)) writer.record(row);
    await writer.close();
    assert.equal(store.ids.length, 300);
    writer.record(makeRequestLogRow({ id: 'late-1' }));
    writer.record(makeRequestLogRow({ id: 'late-2' }));
    assert.equal(writer.stats.dropped, 2);
    assert.equal(entries.filter((entry) => entry.level === 'warn').length, 1);
    await writer.close();
  });

  it('keeps rows through a failed flush and writes them once the store recovers', async () => {
    const store = new FakeStore();
    const { logger } = makeLogger();
    const writer = new RequestLogWriter(store, { flushIntervalMs: 60_000, logger });
    const recorded = rows(5);
    for (const row of recorded) writer.record(row);
    store.failing = true;
    await assert.rejects(writer.flush(), /database is locked/);
    assert.equal(writer.stats.queued, 5);
    writer.record(makeRequestLogRow({ id: 'later' }));
    store.failing = false;
    await writer.flush();
    assert.deepEqual(store.ids, [...recorded.map((row) => row.id), 'later']);
    await writer.close();
  });

  it('logs background failures and retries with backoff until it succeeds', async () => {
    const store = new FakeStore();
    const { entries, logger } = makeLogger();
    const writer = new RequestLogWriter(store, { flushIntervalMs: 2, maxRetryDelayMs: 10, logger });
    store.failing = true;
    for (const row of rows(4)) writer.record(row);
    await waitFor(() => writer.stats.failures >= 2);
    store.failing = false;
    await waitFor(() => store.ids.length === 4);
    const errors = entries.filter((entry) => entry.level === 'error');
    assert.ok(errors.length >= 2);
    assert.match(errors[0]?.message ?? '', /rows kept/);
    await writer.close();
  });

  it('drops the oldest rows beyond maxQueue, with one counted warning per attempt', async () => {
    const store = new FakeStore();
    const { entries, logger } = makeLogger();
    const writer = new RequestLogWriter(store, { maxQueue: 10, flushIntervalMs: 60_000, logger });
    store.failing = true;
    for (const row of rows(15)) writer.record(row);
    store.failing = false;
    await writer.flush();
    assert.deepEqual(
      store.ids,
      rows(15)
        .slice(5)
        .map((row) => row.id),
    );
    assert.equal(writer.stats.dropped, 5);
    const warnings = entries.filter((entry) => entry.level === 'warn');
    assert.equal(warnings.length, 1);
    assert.deepEqual(warnings[0]?.fields, { dropped: 5, droppedTotal: 5 });
    await writer.close();
  });

  it('does not keep the process alive while rows wait for the timer', () => {
    const writerModule = fileURLToPath(new URL('./request-log-writer.ts', import.meta.url));
    const script = `
      const { RequestLogWriter } = await import(${JSON.stringify(writerModule)});
      const writer = new RequestLogWriter({ insertRequestLogs: async () => {} }, { flushIntervalMs: 60000 });
      writer.record({ id: 'x' });
    `;
    const started = Date.now();
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 });
    assert.ok(Date.now() - started < 10_000);
  });

  it('commits to a real SQLite store', async () => {
    const store = await openSqliteStore(':memory:');
    await store.migrate();
    const writer = new RequestLogWriter(store, { maxBatch: 64 });
    for (const row of rows(500)) writer.record(row);
    await writer.close();
    assert.equal((await store.listRequestLogs({ limit: 1_000 })).length, 500);
    await store.close();
  });
});
