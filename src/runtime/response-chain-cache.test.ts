import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResponseItem } from '../wire/index.ts';
import { ResponseChainCache, estimateRetainedBytes, type ChainCacheChange } from './response-chain-cache.ts';

const message = (id: string): ResponseItem => ({ type: 'message', id, role: 'user', content: [{ type: 'input_text', text: id }], status: 'completed' });

describe('ResponseChainCache', () => {
  it('builds chains link by link and flattens them oldest first', () => {
    const cache = new ResponseChainCache();
    cache.add('t', 'resp_1', null, [message('a'), message('b')]);
    cache.add('t', 'resp_2', 'resp_1', [message('c')]);
    cache.add('t', 'resp_3', 'resp_2', [message('d')]);
    assert.deepEqual(
      cache.get('t', 'resp_3')?.map((item) => item.id),
      ['a', 'b', 'c', 'd'],
    );
    assert.deepEqual(
      cache.get('t', 'resp_1')?.map((item) => item.id),
      ['a', 'b'],
    );
  });

  it('keeps branches apart and tenants apart, and skips a response whose parent is not cached', () => {
    const cache = new ResponseChainCache();
    cache.add('t', 'resp_1', null, [message('a')]);
    cache.add('t', 'left', 'resp_1', [message('l')]);
    cache.add('t', 'right', 'resp_1', [message('r')]);
    assert.deepEqual(
      cache.get('t', 'left')?.map((item) => item.id),
      ['a', 'l'],
    );
    assert.deepEqual(
      cache.get('t', 'right')?.map((item) => item.id),
      ['a', 'r'],
    );
    assert.equal(cache.get('other', 'resp_1'), undefined);
    cache.add('t', 'orphan', 'unknown', [message('o')]);
    assert.equal(cache.get('t', 'orphan'), undefined);
  });

  it('caches a chain read from the store, including a chain cut by a deletion', () => {
    const cache = new ResponseChainCache();
    cache.addStored('t', {
      responses: [
        { id: 'r2', previous_response_id: 'r1-deleted' },
        { id: 'r3', previous_response_id: 'r2' },
      ],
      items: [
        { response_id: 'r2', item: message('x') },
        { response_id: 'r3', item: message('y') },
      ],
    });
    assert.deepEqual(
      cache.get('t', 'r3')?.map((item) => item.id),
      ['x', 'y'],
    );
    cache.add('t', 'r4', 'r3', [message('z')]);
    assert.deepEqual(
      cache.get('t', 'r4')?.map((item) => item.id),
      ['x', 'y', 'z'],
    );
    cache.clear();
    assert.equal(cache.get('t', 'r4'), undefined);
  });

  it("deletes one tenant's response: every chain through it misses, every other chain and tenant stays", () => {
    const cache = new ResponseChainCache();
    for (const tenant of ['t', 'u']) {
      cache.add(tenant, 'r1', null, [message('a')]);
      cache.add(tenant, 'r2', 'r1', [message('b')]);
      cache.add(tenant, 'r3', 'r2', [message('c')]);
      cache.add(tenant, 'r2-branch', 'r2', [message('d')]);
      cache.add(tenant, 'side', 'r1', [message('e')]);
    }
    cache.delete('t', 'r2');
    assert.equal(cache.get('t', 'r2'), undefined);
    assert.equal(cache.get('t', 'r3'), undefined);
    assert.equal(cache.get('t', 'r2-branch'), undefined);
    assert.deepEqual(
      cache.get('t', 'r1')?.map((item) => item.id),
      ['a'],
    );
    assert.deepEqual(
      cache.get('t', 'side')?.map((item) => item.id),
      ['a', 'e'],
    );
    assert.deepEqual(
      cache.get('u', 'r3')?.map((item) => item.id),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(
      cache.get('u', 'r2-branch')?.map((item) => item.id),
      ['a', 'b', 'd'],
    );
    // A new turn on a descendant of the deleted response is not cached on top of the broken chain.
    cache.add('t', 'r4', 'r3', [message('f')]);
    assert.equal(cache.get('t', 'r4'), undefined);
    // The descendants' links were dropped by the lookups that missed: only t's r1 and side, and u's five, are left.
    assert.equal(cache.size, 7);
  });

  it('does not cache a deleted response again, even from a store read that started before the deletion', () => {
    const cache = new ResponseChainCache();
    cache.add('t', 'r1', null, [message('a')]);
    cache.delete('t', 'r1');
    // The chain as the store read it before the deletion, cached after it.
    cache.addStored('t', {
      responses: [
        { id: 'r1', previous_response_id: null },
        { id: 'r2', previous_response_id: 'r1' },
      ],
      items: [
        { response_id: 'r1', item: message('a') },
        { response_id: 'r2', item: message('b') },
      ],
    });
    cache.add('t', 'r1', null, [message('a')]);
    assert.equal(cache.get('t', 'r1'), undefined);
    assert.equal(cache.get('t', 'r2'), undefined);
    // The same id of another tenant is another response.
    cache.add('u', 'r1', null, [message('a')]);
    assert.ok(cache.get('u', 'r1'));
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

  it('is bounded by bytes: storing past the bound keeps the total under it, and drops the least recently used', () => {
    const maxBytes = 1024 * 1024;
    const cache = new ResponseChainCache({ maxBytes });
    // Each response carries a 100 KB "image": 40 of them are 4 MB, four times the bound.
    const image = (id: string): ResponseItem =>
      ({
        type: 'message',
        id,
        role: 'user',
        content: [{ type: 'input_image', image_url: `data:image/png;base64,${id}${'A'.repeat(100_000)}`, detail: 'low' }],
        status: 'completed',
      }) as unknown as ResponseItem;
    for (let turn = 0; turn < 40; turn++) {
      cache.add('t', `r${turn}`, null, [image(`i${turn}`)]);
      assert.ok(cache.calculatedSize <= maxBytes, `turn ${turn}: ${cache.calculatedSize} bytes cached`);
    }
    assert.ok(cache.calculatedSize > maxBytes / 2, 'the bound is used, not merely respected');
    assert.equal(cache.get('t', 'r0'), undefined);
    assert.equal(cache.get('t', 'r39')?.[0]?.id, 'i39');
  });

  it('does not cache one response larger than an eighth of the bound, nor anything chained to it', () => {
    const cache = new ResponseChainCache({ maxBytes: 80_000 });
    cache.add('t', 'small', null, [message('a')]);
    cache.add('t', 'huge', 'small', [{ ...message('b'), content: [{ type: 'input_text', text: 'x'.repeat(20_000) }] } as ResponseItem]);
    cache.add('t', 'next', 'huge', [message('c')]);
    assert.equal(cache.get('t', 'huge'), undefined);
    assert.equal(cache.get('t', 'next'), undefined);
    assert.deepEqual(
      cache.get('t', 'small')?.map((item) => item.id),
      ['a'],
    );
    assert.ok(cache.calculatedSize < 10_000);
  });

  it('frees an evicted ancestor: a chain missing a link is a miss, not a chain that keeps the link alive', () => {
    const cache = new ResponseChainCache({ maxLinks: 2 });
    cache.add('t', 'r1', null, [message('a')]);
    cache.add('t', 'r2', 'r1', [message('b')]);
    cache.add('t', 'other', null, [message('o')]);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('t', 'r2'), undefined);
  });

  it('estimates a value by its strings and nodes, and survives deep nesting', () => {
    assert.ok(estimateRetainedBytes({ text: 'x'.repeat(1_000_000) }) >= 1_000_000);
    assert.ok(estimateRetainedBytes({ text: 'x'.repeat(1_000_000) }) < 1_001_000);
    let deep: unknown = [];
    for (let depth = 0; depth < 100_000; depth++) deep = [deep];
    assert.ok(estimateRetainedBytes(deep) > 100_000);
  });
});

describe('ResponseChainCache with peers', () => {
  it("announces deletions and prunes; applies the peers' without announcing them again", () => {
    const heard: ChainCacheChange[] = [];
    const echoed: ChainCacheChange[] = [];
    const other = new ResponseChainCache({ peers: { announce: (change) => echoed.push(change) } });
    const cache = new ResponseChainCache({
      peers: {
        announce: (change) => {
          heard.push(change);
          other.applyPeerChange(change);
        },
      },
    });
    for (const replica of [cache, other]) {
      replica.add('t', 'r1', null, [message('a')]);
      replica.add('t', 'r2', 'r1', [message('b')]);
      replica.add('u', 'r1', null, [message('c')]);
    }
    cache.delete('t', 'r1');
    assert.equal(other.get('t', 'r2'), undefined, "the other replica's chain through the deleted response misses");
    assert.deepEqual(
      other.get('u', 'r1')?.map((item) => item.id),
      ['c'],
      "another tenant's chain stays",
    );
    other.addStored('t', { responses: [{ id: 'r1', previous_response_id: null }], items: [{ response_id: 'r1', item: message('a') }] });
    assert.equal(other.get('t', 'r1'), undefined, 'not cached again from a store read that started before the deletion');
    cache.clear();
    assert.equal(other.size, 0, 'a prune clears the other replica too');
    assert.deepEqual(heard, [{ kind: 'deleted', tenant: 't', id: 'r1' }, { kind: 'cleared' }]);
    assert.deepEqual(echoed, []);
  });
});
