import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResponseItem } from '../wire/index.ts';
import { ResponseChainCache } from './response-chain-cache.ts';

const message = (id: string): ResponseItem => ({ type: 'message', id, role: 'user', content: [{ type: 'input_text', text: id }], status: 'completed' });

describe('ResponseChainCache', () => {
  it('builds chains link by link and flattens them oldest first', () => {
    const cache = new ResponseChainCache();
    cache.add('t', 'resp_1', null, [message('a'), message('b')]);
    cache.add('t', 'resp_2', 'resp_1', [message('c')]);
    cache.add('t', 'resp_3', 'resp_2', [message('d')]);
    assert.deepEqual(cache.get('t', 'resp_3')?.map((item) => item.id), ['a', 'b', 'c', 'd']);
    assert.deepEqual(cache.get('t', 'resp_1')?.map((item) => item.id), ['a', 'b']);
  });

  it('keeps branches apart and tenants apart, and skips a response whose parent is not cached', () => {
    const cache = new ResponseChainCache();
    cache.add('t', 'resp_1', null, [message('a')]);
    cache.add('t', 'left', 'resp_1', [message('l')]);
    cache.add('t', 'right', 'resp_1', [message('r')]);
    assert.deepEqual(cache.get('t', 'left')?.map((item) => item.id), ['a', 'l']);
    assert.deepEqual(cache.get('t', 'right')?.map((item) => item.id), ['a', 'r']);
    assert.equal(cache.get('other', 'resp_1'), undefined);
    cache.add('t', 'orphan', 'unknown', [message('o')]);
    assert.equal(cache.get('t', 'orphan'), undefined);
  });

  it('caches a chain read from the store, including a chain cut by a deletion', () => {
    const cache = new ResponseChainCache();
    cache.addStored('t', {
      responses: [{ id: 'r2', previous_response_id: 'r1-deleted' }, { id: 'r3', previous_response_id: 'r2' }],
      items: [{ response_id: 'r2', item: message('x') }, { response_id: 'r3', item: message('y') }],
    });
    assert.deepEqual(cache.get('t', 'r3')?.map((item) => item.id), ['x', 'y']);
    cache.add('t', 'r4', 'r3', [message('z')]);
    assert.deepEqual(cache.get('t', 'r4')?.map((item) => item.id), ['x', 'y', 'z']);
    cache.clear();
    assert.equal(cache.get('t', 'r4'), undefined);
  });

  it('is bounded: the least recently used links go first', () => {
    const cache = new ResponseChainCache({ maxLinks: 2 });
    cache.add('t', 'a', null, [message('a')]);
    cache.add('t', 'b', null, [message('b')]);
    cache.get('t', 'a');
    cache.add('t', 'c', null, [message('c')]);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('t', 'b'), undefined);
    assert.ok(cache.get('t', 'a'));
  });
});
