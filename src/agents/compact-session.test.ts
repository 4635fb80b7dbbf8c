// When a session is compacted and what a compacted step sends: the earlier turns' rows once the context passes the
// threshold of the smallest window (never the running turn's, never without a declared window), and the compaction
// item first, then the rows after it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestServices, emulatorRoute, type TestServices } from '../calls/test-call-services.ts';
import type { AgentItemRecord } from '../store/index.ts';
import { findRowsToCompact, readSessionCompaction, type SessionCompaction, toCompactedContext, withSessionCompaction } from './compact-session.ts';

const UPSTREAM = { url: 'http://127.0.0.1:9', apiKey: 'unused' };

function row(position: number, turnId: string, text: string): AgentItemRecord {
  return {
    id: `msg_${position}`,
    session_id: 'sess_1',
    turn_id: turnId,
    position,
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
  };
}

describe('session compaction', () => {
  let services: TestServices;
  before(async () => {
    services = await createTestServices({
      models: [{ id: 'small' }, { id: 'unbounded' }],
      routes: [
        emulatorRoute(UPSTREAM, 'small-a', 'small', { limits: { context: 4_000 } }),
        emulatorRoute(UPSTREAM, 'small-b', 'small', { limits: { context: 1_000 } }),
        emulatorRoute(UPSTREAM, 'unbounded-a', 'unbounded'),
      ],
    });
  });
  after(() => services.close());

  const long = 'A sentence of some length for counting tokens. '.repeat(60);
  const agent = (model: string) => ({ model, instructions: 'Be brief.' });

  it("compacts the earlier turns' rows once the context passes 80% of the smallest window", () => {
    const small = [row(1, 'turn_1', 'Hello.'), row(2, 'turn_2', 'Hi again.')];
    assert.equal(findRowsToCompact(services, 'default', agent('small'), null, small, 'turn_2'), null);
    const big = [row(1, 'turn_1', long), row(2, 'turn_1', long), row(3, 'turn_2', 'Go on.')];
    assert.deepEqual(
      findRowsToCompact(services, 'default', agent('small'), null, big, 'turn_2')?.map((found) => found.position),
      [1, 2],
    );
    // Nothing to compact when only the running turn is long (truncation's case), or when no route declares a window.
    assert.equal(findRowsToCompact(services, 'default', agent('small'), null, [row(1, 'turn_2', long), row(2, 'turn_2', long)], 'turn_2'), null);
    assert.equal(findRowsToCompact(services, 'default', agent('unbounded'), null, big, 'turn_2'), null);
  });

  it('keeps the compaction in the private state and sends it first', () => {
    const compaction: SessionCompaction = { item: { type: 'compaction', id: 'cmp_1', encrypted_content: 'sealed' }, through: 2 };
    const state = withSessionCompaction({ metadata: {} }, compaction);
    assert.deepEqual(readSessionCompaction(state), compaction);
    assert.equal(readSessionCompaction({}), null);
    assert.equal(readSessionCompaction({ crossway_compaction: { item: { type: 'message' }, through: 1 } }), null);
    const context = toCompactedContext(compaction, [row(3, 'turn_2', 'Earlier.'), row(4, 'turn_3', 'Now.')], 'turn_3');
    assert.deepEqual(
      context.map((item) => item.type),
      ['compaction', 'message'],
    );
  });
});
