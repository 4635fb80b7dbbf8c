import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError } from '../wire/index.ts';
import { ROUTING_HEADERS_BYTES_LIMIT, STORED_ROUTING_HEADERS_FIELD, pickRoutingHeaders, readStoredRoutingHeaders } from './background-routing-headers.ts';

describe('pickRoutingHeaders', () => {
  it('keeps the constraint headers only, repeated ones joined with commas', () => {
    const picked = pickRoutingHeaders({
      authorization: 'Bearer sk-cw-secret',
      'x-crossway-regions': 'eu',
      'x-crossway-compliance': ['soc2', 'hipaa'],
      'x-crossway-sort': 'price',
      'x-request-id': 'abc',
    });
    assert.deepEqual(picked, { 'x-crossway-regions': 'eu', 'x-crossway-compliance': 'soc2,hipaa', 'x-crossway-sort': 'price' });
  });

  it('refuses constraint headers over the byte limit with a 400 naming the header', () => {
    const error = (() => {
      try {
        pickRoutingHeaders({ 'x-crossway-regions': 'eu', 'x-crossway-providers-only': 'a'.repeat(ROUTING_HEADERS_BYTES_LIMIT) });
      } catch (thrown) {
        return thrown;
      }
    })();
    assert.ok(error instanceof InvalidRequestError);
    assert.equal(error.param, 'x-crossway-providers-only');
    assert.ok(error.message.length < 300);
  });
});

describe('readStoredRoutingHeaders', () => {
  it('reads back what was stored, and nothing that is not a constraint header with a string value', () => {
    assert.deepEqual(
      readStoredRoutingHeaders({ model: 'm', [STORED_ROUTING_HEADERS_FIELD]: { 'x-crossway-regions': 'eu', authorization: 'x', 'x-crossway-sort': 3 } }),
      { 'x-crossway-regions': 'eu' },
    );
    assert.deepEqual(readStoredRoutingHeaders({ model: 'm' }), {});
    assert.deepEqual(readStoredRoutingHeaders({ [STORED_ROUTING_HEADERS_FIELD]: ['eu'] }), {});
  });
});
