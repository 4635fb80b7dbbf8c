// The items of previous_response_id chains, kept in memory as a tree of immutable links, so that a turn continuing a
// long chain costs what its own context costs to translate, not a read and parse of every earlier turn. A finished
// response's items never change; a chain is one link per response naming its parent's link, so caching turn 200
// adds one link, not 200 items. The cache is bounded by bytes (lru-cache's maxSize): a link names its parent by key,
// never holds it, so that an evicted link's items are really freed, and a chain missing a link is a miss (read from
// the store again). That same rule makes a deletion cheap: dropping the deleted response's link breaks every chain
// through it, whoever's descendants they are, without finding them. With peers (other replicas), deletions and prunes
// reach their caches too.
import { LRUCache } from 'lru-cache';
import type { ResponseItem } from '../wire/index.ts';

interface ChainLink {
  /** The key of the parent's link; null when this response starts the chain (or its parent was deleted). */
  parentKey: string | null;
  /** This response's own items: its input, then its output. */
  items: readonly ResponseItem[];
  /** Estimated bytes the link keeps alive (estimateRetainedBytes), computed once when it is cached. */
  size: number;
}

/** What the cache needs of a stored chain (the store's ResponseChain, loosely typed). */
export interface StoredChain {
  responses: readonly { id: string; previous_response_id: string | null }[];
  items: readonly { response_id: string; item: unknown }[];
}

export interface ResponseChainCacheOptions {
  /** Bound on the estimated bytes of all cached items; 64 MiB by default (`runtime.chain_cache_bytes`). */
  maxBytes?: number;
  /** Bound on the number of cached responses, whatever their size; 20,000 by default. */
  maxLinks?: number;
  /** The other replicas, told of every deletion and prune so that their caches drop it too. None: this process alone. */
  peers?: ChainCachePeers;
}

/** What made cached chains stale: one stored response deleted, or responses pruned (the store does not say which). */
export type ChainCacheChange = { kind: 'deleted'; tenant: string; id: string } | { kind: 'cleared' };

/** The other replicas of a gateway, as the chain cache sees them (the cluster part implements it). */
export interface ChainCachePeers {
  /** Tells every other replica; never throws, never waits. */
  announce(change: ChainCacheChange): void;
}

/** Default byte bound of the cache: 64 MiB. */
export const DEFAULT_CHAIN_CACHE_BYTES = 64 * 1024 * 1024;
// A single response may take at most this share of the cache: one huge turn must not evict every other chain.
const MAX_ENTRY_SHARE = 1 / 8;
// What a value costs beyond its strings: object headers, pointers, numbers (a rough V8 figure, on the high side).
const NODE_OVERHEAD_BYTES = 32;
// What a link costs beyond its items: the link, its key and the cache's own bookkeeping.
const LINK_OVERHEAD_BYTES = 256;
// A deleted response is remembered this long, so that a chain read from the store before the deletion and cached after
// it cannot bring the deleted link back (a store read takes milliseconds; a minute is generous).
const TOMBSTONE_TTL_MS = 60_000;
// At most this many deletions are remembered (about 100 bytes each: 1 MB at most); past it the oldest go first.
const MAX_TOMBSTONES = 10_000;

/**
 * Chains by (tenant, response id), bounded by `maxBytes` of estimated item bytes and `maxLinks` responses, least
 * recently used first out; a response larger than an eighth of `maxBytes` is not cached (its chain is read from the
 * store). Reading a chain refreshes every link on it, so that ancestors shared by live chains stay. Deleting a
 * response drops its link only: every chain through it then misses, and the links of those chains are dropped when a
 * lookup walks them (or when least recently used).
 */
export class ResponseChainCache {
  readonly #links: LRUCache<string, ChainLink>;
  /** Keys of responses deleted within TOMBSTONE_TTL_MS, never cached again; at most MAX_TOMBSTONES. */
  readonly #deleted = new LRUCache<string, true>({ max: MAX_TOMBSTONES, ttl: TOMBSTONE_TTL_MS });
  readonly #peers: ChainCachePeers | undefined;

