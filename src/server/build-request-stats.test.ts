import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RequestStatsRecord } from '../store/index.ts';
import { buildRequestStats, percentile, STATS_WINDOWS, toRequestStatsQuery } from './build-request-stats.ts';
import { parseStatusFilter } from './handle-admin-requests.ts';

describe('toRequestStatsQuery', () => {
  it('ends the window at the end of the current bucket, so that every bucket starts on a multiple of its size', () => {
    const query = toRequestStatsQuery('1h', new Date('2026-05-15T12:34:56.789Z'), 'acme');
    assert.deepEqual(query, {
      since: '2026-05-15T11:35:00.000Z',
      until: '2026-05-15T12:35:00.000Z',
      bucketSeconds: 60,
      sampleLimit: 20_000,
      tenant_id: 'acme',
    });
    for (const [window, { seconds, bucketSeconds }] of Object.entries(STATS_WINDOWS)) {
      const buckets = seconds / bucketSeconds;
      assert.ok(Number.isInteger(buckets) && buckets >= 30 && buckets <= 96, window);
    }
  });
});

describe('percentile', () => {
  it('takes the nearest rank, and null of nothing', () => {
    const values = Array.from({ length: 100 }, (_, index) => index + 1);
    assert.equal(percentile(values, 0.5), 50);
    assert.equal(percentile(values, 0.95), 95);
    assert.equal(percentile(values, 0.99), 99);
    assert.equal(percentile([7], 0.99), 7);
    assert.equal(percentile([], 0.5), null);
  });
});

describe('buildRequestStats', () => {
  const query = toRequestStatsQuery('15m', new Date('2026-05-15T12:00:10.000Z'), undefined);
  const record: RequestStatsRecord = {
    buckets: [
      { bucket: 0, requests: 2, errors: 1 },
      { bucket: 29, requests: 1, errors: 0 },
      // Outside the window (a row written while the window was read): ignored.
      { bucket: 30, requests: 5, errors: 5 },
    ],
    timings: [
      { bucket: 0, duration_ms: 100, ttfb_ms: 20, upstream_ms: 90 },
      { bucket: 0, duration_ms: 300, ttfb_ms: null, upstream_ms: null },
      { bucket: 29, duration_ms: 50, ttfb_ms: 10, upstream_ms: 45 },
    ],
    sampled: false,
    usage: [
      { bucket: 0, currency: 'USD', input_tokens: 10, output_tokens: 20, cost: 1_230n, charged: 1_500n },
      { bucket: 29, currency: 'EUR', input_tokens: 1, output_tokens: 2, cost: 5n, charged: 6n },
      { bucket: 29, currency: 'USD', input_tokens: 3, output_tokens: 4, cost: 10n, charged: 20n },
    ],
  };

  it('fills every bucket of the window, empty ones with zeros and null percentiles', () => {
    const stats = buildRequestStats('15m', query, record);
    assert.equal(stats.buckets.length, 30);
    assert.equal(stats.buckets[0]?.t, query.since);
    assert.deepEqual(stats.buckets[1], {
      t: '2026-05-15T11:46:00.000Z',
      requests: 0,
      errors: 0,
      p50_ms: null,
      p95_ms: null,
      p99_ms: null,
      overhead_p50_ms: null,
      overhead_p95_ms: null,
      ttfb_p50_ms: null,
      input_tokens: 0,
      output_tokens: 0,
      cost: {},
      charge: {},
    });
  });

  it('computes percentiles, overhead (duration minus upstream), tokens and money per currency, per bucket and in total', () => {
    const stats = buildRequestStats('15m', query, record);
    const first = stats.buckets[0]!;
    assert.equal(first.requests, 2);
    assert.equal(first.errors, 1);
    assert.equal(first.p50_ms, 100);
    assert.equal(first.p99_ms, 300);
    assert.equal(first.overhead_p50_ms, 10);
    assert.equal(first.ttfb_p50_ms, 20);
    assert.deepEqual(first.cost, { USD: '0.001230' });
    assert.deepEqual(stats.buckets[29]?.cost, { EUR: '0.000005', USD: '0.000010' });
    assert.deepEqual(stats.totals.cost, { EUR: '0.000005', USD: '0.001240' });
    assert.deepEqual(stats.totals.charge, { EUR: '0.000006', USD: '0.001520' });
    assert.equal(stats.totals.requests, 3);
    assert.equal(stats.totals.errors, 1);
    assert.equal(stats.totals.input_tokens, 14);
    assert.equal(stats.totals.overhead_p95_ms, 10);
    assert.equal(stats.totals.p50_ms, 100);
  });
});

describe('parseStatusFilter', () => {
  const cases: [string, ReturnType<typeof parseStatusFilter>][] = [
    ['200', [{ min: 200, max: 200 }]],
    [
      '200,4xx, 5XX',
      [
        { min: 200, max: 200 },
        { min: 400, max: 499 },
        { min: 500, max: 599 },
      ],
    ],
    ['6xx', null],
    ['99', null],
    ['abc', null],
    ['', null],
    [Array.from({ length: 11 }, () => '200').join(','), null],
  ];
  for (const [text, expected] of cases) it(JSON.stringify(text), () => assert.deepEqual(parseStatusFilter(text), expected));
});
