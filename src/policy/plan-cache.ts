// A bounded LRU of plans, so that a request like the last one skips the planner. Long-lived: one per gateway process.
import { LRUCache } from 'lru-cache';
import { planRoutes } from './plan-routes.ts';
import { inputTokensAgainst } from './check-context-window.ts';
import type { Plan, PlanInput } from './plan-types.ts';

/** Plans kept when no bound is given. */
export const DEFAULT_PLAN_CACHE_ENTRIES = 1000;

/**
 * Bytes the cache may hold (keys and plans, estimated): constraints come from requests, so the entry count alone
 * would not bound memory. With constraint lists bounded at parsing an entry is a few kB; 8 MiB holds thousands.
 */
export const DEFAULT_PLAN_CACHE_BYTES = 8 * 1024 * 1024;

/** Estimated bytes of a plan besides its constraints: the kept and rejected entries reference shared routes. */
const BYTES_PER_PLANNED_ROUTE = 256;

const MINUTE_MS = 60_000;

/**
 * The cache key of a plan: everything the plan depends on, and nothing a request varies in that does not change it.
 * - model id, catalog version (which covers routes and agreements) and health epoch (circuit states);
 * - the constraints as canonical JSON (object keys sorted; list order kept, since `providers.order` is an order);
 * - the set of needed capabilities and hosted tools (forced or not), and the parameters when `require_parameters` reads them;
 * - the request's size as the set of route limits it exceeds (one flag per declared `context` and `max_output`): two
 *   requests share a plan exactly when every size check comes out the same, however far apart their sizes are. (A
 *   power-of-two bucket of the size would share less and could also be wrong at a limit inside the bucket.)
 * - `now` truncated to the minute: dates are checked at most a minute late on a cache hit.
 * A hit's rejection details keep the token counts of the request that built the plan, and latency ranking
 * (`sort: latency | throughput`) is refreshed once a minute or on any circuit change.
 */
export function planCacheKey(input: PlanInput, catalogVersion: string): string {
  const { needs, constraints } = input;
  let sizeFlags = '';
  for (const route of input.routes) {
    const { context, max_output: maxOutput } = route.limits;
    sizeFlags += context === undefined ? '-' : inputTokensAgainst(needs, context) + (needs.maxOutputTokens ?? 0) > context ? '1' : '0';
    sizeFlags += maxOutput === undefined || needs.maxOutputTokens === null ? '-' : needs.maxOutputTokens > maxOutput ? '1' : '0';
  }
  const capabilities = [...new Set(needs.capabilities), ...(needs.hostedTools ?? []).map((entry) => `hosted:${entry.tool}${entry.forced ? '!' : ''}`)]
    .sort()
    .join(',');
  const parameters = constraints.require_parameters === true ? [...new Set(needs.parameters)].sort().join(',') : '';
  const minute = Math.floor(input.now.getTime() / MINUTE_MS);
  return [input.model.id, catalogVersion, input.health.epoch, minute, canonicalJson(constraints), capabilities, parameters, sizeFlags].join('\u0000');
}

/** Plans by key, least recently used first out, bounded by entries and by bytes. */
export class PlanCache {
  readonly #entries: LRUCache<string, Plan>;
  #hits = 0;
  #misses = 0;

  constructor(maxEntries: number = DEFAULT_PLAN_CACHE_ENTRIES, maxBytes: number = DEFAULT_PLAN_CACHE_BYTES) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    this.#entries = new LRUCache<string, Plan>({ max: maxEntries, maxSize: maxBytes, sizeCalculation: estimatePlanBytes });
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Estimated bytes held (keys and plans). */
  get bytes(): number {
    return this.#entries.calculatedSize;
  }

  /** Hits and misses of planCached since the cache was made. */
  get stats(): { hits: number; misses: number } {
    return { hits: this.#hits, misses: this.#misses };
  }

  /** The plan under `key`, marking it most recently used. */
  get(key: string): Plan | undefined {
    return this.#entries.get(key);
  }

  /** Stores `plan` under `key`, evicting the least recently used entries beyond the bounds. */
  set(key: string, plan: Plan): void {
    this.#entries.set(key, plan);
  }

  /** Drops every plan (e.g. when the catalog is reloaded). */
  clear(): void {
    this.#entries.clear();
  }

  /**
   * planRoutes(input), from the cache when an equivalent request was planned (see planCacheKey). A hit is returned
   * with `at` set to this request's instant; the plan is shared, so callers must not mutate it.
   */
  planCached(input: PlanInput, catalogVersion: string): Plan {
    const key = planCacheKey(input, catalogVersion);
    const cached = this.get(key);
    if (cached !== undefined) {
      this.#hits += 1;
      return { ...cached, at: input.now.toISOString() };
    }
    this.#misses += 1;
    const plan = planRoutes(input);
    this.set(key, plan);
    return plan;
  }
}

/** JSON with object keys sorted at every level, so that equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** UTF-16 bytes of the key and the plan's constraints, plus a fixed cost per planned route. */
function estimatePlanBytes(plan: Plan, key: string): number {
  return 2 * (key.length + canonicalJson(plan.constraints).length) + BYTES_PER_PLANNED_ROUTE * (plan.kept.length + plan.rejected.length) + 64;
}
