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
});
