// Tests of picking a route's Authenticator from its auth settings.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { createAuthenticator } from './create-authenticator.ts';
import type { UpstreamRequest } from './provider-adapter.ts';
import { makeTestRoute } from './test-route.ts';

const request: UpstreamRequest = {
  method: 'POST',
  url: 'https://myres.openai.azure.com/openai/v1/chat/completions',
  headers: { 'content-type': 'application/json' },
  body: '{"model":"m"}',
};

const fixedCredential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({ token: 'entra-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

describe('createAuthenticator', () => {
  const cases: { name: string; auth: Record<string, unknown>; headers: Record<string, string> }[] = [
    { name: 'bearer', auth: { type: 'bearer', key: 'sk-1' }, headers: { authorization: 'Bearer sk-1' } },
    { name: 'api-key, default header', auth: { type: 'api-key', key: 'k-1' }, headers: { 'api-key': 'k-1' } },
    { name: 'api-key, custom header', auth: { type: 'api-key', key: 'k-2', header: 'X-Api-Key' }, headers: { 'x-api-key': 'k-2' } },
    { name: 'entra', auth: { type: 'entra' }, headers: { authorization: 'Bearer entra-token' } },
    { name: 'none', auth: { type: 'none' }, headers: {} },
  ];
  for (const item of cases) {
    test(item.name, async () => {
      const authenticator = createAuthenticator(makeTestRoute({ auth: item.auth }), { credential: fixedCredential });
      const authorized = await authenticator.authorize(request);
      assert.equal(authorized.url, request.url);
      assert.equal(authorized.body, request.body);
      assert.deepEqual(authorized.headers, { ...request.headers, ...item.headers });
    });
  }

  test('entra without an injected credential does no I/O until the first call', () => {
    const authenticator = createAuthenticator(makeTestRoute({ auth: { type: 'entra', tenant_id: 't', client_id: 'c', client_secret: 's' } }));
    assert.equal(typeof authenticator.authorize, 'function');
  });
});
