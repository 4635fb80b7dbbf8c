import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatServerTiming } from './server-timing.ts';

describe('formatServerTiming', () => {
  const cases: [string, Parameters<typeof formatServerTiming>[0], string][] = [
    ['a whole answer', { totalMs: 251.64, upstreamMs: 250.43 }, 'gateway;dur=1.2, upstream;dur=250.4, total;dur=251.6'],
    ['no upstream call', { totalMs: 3.04, upstreamMs: 0 }, 'gateway;dur=3, upstream;dur=0, total;dur=3'],
    ["a stream's head", { totalMs: 80, upstreamMs: 70, streamHead: true }, 'gateway;dur=10, upstream;dur=70, ttfb;dur=80'],
    ['upstream past the total (clock rounding) is capped', { totalMs: 10, upstreamMs: 10.2 }, 'gateway;dur=0, upstream;dur=10, total;dur=10'],
  ];
  for (const [name, times, header] of cases) it(name, () => assert.equal(formatServerTiming(times), header));
});