  constructor(options: ResponseChainCacheOptions = {}) {
    const maxSize = options.maxBytes ?? DEFAULT_CHAIN_CACHE_BYTES;
    this.#peers = options.peers;
    this.#links = new LRUCache<string, ChainLink>({
      max: options.maxLinks ?? 20_000,
      maxSize,
      maxEntrySize: Math.max(1, Math.floor(maxSize * MAX_ENTRY_SHARE)),
      sizeCalculation: (link) => link.size,
    });
  }

  /** The items of the chain ending at `id` (oldest first), or undefined when it (or any link of it) is not cached. */
  get(tenant: string, id: string): ResponseItem[] | undefined {
    const parts: (readonly ResponseItem[])[] = [];
    const walked: string[] = [];
    let key: string | null = toKey(tenant, id);
    // A chain has at most as many links as the cache holds: the bound only guards against a cycle.
    for (let steps = 0; key !== null && steps <= this.#links.max; steps++) {
      const link: ChainLink | undefined = this.#links.get(key);
      if (link === undefined) break;
      parts.push(link.items);
      walked.push(key);
      key = link.parentKey;
    }
    if (key === null) return parts.reverse().flat();
    // Every link walked sits on a chain with a missing (evicted or deleted) ancestor: none can be read again, so their
    // bytes go now rather than when they are least recently used; the caller caches the chain again from the store.
    for (const dead of walked) this.#links.delete(dead);
    return undefined;
  }

  /** Caches a response whose items are final, on top of its parent's link when that is cached (else it is left out). */
  add(tenant: string, id: string, previousId: string | null, items: readonly ResponseItem[]): void {
    const parentKey = previousId === null ? null : toKey(tenant, previousId);
    if (parentKey !== null && !this.#links.has(parentKey)) return;
    this.#put(toKey(tenant, id), parentKey, [...items]);
  }

  /** Caches every response of a chain read from the store (oldest first), so that the next turns find them here. */
  addStored(tenant: string, chain: StoredChain): void {
    const byResponse = new Map<string, ResponseItem[]>();
    for (const row of chain.items) {
      let list = byResponse.get(row.response_id);
      if (list === undefined) {
        list = [];
        byResponse.set(row.response_id, list);
      }
      list.push(row.item as ResponseItem);
    }
    let parentKey: string | null = null;
    for (const [index, response] of chain.responses.entries()) {
      // The oldest response starts the chain only if it has no parent: a chain cut by a deletion is cached as it reads.
      if (index === 0 && response.previous_response_id !== null) parentKey = null;
      const key = toKey(tenant, response.id);
      this.#put(key, parentKey, byResponse.get(response.id) ?? []);
      parentKey = key;
    }
  }

  /**
   * Forgets a deleted response of the tenant: its link goes, so that every chain through it (its descendants, cached
   * or cached later on top of them) misses from now on; other chains and other tenants' chains stay. The response is
   * not cached again for a while, even from a store read that started before the deletion.
   */
  delete(tenant: string, id: string): void {
    this.#drop(tenant, id);
    this.#peers?.announce({ kind: 'deleted', tenant, id });
  }

  /** Forgets everything (responses were pruned, and the store does not say which). */
  clear(): void {
    this.#links.clear();
    this.#peers?.announce({ kind: 'cleared' });
  }

  /**
   * Applies a deletion or prune made on another replica (see ChainCachePeers), without telling the peers again; also
   * `{ kind: 'cleared' }` when the peers were unreachable for a while and their changes may have been missed.
   */
  applyPeerChange(change: ChainCacheChange): void {
    if (change.kind === 'deleted') this.#drop(change.tenant, change.id);
    else this.#links.clear();
  }

  #drop(tenant: string, id: string): void {
    const key = toKey(tenant, id);
    this.#deleted.set(key, true);
    this.#links.delete(key);
  }

  /** How many responses are cached. */
  get size(): number {
    return this.#links.size;
  }

  /** The estimated bytes of everything cached (never above the cache's byte bound). */
  get calculatedSize(): number {
    return this.#links.calculatedSize;
  }

  #put(key: string, parentKey: string | null, items: readonly ResponseItem[]): void {
    if (this.#deleted.has(key)) return;
    const size = LINK_OVERHEAD_BYTES + key.length + estimateRetainedBytes(items);
    // lru-cache refuses (and drops any older value under the key) an entry above maxEntrySize.
    this.#links.set(key, { parentKey, items, size });
  }
}

function toKey(tenant: string, id: string): string {
  return `${tenant}\u0000${id}`;
}

/**
 * A cheap estimate of the heap a JSON-like value keeps alive: every string's length plus a fixed overhead per object,
 * array and value. Walks with an explicit stack (a deeply nested item cannot overflow the call stack) and reads a
 * string's length without touching its characters, so that a multi-megabyte data URL costs one step.
 */
export function estimateRetainedBytes(value: unknown): number {
  let bytes = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const next = stack.pop();
    bytes += NODE_OVERHEAD_BYTES;
    if (typeof next === 'string') bytes += next.length;
    else if (Array.isArray(next)) for (const element of next) stack.push(element);
    else if (typeof next === 'object' && next !== null) {
      for (const [name, field] of Object.entries(next)) {
        bytes += name.length;
        stack.push(field);
      }
    }
  }
  return bytes;
}
