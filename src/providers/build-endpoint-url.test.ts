// Tests of building upstream URLs from a route's endpoint.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildEndpointUrl, encodePathSegment, endpointPath } from './build-endpoint-url.ts';

describe('buildEndpointUrl', () => {
  const cases: { name: string; endpoint: string; path: string; query?: Record<string, string | undefined>; expected: string }[] = [
    { name: 'plain', endpoint: 'https://api.openai.com/v1', path: '/chat/completions', expected: 'https://api.openai.com/v1/chat/completions' },
    { name: 'trailing slashes', endpoint: 'https://api.openai.com/v1///', path: '/embeddings', expected: 'https://api.openai.com/v1/embeddings' },
    { name: 'root endpoint', endpoint: 'http://127.0.0.1:8080', path: '/v1/x', expected: 'http://127.0.0.1:8080/v1/x' },
    { name: 'endpoint query kept, hash dropped', endpoint: 'https://p.example/v1?a=1#frag', path: '/x', expected: 'https://p.example/v1/x?a=1' },
    {
      name: 'query values encoded, undefined skipped',
      endpoint: 'https://r.openai.azure.com',
      path: '/openai/v1/x',
      query: { 'api-version': '2024-10-21&evil=1', other: undefined },
      expected: 'https://r.openai.azure.com/openai/v1/x?api-version=2024-10-21%26evil%3D1',
    },
  ];
  for (const item of cases) {
    test(item.name, () => assert.equal(buildEndpointUrl(item.endpoint, item.path, item.query), item.expected));
  }
});

describe('endpointPath', () => {
  test('path without trailing slashes', () => {
    assert.equal(endpointPath('https://r.openai.azure.com/openai/v1/'), '/openai/v1');
    assert.equal(endpointPath('https://r.openai.azure.com'), '');
  });
});

describe('encodePathSegment', () => {
  const cases: [string, string | null][] = [
    ['gpt-4o', 'gpt-4o'],
    ['gpt-4.1-mini', 'gpt-4.1-mini'],
    ['a/b?c#d', 'a%2Fb%3Fc%23d'],
    ['', null],
    ['.', null],
    ['..', null],
    ['%2e%2E', null],
    ['.%2e', null],
  ];
  for (const [value, expected] of cases) {
    test(JSON.stringify(value), () => assert.equal(encodePathSegment(value), expected));
  }
});
