import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { deriveMcpCredentialKey, openMcpHeaders, sealMcpHeaders } from './seal-mcp-credentials.ts';

const key = deriveMcpCredentialKey(randomBytes(32));

test('sealed values hide the secret and open again for the same tenant, label and header', () => {
  const sealed = sealMcpHeaders({ authorization: 'Bearer s3cret', 'x-api-key': 'k' }, key, 'acme', 'docs');
  assert.deepEqual(Object.keys(sealed), ['authorization', 'x-api-key']);
  assert.doesNotMatch(JSON.stringify(sealed), /s3cret/);
  assert.deepEqual(openMcpHeaders(sealed, key, 'acme', 'docs'), { authorization: 'Bearer s3cret', 'x-api-key': 'k' });
});

test('a value moved to another tenant, label or header, opened with another key, tampered or never sealed fails closed', () => {
  const sealed = sealMcpHeaders({ authorization: 'Bearer s3cret' }, key, 'acme', 'docs');
  const value = sealed.authorization as string;
  const attempts: [Record<string, string>, Buffer, string, string][] = [
    [sealed, key, 'other', 'docs'],
    [sealed, key, 'acme', 'wiki'],
    [{ 'x-api-key': value }, key, 'acme', 'docs'],
    [sealed, deriveMcpCredentialKey(randomBytes(32)), 'acme', 'docs'],
    [{ authorization: `${value.slice(0, -2)}AA` }, key, 'acme', 'docs'],
    [{ authorization: 'Bearer plain' }, key, 'acme', 'docs'],
  ];
  for (const [headers, withKey, tenant, label] of attempts) {
    assert.throws(
      () => openMcpHeaders(headers, withKey, tenant, label),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'mcp_credentials_unreadable');
        assert.doesNotMatch(error.message, /s3cret|plain/);
        return true;
      },
    );
  }
});
