import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { openSqliteStore, type RequestLogRow, type RequestStatsRecord, type SqliteStore } from '../store/index.ts';
import { buildRequestStats, toRequestStatsQuery } from './build-request-stats.ts';
import { RequestStatsCache } from './request-stats-cache.ts';

function row(createdAt: string, duration = 100): RequestLogRow {
  return {
    id: `req_${randomBytes(16).toString('hex')}`,
    created_at: createdAt,
    endpoint: 'chat.completions',
    model: 'gpt-5.5',
    route: 'r',
    attempts: 1,
    status: 200,
    error_code: null,
    stream: false,
    prompt_tokens: 1,
    completion_tokens: 1,
    cached_tokens: 0,
    duration_ms: duration,
    ttfb_ms: null,
    tenant_id: 'acme',
  };
}

// Timings in a stable order: the cache concatenates settled and fresh parts, the store answers in index order.
const normalize = (record: RequestStatsRecord) => ({
  ...record,
  timings: record.timings.map((timing) => JSON.stringify([timing.bucket, timing.duration_ms, timing.ttfb_ms, timing.upstream_ms])).sort(),
});

describe('RequestStatsCache', () => {
  let store: SqliteStore;
  beforeEach(async () => {
    store = await openSqliteStore(':memory:');
    await store.migrate();
  });
  afterEach(() => store.close());

  it('answers what the store answers, then reads only the buckets still filling', async () => {
    const cache = new RequestStatsCache();
    const now = new Date('2026-05-15T12:30:10.000Z');
    // 1h window in 1-minute buckets: rows 50, 20 and 0.1 minutes before now.
    await store.insertRequestLogs([row('2026-05-15T11:40:10.000Z'), row('2026-05-15T12:10:10.000Z', 300), row('2026-05-15T12:30:04.000Z', 50)]);
    const query = toRequestStatsQuery('1h', now, undefined);
    assert.deepEqual(normalize(await cache.read(store, query, now.getTime())), normalize(await store.readRequestStats(query)));

    // A row in a settled bucket (as none can arrive) is not read again; one in the filling bucket is.
    await store.insertRequestLogs([row('2026-05-15T12:10:20.000Z'), row('2026-05-15T12:30:06.000Z')]);
    const later = new Date('2026-05-15T12:30:15.000Z');
    const again = await cache.read(store, toRequestStatsQuery('1h', later, undefined), later.getTime());
    const bucketOf = (record: RequestStatsRecord, minute: number) => record.buckets.find((bucket) => bucket.bucket === minute)?.requests;
    assert.equal(bucketOf(again, 39), 1, 'the settled bucket of 12:10 as first read');
    assert.equal(bucketOf(again, 59), 2, 'the filling bucket of 12:30 read again');
    assert.equal(bucketOf(await store.readRequestStats(query), 39), 2);
  });

  it('slides with the window: buckets that left it are dropped, new ones read', async () => {
    const cache = new RequestStatsCache();
    await store.insertRequestLogs([row('2026-05-15T11:31:30.000Z'), row('2026-05-15T12:00:00.000Z')]);
    const first = new Date('2026-05-15T12:30:10.000Z');
    await cache.read(store, toRequestStatsQuery('1h', first, undefined), first.getTime());
    const later = new Date('2026-05-15T12:33:10.000Z');
    const query = toRequestStatsQuery('1h', later, undefined);
    await store.insertRequestLogs([row('2026-05-15T12:33:00.000Z')]);
    const slid = await cache.read(store, query, later.getTime());
    assert.deepEqual(normalize(slid), normalize(await store.readRequestStats(query)));
    assert.equal(
      slid.buckets.reduce((sum, bucket) => sum + bucket.requests, 0),
      2,
    );
  });

  it('folds its minute slots into longer buckets: the same answer as the store read at the bucket size', async () => {
    const cache = new RequestStatsCache();
    const now = new Date('2026-05-15T12:30:10.000Z');
    await store.insertRequestLogs([
      row('2026-05-15T12:00:10.000Z', 10),
      row('2026-05-15T12:05:10.000Z', 20),
      row('2026-05-15T12:14:59.000Z', 30),
      { ...row('2026-05-15T12:29:00.000Z', 40), status: 500 },
    ]);
    for (const at of [now, new Date('2026-05-15T12:31:40.000Z')]) {
      const query = toRequestStatsQuery('24h', at, undefined);
      assert.deepEqual(
        buildRequestStats('24h', query, await cache.read(store, query, at.getTime())),
        buildRequestStats('24h', query, await store.readRequestStats(query)),
      );
    }
  });

  it('keeps windows apart by tenant and size', async () => {
    const cache = new RequestStatsCache();
    const now = new Date('2026-05-15T12:30:10.000Z');
    await store.insertRequestLogs([row('2026-05-15T12:10:10.000Z'), { ...row('2026-05-15T12:10:10.000Z'), tenant_id: 'globex' }]);
    const all = await cache.read(store, toRequestStatsQuery('1h', now, undefined), now.getTime());
    const acme = await cache.read(store, toRequestStatsQuery('1h', now, 'acme'), now.getTime());
    const wide = await cache.read(store, toRequestStatsQuery('24h', now, 'acme'), now.getTime());
    assert.equal(all.buckets[0]?.requests, 2);
    assert.equal(acme.buckets[0]?.requests, 1);
    assert.equal(wide.buckets[0]?.requests, 1);
  });
});
