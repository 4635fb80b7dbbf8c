import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findExcessNesting, MAX_JSON_DEPTH } from './find-excess-nesting.ts';

function nest(depth: number): unknown {
  let value: unknown = 0;
  for (let level = 0; level < depth; level += 1) value = [value];
  return value;
}

describe('findExcessNesting', () => {
  const cases: { name: string; value: unknown; max: number; expected: (string | number)[] | null }[] = [
    { name: 'a flat body', value: { model: 'm', messages: [{ role: 'user', content: 'hi' }] }, max: 3, expected: null },
    { name: 'exactly at the bound', value: { a: { b: { c: 1 } } }, max: 3, expected: null },
    { name: 'one level past the bound', value: { a: { b: { c: {} } } }, max: 3, expected: ['a', 'b', 'c'] },
    { name: 'arrays count as levels and name their index', value: { tools: [{ x: [[[]]] }] }, max: 4, expected: ['tools', 0, 'x', 0] },
    { name: 'primitives are not levels', value: { a: 'x'.repeat(10), b: [1, 2, 3] }, max: 2, expected: null },
    { name: 'not an object', value: 'text', max: 1, expected: null },
  ];
  for (const { name, value, max, expected } of cases) {
    it(name, () => assert.deepEqual(findExcessNesting(value, max), expected));
  }

  it('finds a 100,000-deep array without overflowing the stack', () => {
    const path = findExcessNesting({ extra: nest(100_000) });
    assert.ok(path !== null);
    assert.equal(path.length, MAX_JSON_DEPTH);
    assert.equal(path[0], 'extra');
  });
});
