// The items of previous_response_id chains, kept in memory as a tree of immutable links, so that a turn continuing a
// long chain costs what its own context costs to translate, not a read and parse of every earlier turn. A finished
// response's items never change; a chain is one link per response pointing at its parent's link, so caching turn
// 200 adds one link, not 200 items.
import type { ResponseItem } from '../wire/index.ts';

interface ChainLink {
  parent: ChainLink | null;
  /** This response's own items: its input, then its output. */
  items: readonly ResponseItem[];
  depth: number;
}

/** What the cache needs of a stored chain (the store's ResponseChain, loosely typed). */
export interface StoredChain {
  responses: readonly { id: string; previous_response_id: string | null }[];
  items: readonly { response_id: string; item: unknown }[];
}

/**
 * Chains by (tenant, response id), bounded by `maxLinks` responses (least recently used first out). Deleting any
 * response clears the cache: a deletion breaks every chain through it, and deletions are rare.
 */
export class ResponseChainCache {
  readonly #links = new Map<string, ChainLink>();
  readonly #maxLinks: number;

  constructor(options: { maxLinks?: number } = {}) {
    this.#maxLinks = options.maxLinks ?? 20_000;
  }

  /** The items of the chain ending at `id` (oldest first), or undefined when it is not cached. */
  get(tenant: string, id: string): ResponseItem[] | undefined {
    const key = `${tenant}\u0000${id}`;
    const link = this.#links.get(key);
    if (link === undefined) return undefined;
    // Refreshes its place in the LRU order.
    this.#links.delete(key);
    this.#links.set(key, link);
    return flatten(link);
  }

  /** Caches a response whose items are final, on top of its parent's link when that is cached (else it is left out). */
  add(tenant: string, id: string, previousId: string | null, items: readonly ResponseItem[]): void {
    const parent = previousId === null ? null : this.#links.get(`${tenant}\u0000${previousId}`);
    if (parent === undefined) return;
    this.#put(`${tenant}\u0000${id}`, { parent, items: [...items], depth: (parent?.depth ?? 0) + 1 });
  }

  /** Caches every response of a chain read from the store (oldest first), so that the next turns find them here. */
  addStored(tenant: string, chain: StoredChain): void {
    const byResponse = new Map<string, ResponseItem[]>();
    for (const row of chain.items) {
      let list = byResponse.get(row.response_id);
      if (list === undefined) byResponse.set(row.response_id, (list = []));
      list.push(row.item as ResponseItem);
    }
    let parent: ChainLink | null = null;
    for (const [index, response] of chain.responses.entries()) {
      // The oldest response starts the chain only if it has no parent: a chain cut by a deletion is cached as it reads.
      if (index === 0 && response.previous_response_id !== null) parent = null;
      const link: ChainLink = { parent, items: byResponse.get(response.id) ?? [], depth: (parent?.depth ?? 0) + 1 };
      this.#put(`${tenant}\u0000${response.id}`, link);
      parent = link;
    }
  }

  /** Forgets everything (a response was deleted). */
  clear(): void {
    this.#links.clear();
  }

  get size(): number {
    return this.#links.size;
  }

  #put(key: string, link: ChainLink): void {
    this.#links.delete(key);
    this.#links.set(key, link);
    while (this.#links.size > this.#maxLinks) {
      const oldest = this.#links.keys().next().value as string;
      this.#links.delete(oldest);
    }
  }
}

function flatten(link: ChainLink): ResponseItem[] {
  const parts: (readonly ResponseItem[])[] = new Array(link.depth);
  let at: ChainLink | null = link;
  for (let index = link.depth - 1; at !== null; index--, at = at.parent) parts[index] = at.items;
  return parts.flat();
}
