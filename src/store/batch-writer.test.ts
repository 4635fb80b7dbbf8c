import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchWriter, type BatchWriterLogger } from './batch-writer.ts';

// The group-commit behaviour itself (batching, timer, retries, queue bound, unref) is covered through RequestLogWriter
// in request-log-writer.test.ts; these cases cover what BatchWriter adds for other row types.
describe('BatchWriter', () => {
  it('finds rows that are queued or being written, and forgets them once committed', async () => {
    const committed: string[] = [];
    let release: () => void = () => {};
    const writer = new BatchWriter<{ id: string; n: number }>(
      async (rows) => {
        await new Promise<void>((resolve) => (release = resolve));
        committed.push(...rows.map((row) => row.id));
      },
      { maxBatch: 2, flushIntervalMs: 60_000 },
    );
    writer.record({ id: 'a', n: 1 });
    writer.record({ id: 'b', n: 2 }); // a full batch: its write starts at once and waits for release()
    writer.record({ id: 'c', n: 3 });
    while (writer.stats.queued > 1) await sleep(1);
    await sleep(5);
    assert.equal(writer.stats.queued, 1);
    assert.deepEqual(
      writer.findPending((row) => row.id === 'a'),
      { id: 'a', n: 1 },
    );
    assert.deepEqual(
      writer.findPending((row) => row.id === 'c'),
      { id: 'c', n: 3 },
    );
    assert.equal(
      writer.findPending((row) => row.id === 'z'),
      undefined,
    );
    const flushed = writer.flush();
    while (committed.length < 3) {
      release();
      await sleep(1);
    }
    await flushed;
    assert.deepEqual(committed, ['a', 'b', 'c']);
    assert.equal(
      writer.findPending((row) => row.id === 'a'),
      undefined,
    );
    await writer.close();
  });

  it('passes skipDuplicates and names its rows in log messages', async () => {
    const entries: string[] = [];
    const logger: BatchWriterLogger = { warn: (_fields, message) => entries.push(message), error: (_fields, message) => entries.push(message) };
    const seen: boolean[] = [];
    const writer = new BatchWriter<number>(async (_rows, options) => void seen.push(options.skipDuplicates), { label: 'decision', logger });
    writer.record(1);
    await writer.close();
    writer.record(2);
    assert.deepEqual(seen, [true]);
    assert.deepEqual(entries, ['decision writer is closed; this row and any later ones are dropped']);
  });
});
