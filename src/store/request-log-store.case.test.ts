// The request log's reads for the admin API (filters, one row by id, stats windows) as part of the Store contract;
// run by runStoreTests on every backend.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, it } from 'node:test';
import { makeLedgerEntry } from './ledger-store.case.test.ts';
import type { RequestLogRow, Store } from './store.ts';
import { makeRequestLogRow } from './store.case.test.ts';

const ids = (rows: readonly RequestLogRow[]) => rows.map((row) => row.id);

export function runRequestLogStoreTests(open: () => Promise<Store>): void {
  let store: Store;
  beforeEach(async () => {
    store = await open();
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
  });

  it('keeps who made each request, its decision, provider and upstream time (0014), and null where none applies', async () => {
    const full = makeRequestLogRow({
      id: 'req_full',
      tenant_id: 'acme',
      key_id: 'key_1',
      decision_id: 'dec_1',
      provider: 'azure',
      upstream_ms: 81.6,
    });
    const bare = makeRequestLogRow({ id: 'req_bare', created_at: '2025-06-01T11:00:00.000Z' });
    await store.insertRequestLogs([full, bare]);
    assert.deepEqual(await store.listRequestLogs({ limit: 10 }), [{ ...full, upstream_ms: 82 }, bare]);
    assert.deepEqual(await store.getRequestLog('req_full'), { ...full, upstream_ms: 82 });
    assert.equal(await store.getRequestLog('req_nope'), null);
  });

  it('finds a row by id only within the tenant asked for', async () => {
    await store.insertRequestLogs([makeRequestLogRow({ id: 'req_a', tenant_id: 'acme' })]);
    assert.equal((await store.getRequestLog('req_a', 'acme'))?.id, 'req_a');
    assert.equal(await store.getRequestLog('req_a', 'globex'), null);
  });

  it('bounds a scan: the n-th newest row of the indexed filter is its end, and notBefore stops a page there', async () => {
    const at = (second: number) => `2025-06-01T12:00:${String(second).padStart(2, '0')}.000Z`;
    await store.insertRequestLogs([
      makeRequestLogRow({ id: 's1', created_at: at(1), tenant_id: 'acme', model: 'rare' }),
      makeRequestLogRow({ id: 's2', created_at: at(2), tenant_id: 'globex' }),
      makeRequestLogRow({ id: 's3', created_at: at(3), tenant_id: 'acme' }),
      makeRequestLogRow({ id: 's4', created_at: at(4), tenant_id: 'acme' }),
      makeRequestLogRow({ id: 's5', created_at: at(5), tenant_id: 'acme', model: 'rare' }),
    ]);
    assert.deepEqual(await store.findRequestLogScanEnd({ rows: 2, filter: { tenant_id: 'acme' } }), { created_at: at(4), id: 's4' });
    assert.deepEqual(await store.findRequestLogScanEnd({ rows: 3, filter: { tenant_id: 'acme', model: 'ignored' } }), { created_at: at(3), id: 's3' });
    assert.deepEqual(await store.findRequestLogScanEnd({ rows: 2, before: { created_at: at(4), id: 's4' } }), { created_at: at(2), id: 's2' });
    assert.equal(await store.findRequestLogScanEnd({ rows: 5, filter: { tenant_id: 'acme' } }), null);
    const end = { created_at: at(3), id: 's3' };
    assert.deepEqual(ids(await store.listRequestLogs({ limit: 10, notBefore: end, filter: { tenant_id: 'acme' } })), ['s5', 's4', 's3']);
    assert.deepEqual(ids(await store.listRequestLogs({ limit: 10, notBefore: end, filter: { model: 'rare' } })), ['s5']);
    assert.deepEqual(ids(await store.listRequestLogs({ limit: 10, before: end, filter: { model: 'rare' } })), ['s1']);
  });

  it('filters by tenant, key, model, route, endpoint, status ranges and time, with the cursor', async () => {
    const at = (second: number) => `2025-06-01T12:00:${String(second).padStart(2, '0')}.000Z`;
    await store.insertRequestLogs([
      makeRequestLogRow({ id: 'r1', created_at: at(1), tenant_id: 'acme', key_id: 'k1', status: 200 }),
      makeRequestLogRow({ id: 'r2', created_at: at(2), tenant_id: 'acme', key_id: 'k2', status: 429, model: 'gpt-5.5' }),
      makeRequestLogRow({ id: 'r3', created_at: at(3), tenant_id: 'globex', status: 502, route: 'bedrock-us' }),
      makeRequestLogRow({ id: 'r4', created_at: at(4), tenant_id: 'acme', key_id: 'k1', status: 200, endpoint: 'responses' }),
      makeRequestLogRow({ id: 'r5', created_at: at(5), tenant_id: 'acme', key_id: 'k1', status: 201 }),
    ]);
    const list = async (filter: object, limit = 10) => ids(await store.listRequestLogs({ limit, filter }));
    assert.deepEqual(await list({ tenant_id: 'acme' }), ['r5', 'r4', 'r2', 'r1']);
    assert.deepEqual(await list({ tenant_id: 'acme', key_id: 'k1' }), ['r5', 'r4', 'r1']);
    assert.deepEqual(await list({ model: 'gpt-5.5' }), ['r2']);
    assert.deepEqual(await list({ route: 'bedrock-us' }), ['r3']);
    assert.deepEqual(await list({ endpoint: 'responses' }), ['r4']);
    assert.deepEqual(await list({ statuses: [{ min: 200, max: 200 }] }), ['r4', 'r1']);
    assert.deepEqual(
      await list({
        statuses: [
          { min: 400, max: 499 },
          { min: 500, max: 599 },
        ],
      }),
      ['r3', 'r2'],
    );
    assert.deepEqual(await list({ statuses: [] }), []);
    assert.deepEqual(await list({ since: at(2), until: at(4) }), ['r3', 'r2']);
    const page = await store.listRequestLogs({ limit: 2, filter: { tenant_id: 'acme' } });
    assert.deepEqual(ids(page), ['r5', 'r4']);
    assert.deepEqual(ids(await store.listRequestLogs({ limit: 2, filter: { tenant_id: 'acme' }, before: page.at(-1)! })), ['r2', 'r1']);
  });

  it('reads a stats window: exact counts per bucket, every timing, usage per bucket and currency', async () => {
    // Three one-minute buckets from 12:00; rows outside the window and of another tenant must not count.
    await store.insertRequestLogs([
      makeRequestLogRow({ id: 'early', created_at: '2025-06-01T11:59:59.999Z', tenant_id: 'acme' }),
      makeRequestLogRow({ id: 'a', created_at: '2025-06-01T12:00:00.000Z', tenant_id: 'acme', duration_ms: 100, upstream_ms: 90 }),
      makeRequestLogRow({ id: 'b', created_at: '2025-06-01T12:00:59.999Z', tenant_id: 'acme', status: 503, duration_ms: 300, ttfb_ms: null }),
      makeRequestLogRow({ id: 'c', created_at: '2025-06-01T12:02:30.000Z', tenant_id: 'acme', status: 200, duration_ms: 50 }),
      makeRequestLogRow({ id: 'other', created_at: '2025-06-01T12:01:00.000Z', tenant_id: 'globex' }),
      makeRequestLogRow({ id: 'late', created_at: '2025-06-01T12:03:00.000Z', tenant_id: 'acme' }),
    ]);
    await store.commitLedger([
      makeLedgerEntry({ id: 'evt_1', tenant: 'acme', completed_at: '2025-06-01T12:00:10.000Z' }),
      makeLedgerEntry({ id: 'evt_2', tenant: 'acme', completed_at: '2025-06-01T12:02:10.000Z' }),
      makeLedgerEntry({ id: 'evt_3', tenant: 'globex', completed_at: '2025-06-01T12:02:10.000Z' }),
    ]);
    const query = { since: '2025-06-01T12:00:00.000Z', until: '2025-06-01T12:03:00.000Z', bucketSeconds: 60, sampleLimit: 100 };
    const stats = await store.readRequestStats({ ...query, tenant_id: 'acme' });
    assert.deepEqual(stats.buckets, [
      { bucket: 0, requests: 2, errors: 1 },
      { bucket: 2, requests: 1, errors: 0 },
    ]);
    assert.equal(stats.sampled, false);
    assert.deepEqual(
      stats.timings.map((timing) => [timing.bucket, timing.duration_ms, timing.ttfb_ms, timing.upstream_ms]).sort(),
      [
        [0, 100, 40, 90],
        [0, 300, null, null],
        [2, 50, 40, null],
      ].sort(),
    );
    const event = makeLedgerEntry({ id: 'evt_x' }).event;
    assert.deepEqual(
      stats.usage.map((usage) => [usage.bucket, usage.currency, usage.input_tokens, usage.output_tokens, usage.cost, usage.charged]),
      [
        [0, event.currency, event.input_tokens, event.output_tokens, event.cost, event.charged],
        [2, event.currency, event.input_tokens, event.output_tokens, event.cost, event.charged],
      ],
    );
    const everyone = await store.readRequestStats(query);
    assert.deepEqual(everyone.buckets, [
      { bucket: 0, requests: 2, errors: 1 },
      { bucket: 1, requests: 1, errors: 0 },
      { bucket: 2, requests: 1, errors: 0 },
    ]);
    assert.equal(everyone.usage.find((usage) => usage.bucket === 2)?.input_tokens, event.input_tokens * 2);
  });

  it('reads at most sampleLimit timings, evenly spread over the window, and says it sampled', async () => {
    // Ids as the gateway makes them: random hex digits at the end (the sample is chosen by them).
    const rows = Array.from({ length: 4_000 }, (_, index) =>
      makeRequestLogRow({ id: `req_${randomBytes(16).toString('hex')}`, created_at: new Date(Date.UTC(2025, 5, 1, 12, 0, 0) + index * 100).toISOString() }),
    );
    await store.insertRequestLogs(rows);
    const stats = await store.readRequestStats({
      since: '2025-06-01T12:00:00.000Z',
      until: '2025-06-01T12:10:00.000Z',
      bucketSeconds: 60,
      sampleLimit: 400,
    });
    assert.equal(stats.sampled, true);
    assert.equal(
      stats.buckets.reduce((sum, bucket) => sum + bucket.requests, 0),
      4_000,
    );
    assert.ok(stats.timings.length <= 400 && stats.timings.length >= 200, `${stats.timings.length} timings`);
    // Evenly spread: every bucket that has requests has samples (about 48 of its 600 each).
    assert.deepEqual([...new Set(stats.timings.map((timing) => timing.bucket))].sort(), [0, 1, 2, 3, 4, 5, 6]);
  });
}
