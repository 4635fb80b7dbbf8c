// Tests of item ids: OpenAI's shape (prefix, 48 hex digits) and uniqueness.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createItemId } from './create-item-id.ts';

test('ids are the prefix, an underscore and 48 hex digits (192 random bits)', () => {
  for (const prefix of ['resp', 'msg', 'fc', 'fco', 'conv']) assert.match(createItemId(prefix), new RegExp(`^${prefix}_[0-9a-f]{48}$`));
});

test('ids do not repeat', () => {
  const ids = new Set(Array.from({ length: 1000 }, () => createItemId('msg')));
  assert.equal(ids.size, 1000);
});
