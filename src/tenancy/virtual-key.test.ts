// Virtual key secrets, ids, hashes and prefixes.
import assert from 'node:assert/strict';
import { createSecretKey } from 'node:crypto';
import { describe, it } from 'node:test';
import { createApiKeyId, createVirtualKeySecret, hashVirtualKey, toKeyPrefix } from './virtual-key.ts';

describe('virtual keys', () => {
  it('makes distinct secrets of sk-cw- and 43 base64url characters', () => {
    const a = createVirtualKeySecret();
    const b = createVirtualKeySecret();
    assert.match(a, /^sk-cw-[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b);
  });

  it('makes ids of key_ and 24 hex digits', () => {
    assert.match(createApiKeyId(), /^key_[0-9a-f]{24}$/);
    assert.notEqual(createApiKeyId(), createApiKeyId());
  });

  it('hashes with HMAC-SHA-256 under the installation secret', () => {
    const secret = Buffer.from('00'.repeat(32), 'hex');
    // Computed independently with openssl:
    // printf 'sk-cw-test' | openssl dgst -sha256 -mac HMAC -macopt hexkey:<64 zeros>
    assert.equal(hashVirtualKey('sk-cw-test', secret), HMAC_OF_TEST_KEY);
    assert.notEqual(hashVirtualKey('sk-cw-test', Buffer.from('01'.repeat(32), 'hex')), HMAC_OF_TEST_KEY);
  });

  it('hashes alike under a key object made once from the same secret (what Tenancy keeps)', () => {
    assert.equal(hashVirtualKey('sk-cw-test', createSecretKey(Buffer.from('00'.repeat(32), 'hex'))), HMAC_OF_TEST_KEY);
  });

  it('shows the first 12 characters as the prefix', () => {
    assert.equal(toKeyPrefix('sk-cw-AbCdEfGhIjK'), 'sk-cw-AbCdEf');
  });
});

const HMAC_OF_TEST_KEY = '1ce951d0368e7d73a71ca8f491877c82b8f89a1c4212b5165c32bad11e6866cf';
