// Tests of reading retry-after-ms / Retry-After: a table of header sets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRetryAfterMs } from './parse-retry-after.ts';
import type { UpstreamHeaders } from './provider-adapter.ts';

const cases: { name: string; headers: UpstreamHeaders; expected: number | null }[] = [
  { name: 'none', headers: {}, expected: null },
  { name: 'retry-after-ms', headers: { 'retry-after-ms': '1500' }, expected: 1500 },
  { name: 'fractional retry-after-ms is rounded up', headers: { 'retry-after-ms': '12.2' }, expected: 13 },
  { name: 'retry-after-ms wins over retry-after', headers: { 'retry-after-ms': '200', 'retry-after': '9' }, expected: 200 },
  { name: 'retry-after seconds', headers: { 'retry-after': '6' }, expected: 6000 },
  { name: 'retry-after fractional seconds', headers: { 'retry-after': '0.25' }, expected: 250 },
  { name: 'retry-after zero', headers: { 'retry-after': '0' }, expected: 0 },
  {
    name: 'retry-after HTTP-date, measured against the Date header',
    headers: { 'retry-after': 'Wed, 21 Oct 2015 07:28:30 GMT', date: 'Wed, 21 Oct 2015 07:28:00 GMT' },
    expected: 30_000,
  },
  {
    name: 'retry-after HTTP-date in the past',
    headers: { 'retry-after': 'Wed, 21 Oct 2015 07:27:00 GMT', date: 'Wed, 21 Oct 2015 07:28:00 GMT' },
    expected: 0,
  },
  { name: 'retry-after HTTP-date without a Date header cannot be read', headers: { 'retry-after': 'Wed, 21 Oct 2015 07:28:30 GMT' }, expected: null },
  { name: 'garbage', headers: { 'retry-after': 'soon', 'retry-after-ms': '-5' }, expected: null },
  { name: 'invalid retry-after-ms falls back to retry-after', headers: { 'retry-after-ms': 'x', 'retry-after': '2' }, expected: 2000 },
  { name: 'repeated header: the first value', headers: { 'retry-after': ['3', '9'] }, expected: 3000 },
];

for (const item of cases) {
  test(item.name, () => assert.equal(parseRetryAfterMs(item.headers), item.expected));
}
