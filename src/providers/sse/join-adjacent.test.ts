// Tests of joining the byte ranges of SSE events that leave together.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { joinAdjacent } from './join-adjacent.ts';

describe('joinAdjacent', () => {
  const buffer = new Uint8Array([1, 2, 3, 4, 5, 6]);

  test('one part is returned as it is', () => {
    const part = buffer.subarray(1, 3);
    assert.equal(joinAdjacent([part]), part);
  });

  test('adjacent ranges of one buffer become one view, without a copy', () => {
    const joined = joinAdjacent([buffer.subarray(1, 3), buffer.subarray(3, 4), buffer.subarray(4, 6)]);
    assert.equal(joined.buffer, buffer.buffer);
    assert.equal(joined.byteOffset, 1);
    assert.deepEqual([...joined], [2, 3, 4, 5, 6]);
  });

  test('ranges with a gap, out of order or from another buffer are copied in order', () => {
    for (const parts of [
      [buffer.subarray(0, 2), buffer.subarray(3, 4)],
      [buffer.subarray(2, 4), buffer.subarray(0, 2)],
      [buffer.subarray(0, 2), new Uint8Array([9])],
    ]) {
      const joined = joinAdjacent(parts);
      assert.notEqual(joined.buffer, buffer.buffer);
      assert.deepEqual(
        [...joined],
        parts.flatMap((part) => [...part]),
      );
    }
  });
});
