import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Constraints } from '../catalog/index.ts';
import { InvalidRequestError } from '../wire/index.ts';
import { readRequestConstraints, type RequestHeaders } from './read-request-constraints.ts';

const VALID: { name: string; body: unknown; headers?: RequestHeaders; expected: Constraints }[] = [
  { name: 'no body, no headers', body: undefined, expected: {} },
  { name: 'a body without crossway', body: { model: 'gpt-5.5', messages: [] }, expected: {} },
  { name: 'crossway: null is absent', body: { crossway: null }, expected: {} },
  {
    name: 'every body field (OpenRouter-style)',
    body: {
      crossway: {
        regions: ['eu'],
        compliance: ['hipaa'],
        providers: { order: ['azure'], only: ['azure', 'openai'], ignore: ['vertex'] },
        allow_fallbacks: false,
        require_parameters: true,
        sort: 'price',
        max_price: { prompt: 5, completion: 30 },
      },
    },
    expected: {
      regions: ['eu'],
      compliance: ['hipaa'],
      providers: { order: ['azure'], only: ['azure', 'openai'], ignore: ['vertex'] },
      allow_fallbacks: false,
      require_parameters: true,
      sort: 'price',
      max_price: { prompt: 5, completion: 30 },
    },
  },
  {
    name: 'every header; lists comma-separated and trimmed',
    body: undefined,
    headers: {
      'x-crossway-regions': ' eu , us ',
      'x-crossway-compliance': 'hipaa',
      'x-crossway-providers-only': 'azure,bedrock',
      'x-crossway-providers-ignore': 'vertex',
      'x-crossway-providers-order': 'bedrock, azure',
      'x-crossway-sort': 'Latency',
      'x-crossway-allow-fallbacks': 'false',
      'x-crossway-hosted-tools': 'Refuse',
    },
    expected: {
      hosted_tools: 'refuse',
      regions: ['eu', 'us'],
      compliance: ['hipaa'],
      providers: { order: ['bedrock', 'azure'], only: ['azure', 'bedrock'], ignore: ['vertex'] },
      allow_fallbacks: false,
      sort: 'latency',
    },
  },
  {
    name: 'a repeated header is one list',
    body: undefined,
    headers: { 'x-crossway-compliance': ['hipaa', 'soc2'] },
    expected: { compliance: ['hipaa', 'soc2'] },
  },
  {
    name: 'body and headers both narrow',
    body: { crossway: { regions: ['eu', 'us'], compliance: ['soc2'], providers: { only: ['azure', 'openai'] } } },
    headers: { 'x-crossway-regions': 'us', 'x-crossway-compliance': 'hipaa', 'x-crossway-providers-only': 'openai,bedrock' },
    expected: { regions: ['us'], compliance: ['soc2', 'hipaa'], providers: { only: ['openai'] } },
  },
  { name: 'unrelated headers are ignored', body: undefined, headers: { 'x-crossway-route': 'x', authorization: 'Bearer k' }, expected: {} },
];

const INVALID: { name: string; body: unknown; headers?: RequestHeaders; param: string }[] = [
  { name: 'an unknown top-level key', body: { crossway: { region: ['eu'] } }, param: 'crossway.region' },
  { name: 'an unknown providers key', body: { crossway: { providers: { exclude: ['azure'] } } }, param: 'crossway.providers.exclude' },
  { name: 'a list of the wrong type', body: { crossway: { providers: { only: 'azure' } } }, param: 'crossway.providers.only' },
  { name: 'an empty string in a list', body: { crossway: { compliance: [''] } }, param: 'crossway.compliance[0]' },
  { name: 'an unknown sort', body: { crossway: { sort: 'cheapest' } }, param: 'crossway.sort' },
  { name: 'a negative max price', body: { crossway: { max_price: { prompt: -1 } } }, param: 'crossway.max_price.prompt' },
  { name: 'crossway not an object', body: { crossway: 'eu' }, param: 'crossway' },
  { name: 'an unknown sort header', body: undefined, headers: { 'x-crossway-sort': 'cheapest' }, param: 'x-crossway-sort' },
  { name: 'a boolean header that is not true/false', body: undefined, headers: { 'x-crossway-allow-fallbacks': 'yes' }, param: 'x-crossway-allow-fallbacks' },
  { name: 'an empty list header', body: undefined, headers: { 'x-crossway-regions': ' , ' }, param: 'x-crossway-regions' },
  { name: 'a hosted-tools header that is not drop/refuse', body: undefined, headers: { 'x-crossway-hosted-tools': 'keep' }, param: 'x-crossway-hosted-tools' },
  { name: 'an unknown hosted_tools value', body: { crossway: { hosted_tools: 'keep' } }, param: 'crossway.hosted_tools' },
];

describe('readRequestConstraints', () => {
  for (const { name, body, headers, expected } of VALID) {
    it(name, () => assert.deepEqual(readRequestConstraints(body, headers ?? {}), expected));
  }
  for (const { name, body, headers, param } of INVALID) {
    it(`400: ${name}`, () => {
      assert.throws(
        () => readRequestConstraints(body, headers ?? {}),
        (error: unknown) => error instanceof InvalidRequestError && error.status === 400 && error.param === param && error.message.includes(param),
      );
    });
  }
});
