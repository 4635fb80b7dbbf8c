// Tests of the adapter registry.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getProviderAdapter } from './provider-registry.ts';

test('every catalog provider has its adapter', () => {
  assert.equal(getProviderAdapter('openai').name, 'openai');
  assert.equal(getProviderAdapter('azure').name, 'azure');
});

test('an unknown name is an error', () => {
  assert.throws(() => getProviderAdapter('nope' as 'openai'), /no provider adapter named 'nope'/);
});
