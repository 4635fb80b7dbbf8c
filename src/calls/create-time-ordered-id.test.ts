import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { createTimeOrderedId } from './create-time-ordered-id.ts';

describe('createTimeOrderedId', () => {
  it('has the prefix and 32 hex digits, and sorts by creation time', async () => {
    const first = createTimeOrderedId('req');
    await delay(2);
    const second = createTimeOrderedId('req');
    assert.match(first, /^req_[0-9a-f]{32}$/);
    assert.ok(first < second);
    assert.notEqual(createTimeOrderedId('req'), createTimeOrderedId('req'));
  });

  it('is strictly increasing for ids made in the same millisecond', () => {
    // 10,000 ids in a tight loop share milliseconds on any machine; each must still sort after the one before.
    const ids = Array.from({ length: 10_000 }, () => createTimeOrderedId('req'));
    for (let index = 1; index < ids.length; index++) {
      assert.ok(ids[index - 1]! < ids[index]!, `${ids[index - 1]} then ${ids[index]}`);
      assert.match(ids[index]!, /^req_[0-9a-f]{32}$/);
    }
  });

  it('keeps increasing while the clock stands behind the last id', (context) => {
    const first = createTimeOrderedId('evt');
    // The wall clock stepped back a second (NTP): ids keep the last time and still sort after it.
    context.mock.method(Date, 'now', () => Number.parseInt(first.slice(4, 16), 16) - 1_000);
    const second = createTimeOrderedId('evt');
    const third = createTimeOrderedId('evt');
    assert.ok(first < second && second < third);
    assert.equal(second.slice(0, 16), first.slice(0, 16));
  });
});
