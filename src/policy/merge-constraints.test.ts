import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Constraints } from '../catalog/index.ts';
import { mergeConstraints } from './merge-constraints.ts';

const CASES: { name: string; tenant: Constraints; request: Constraints; expected: Constraints }[] = [
  { name: 'nothing on either side', tenant: {}, request: {}, expected: {} },
  { name: 'regions: the request alone when the tenant gives none', tenant: {}, request: { regions: ['eu'] }, expected: { regions: ['eu'] } },
  { name: 'regions: the tenant alone when the request gives none', tenant: { regions: ['eu', 'us'] }, request: {}, expected: { regions: ['eu', 'us'] } },
  {
    name: 'regions: intersection; a request region outside the tenant list is dropped',
    tenant: { regions: ['eu', 'us'] },
    request: { regions: ['us', 'apac'] },
    expected: { regions: ['us'] },
  },
  { name: 'regions: an empty intersection allows nothing', tenant: { regions: ['eu'] }, request: { regions: ['us'] }, expected: { regions: [] } },
  {
    name: 'regions: a region under a zone does not intersect (strings)',
    tenant: { regions: ['eu'] },
    request: { regions: ['swedencentral'] },
    expected: { regions: [] },
  },
  { name: 'compliance: union', tenant: { compliance: ['soc2'] }, request: { compliance: ['hipaa', 'soc2'] }, expected: { compliance: ['soc2', 'hipaa'] } },
  {
    name: "providers: only intersects, ignore unites, order is the request's",
    tenant: { providers: { only: ['azure', 'openai'], ignore: ['vertex'], order: ['openai'] } },
    request: { providers: { only: ['openai', 'bedrock'], ignore: ['azure'], order: ['azure', 'openai'] } },
    expected: { providers: { only: ['openai'], ignore: ['vertex', 'azure'], order: ['azure', 'openai'] } },
  },
  {
    name: "providers: the tenant's order stays when the request gives none",
    tenant: { providers: { order: ['azure'] } },
    request: { providers: { only: ['azure'] } },
    expected: { providers: { order: ['azure'], only: ['azure'] } },
  },
  { name: 'allow_fallbacks: false wins', tenant: { allow_fallbacks: true }, request: { allow_fallbacks: false }, expected: { allow_fallbacks: false } },
  {
    name: 'hosted_tools: a request cannot drop what the tenant refuses',
    tenant: { hosted_tools: 'refuse' },
    request: { hosted_tools: 'drop' },
    expected: { hosted_tools: 'refuse' },
  },
  { name: 'hosted_tools: a request may refuse', tenant: { hosted_tools: 'drop' }, request: { hosted_tools: 'refuse' }, expected: { hosted_tools: 'refuse' } },
  { name: 'hosted_tools: either alone', tenant: {}, request: { hosted_tools: 'drop' }, expected: { hosted_tools: 'drop' } },
  {
    name: "allow_fallbacks: a request cannot turn the tenant's false into true",
    tenant: { allow_fallbacks: false },
    request: { allow_fallbacks: true },
    expected: { allow_fallbacks: false },
  },
  {
    name: 'require_parameters: true wins',
    tenant: { require_parameters: true },
    request: { require_parameters: false },
    expected: { require_parameters: true },
  },
  { name: "sort: the request's, else the tenant's", tenant: { sort: 'price' }, request: { sort: 'latency' }, expected: { sort: 'latency' } },
  { name: "sort: the tenant's when the request gives none", tenant: { sort: 'price' }, request: {}, expected: { sort: 'price' } },
  {
    name: 'max_price: the lower ceiling per field',
    tenant: { max_price: { prompt: 5, completion: 20 } },
    request: { max_price: { prompt: 8, completion: 10 } },
    expected: { max_price: { prompt: 5, completion: 10 } },
  },
  {
    name: "max_price: one side's field alone",
    tenant: { max_price: { prompt: 5 } },
    request: { max_price: { completion: 10 } },
    expected: { max_price: { prompt: 5, completion: 10 } },
  },
];

describe('mergeConstraints', () => {
  for (const { name, tenant, request, expected } of CASES) {
    it(name, () => assert.deepEqual(mergeConstraints(tenant, request), expected));
  }

  it('does not share lists with its inputs', () => {
    const tenant: Constraints = { regions: ['eu'], providers: { order: ['azure'] } };
    const merged = mergeConstraints(tenant, {});
    merged.regions?.push('us');
    merged.providers?.order?.push('openai');
    assert.deepEqual(tenant, { regions: ['eu'], providers: { order: ['azure'] } });
  });
});
