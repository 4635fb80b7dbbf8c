// openCounters: memory without `redis.url`; with it, Redis behind a local fallback, which a gateway whose Redis cannot
// be reached at start begins on (one warning, without the URL's secret) instead of failing to start.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { MemoryCounters } from './memory-counters.ts';
import { openCounters } from './open-counters.ts';
import { RedisFailoverCounters } from './redis-failover-counters.ts';

/** A port nothing listens on right now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

function recordingLogger() {
  const lines: { level: string; fields: unknown; message: string }[] = [];
  return {
    lines,
    logger: {
      warn: (fields: object, message: string) => lines.push({ level: 'warn', fields, message }),
      info: (fields: object, message: string) => lines.push({ level: 'info', fields, message }),
    },
  };
}

describe('openCounters', () => {
  it('keeps counters in memory when no Redis is configured', async () => {
    const { logger, lines } = recordingLogger();
    const opened = await openCounters({ key_prefix: 'crossway:' }, logger);
    assert.ok(opened.counters instanceof MemoryCounters);
    assert.equal(opened.describeHealth, null);
    assert.deepEqual(lines, []);
    await opened.counters.close();
  });

  it('starts on local limits when Redis cannot be reached, saying so once and without the password', async () => {
    const { logger, lines } = recordingLogger();
    const port = await closedPort();
    const opened = await openCounters({ url: { reveal: () => `redis://:hunter2-secret@127.0.0.1:${port}/0` }, key_prefix: 'crossway:' }, logger, {
      connectTimeoutMs: 300,
      probeIntervalMs: 60_000,
    });
    try {
      assert.ok(opened.counters instanceof RedisFailoverCounters);
      assert.match(opened.describeHealth?.() ?? '', /^unreachable since .*: serving local limits$/);
      const results = [];
      for (let i = 0; i < 3; i += 1) results.push((await opened.counters.take('rpm:key:k', 1, 2, 60_000)).allowed);
      assert.deepEqual(results, [true, true, false], 'the local limits apply');
      assert.equal(lines.filter((line) => line.level === 'warn').length, 1);
      assert.doesNotMatch(JSON.stringify(lines), /hunter2|redis:\/\//);
    } finally {
      await opened.counters.close();
    }
  });
});
