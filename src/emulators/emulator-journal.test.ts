// The emulator journal's bounds: entries by count and by body bytes, and large bodies kept as excerpts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EmulatorJournal, JOURNAL_BODY_BYTES_LIMIT, JOURNAL_EXCERPT_BYTES, JOURNAL_LIMIT, toJournalBody, type JournalEntry } from './emulator-journal.ts';

function entry(id: number, raw: Buffer): JournalEntry {
  return {
    id: `req_${id}`,
    method: 'POST',
    path: '/v1/chat/completions',
    query: {},
    headers: {},
    ...toJournalBody(raw, { size: raw.length }),
    status: null,
    stream: false,
    chunks_sent: 0,
    outcome: null,
    started_at: new Date(0).toISOString(),
    ended_at: null,
  };
}

describe('EmulatorJournal', () => {
  it('keeps the last JOURNAL_LIMIT entries', () => {
    const journal = new EmulatorJournal();
    for (let index = 0; index < JOURNAL_LIMIT + 5; index++) journal.append(entry(index, Buffer.from('{}')));
    assert.equal(journal.entries().length, JOURNAL_LIMIT);
    assert.equal(journal.entries()[0]?.id, 'req_5');
  });

  it('drops the oldest entries beyond JOURNAL_BODY_BYTES_LIMIT bytes of bodies, keeping the newest', () => {
    const journal = new EmulatorJournal();
    const body = Buffer.alloc(1024 * 1024 - 1, 'a');
    for (let index = 0; index < 40; index++) journal.append(entry(index, body));
    assert.ok(journal.bodyBytes <= JOURNAL_BODY_BYTES_LIMIT);
    assert.equal(journal.entries().length, Math.floor(JOURNAL_BODY_BYTES_LIMIT / body.length));
    assert.equal(journal.entries().at(-1)?.id, 'req_39');
    journal.clear();
    assert.equal(journal.bodyBytes, 0);
    assert.equal(journal.entries().length, 0);
  });

  it('keeps a body over 1 MiB as an excerpt with its length', () => {
    const raw = Buffer.alloc(5 * 1024 * 1024, 'b');
    const kept = toJournalBody(raw, { parsed: true });
    assert.deepEqual(kept, { body: 'b'.repeat(JOURNAL_EXCERPT_BYTES), body_bytes: raw.length, body_truncated: true });
    const journal = new EmulatorJournal();
    for (let index = 0; index < 100; index++) journal.append(entry(index, raw));
    assert.equal(journal.entries().length, 100);
    assert.equal(journal.bodyBytes, 100 * JOURNAL_EXCERPT_BYTES);
    assert.deepEqual(toJournalBody(Buffer.from('{"a":1}'), { a: 1 }), { body: { a: 1 }, body_bytes: 7, body_truncated: false });
    assert.deepEqual(toJournalBody(Buffer.alloc(0), undefined), { body: null, body_bytes: 0, body_truncated: false });
  });
});
