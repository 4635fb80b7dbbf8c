import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { AuthenticationError } from '../wire/index.ts';
import { authenticate, hashKey, maskKey } from './authenticate.ts';

const MASTER = 'sk-cw-master-0123456789abcdef';

function requestWith(authorization: string | undefined): IncomingMessage {
  return { headers: authorization === undefined ? {} : { authorization } } as IncomingMessage;
}

describe('authenticate', () => {
  it('accepts the master key as a bearer token', () => {
    assert.equal(authenticate(requestWith(`Bearer ${MASTER}`), hashKey(MASTER)).kind, 'master');
  });

  const rejected: Array<{ name: string; header: string | undefined; code: string }> = [
    { name: 'missing header', header: undefined, code: 'missing_api_key' },
    { name: 'empty header', header: '', code: 'missing_api_key' },
    { name: 'wrong scheme', header: `Basic ${MASTER}`, code: 'invalid_api_key' },
    { name: 'wrong key', header: 'Bearer sk-cw-master-wrong-key-0000', code: 'invalid_api_key' },
    { name: 'SQL injection attempt', header: "Bearer ' OR 1=1; DROP TABLE keys; --", code: 'invalid_api_key' },
    { name: '10 kB header', header: `Bearer ${'a'.repeat(10_240)}`, code: 'invalid_api_key' },
    { name: 'control characters', header: 'Bearer sk-\u0001abc', code: 'invalid_api_key' },
  ];
  for (const testCase of rejected) {
    it(`rejects ${testCase.name} with 401`, () => {
      assert.throws(
        () => authenticate(requestWith(testCase.header), hashKey(MASTER)),
        (error: unknown) => error instanceof AuthenticationError && error.status === 401 && error.code === testCase.code,
      );
    });
  }

  it('never echoes a full key in its message', () => {
    const wrong = 'sk-cw-master-canary-secret-9999';
    assert.throws(
      () => authenticate(requestWith(`Bearer ${wrong}`), hashKey(MASTER)),
      (error: unknown) => error instanceof Error && !error.message.includes(wrong) && error.message.includes('9999'),
    );
    assert.equal(maskKey('short'), '****');
  });
});
