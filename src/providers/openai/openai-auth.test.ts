// Tests of the static-key authenticators: they add one header and touch nothing else.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Secret } from '../../catalog/index.ts';
import type { UpstreamRequest } from '../provider-adapter.ts';
import { createBearerAuthenticator, createKeyHeaderAuthenticator } from './openai-auth.ts';

const request: UpstreamRequest = {
  method: 'POST',
  url: 'https://api.openai.com/v1/chat/completions',
  headers: { 'content-type': 'application/json', Authorization: 'Bearer from-somewhere-else' },
  body: '{"model":"m"}',
};

describe('static-key authenticators', () => {
  const cases = [
    {
      name: 'bearer',
      authenticator: createBearerAuthenticator(new Secret('sk-abc')),
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-abc' },
    },
    {
      name: 'api-key (Azure default header)',
      authenticator: createKeyHeaderAuthenticator(new Secret('azure-key')),
      headers: { 'content-type': 'application/json', Authorization: 'Bearer from-somewhere-else', 'api-key': 'azure-key' },
    },
    {
      name: 'key in a custom header',
      authenticator: createKeyHeaderAuthenticator(new Secret('k'), 'X-API-Key'),
      headers: { 'content-type': 'application/json', Authorization: 'Bearer from-somewhere-else', 'x-api-key': 'k' },
    },
  ];
  for (const item of cases) {
    test(`${item.name}: adds the header, keeps URL, method and body`, async () => {
      const authorized = await item.authenticator.authorize(request);
      assert.deepEqual(authorized, { ...request, headers: item.headers });
      assert.notEqual(authorized, request);
      assert.deepEqual(request.headers, { 'content-type': 'application/json', Authorization: 'Bearer from-somewhere-else' });
    });
  }
});
